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

import contextlib
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Final

from frontgate.errors import ConfigError, ErrorCode

try:
    import uvicorn
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ConfigError(
        ErrorCode.EXTRA_MISSING,
        "frontgate edge needs uvicorn: pip install 'frontgate[edge]'.",
    ) from exc

from .app import EdgeApp

__all__ = ["EdgeServer", "bind", "make_config", "running", "serve"]

#: idle seconds before a keep-alive connection is closed
KEEP_ALIVE_SECONDS: Final = 15
#: seconds open responses get to finish once a stop is asked (SIGTERM must end in 5 s)
GRACEFUL_SECONDS: Final = 2
#: h11 only (httptools has no such limit): above R43's 20,480 bytes so the edge's own
#: check answers first, yet bounded so a runaway header cannot grow without end
H11_MAX_HEADER_BYTES: Final = 32 * 1024
BACKLOG: Final = 4096


def make_config(app: EdgeApp) -> uvicorn.Config:
    """The uvicorn configuration the edge runs with (see the module docstring)."""
    return uvicorn.Config(
        app,
        http="auto",
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
