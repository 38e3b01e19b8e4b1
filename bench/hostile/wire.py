"""HTTP/1.1 and HTTP/2 on raw non-blocking sockets, just enough for the hostile-load tool.

Everything here is written by hand so that every byte an attacker sends is under the tool's
control (a library would finish bodies, answer flow control, or time out on its own): HTTP/1.1
requests with any Content-Length and any part of their body, a response reader, and the few
HTTP/2 frames a prior-knowledge (h2c) client needs.
"""

import asyncio
import socket
import struct

# ---------------------------------------------------------------------------------------------
# Sockets


async def connect(addr, rcvbuf=None):
    """A connected non-blocking TCP socket to `addr` (host, port).

    `rcvbuf` shrinks the receive buffer before the handshake, so that a client that never reads
    stops the server's writes after a few KiB instead of the kernel's megabytes.
    """
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        await loop.sock_connect(sock, addr)
    except BaseException:
        sock.close()
        raise
    return sock


def close_hard(sock):
    """Closes at once with a reset (SO_LINGER 0): no FIN handshake, no TIME_WAIT left behind."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


async def wait_closed(sock, answer=None):
    """Reads until the peer closes; returns how it closed ("eof" or an error name).

    Whatever arrives is dropped, or handed to `answer(bytes)` (which may write a reply).
    """
    loop = asyncio.get_running_loop()
    while True:
        try:
            data = await loop.sock_recv(sock, 65536)
        except (ConnectionError, OSError) as error:
            return type(error).__name__
        if not data:
            return "eof"
        if answer is not None:
            answer(data)


# ---------------------------------------------------------------------------------------------
# HTTP/1.1


def http1_head(host, content_length, keep_alive=True):
    """The head of a JSON POST to `/` announcing `content_length` bytes of body."""
    lines = [
        "POST / HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {content_length}",
    ]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def http1_post(host, body, keep_alive=True):
    """A whole JSON POST to `/`."""
    return http1_head(host, len(body), keep_alive) + body


class Response:
    """One HTTP/1.1 response: its status, its body (the first `keep` bytes) and its length."""

    def __init__(self, status, body, length, close):
        self.status = status
        self.body = body
        self.length = length
        self.close = close


class ResponseReader:
    """Reads HTTP/1.1 responses from one socket, one after another (keep-alive)."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()
        self.eof = False

    async def _fill(self):
        data = await asyncio.get_running_loop().sock_recv(self.sock, 1 << 18)
        if not data:
            self.eof = True
        self.buffer += data
        return bool(data)

    async def _line(self):
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 2]
                return line
            if len(self.buffer) > 65536:
                raise ValueError("response head too long")
            if not await self._fill():
                raise ConnectionError("closed before the response head ended")

    async def _take(self, count, keep, kept):
        """Reads `count` bytes of body, keeping up to `keep` of them in `kept`."""
        while count > 0:
            if not self.buffer and not await self._fill():
                raise ConnectionError("closed in the middle of a response body")
            chunk = min(count, len(self.buffer))
            if len(kept) < keep:
                kept += self.buffer[: min(chunk, keep - len(kept))]
            del self.buffer[:chunk]
            count -= chunk

    async def read(self, keep=1 << 16):
        """The next response; bodies longer than `keep` bytes are counted, not kept."""
        status_line = await self._line()
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP/1 status line: {status_line[:80]!r}")
        status = int(parts[1])
        length = None
        chunked = False
        close = parts[0] == b"HTTP/1.0"
        while True:
            line = await self._line()
            if not line:
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif name == b"connection":
                close = close or value == b"close"
        kept = bytearray()
        total = 0
        if chunked:
            while True:
                size = int((await self._line()).split(b";")[0], 16)
                if size == 0:
                    while await self._line():
                        pass
                    break
                await self._take(size, keep, kept)
                total += size
                await self._line()
        elif length is not None:
            await self._take(length, keep, kept)
            total = length
        else:
            # Delimited by the end of the connection.
            while await self._fill():
                pass
            total = len(self.buffer)
            kept += self.buffer[:keep]
            self.buffer.clear()
            close = True
        return Response(status, bytes(kept), total, close)


# ---------------------------------------------------------------------------------------------
# HTTP/2 (prior knowledge, h2c)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4

SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3

DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME = 16384


def frame(kind, flags, stream, payload=b""):
    """One HTTP/2 frame."""
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes((kind, flags))
        + struct.pack(">I", stream & 0x7FFFFFFF)
        + payload
    )


def settings_frame(pairs=()):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", key, value) for key, value in pairs))


SETTINGS_ACK = frame(SETTINGS, ACK, 0)


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


def _hpack_int(value, prefix_bits, first_byte):
    """RFC 7541 section 5.1: an integer with an N-bit prefix."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first_byte | value,))
    out = bytearray((first_byte | limit,))
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _hpack_literal(name_index, value):
    """A literal header field without indexing, its name from the static table."""
    raw = value.encode()
    return _hpack_int(name_index, 4, 0x00) + _hpack_int(len(raw), 7, 0x00) + raw


def request_headers(authority, content_length):
    """The HPACK block of `POST /` over plain HTTP with a JSON body of `content_length` bytes.

    Only the static table is used (no dynamic table, no Huffman), so the block is the same on
    every connection and needs no encoder state.
    """
    return (
        b"\x83"  # :method POST (static index 3)
        + b"\x86"  # :scheme http (6)
        + b"\x84"  # :path / (4)
        + _hpack_literal(1, authority)  # :authority
        + _hpack_literal(31, "application/json")  # content-type
        + _hpack_literal(28, str(content_length))  # content-length
    )


def h2_request(stream, authority, body, end_stream=True):
    """HEADERS plus one DATA frame (the body must fit in one frame: at most 16 KiB)."""
    headers = frame(HEADERS, END_HEADERS, stream, request_headers(authority, len(body)))
    return headers + frame(DATA, END_STREAM if end_stream else 0, stream, body)


class FrameReader:
    """Splits received bytes into HTTP/2 frames: `(kind, flags, stream, payload)`."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data):
        self.buffer += data
        frames = []
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[0:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = bytes(self.buffer[9 : 9 + length])
            del self.buffer[: 9 + length]
            frames.append((kind, flags, stream, payload))
        return frames


def parse_settings(payload):
    return {
        key: value
        for key, value in (
            struct.unpack(">HI", payload[i : i + 6]) for i in range(0, len(payload) - 5, 6)
        )
    }


def data_frame_head(stream, length, end_stream=False):
    """The 9 bytes before a DATA frame's payload (so that the payload need not be copied)."""
    return (
        struct.pack(">I", length)[1:]
        + bytes((DATA, END_STREAM if end_stream else 0))
        + (struct.pack(">I", stream))
    )


class H2Client:
    """The client side of one HTTP/2 connection, as far as these attacks need it.

    `run()` reads frames until the connection ends: it acknowledges SETTINGS and answers PINGs
    (a well-behaved client), keeps the send windows the server grants, and collects each
    stream's response body (its first 64 KiB) and its end (`ended[stream]` resolves to "end",
    or to "reset:CODE"). Header blocks are not decoded.
    """

    def __init__(self, sock):
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.frames = FrameReader()
        self.lock = asyncio.Lock()
        self.replies = set()
        self.peer_settings = {}
        self.settings_seen = asyncio.Event()
        self.initial_window = DEFAULT_WINDOW
        self.max_frame = DEFAULT_MAX_FRAME
        self.send_window = DEFAULT_WINDOW
        self.stream_windows = {}
        self.window_changed = asyncio.Event()
        self.bodies = {}
        self.ended = {}
        self.goaway = None

    async def send(self, data):
        # One writer at a time: asyncio allows one waiting sock_sendall per socket.
        async with self.lock:
            await self.loop.sock_sendall(self.sock, data)

    def open_stream(self, stream):
        """Registers `stream` before its HEADERS go out."""
        self.stream_windows[stream] = self.initial_window
        self.bodies[stream] = bytearray()
        self.ended[stream] = self.loop.create_future()

    def _reply(self, data):
        task = self.loop.create_task(self.send(data))
        self.replies.add(task)
        task.add_done_callback(self.replies.discard)

    def _end(self, stream, how):
        ended = self.ended.get(stream)
        if ended is not None and not ended.done():
            ended.set_result(how)

    def _on_frame(self, kind, flags, stream, payload):
        if kind == SETTINGS and not flags & ACK:
            settings = parse_settings(payload)
            self.peer_settings.update(settings)
            if SETTINGS_INITIAL_WINDOW_SIZE in settings:
                delta = settings[SETTINGS_INITIAL_WINDOW_SIZE] - self.initial_window
                self.initial_window = settings[SETTINGS_INITIAL_WINDOW_SIZE]
                for key in self.stream_windows:
                    self.stream_windows[key] += delta
            self.max_frame = settings.get(SETTINGS_MAX_FRAME_SIZE, self.max_frame)
            self._reply(SETTINGS_ACK)
            self.settings_seen.set()
            self.window_changed.set()
        elif kind == PING and not flags & ACK:
            self._reply(frame(PING, ACK, 0, payload))
        elif kind == WINDOW_UPDATE and len(payload) == 4:
            increment = int.from_bytes(payload, "big") & 0x7FFFFFFF
            if stream == 0:
                self.send_window += increment
            elif stream in self.stream_windows:
                self.stream_windows[stream] += increment
            self.window_changed.set()
        elif kind == DATA:
            body = self.bodies.get(stream)
            if body is not None and len(body) < 65536:
                body += payload
            if flags & END_STREAM:
                self._end(stream, "end")
        elif kind == HEADERS:
            if flags & END_STREAM:
                self._end(stream, "end")
        elif kind == RST_STREAM:
            code = int.from_bytes(payload[:4], "big") if len(payload) >= 4 else -1
            self._end(stream, f"reset:{code}")
        elif kind == GOAWAY:
            code = int.from_bytes(payload[4:8], "big") if len(payload) >= 8 else -1
            self.goaway = code

    async def run(self):
        """Reads until the connection ends; returns how ("eof" or an error name)."""
        try:
            while True:
                try:
                    data = await self.loop.sock_recv(self.sock, 65536)
                except (ConnectionError, OSError) as error:
                    return type(error).__name__
                if not data:
                    return "eof"
                for kind, flags, stream, payload in self.frames.feed(data):
                    self._on_frame(kind, flags, stream, payload)
        finally:
            for stream in self.ended:
                self._end(stream, "closed")
            self.window_changed.set()
