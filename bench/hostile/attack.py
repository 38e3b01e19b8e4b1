"""The attacker: carries out one scenario against a server, until told to stop.

    python3 attack.py '{"scenario": NAME, "addr": "HOST:PORT", "params": {...}, ...}'

Runs in its own process (started by hostile.py). It reports on stdout, one JSON object a line,
each with `ev` and `t` (time.monotonic(), the clock the other processes share):

    start     the attack begins
    opened    every connection of the attack has been tried (with counts so far)
    finished  the server has closed every connection: the attack cannot go on
    closed    after "stop": every attack socket is closed; `summary` has the figures
    idle      (h2-idle only) the watched idle connections, IDLE_CHECK_S after they went idle
    done      the process is about to exit

A line "stop" on stdin (or its end) stops the attack. Every socket is closed with a reset, so
that nothing lingers in TIME_WAIT between scenarios.
"""

import asyncio
import json
import os
import statistics
import sys
import time

import wire

# Connections being opened at once: enough to open 10,000 in seconds, few enough that the
# server's listen queue (1,024) never overflows into SYN retries.
OPEN_CONCURRENCY = 128
CONNECT_TIMEOUT_S = 10
# How long an attacker waits for the answer to its own first ping before idling anyway.
PING_TIMEOUT_S = 10
TRICKLE_INTERVAL_S = 1.0

PING = b'{"jsonrpc":"2.0","method":"ping","id":1}'


class Attack:
    """What every scenario shares: the sockets to close, the figures to report."""

    def __init__(self, config):
        self.config = config
        self.params = config["params"]
        self.host = config["addr"]
        host, port = self.host.rsplit(":", 1)
        self.addr = (host, int(port))
        self.loop = asyncio.get_running_loop()
        self.opening = asyncio.Semaphore(OPEN_CONCURRENCY)
        self.stop = asyncio.Event()
        self.finished = asyncio.Event()
        self.opened = False
        self.live = 0
        self.socks = set()
        self.tasks = set()
        # Kept open after "stop" (the idle watch of h2-idle).
        self.kept_socks = set()
        self.kept_tasks = set()
        self.counts = {}
        self.samples = {}
        self.notes = {}

    def emit(self, event, **fields):
        print(json.dumps({"ev": event, "t": time.monotonic(), **fields}), flush=True)

    def spawn(self, coroutine, kept=False):
        task = asyncio.create_task(coroutine)
        tasks = self.kept_tasks if kept else self.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(_report_crash)
        return task

    def count(self, key, by=1):
        self.counts[key] = self.counts.get(key, 0) + by

    def sample(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def note(self, key, value):
        self.notes.setdefault(key, value)

    async def connect(self, kept=False, rcvbuf=None):
        """A new connection (at most OPEN_CONCURRENCY being opened), or None, counted."""
        async with self.opening:
            try:
                sock = await asyncio.wait_for(wire.connect(self.addr, rcvbuf), CONNECT_TIMEOUT_S)
            except (OSError, asyncio.TimeoutError) as error:
                self.count("connect_failed")
                self.note("connect_error", type(error).__name__)
                return None
        (self.kept_socks if kept else self.socks).add(sock)
        return sock

    def release(self, sock):
        self.socks.discard(sock)
        self.kept_socks.discard(sock)
        wire.close_hard(sock)

    def connection_ended(self):
        """One held connection less; the attack is over once none is left."""
        self.live -= 1
        if self.opened and self.live <= 0:
            self.finished.set()

    async def close_attack(self):
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for sock in list(self.socks):
            self.release(sock)

    def summary(self):
        out = dict(self.counts)
        for key, values in self.samples.items():
            if values:
                out[key] = {
                    "n": len(values),
                    "median": statistics.median(values),
                    "max": max(values),
                    "min": min(values),
                }
        out.update(self.notes)
        return out


def _report_crash(task):
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        print(json.dumps({"ev": "error", "t": time.monotonic(), "error": repr(error)}), flush=True)


async def _each(attack, count, one):
    """Runs `one(i)` for every i in range(count); returns once each has its connection."""
    ready = [asyncio.Event() for _ in range(count)]
    for i in range(count):
        attack.spawn(one(i, ready[i].set))
    for event in ready:
        await event.wait()


# ---------------------------------------------------------------------------------------------
# 1, 2. trickle, trickle-many


async def trickle(attack):
    """Full headers announcing a large body, then one byte of it per second per connection."""
    head = wire.http1_head(attack.host, attack.params["content_length"])
    # Ten groups, one sent to every tenth of the interval, so the bytes do not come in bursts.
    groups = [dict() for _ in range(10)]

    async def one(i, ready):
        sock = await attack.connect()
        if sock is None:
            ready()
            return
        try:
            await attack.loop.sock_sendall(sock, head)
        except OSError:
            attack.count("send_failed")
            ready()
            return
        sent = time.monotonic()
        attack.count("opened")
        attack.live += 1
        groups[i % 10][sock] = sent
        ready()
        how = await wire.wait_closed(sock)
        groups[i % 10].pop(sock, None)
        attack.count("closed_by_server")
        attack.note("closed_how", how)
        attack.sample("closed_after_s", time.monotonic() - sent)
        attack.release(sock)
        attack.connection_ended()

    async def tick():
        turn = 0
        while True:
            await asyncio.sleep(TRICKLE_INTERVAL_S / len(groups))
            for sock in list(groups[turn % len(groups)]):
                try:
                    if sock.send(b" ") == 1:
                        attack.count("bytes_trickled")
                except BlockingIOError:
                    pass
                except OSError:
                    pass
            turn += 1

    attack.spawn(tick())
    await _each(attack, attack.params["connections"], one)


# ---------------------------------------------------------------------------------------------
# 3, 4. h2-idle, h1-idle


async def _h1_ping(attack, sock):
    """One keep-alive ping on `sock`; whether it was answered with "pong"."""
    try:
        await attack.loop.sock_sendall(sock, wire.http1_post(attack.host, PING))
        response = await asyncio.wait_for(wire.ResponseReader(sock).read(), PING_TIMEOUT_S)
        return response.status == 200 and b'"pong"' in response.body
    except (OSError, ValueError, asyncio.TimeoutError):
        return False


async def _h2_ping(attack, sock, kept=False):
    """An h2c connection on `sock` and one ping on its stream 1; (client, reader, answered)."""
    client = wire.H2Client(sock)
    client.open_stream(1)
    reader = attack.spawn(client.run(), kept)
    answered = False
    try:
        await client.send(
            wire.PREFACE + wire.settings_frame() + wire.h2_request(1, attack.host, PING)
        )
        how = await asyncio.wait_for(asyncio.shield(client.ended[1]), PING_TIMEOUT_S)
        answered = how == "end" and b'"pong"' in client.bodies[1]
    except (OSError, asyncio.TimeoutError):
        pass
    return client, reader, answered


async def h1_idle(attack):
    """Keep-alive connections that make one ping each, then say nothing."""

    async def one(i, ready):
        sock = await attack.connect()
        if sock is None:
            ready()
            return
        answered = await _h1_ping(attack, sock)
        attack.count("ping_answered" if answered else "ping_unanswered")
        attack.live += 1
        idle_since = time.monotonic()
        ready()
        how = await wire.wait_closed(sock)
        attack.count("closed_by_server")
        attack.note("closed_how", how)
        attack.sample("closed_after_s", time.monotonic() - idle_since)
        attack.release(sock)
        attack.connection_ended()

    await _each(attack, attack.params["connections"], one)


async def h2_idle(attack):
    """h2c connections that make one ping each, then stay idle (answering PINGs); a group of
    `idle_connections` opened first is kept after the attack and watched for IDLE_CHECK_S."""
    watched = {"open": 0, "closed_after_s": [], "answered": 0, "goaway": 0}
    idle_started = []

    async def watch_one(i, ready):
        sock = await attack.connect(kept=True)
        if sock is None:
            ready()
            return
        client, reader, answered = await _h2_ping(attack, sock, kept=True)
        watched["answered"] += answered
        watched["open"] += 1
        since = time.monotonic()
        idle_started.append(since)
        ready()
        await reader
        watched["open"] -= 1
        watched["closed_after_s"].append(time.monotonic() - since)
        watched["goaway"] += client.goaway is not None
        attack.release(sock)

    async def one(i, ready):
        sock = await attack.connect()
        if sock is None:
            ready()
            return
        client, reader, answered = await _h2_ping(attack, sock)
        attack.count("ping_answered" if answered else "ping_unanswered")
        attack.live += 1
        idle_since = time.monotonic()
        ready()
        how = await reader
        attack.count("closed_by_server")
        if client.goaway is not None:
            attack.count("goaway")
        attack.note("closed_how", how)
        attack.sample("closed_after_s", time.monotonic() - idle_since)
        attack.release(sock)
        attack.connection_ended()

    watch_ready = []
    for i in range(attack.params["idle_connections"]):
        event = asyncio.Event()
        watch_ready.append(event)
        attack.spawn(watch_one(i, event.set), kept=True)
    for event in watch_ready:
        await event.wait()
    attack.watched = watched
    attack.watch_started = min(idle_started) if idle_started else time.monotonic()
    await _each(attack, attack.params["connections"], one)


async def h2_idle_after(attack):
    """Waits until the watched connections have been idle IDLE_CHECK_S, then reports them."""
    watched = attack.watched
    deadline = attack.watch_started + attack.config["idle_check_s"]
    while time.monotonic() < deadline and watched["open"] > 0:
        await asyncio.sleep(0.2)
    closed = watched["closed_after_s"]
    attack.emit(
        "idle",
        after_s=attack.config["idle_check_s"],
        watched=attack.params["idle_connections"],
        answered=watched["answered"],
        still_open=watched["open"],
        closed=len(closed),
        closed_after_median_s=statistics.median(closed) if closed else None,
        goaway=watched["goaway"],
    )
    for task in list(attack.kept_tasks):
        task.cancel()
    await asyncio.gather(*attack.kept_tasks, return_exceptions=True)
    for sock in list(attack.kept_socks):
        attack.release(sock)


# ---------------------------------------------------------------------------------------------
# 5. h2-streams


def _body_of(size, prefix=b'{"jsonrpc":"2.0","method":"echo","params":["'):
    """`size` bytes of the start of an `echo` call whose string never ends."""
    return prefix + b"a" * (size - len(prefix))


async def h2_streams(attack):
    """One h2c connection with `streams` requests, each sending `sent` bytes of its body as
    fast as flow control allows and never the rest."""
    streams = attack.params["streams"]
    target = attack.params["sent"]
    body = memoryview(_body_of(target))
    sock = await attack.connect()
    if sock is None:
        return
    client = wire.H2Client(sock)
    attack.live += 1

    async def read():
        how = await client.run()
        attack.note("closed_how", how)
        if client.goaway is not None:
            attack.note("goaway_code", client.goaway)
        attack.count("closed_by_server")
        attack.connection_ended()

    attack.spawn(read())
    await client.send(wire.PREFACE + wire.settings_frame())
    try:
        await asyncio.wait_for(client.settings_seen.wait(), PING_TIMEOUT_S)
    except asyncio.TimeoutError:
        attack.note("error", "no SETTINGS from the server")
        return
    attack.note(
        "max_concurrent_streams", client.peer_settings.get(wire.SETTINGS_MAX_CONCURRENT_STREAMS)
    )
    attack.note("initial_window", client.initial_window)
    ids = [2 * n + 1 for n in range(streams)]
    head = wire.request_headers(attack.host, attack.params["content_length"])
    for stream in ids:
        client.open_stream(stream)
    await client.send(b"".join(wire.frame(wire.HEADERS, wire.END_HEADERS, s, head) for s in ids))
    attack.count("streams_opened", len(ids))

    async def write():
        started = time.monotonic()
        remaining = {stream: target for stream in ids}
        while remaining:
            out, size = [], 0
            for stream in list(remaining):
                if client.ended[stream].done():
                    del remaining[stream]
                    continue
                n = min(
                    client.max_frame,
                    client.stream_windows[stream],
                    client.send_window,
                    remaining[stream],
                )
                if n <= 0:
                    continue
                offset = target - remaining[stream]
                out.append(wire.data_frame_head(stream, n))
                out.append(body[offset : offset + n])
                client.stream_windows[stream] -= n
                client.send_window -= n
                remaining[stream] -= n
                size += n
                if remaining[stream] == 0:
                    del remaining[stream]
                    attack.count("streams_sent_all")
                if size >= 1 << 18:
                    break
            if out:
                try:
                    await client.send(b"".join(out))
                except OSError:
                    attack.note("write_error", "connection closed while sending")
                    return
                attack.count("bytes_sent", size)
            else:
                client.window_changed.clear()
                if client.ended and all(f.done() for f in client.ended.values()):
                    break
                await client.window_changed.wait()
        attack.note("send_s", round(time.monotonic() - started, 2))
        resets = [f.result() for f in client.ended.values() if f.done()]
        attack.note("streams_ended", len(resets))
        refused = sum(1 for how in resets if how == "reset:7")
        if refused:
            attack.note("streams_refused", refused)

    attack.spawn(write())
    attack.opened = True


# ---------------------------------------------------------------------------------------------
# 6. unfinished-bodies


async def unfinished_bodies(attack):
    """Connections that each send `sent` bytes of a `content_length`-byte body, then hold."""
    head = wire.http1_head(attack.host, attack.params["content_length"])
    body = memoryview(_body_of(attack.params["sent"]))

    async def one(i, ready):
        sock = await attack.connect()
        ready()
        if sock is None:
            return
        attack.live += 1
        try:
            await attack.loop.sock_sendall(sock, head)
            await attack.loop.sock_sendall(sock, body)
            attack.count("sent_all")
            since = time.monotonic()
            how = await wire.wait_closed(sock)
            attack.sample("closed_after_s", time.monotonic() - since)
            attack.note("closed_how", how)
        except OSError as error:
            attack.note("send_error", type(error).__name__)
        attack.count("closed_by_server")
        attack.release(sock)
        attack.connection_ended()

    await _each(attack, attack.params["connections"], one)


# ---------------------------------------------------------------------------------------------
# 7. non-reader


async def non_reader(attack):
    """Clients that ask for a large answer (`echo` of a long string) and never read it; their
    receive buffers are a few KiB, so the server keeps what it cannot write."""
    size = attack.params["body"]
    prefix = b'{"jsonrpc":"2.0","method":"echo","params":["'
    suffix = b'"],"id":1}'
    body = prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix
    request = memoryview(wire.http1_post(attack.host, body))

    async def one(i, ready):
        sock = await attack.connect(rcvbuf=4096)
        ready()
        if sock is None:
            return
        try:
            await attack.loop.sock_sendall(sock, request)
            attack.count("requests_sent")
        except OSError as error:
            attack.note("send_error", type(error).__name__)

    await _each(attack, attack.params["clients"], one)


# ---------------------------------------------------------------------------------------------
# 8, 9, 10. batch-heavy, batch-discover, big-bodies: clients that call in a loop


def _call(method, id_, params=None):
    call = {"jsonrpc": "2.0", "method": method, "id": id_}
    if params is not None:
        call["params"] = params
    return json.dumps(call, separators=(",", ":"))


async def _call_loop(attack, request, key, ready, keep=256, check=None):
    """Sends `request` and reads its answer over and over, reconnecting when needed."""
    first = True
    while True:
        sock = await attack.connect()
        if first:
            ready()
            first = False
        if sock is None:
            await asyncio.sleep(0.2)
            continue
        reader = wire.ResponseReader(sock)
        try:
            while True:
                started = time.monotonic()
                await attack.loop.sock_sendall(sock, request)
                response = await reader.read(keep)
                attack.note(f"{key}_answer", response.body[:120].decode(errors="replace"))
                if response.status == 200 and (check is None or check(response)):
                    attack.count(f"{key}_answered")
                    attack.sample(f"{key}_s", time.monotonic() - started)
                else:
                    attack.count(f"{key}_status_{response.status}")
                attack.note(f"{key}_answer_bytes", response.length)
                if response.close:
                    break
        except (OSError, ValueError) as error:
            attack.count(f"{key}_failed")
            attack.note(f"{key}_error", type(error).__name__)
        attack.release(sock)
        await asyncio.sleep(0.05)


async def batch_heavy(attack):
    """Batches of about `batch` bytes: one `sleep`, then pings, each client in a loop."""
    calls = [_call("sleep", 0, [attack.params["sleep_ms"]])]
    size = len(calls[0]) + 2
    n = 1
    while size < attack.params["batch"]:
        calls.append(_call("ping", n))
        size += len(calls[-1]) + 1
        n += 1
    body = ("[" + ",".join(calls) + "]").encode()
    attack.note("batch_bytes", len(body))
    attack.note("batch_calls", len(calls))
    request = wire.http1_post(attack.host, body)
    attack.opened = True
    await _each(
        attack,
        attack.params["clients"],
        lambda i, ready: _call_loop(
            attack, request, "batch", ready, check=lambda r: r.body[:1] == b"["
        ),
    )


async def batch_discover(attack):
    """One client: batches of `calls` × `rpc.discover` plus one `sleep`, in a loop."""
    calls = [_call("sleep", 0, [attack.params["sleep_ms"]])]
    calls += [_call("rpc.discover", n + 1) for n in range(attack.params["calls"])]
    body = ("[" + ",".join(calls) + "]").encode()
    attack.note("batch_bytes", len(body))
    request = wire.http1_post(attack.host, body)
    attack.opened = True
    await _each(attack, 1, lambda i, ready: _call_loop(attack, request, "batch", ready))


async def big_bodies(attack):
    """Clients that `echo` an array of zeros of about `body` bytes, in a loop."""
    size = attack.params["body"]
    prefix = b'{"jsonrpc":"2.0","method":"echo","params":[['
    suffix = b']],"id":1}'
    zeros = (size - len(prefix) - len(suffix) + 1) // 2
    body = prefix + b"0," * (zeros - 1) + b"0" + suffix
    request = wire.http1_post(attack.host, body)
    attack.note("body_bytes", len(body))
    attack.opened = True
    await _each(
        attack,
        attack.params["clients"],
        lambda i, ready: _call_loop(attack, request, "echo", ready),
    )


ATTACKS = {
    "trickle": trickle,
    "trickle-many": trickle,
    "h2-idle": h2_idle,
    "h1-idle": h1_idle,
    "h2-streams": h2_streams,
    "unfinished-bodies": unfinished_bodies,
    "non-reader": non_reader,
    "batch-heavy": batch_heavy,
    "batch-discover": batch_discover,
    "big-bodies": big_bodies,
}

AFTER_STOP = {"h2-idle": h2_idle_after}


async def main():
    config = json.loads(sys.argv[1])
    attack = Attack(config)
    loop = asyncio.get_running_loop()

    def on_stdin():
        line = os.read(0, 256)
        if not line or b"stop" in line:
            loop.remove_reader(0)
            attack.stop.set()

    loop.add_reader(0, on_stdin)
    attack.emit("start")
    name = config["scenario"]
    opening = asyncio.ensure_future(ATTACKS[name](attack))
    stopping = asyncio.ensure_future(attack.stop.wait())
    await asyncio.wait({opening, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if opening.done():
        if opening.exception() is not None:
            attack.emit("error", error=repr(opening.exception()))
        attack.opened = True
        if attack.live <= 0 and attack.counts.get("closed_by_server"):
            attack.finished.set()
        attack.emit("opened", counts=dict(attack.counts))
        ending = asyncio.ensure_future(attack.finished.wait())
        await asyncio.wait({ending, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if ending.done() and not stopping.done():
            attack.emit("finished")
        ending.cancel()
    else:
        opening.cancel()
    await stopping
    await attack.close_attack()
    attack.emit("closed", summary=attack.summary())
    if name in AFTER_STOP and hasattr(attack, "watched"):
        await AFTER_STOP[name](attack)
    attack.emit("done")


if __name__ == "__main__":
    asyncio.run(main())
