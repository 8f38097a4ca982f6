"""A WebSocket client on a plain socket that reads only when told to: the slow or stopped
consumer of the RPC server's tests. Its receive buffers are kept small (kernel and asyncio), so
what the client does not read stays on the server's side, where the budget is checked."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

HANDSHAKE = (
    "GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def frame(text: str) -> bytes:
    """A masked text frame (the zero mask: the payload goes as it is)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    elif size < 1 << 16:
        header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


class RawWebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, host: str, port: int) -> RawWebSocket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
        writer.write(HANDSHAKE.format(host=host, port=port).encode())
        status = await reader.readuntil(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        return cls(reader, writer)

    async def send(self, message: dict[str, Any]) -> None:
        self.writer.write(frame(json.dumps(message)))
        await self.writer.drain()

    async def receive(self) -> tuple[int, bytes]:
        """One frame from the server: (opcode, payload)."""
        first, second = await self.reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(await self.reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await self.reader.readexactly(8), "big")
        return first & 0x0F, await self.reader.readexactly(size)

    async def call(self, request_id: int, method: str, *params: Any) -> Any:
        """Send a request and read its response (the only reading this client does)."""
        await self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        opcode, payload = await asyncio.wait_for(self.receive(), 10)
        assert opcode == 1, (opcode, payload)
        answer = json.loads(payload)
        assert answer["id"] == request_id and "result" in answer, answer
        return answer["result"]

    def abort(self) -> None:
        """Go away without a close frame."""
        self.writer.transport.abort()

    async def close(self) -> None:
        self.writer.close()
        await asyncio.wait_for(self.writer.wait_closed(), 5)
