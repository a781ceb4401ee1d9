"""Run the edge under uvicorn (the ``frontgate[edge]`` extra): in the foreground with
clean signal handling, or in a background thread for tests and the demo.

>>> import tempfile, urllib.request
>>> from frontgate.edge import create_app
>>> from frontgate.keys import generate_private_key, public_pem
>>> app = create_app(tempfile.mkdtemp(), {"K1": public_pem(generate_private_key("ecdsa"))})
>>> with running(app) as base_url:
...     base_url.startswith("http://127.0.0.1:")
True

uvicorn is set up deliberately: httptools and uvloop when installed, no proxy-header
rewriting (the edge decides what to trust, R49 step 3), no ``server`` header of its own,
no access log of its own, keep-alive connections closed after
:data:`KEEP_ALIVE_SECONDS` idle, open responses given :data:`GRACEFUL_SECONDS` at
shutdown, and no concurrency cap (a cap answers 503; asyncio holds 1,000 slow
connections without blocking the others).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, Final

from frontgate.errors import ConfigError, ErrorCode, extra_missing

try:
    import uvicorn
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise extra_missing("frontgate edge needs uvicorn", "edge") from exc

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
except ImportError:  # pragma: no cover - httptools is optional: h11 streams in chunks
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from .app import CHUNK, EdgeApp

__all__ = ["EdgeServer", "bind", "make_config", "running", "serve"]

#: idle seconds before a keep-alive connection is closed
KEEP_ALIVE_SECONDS: Final = 15
#: seconds open responses get to finish once a stop is asked (SIGTERM must end in 5 s)
GRACEFUL_SECONDS: Final = 2
#: h11 only (httptools has no such limit): above R43's 20,480 bytes so the edge's own
#: check answers first, yet bounded so a runaway header cannot grow without end
H11_MAX_HEADER_BYTES: Final = 32 * 1024
BACKLOG: Final = 4096


#: bodies up to this size are read and written with their head in one write
SMALL_FILE: Final = 64 * 1024
#: the ASGI extensions the zero-copy protocol offers in every scope
ZERO_COPY: Final[dict[str, dict[object, object]]] = {
    "http.response.zerocopy": {},
    "http.response.pathsend": {},
}


if HttpToolsProtocol is not None:

    class _ZeroCopyCycle(RequestResponseCycle):
        """uvicorn's response cycle plus ``http.response.zerocopy`` and
        ``http.response.pathsend``: a large body goes from the file to the socket with
        ``os.sendfile``, never through Python. The head is held back and written with the
        first body bytes, so a small response is one write."""

        waiter: asyncio.Future[None] | None = None
        head: bytes = b""

        async def send(self, message: Any) -> None:
            kind = message["type"]
            if kind == "http.response.start" and not self.response_started:
                transport = self.transport
                held = _Held()
                self.transport = held  # type: ignore[assignment]
                try:
                    await super().send(message)
                finally:
                    self.transport = transport
                self.head = held.data
            elif kind == "http.response.body" and self.head:
                await self._send_body(message.get("body", b""), message.get("more_body", False))
            elif kind == "http.response.zerocopy":
                file = message["file"]
                fd = file if isinstance(file, int) else file.fileno()
                offset = message.get("offset")
                if offset is None:
                    offset = os.lseek(fd, 0, os.SEEK_CUR)
                count = message.get("count")
                if count is None:
                    count = os.fstat(fd).st_size - offset
                await self._send_file(fd, offset, count, bool(message.get("more_body", False)))
            elif kind == "http.response.pathsend":
                fd = os.open(message["path"], os.O_RDONLY | os.O_CLOEXEC)
                try:
                    await self._send_file(fd, 0, os.fstat(fd).st_size, False)
                finally:
                    os.close(fd)
            else:
                await super().send(message)

        def _flush_head(self) -> None:
            head, self.head = self.head, b""
            if head and not self.disconnected:
                self.transport.write(head)

        async def _send_body(self, body: bytes, more_body: bool) -> None:
            if (
                self.disconnected
                or self.response_complete
                or self.chunked_encoding is not False
                or self.scope["method"] == "HEAD"
                or len(body) > self.expected_content_length
            ):
                # uvicorn's own framing and checks
                self._flush_head()
                await super().send(
                    {"type": "http.response.body", "body": body, "more_body": more_body}
                )
                return
            head, self.head = self.head, b""
            self.transport.write(head + body)
            self.expected_content_length -= len(body)
            # uvicorn completes the response (length check, keep-alive, next request)
            await super().send({"type": "http.response.body", "body": b"", "more_body": more_body})

        async def _send_file(self, fd: int, offset: int, count: int, more_body: bool) -> None:
            if not self.response_started or self.response_complete:
                raise RuntimeError("A file can only be sent after http.response.start.")
            if count <= SMALL_FILE and not self.disconnected:
                # one read and one write beat a write plus a sendfile for small bodies
                data = os.pread(fd, count, offset) if self.scope["method"] != "HEAD" else b""
                if len(data) == count or self.scope["method"] == "HEAD":
                    await self._send_body(data, more_body)
                    return
                self._flush_head()
                self.disconnected = True  # the file shrank: end the connection short
                self.transport.close()
                return
            self._flush_head()
            transport = self.transport
            sock = transport.get_extra_info("socket")
            if (
                self.disconnected
                or self.scope["method"] == "HEAD"
                or self.chunked_encoding is not False
                or sock is None
                or transport.get_write_buffer_size()
            ):
                # headers still queued, chunked framing or HEAD: the ordinary body path
                while count > 0 and not self.disconnected:
                    data = os.pread(fd, min(CHUNK, count), offset)
                    if not data:
                        break
                    offset += len(data)
                    count -= len(data)
                    await super().send(
                        {"type": "http.response.body", "body": data, "more_body": True}
                    )
                await super().send(
                    {"type": "http.response.body", "body": b"", "more_body": more_body}
                )
                return
            if count > self.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            if not await self._sendfile(sock.fileno(), fd, offset, count):
                # the viewer left, or the file shrank: end the connection short, like nginx
                self.disconnected = True
                transport.close()
                return
            self.expected_content_length -= count
            await super().send({"type": "http.response.body", "body": b"", "more_body": more_body})

        async def _sendfile(self, out: int, fd: int, offset: int, count: int) -> bool:
            # the transport owns `out`, so the loop will not watch it for us: a duplicate
            # descriptor of the same socket is watched for writability instead
            watched = -1
            loop = asyncio.get_running_loop()
            try:
                while count > 0:
                    if self.disconnected:
                        return False
                    try:
                        sent = os.sendfile(out, fd, offset, count)
                    except BlockingIOError:
                        if watched < 0:
                            watched = os.dup(out)
                        waiter = self.waiter = loop.create_future()
                        loop.add_writer(watched, _wake, waiter)
                        try:
                            await waiter
                        finally:
                            loop.remove_writer(watched)
                            self.waiter = None
                        continue
                    except OSError:
                        return False
                    if sent == 0:
                        return False
                    offset += sent
                    count -= sent
                return True
            finally:
                if watched >= 0:
                    os.close(watched)

    class ZeroCopyProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol whose requests may send files with
        ``os.sendfile`` (ASGI ``http.response.zerocopy`` and ``http.response.pathsend``)."""

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.scope["extensions"] = ZERO_COPY

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            cycle = self.cycle
            # the cycle was just made; its task runs on the next loop turn, so its
            # class can still be narrowed to the one that handles files
            if cycle is not None and type(cycle) is RequestResponseCycle:
                cycle.__class__ = _ZeroCopyCycle

        def connection_lost(self, exc: Exception | None) -> None:
            cycle = self.cycle
            super().connection_lost(exc)
            waiter = getattr(cycle, "waiter", None)
            if waiter is not None:
                _wake(waiter)


class _Held:
    """Stands in for the transport while uvicorn writes a response head."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def make_config(app: EdgeApp) -> uvicorn.Config:
    """The uvicorn configuration the edge runs with (see the module docstring)."""
    return uvicorn.Config(
        app,
        http=ZeroCopyProtocol if HttpToolsProtocol is not None else "h11",
        loop="auto",
        ws="none",
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=True,
        backlog=BACKLOG,
        limit_concurrency=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        h11_max_incomplete_event_size=H11_MAX_HEADER_BYTES,
    )


class EdgeServer(uvicorn.Server):
    """uvicorn's server, calling ``on_ready(host, port)`` once it accepts connections and
    ending on SIGINT/SIGTERM with a normal return (uvicorn would re-raise the signal, so
    the process would not exit 0)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: object) -> None:
            # a second SIGINT/SIGTERM skips the graceful wait
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(ErrorCode.CONFIG_INVALID, f"Cannot listen on {host}: {exc}.") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            ErrorCode.CONFIG_INVALID, f"Cannot listen on {host}:{port}: {exc.strerror}."
        ) from None
    return sock


def base_url(sock: socket.socket, scheme: str = "http") -> str:
    """``http://HOST:PORT`` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def _raise_file_limit() -> None:
    # 1,000 concurrent viewers need more descriptors than the common soft limit of 1,024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65_536 if hard == resource.RLIM_INFINITY else min(hard, 65_536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve(
    app: EdgeApp,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` in the foreground until SIGINT or SIGTERM, then return.

    ``on_ready(url)`` is called with ``http://HOST:PORT`` once connections are accepted.
    """
    _raise_file_limit()
    sock = bind(host, port)
    url = base_url(sock, app.scheme)
    server = EdgeServer(make_config(app), on_ready=(lambda: on_ready(url)) if on_ready else None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextlib.contextmanager
def running(app: EdgeApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a background thread; yields its base URL, stops on exit."""
    sock = bind(host, port)
    ready = threading.Event()
    server = EdgeServer(make_config(app), on_ready=ready.set)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="frontgate-edge", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not ready.wait(0.05):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(ErrorCode.CONFIG_INVALID, "The edge did not start.")
        yield base_url(sock, app.scheme)
    finally:
        server.should_exit = True
        thread.join(GRACEFUL_SECONDS + 3)
        sock.close()
