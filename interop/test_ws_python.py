"""Python's `websockets` against our spec server over ws:// (interop/ws.sh runs it).

    JSONRPC_URL=http://127.0.0.1:5000/ python interop/test_ws_python.py

JSONRPC_URL is the spec server's HTTP address; the WebSocket address is the same with ws://.
With `--shutdown PID`, it runs one check only: it interrupts the server (SIGINT to PID) and
checks that calls in flight are answered and the connection closes with 1001.

Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`, and the
exit status is 1 if any check failed. Every wait has a timeout, so nothing hangs.

The wire format checked (issue 11, compatible with jsonrpsee's): one JSON-RPC message a text
frame; a subscribe call answers a subscription id (32 lowercase hex digits), then come items
`{"method": N, "params": {"subscription": ID, "result": ITEM}}`, and
`{"subscription": ID, "complete": true}` when the server ends it, or
`{"subscription": ID, "error": {...}}` (-32093 when the client fell behind); `unsubscribe_*`
answers true or false; -32090 for a subscription method over HTTP, -32091 past 1024
subscriptions a connection; close codes 1000, 1001 (shutdown), 1007 (invalid UTF-8) and 1009
(message too big).
"""

import asyncio
import json
import os
import re
import signal
import socket
import sys
import time
import traceback
import urllib.parse
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

HTTP_URL = os.environ.get("JSONRPC_URL", "http://127.0.0.1:5000/")
WS_URL = re.sub(r"^http", "ws", HTTP_URL)
# How long any one answer may take, and how long to wait to be sure nothing more comes.
STEP = 10.0
QUIET = 0.5
# The server's default largest message.
MAX_MESSAGE = 10 * 1024 * 1024
SUB_ID = re.compile(r"^[0-9a-f]{32}$")


class Fail(Exception):
    """A check's failure, with why."""


def expect(what, got, want):
    if got != want:
        raise Fail(f"{what}: expected {want!r}, got {got!r}")


def request(method, params=None, id=None):
    message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if id is not None:
        message["id"] = id
    return message


def ws(**options):
    """A connection to the server; opening and closing time out after STEP."""
    options.setdefault("open_timeout", STEP)
    options.setdefault("close_timeout", STEP)
    return connect(WS_URL, **options)


async def send(conn, message):
    await conn.send(json.dumps(message))


async def recv(conn, timeout=STEP):
    """The next frame as JSON; it must be a text frame."""
    try:
        frame = await asyncio.wait_for(conn.recv(), timeout)
    except asyncio.TimeoutError:
        raise Fail(f"nothing came within {timeout}s") from None
    if not isinstance(frame, str):
        raise Fail(f"a binary frame, where a text frame was expected: {frame[:200]!r}")
    return json.loads(frame)


async def nothing_comes(conn, what, timeout=QUIET):
    try:
        frame = await asyncio.wait_for(conn.recv(), timeout)
    except asyncio.TimeoutError:
        return
    raise Fail(f"{what}: expected nothing, got {frame[:200]!r}")


async def call(conn, method, params=None, id=1):
    """Sends a request and returns its answer; other frames (items) in between are an error."""
    await send(conn, request(method, params, id))
    answer = await recv(conn)
    expect(f"the answer's id ({answer})", answer.get("id"), id)
    return answer


async def result(conn, method, params=None, id=1):
    answer = await call(conn, method, params, id)
    if "result" not in answer:
        raise Fail(f"{method}: expected a result, got {answer}")
    return answer["result"]


def http_call(message):
    body = json.dumps(message).encode()
    req = urllib.request.Request(HTTP_URL, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=STEP) as response:
        return json.loads(response.read())


async def subscribe(conn, method, params, id):
    sub = await result(conn, method, params, id)
    if not (isinstance(sub, str) and SUB_ID.match(sub)):
        raise Fail(f"{method}: the subscription id {sub!r} is not 32 lowercase hex digits")
    return sub


def item(notification, sub, value):
    return {
        "jsonrpc": "2.0",
        "method": notification,
        "params": {"subscription": sub, "result": value},
    }


async def closed_with(conn, want_code):
    """Waits for the server to close the connection and checks its close code."""
    try:
        while True:
            frame = await asyncio.wait_for(conn.recv(), STEP)
            print(f"  (a frame before the close: {frame[:200]!r})")
    except asyncio.TimeoutError:
        raise Fail(f"the server did not close the connection within {STEP}s") from None
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
        expect(f"the close code ({closed})", code, want_code)


# --- the checks -------------------------------------------------------------------------


async def check_ping():
    async with ws() as conn:
        await conn.send(json.dumps(request("ping", id=1)))
        frame = await asyncio.wait_for(conn.recv(), STEP)
        if not isinstance(frame, str):
            raise Fail(f"the answer is a binary frame: {frame!r}")
        expect("the answer", json.loads(frame), {"jsonrpc": "2.0", "result": "pong", "id": 1})


async def check_params():
    async with ws() as conn:
        expect("by position", await result(conn, "subtract", [42, 23], 1), 19)
        by_name = {"subtrahend": 23, "minuend": 42}
        expect("by name", await result(conn, "subtract", by_name, "two"), 19)
        answer = await call(conn, "no_such_method", id=3)
        expect("method not found", answer.get("error", {}).get("code"), -32601)
        answer = await call(conn, "subtract", [1], id=4)
        expect("invalid params", answer.get("error", {}).get("code"), -32602)


async def check_binary_frame():
    async with ws() as conn:
        await conn.send(json.dumps(request("ping", id=7)).encode())
        pong = {"jsonrpc": "2.0", "result": "pong", "id": 7}
        expect("the answer (a text frame)", await recv(conn), pong)


async def check_parse_error():
    async with ws() as conn:
        await conn.send('{"jsonrpc": "2.0", "method": ')
        answer = await recv(conn)
        expect("the error code", answer.get("error", {}).get("code"), -32700)
        expect("the id", answer.get("id", "missing"), None)
        expect("still serving", await result(conn, "ping", id=2), "pong")


async def check_batch():
    async with ws() as conn:
        batch = [
            request("ping", id=1),
            request("subtract", [42, 23], id=2),
            request("notify_hello", [7]),
            request("no_such_method", id=3),
        ]
        await send(conn, batch)
        answers = await recv(conn)
        if not isinstance(answers, list):
            raise Fail(f"expected an array, got {answers}")
        by_id = {a.get("id"): a for a in answers}
        expect("the ids answered", sorted(by_id), [1, 2, 3])
        expect("ping", by_id[1].get("result"), "pong")
        expect("subtract", by_id[2].get("result"), 19)
        expect("no_such_method", by_id[3].get("error", {}).get("code"), -32601)
        await send(conn, [request("notify_hello", [1]), request("notify_hello", [2])])
        await nothing_comes(conn, "a batch of notifications")
        await send(conn, [])
        answer = await recv(conn)
        expect("an empty batch", answer.get("error", {}).get("code"), -32600)


async def check_notification():
    async with ws() as conn:
        await send(conn, request("notify_hello", [31337]))
        await nothing_comes(conn, "a notification")
        expect("still serving", await result(conn, "ping", id=1), "pong")


async def check_subscribe_as_notification():
    # No id, so no subscription id could reach the client: nothing is started.
    async with ws() as conn:
        await send(conn, request("subscribe_ticks", [3, 1]))
        await send(conn, request("subscribe_events", []))
        await nothing_comes(conn, "a subscribe sent as a notification")
        expect("publish reaches none", await result(conn, "publish", ["x"], 1), 0)
        await nothing_comes(conn, "after publish")


async def check_out_of_order():
    async with ws() as conn:
        started = time.monotonic()
        await send(conn, request("sleep", [1000], id="slow"))
        await send(conn, request("ping", id="fast"))
        first = await recv(conn)
        fast_took = time.monotonic() - started
        second = await recv(conn)
        expect("the first answer", first, {"jsonrpc": "2.0", "result": "pong", "id": "fast"})
        expect("the second answer", second, {"jsonrpc": "2.0", "result": 1000, "id": "slow"})
        if fast_took >= 0.9:
            raise Fail(f"the fast answer took {fast_took:.2f}s: it waited for the slow one")


async def check_ticks_complete():
    async with ws() as conn:
        sub = await subscribe(conn, "subscribe_ticks", [3, 10], 1)
        for n in range(3):
            expect(f"item {n}", await recv(conn), item("ticks", sub, n))
        end = {"subscription": sub, "complete": True}
        expect("the end", await recv(conn), {"jsonrpc": "2.0", "method": "ticks", "params": end})
        await nothing_comes(conn, "after `complete`")
        # It ended by itself: unsubscribing now finds nothing.
        unsubscribed = await result(conn, "unsubscribe_ticks", [sub], 2)
        expect("unsubscribe after complete", unsubscribed, False)


async def check_ticks_by_name():
    async with ws() as conn:
        sub = await subscribe(conn, "subscribe_ticks", {"count": 1, "interval_ms": 1}, 1)
        expect("item 0", await recv(conn), item("ticks", sub, 0))
        end = await recv(conn)
        expect("the end", end.get("params"), {"subscription": sub, "complete": True})


async def check_ticks_bad_params():
    async with ws() as conn:
        answer = await call(conn, "subscribe_ticks", ["three"], 1)
        expect("the error code", answer.get("error", {}).get("code"), -32602)


async def check_unsubscribe():
    async with ws() as conn:
        sub = await subscribe(conn, "subscribe_ticks", [1_000_000, 5], 1)
        expect("item 0", await recv(conn), item("ticks", sub, 0))
        await send(conn, request("unsubscribe_ticks", [sub], id=2))
        # Items may still come before the answer, never after it.
        seen = 1
        while True:
            message = await recv(conn)
            if message.get("id") == 2:
                expect("unsubscribe", message, {"jsonrpc": "2.0", "result": True, "id": 2})
                break
            expect(f"item {seen}", message, item("ticks", sub, seen))
            seen += 1
        await nothing_comes(conn, "after the unsubscribe answer")
        expect("unsubscribe again", await result(conn, "unsubscribe_ticks", [sub], 3), False)
        expect("an unknown id", await result(conn, "unsubscribe_ticks", ["0" * 32], 4), False)


async def check_unsubscribe_scope():
    # An id is only unsubscribed by its own connection and its own unsubscribe method.
    async with ws() as owner, ws() as other:
        sub = await subscribe(owner, "subscribe_ticks", [1_000_000, 5], 1)
        expect("item 0", await recv(owner), item("ticks", sub, 0))
        unsubscribed = await result(other, "unsubscribe_ticks", [sub], 1)
        expect("unsubscribe_ticks from another connection", unsubscribed, False)
        await send(owner, request("unsubscribe_events", [sub], id=2))
        seen = 1
        while True:
            message = await recv(owner)
            if message.get("id") == 2:
                expect("unsubscribe_events with a ticks id", message.get("result"), False)
                break
            expect(f"item {seen}", message, item("ticks", sub, seen))
            seen += 1
        # Still running: more items come.
        for _ in range(3):
            expect("an item", await recv(owner), item("ticks", sub, seen))
            seen += 1


async def check_subscribe_in_batch():
    async with ws() as conn:
        await send(conn, [request("subscribe_ticks", [2, 10], id=1), request("ping", id=2)])
        answers = await recv(conn)
        by_id = {a.get("id"): a for a in answers}
        expect("the ids answered", sorted(by_id), [1, 2])
        sub = by_id[1].get("result")
        if not (isinstance(sub, str) and SUB_ID.match(sub)):
            raise Fail(f"no subscription id: {by_id[1]}")
        expect("item 0", await recv(conn), item("ticks", sub, 0))
        expect("item 1", await recv(conn), item("ticks", sub, 1))
        end = {"subscription": sub, "complete": True}
        expect("the end", (await recv(conn)).get("params"), end)


async def check_two_subscriptions():
    async with ws() as conn:
        # Both subscribe calls at once; the first one's items may come before the second answer,
        # but no item may come before its own subscription's answer.
        await send(conn, request("subscribe_ticks", [2, 30], id=1))
        await send(conn, request("subscribe_ticks", [3, 10], id=2))
        ids = {}
        got = {}
        ended = set()
        while len(ended) < 2:
            message = await recv(conn)
            if "id" in message:
                sub = message.get("result")
                if not (isinstance(sub, str) and SUB_ID.match(sub)):
                    raise Fail(f"a subscribe answer without a subscription id: {message}")
                ids[message["id"]] = sub
                got[sub] = []
                continue
            params = message.get("params", {})
            sub = params.get("subscription")
            if sub not in got:
                raise Fail(f"an item before its subscription's answer, or of none: {message}")
            if params.get("complete") is True:
                ended.add(sub)
            else:
                got[sub].append(params.get("result"))
        expect("the answers", sorted(ids), [1, 2])
        if ids[1] == ids[2]:
            raise Fail(f"both subscriptions have the id {ids[1]}")
        expect("the items of each", [got[ids[1]], got[ids[2]]], [[0, 1], [0, 1, 2]])


async def check_events():
    async with ws() as subscriber, ws() as publisher:
        sub = await subscribe(subscriber, "subscribe_events", [], 1)
        expect("publish reaches one", await result(publisher, "publish", [{"k": [1, 2]}], 1), 1)
        expect("the event", await recv(subscriber), item("events", sub, {"k": [1, 2]}))
        expect("publish by name", await result(publisher, "publish", {"value": "two"}, 2), 1)
        expect("the event", await recv(subscriber), item("events", sub, "two"))
        expect("unsubscribe", await result(subscriber, "unsubscribe_events", [sub], 2), True)
        expect("publish reaches none", await result(publisher, "publish", [3], 3), 0)
        await nothing_comes(subscriber, "after unsubscribe_events")
        expect("unsubscribe again", await result(subscriber, "unsubscribe_events", [sub], 3), False)


async def check_events_many():
    async with ws() as one, ws() as two:
        a = await subscribe(one, "subscribe_events", [], 1)
        b = await subscribe(two, "subscribe_events", [], 1)
        c = await subscribe(two, "subscribe_events", [], 2)
        await send(one, request("publish", [9], id=2))
        # The publish answer and the item come on one connection in either order.
        got = [await recv(one), await recv(one)]
        answer = {"jsonrpc": "2.0", "result": 3, "id": 2}
        expect("publish reaches three", answer in got, True)
        expect("connection one gets the event", item("events", a, 9) in got, True)
        got = [await recv(two), await recv(two)]
        expect(
            "connection two gets it twice",
            sorted(json.dumps(m, sort_keys=True) for m in got),
            sorted(json.dumps(item("events", s, 9), sort_keys=True) for s in (b, c)),
        )


def slow_reader():
    """A TCP socket to the server with a 4 KiB receive buffer (no autotuning), for a client that
    stops reading: the server's queue then fills after a few MB rather than tens."""
    parts = urllib.parse.urlsplit(WS_URL)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(STEP)
    sock.connect((parts.hostname, parts.port))
    sock.setblocking(False)
    return sock


async def check_lagged():
    # A subscriber that stops reading while 12,000 events of 1 KB are published: its items
    # fill the TCP buffers and the server's outgoing queue, then the broadcast's buffer (1024
    # items in the spec server) overflows, and the subscription ends with an `error`
    # notification (-32093, lagged) once the client reads again.
    slow_options = {"max_size": None, "max_queue": 1, "sock": slow_reader()}
    async with ws(**slow_options) as slow, ws(max_size=None) as publisher:
        sub = await subscribe(slow, "subscribe_events", [], 1)
        value = "z" * 1000
        published = 0
        while published < 12_000:
            batch = [request("publish", [value], id=published + n) for n in range(500)]
            await send(publisher, batch)
            answers = await recv(publisher)
            expect("publish answers", len(answers), len(batch))
            published += len(batch)
        items = 0
        while True:
            try:
                message = await recv(slow, timeout=QUIET * 4)
            except Fail:
                raise Fail(f"{items} items of {published}, then nothing: no lag was seen") from None
            params = message.get("params", {})
            expect("the subscription", params.get("subscription"), sub)
            if "result" in params:
                items += 1
                continue
            error = params.get("error")
            if not isinstance(error, dict):
                raise Fail(f"after {items} items, neither an item nor an error: {message}")
            expect(f"the error's code ({error})", error.get("code"), -32093)
            expect("the error's message is a string", isinstance(error.get("message"), str), True)
            break
        if items >= published:
            raise Fail(f"all {items} items came, then the error")
        await nothing_comes(slow, "after the error")
        expect("the connection still serves", await result(slow, "ping", id=2), "pong")
        unsubscribed = await result(slow, "unsubscribe_events", [sub], 3)
        expect("unsubscribe after the error", unsubscribed, False)
        expect("publish reaches none", await result(publisher, "publish", ["after"], 4), 0)


async def check_too_many_subscriptions():
    # 1024 subscriptions a connection by default; one more is -32091.
    async with ws() as conn:
        for n in range(1025):
            await send(conn, request("subscribe_events", [], id=n))
        answers = [await recv(conn) for _ in range(1025)]
        errors = [a for a in answers if "error" in a]
        expect("the answers with an error", len(errors), 1)
        expect("the error's code", errors[0]["error"].get("code"), -32091)
        expect("the ids answered", sorted(a.get("id") for a in answers), list(range(1025)))
        # Unsubscribing one makes room for another.
        sub = next(a["result"] for a in answers if "result" in a)
        expect("unsubscribe one", await result(conn, "unsubscribe_events", [sub], "u"), True)
        await subscribe(conn, "subscribe_events", [], "again")


async def check_abrupt_disconnect():
    async with ws() as publisher:
        gone = await ws()
        sub = await subscribe(gone, "subscribe_events", [], 1)
        expect("publish before", await result(publisher, "publish", ["before"], 1), 1)
        expect("the event", await recv(gone), item("events", sub, "before"))
        # No close frame: the TCP connection just goes.
        gone.transport.abort()
        deadline = time.monotonic() + STEP
        n = 1
        while True:
            n += 1
            count = await result(publisher, "publish", ["after"], n)
            if count == 0:
                break
            if time.monotonic() > deadline:
                raise Fail(f"publish still reaches {count} subscriber(s) {STEP}s later")
            await asyncio.sleep(0.05)


async def check_close_normal():
    conn = await ws()
    sub = await subscribe(conn, "subscribe_ticks", [1_000_000, 5], 1)
    expect("item 0", await recv(conn), item("ticks", sub, 0))
    # Items still in flight are read and dropped by websockets while it closes.
    await conn.close(1000)
    expect("the server's close code (in its close frame)", conn.close_code, 1000)


async def check_ws_ping():
    async with ws() as conn:
        pong = await conn.ping(b"interop")
        await asyncio.wait_for(pong, STEP)


async def check_big_message_fits():
    async with ws(max_size=None, compression=None) as conn:
        text = "x" * (2 * 1024 * 1024)
        expect("a 2 MiB echo", await result(conn, "echo", [text], 1), text)


async def check_too_big():
    async with ws(compression=None, max_size=None) as conn:
        payload = json.dumps(request("echo", ["x" * (MAX_MESSAGE + 1024 * 1024)], id=1))
        try:
            await asyncio.wait_for(conn.send(payload), STEP)
        except ConnectionClosed:
            pass  # The server may close before it has read the whole message.
        await closed_with(conn, 1009)


async def check_invalid_utf8():
    async with ws(compression=None) as conn:
        # A text frame whose bytes are not UTF-8 (websockets sends bytes as-is with text=True).
        not_utf8 = b'{"jsonrpc":"2.0","method":"echo","params":["\xff\xfe"],"id":1}'
        await conn.send(not_utf8, text=True)
        await closed_with(conn, 1007)


async def check_http_subscribe():
    answer = http_call(request("subscribe_ticks", [3, 10], id=1))
    expect("the error code", answer.get("error", {}).get("code"), -32090)
    expect("the id", answer.get("id"), 1)
    answer = http_call(request("unsubscribe_ticks", ["0" * 32], id=2))
    expect("unsubscribe over HTTP", answer.get("error", {}).get("code"), -32090)
    answers = http_call([request("subscribe_events", [], id=3), request("ping", id=4)])
    by_id = {a.get("id"): a for a in answers}
    expect("subscribe in a batch over HTTP", by_id[3].get("error", {}).get("code"), -32090)
    expect("ping in that batch", by_id[4].get("result"), "pong")


async def check_shutdown(pid):
    # Ctrl-C (SIGINT) to the server: a call in flight is still answered, a subscription gets no
    # more items after the close, and the connection closes with 1001 (going away).
    async with ws() as conn:
        sub = await subscribe(conn, "subscribe_ticks", [1_000_000, 20], 1)
        await recv(conn)
        await send(conn, request("sleep", [300], id="in flight"))
        await asyncio.sleep(0.05)
        os.kill(pid, signal.SIGINT)
        answered = False
        try:
            while True:
                message = await recv(conn)
                if message.get("id") == "in flight":
                    expect("the call in flight", message.get("result"), 300)
                    answered = True
                else:
                    expect("the subscription", message.get("params", {}).get("subscription"), sub)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            expect(f"the close code ({closed})", code, 1001)
        expect("the call in flight was answered", answered, True)


CHECKS = [
    ("ping (answered in a text frame)", check_ping),
    ("params by position and by name, errors", check_params),
    ("a binary frame is read as JSON", check_binary_frame),
    ("invalid JSON is -32700 and the connection stays", check_parse_error),
    ("batch", check_batch),
    ("a notification gets no answer", check_notification),
    ("a subscribe sent as a notification starts nothing", check_subscribe_as_notification),
    ("a slow call does not hold up a fast one (answers out of order)", check_out_of_order),
    ("subscribe_ticks [3, 10]: items 0, 1, 2 then complete", check_ticks_complete),
    ("subscribe_ticks by name", check_ticks_by_name),
    ("subscribe_ticks with bad params is -32602", check_ticks_bad_params),
    ("unsubscribe: true, no item after it, then false", check_unsubscribe),
    ("only its connection and its unsubscribe method end a subscription", check_unsubscribe_scope),
    ("subscribe in a batch", check_subscribe_in_batch),
    ("two subscriptions on one connection", check_two_subscriptions),
    ("subscribe_events and publish from another connection", check_events),
    ("publish reaches every subscription on every connection", check_events_many),
    ("a subscriber that stops reading gets error -32093 (lagged)", check_lagged),
    ("subscription 1025 on one connection is -32091", check_too_many_subscriptions),
    ("an abrupt disconnect drops its subscriptions", check_abrupt_disconnect),
    ("a normal close (1000) with a subscription running", check_close_normal),
    ("WebSocket ping is answered with a pong", check_ws_ping),
    ("a 2 MiB message is fine", check_big_message_fits),
    ("a message over 10 MiB closes with 1009", check_too_big),
    ("invalid UTF-8 in a text frame closes with 1007", check_invalid_utf8),
    ("subscribe and unsubscribe over HTTP POST are -32090", check_http_subscribe),
]


async def main(checks):
    passed = failed = 0
    for name, check in checks:
        try:
            await asyncio.wait_for(check(), STEP * 3)
        except Fail as why:
            failed += 1
            print(f"FAIL {name}: {why}")
        except Exception as error:  # noqa: BLE001 - any error fails the check, not the run
            failed += 1
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            print(f"FAIL {name}: {detail or type(error).__name__}")
        else:
            passed += 1
            print(f"ok {name}")
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--shutdown"]:
        # The last check, apart: it stops the server (its pid is the next argument).
        server_pid = int(sys.argv[2])
        name = "Ctrl-C: calls in flight answered, then close 1001"
        sys.exit(asyncio.run(main([(name, lambda: check_shutdown(server_pid))])))
    sys.exit(asyncio.run(main(CHECKS)))
