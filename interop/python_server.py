"""The seed's Python server (tornado + jsonrpcserver 4), for interop/client_vs_python.sh.

The handler is the seed's (jsonrpc-python-tornado.md), with `debug=True` so that error
responses carry their `data`; the methods are the ones the Rust clients call:

    ping()                      -> "pong"
    subtract(minuend, subtrahend)  by position or by name
    notify_hello(x)             a notification target: records x
    notes()                     -> every x recorded so far
    fail()                      raises a JSON-RPC error: code -32001, with data

    python interop/python_server.py PORT        # serves 127.0.0.1:PORT
"""

import asyncio
import sys

from tornado import web
from jsonrpcserver import method, async_dispatch as dispatch
from jsonrpcserver.exceptions import ApiError

NOTES = []


@method
async def ping():
    return "pong"


@method
async def subtract(minuend, subtrahend):
    return minuend - subtrahend


@method
async def notify_hello(x):
    NOTES.append(x)


@method
async def notes():
    return list(NOTES)


@method
async def fail():
    raise ApiError("it failed on purpose", code=-32001, data={"reason": "interop"})


class MainHandler(web.RequestHandler):
    async def post(self):
        request = self.request.body.decode()
        response = await dispatch(request, debug=True)
        print(response, flush=True)
        if response.wanted:
            self.write(str(response))


async def main(port):
    app = web.Application([(r"/", MainHandler)])
    app.listen(port, address="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
