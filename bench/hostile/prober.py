"""The well-behaved client: a fresh connection and one HTTP/1.1 `ping` every interval.

    python3 prober.py HOST:PORT [INTERVAL_MS] [TIMEOUT_S]

Runs in its own process, so that the attacker's work never delays its clock. Each probe opens
a new TCP connection, sends one POST of `ping` with `Connection: close` and reads the whole
answer; probes overlap when the server is slow. One line per probe on stdout:

    START LATENCY_MS OUTCOME

START is time.monotonic() when the probe began (the clock every process of the tool shares),
LATENCY_MS runs from before connect() to the end of the answer (-1 when the probe was lost),
OUTCOME is `ok`, or why it was lost: `timeout`, an error name, or `bad:` and what came back.
On SIGTERM it starts no new probe, waits for those in flight (each ends by its timeout) and exits.
"""

import asyncio
import signal
import sys
import time

import wire

PING = b'{"jsonrpc":"2.0","method":"ping","id":1}'


async def probe(addr, request, timeout):
    started = time.monotonic()
    sock = None

    async def exchange():
        nonlocal sock
        sock = await wire.connect(addr)
        await asyncio.get_running_loop().sock_sendall(sock, request)
        return await wire.ResponseReader(sock).read()

    try:
        response = await asyncio.wait_for(exchange(), timeout)
        latency = (time.monotonic() - started) * 1000
        if response.status == 200 and b'"pong"' in response.body:
            outcome = "ok"
        else:
            outcome = f"bad:{response.status}"
            latency = -1
    except asyncio.TimeoutError:
        latency, outcome = -1, "timeout"
    except (OSError, ValueError) as error:
        latency, outcome = -1, type(error).__name__
    finally:
        if sock is not None:
            sock.close()
    print(f"{started:.6f} {latency:.3f} {outcome}", flush=True)


async def main():
    host, port = sys.argv[1].rsplit(":", 1)
    addr = (host, int(port))
    interval = (int(sys.argv[2]) if len(sys.argv) > 2 else 100) / 1000
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    request = wire.http1_post(sys.argv[1], PING, keep_alive=False)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    in_flight = set()
    next_start = time.monotonic()
    while not stop.is_set():
        task = asyncio.create_task(probe(addr, request, timeout))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        # A fixed schedule: a slow probe does not delay the next one (but a stalled prober
        # does not make up for lost time with a burst either).
        next_start += interval
        if next_start < time.monotonic() - interval:
            next_start = time.monotonic()
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, next_start - time.monotonic()))
        except asyncio.TimeoutError:
            pass
    if in_flight:
        await asyncio.wait(in_flight)


if __name__ == "__main__":
    asyncio.run(main())
