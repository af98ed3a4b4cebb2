"""A deliberately small websocket client for the fan-out benchmark.

One asyncio protocol per connection, no task per socket and no per-message JSON parsing: with a
thousand sockets in one process on a 2-core machine, a full client library costs more CPU per
message than the server does, and that time would show up as "latency". The same client reads
both Staffroom and the floor, so the ratio stays fair. It answers pings (servers ping idle
sockets) and closes. It offers compression only when asked (`compression=True`, as browsers
do, for the idle-memory figure): it cannot read compressed messages, only hold the socket.
"""

import asyncio
import base64
import os
import re
import time

POST_ID = re.compile(rb'"post_id":\s*(\d+)')
CREATED = b'"post.created"'


class HandshakeRefused(Exception):
    pass


def _masked_frame(opcode: int, payload: bytes) -> bytes:
    """A final client frame (clients must mask); only for small control frames."""
    mask = os.urandom(4)
    body = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


class WebsocketClient(asyncio.Protocol):
    """Records when each `post.created` frame arrived, keyed by post id (wall clock, so it
    compares with times other processes on this machine log)."""

    def __init__(
        self, host: str, port: int, path: str, cookie: str, origin: str, compression=False
    ) -> None:
        loop = asyncio.get_running_loop()
        self.host, self.port, self.path = host, port, path
        self.cookie, self.origin = cookie, origin
        self.compression = compression
        self.compressed = False  # whether the server agreed to compress
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.arrivals: dict[int, float] = {}
        self.close_code: int | None = None  # the server's, when it closed the socket
        self.frame_bytes: list[int] = []
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._open = False
        self._pending = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        # What Chromium and Firefox offer.
        offer = "permessage-deflate; client_max_window_bits" if self.compression else ""
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            + (f"Sec-WebSocket-Extensions: {offer}\r\n" if offer else "")
            + f"Origin: {self.origin}\r\nCookie: {self.cookie}\r\n\r\n"
        )
        transport.write(request.encode())  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(HandshakeRefused("closed before the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self._buffer += data
        if not self._open:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[: self._buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self.opened.set_exception(HandshakeRefused(status.decode(errors="replace")))
                self.transport.close()
                return
            self.compressed = b"permessage-deflate" in bytes(self._buffer[:end]).lower()
            del self._buffer[: end + 4]
            self._open = True
            self.opened.set_result(None)
        self._read_frames(now)

    def _read_frames(self, now: float) -> None:
        buffer = self._buffer
        position = 0
        while len(buffer) - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if len(buffer) - position < 4:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 4], "big")
                head = 4
            elif length == 127:
                if len(buffer) - position < 10:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                head = 10
            if len(buffer) - position < head + length:
                break
            payload = bytes(buffer[position + head : position + head + length])
            position += head + length
            self._frame(first & 0x80, first & 0x0F, payload, now)
        del buffer[:position]

    def _frame(self, final: int, opcode: int, payload: bytes, now: float) -> None:
        if opcode in (0x0, 0x1):  # text, or the continuation of a fragmented one
            self._pending += payload
            if final:
                self._message(bytes(self._pending), now)
                self._pending.clear()
        elif opcode == 0x9:  # ping
            self.transport.write(_masked_frame(0xA, payload[:125]))
        elif opcode == 0x8:  # close: answer it and go
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.transport.write(_masked_frame(0x8, payload[:2]))
            self.transport.close()

    def _message(self, payload: bytes, now: float) -> None:
        self.frame_bytes.append(len(payload))
        if CREATED in payload:
            found = POST_ID.search(payload)
            if found:
                self.arrivals.setdefault(int(found.group(1)), now)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_masked_frame(0x8, (1000).to_bytes(2, "big")))
            self.transport.close()


async def open_clients(
    port: int,
    path: str,
    cookies: list[str],
    *,
    concurrency: int = 64,
    timeout: float = 60,
    compression: bool = False,
) -> list[WebsocketClient]:
    """Open one socket per cookie, a few at a time (the server checks each against the
    database), and return them once every handshake has been answered."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(concurrency)
    origin = f"http://127.0.0.1:{port}"

    async def one(cookie: str) -> WebsocketClient:
        async with gate:
            client = WebsocketClient("127.0.0.1", port, path, cookie, origin, compression)
            await loop.create_connection(lambda: client, "127.0.0.1", port)
            await asyncio.wait_for(asyncio.shield(client.opened), timeout)
            return client

    return list(await asyncio.gather(*(one(cookie) for cookie in cookies)))


async def open_clients_to(
    port: int, targets: list[tuple[str, str]], *, concurrency: int = 64, timeout: float = 60
) -> list[WebsocketClient]:
    """Like `open_clients`, for sockets on different paths: one per (path, cookie), in order.
    A socket the server refuses is returned too, its `opened` future holding why (under load
    that is a finding to report, not a reason to stop)."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(concurrency)
    origin = f"http://127.0.0.1:{port}"

    async def one(path: str, cookie: str) -> WebsocketClient:
        async with gate:
            client = WebsocketClient("127.0.0.1", port, path, cookie, origin)
            try:
                await loop.create_connection(lambda: client, "127.0.0.1", port)
                await asyncio.wait_for(asyncio.shield(client.opened), timeout)
            except (OSError, TimeoutError, HandshakeRefused) as problem:
                if not client.opened.done():
                    client.opened.set_exception(HandshakeRefused(repr(problem)))
                client.opened.exception()  # retrieved: asyncio need not warn about it
            return client

    return list(await asyncio.gather(*(one(path, cookie) for path, cookie in targets)))


async def close_clients(clients: list[WebsocketClient], timeout: float = 10) -> None:
    for client in clients:
        client.close()
    if clients:
        await asyncio.wait([client.closed for client in clients], timeout=timeout)
