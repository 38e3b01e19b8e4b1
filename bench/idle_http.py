"""Opens COUNT HTTP/1.1 keep-alive connections to ADDR, sends one ping on each, reads its answer,
and keeps them all open until stdin closes: the load of `idle_http.sh`, which measures the
server's memory per idle connection.

    python3 idle_http.py 127.0.0.1:5000 10000
"""

import asyncio
import sys

PING = b'{"jsonrpc":"2.0","method":"ping","id":1}'
REQUEST = (
    b"POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(PING)).encode() + b"\r\n\r\n" + PING
)


async def one(host, port, opened):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(REQUEST)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(head.decode(errors="replace"))
    opened.append(writer)


async def main():
    host, port = sys.argv[1].rsplit(":", 1)
    count = int(sys.argv[2])
    opened = []
    # In waves, so that the listen queue never overflows.
    for start in range(0, count, 500):
        await asyncio.gather(
            *(one(host, int(port), opened) for _ in range(min(500, count - start)))
        )
    print(f"OPEN {len(opened)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for writer in opened:
        writer.close()


asyncio.run(main())
