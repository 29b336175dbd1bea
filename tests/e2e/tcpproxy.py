"""A small TCP proxy on the loopback interface, to cut a browser off from the server.

A page loaded through the proxy (``proxy.base_url``) opens its signalling WebSocket through
it too, because the page's origin is the proxy's. Media does not go through it: WebRTC
connects the browsers directly. So ``block()`` is a network drop of the signalling only, as
when a Wi-Fi hiccup or a proxy's idle timeout ends a WebSocket while the call itself goes on.

The proxy runs an asyncio loop in a thread of its own. It is bounded: at most
``MAX_CONNECTIONS`` at a time (more are refused), and reads of at most ``CHUNK`` bytes, each
written and drained before the next.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

MAX_CONNECTIONS = 64
CHUNK = 64 * 1024
HOST = "127.0.0.1"


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>`` until stopped."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.blocked = False
        self.refused = 0  # connections refused while blocked
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._thread.start()
        self._server: asyncio.Server = self._call(self._start())
        self.port: int = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{HOST}:{self.port}"

    # MARK: - Controls (called from the test's thread)

    def block(self) -> None:
        """Cuts every connection now and refuses new ones until ``unblock()``."""
        self._call(self._block())

    def unblock(self) -> None:
        """Lets connections through again."""
        self._call(self._unblock())

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def open_connections(self) -> int:
        return self._call(self._count())

    # MARK: - On the proxy's loop

    def _call(self, coroutine):  # noqa: ANN001, ANN202 - a coroutine in, its result out
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=10)

    async def _start(self) -> asyncio.Server:
        return await asyncio.start_server(self._handle, HOST, 0)

    async def _block(self) -> None:
        self.blocked = True
        for writer in list(self._writers):
            self._abort(writer)

    async def _unblock(self) -> None:
        self.blocked = False

    async def _count(self) -> int:
        return len(self._writers) // 2

    async def _stop(self) -> None:
        self._server.close()
        for writer in list(self._writers):
            self._abort(writer)
        await self._server.wait_closed()

    def _abort(self, writer: asyncio.StreamWriter) -> None:
        # A reset, not a polite close: what a dropped network looks like to the other end.
        writer.transport.abort()
        self._writers.discard(writer)

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.blocked or len(self._writers) >= 2 * MAX_CONNECTIONS:
            self.refused += 1
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))
        await asyncio.gather(
            self._pipe(client_reader, server_writer, client_writer),
            self._pipe(server_reader, client_writer, server_writer),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, other: asyncio.StreamWriter
    ) -> None:
        """Copies one direction until either side ends, then ends both."""
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            for end in (writer, other):
                if end in self._writers:
                    self._writers.discard(end)
                    end.close()
