"""Run the edge under granian (the ``frontgate[edge]`` extra): in the foreground with
clean signal handling and ``workers`` processes, or in a background thread for tests and
the demo.

>>> import tempfile, urllib.request
>>> from frontgate.edge import create_app
>>> from frontgate.keys import generate_private_key, public_pem
>>> app = create_app(tempfile.mkdtemp(), {"K1": public_pem(generate_private_key("ecdsa"))})
>>> with running(app) as base_url:
...     base_url.startswith("http://127.0.0.1:")
True

granian is set up deliberately, through its public embedding interface, on uvloop when
installed: the ASGI 3 interface with lifespan (the edge logs its cache counters at
shutdown), HTTP/1.1 only, no websockets, no access log of its own, and these limits
enforced before the app sees a request:

- headers must arrive within :data:`HEADER_READ_SECONDS` (a slow client is dropped);
- the request line plus headers may not exceed :data:`MAX_HEAD_BYTES` (the server answers
  431 and closes; between R43's 20,480 bytes and this cap the edge answers CloudFront's
  400 page);
- at most :data:`MAX_HEADERS` header lines (431 beyond);
- malformed request lines and headers (NUL, bare CR, obs-fold, a space before the colon)
  are answered 400 and the connection closed.

Bodies of whole files go out through ASGI ``http.response.pathsend`` (granian sends them
without Python). Several workers share one port through ``SO_REUSEPORT``: each is a
process with its own server; one SIGTERM or SIGINT to the parent stops them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Final

from frontgate.errors import ConfigError, ErrorCode, extra_missing

try:
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server.embed import Server
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise extra_missing("frontgate edge needs granian", "edge") from exc

from .app import ACCESS_LOG, EdgeApp

__all__ = ["HEADER_READ_SECONDS", "MAX_HEAD_BYTES", "bind", "running", "serve"]

log = logging.getLogger(ACCESS_LOG)

#: a request's head (request line and headers) must arrive within this many seconds
HEADER_READ_SECONDS: Final = 10
#: the largest request head the server reads (it answers 431 beyond); well above R43's
#: 20,480 bytes so that the edge answers CloudFront's 400 page for heads in between (10,000
#: tiny cookies), bounded so that a runaway header cannot grow
MAX_HEAD_BYTES: Final = 128 * 1024
#: header lines per request: the server's parser (hyper) answers 431 beyond
MAX_HEADERS: Final = 100
#: seconds open responses get to finish once a stop is asked (SIGTERM must end in 5 s)
GRACEFUL_SECONDS: Final = 2
#: a worker that exits is replaced, unless this many were in so many seconds
RESPAWNS: Final = 5
RESPAWN_SECONDS: Final = 10.0
BACKLOG: Final = 4096


def _server(
    app: EdgeApp, host: str, port: int, header_seconds: float = HEADER_READ_SECONDS
) -> Server:
    return Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,
        websockets=False,
        backlog=BACKLOG,
        http1_settings=HTTP1Settings(
            header_read_timeout=round(header_seconds * 1000),
            keep_alive=True,
            max_buffer_size=MAX_HEAD_BYTES,
        ),
        log_enabled=False,
        log_access=False,
    )


def bind(host: str, port: int) -> socket.socket:
    """A socket holding ``host:port`` (port 0: a free one) for the servers to share.

    It is bound with ``SO_REUSEPORT`` but does not listen: the servers' own listening
    sockets join the same port, and the kernel spreads connections among them.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(ErrorCode.CONFIG_INVALID, f"Cannot listen on {host}: {exc}.") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
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


def _wait_listening(sock: socket.socket, alive: Callable[[], bool], seconds: float = 10) -> None:
    address = sock.getsockname()[:2]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive():
        with socket.socket(sock.family, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(address) == 0:
                return
        time.sleep(0.02)
    raise ConfigError(ErrorCode.CONFIG_INVALID, "The edge did not start.")


async def _run(server: Server, stop: asyncio.Event) -> None:
    task = asyncio.ensure_future(server.serve())
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        server.stop()  # type: ignore[no-untyped-call]
        # open responses get GRACEFUL_SECONDS; a viewer that stopped reading does not
        # hold the process past that
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, GRACEFUL_SECONDS)
    waiter.cancel()
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


def _new_loop() -> asyncio.AbstractEventLoop:
    # uvloop schedules the app's callbacks faster (about 7% more requests per second)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is part of the extra where it builds
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _threads() -> set[str]:
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:  # pragma: no cover - not Linux
        return set()


def _settle(before: set[str], seconds: float = 0.5) -> None:
    """Wait for the threads granian started to end: its runtime finishes a moment after
    the server returns, and an interpreter that exits in between aborts."""
    deadline = time.monotonic() + seconds
    while _threads() - before and time.monotonic() < deadline:
        time.sleep(0.01)


def _serve_here(app: EdgeApp, host: str, port: int) -> None:
    """One server in this process until SIGINT or SIGTERM."""
    before = _threads()
    loop = _new_loop()
    stop = asyncio.Event()
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.run_until_complete(_run(_server(app, host, port), stop))
    finally:
        loop.close()
        _settle(before)


def serve(
    app: EdgeApp,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    workers: int = 1,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` in the foreground from ``workers`` processes until SIGINT or SIGTERM,
    then return.

    ``on_ready(url)`` is called with ``http://HOST:PORT`` once connections are accepted.
    """
    if workers < 1:
        raise ConfigError(ErrorCode.CONFIG_INVALID, "workers is a number of processes (1+).")
    _raise_file_limit()
    sock = bind(host, port)
    url = base_url(sock, app.scheme)
    bound_host, bound_port = sock.getsockname()[:2]
    if workers == 1:
        ready = threading.Thread(
            target=_announce, args=(sock, url, on_ready), name="frontgate-ready", daemon=True
        )
        ready.start()
        try:
            _serve_here(app, bound_host, bound_port)
        finally:
            sock.close()
        return
    children: list[int] = []
    stopping = False

    def start_worker() -> int:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                for sig in previous:
                    signal.signal(sig, signal.SIG_DFL)
                _serve_here(app, bound_host, bound_port)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
        return pid

    def forward(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(workers):
            start_worker()
        if not stopping:
            try:
                _wait_listening(sock, lambda: not stopping)
            except ConfigError:
                forward(signal.SIGTERM, None)  # no worker listens: stop those there are
                _reap(children, lambda: True)
                raise
            if on_ready is not None:
                on_ready(url)
        _reap(children, lambda: stopping, start_worker)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


def _announce(sock: socket.socket, url: str, on_ready: Callable[[str], None] | None) -> None:
    with contextlib.suppress(ConfigError):
        _wait_listening(sock, lambda: True)
        if on_ready is not None:
            on_ready(url)


def _reap(
    children: list[int], stopping: Callable[[], bool], respawn: Callable[[], int] | None = None
) -> None:
    """Wait for every child; once a stop is asked, kill those still there after 4 s.

    Until then a worker that exits is replaced by ``respawn()`` (a new worker's pid), as
    long as workers do not exit faster than :data:`RESPAWNS` in :data:`RESPAWN_SECONDS`.
    """
    alive = set(children)
    deadline: float | None = None
    replaced: deque[float] = deque(maxlen=RESPAWNS)  # when the last replacements started
    while alive:
        if stopping() and deadline is None:
            deadline = time.monotonic() + GRACEFUL_SECONDS + 2
        if deadline is not None and time.monotonic() > deadline:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for pid in list(alive):
            status = 0
            with contextlib.suppress(ChildProcessError):
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
            alive.discard(pid)
            if respawn is None or stopping():
                continue
            how = _exit_status(status)
            now = time.monotonic()
            if len(replaced) == RESPAWNS and now - replaced[0] < RESPAWN_SECONDS:
                log.error("Edge worker %d %s; workers exit too fast, none is started.", pid, how)
                continue
            replaced.append(now)
            new = respawn()
            alive.add(new)
            log.warning("Edge worker %d %s; worker %d replaces it.", pid, how, new)
            if stopping():  # the stop came while it started
                with contextlib.suppress(ProcessLookupError):
                    os.kill(new, signal.SIGTERM)
        if alive:
            time.sleep(0.05)


def _exit_status(status: int) -> str:
    """``waitpid``'s status in words.

    >>> _exit_status(9), _exit_status(256)
    ('was killed by SIGKILL', 'exited with status 1')
    """
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


@contextlib.contextmanager
def running(
    app: EdgeApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    header_seconds: float = HEADER_READ_SECONDS,
) -> Iterator[str]:
    """Serve ``app`` from a background thread; yields its base URL, stops on exit.

    ``header_seconds`` is the header-read timeout (:data:`HEADER_READ_SECONDS`).
    """
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    before = _threads()
    loop = _new_loop()
    stop = asyncio.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            loop.run_until_complete(
                _run(_server(app, bound_host, bound_port, header_seconds), stop)
            )
        except BaseException as exc:  # reported by the caller's wait below
            failed.append(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="frontgate-edge", daemon=True)
    thread.start()
    try:
        _wait_listening(sock, lambda: thread.is_alive() and not failed)
        yield base_url(sock, app.scheme)
    finally:
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(GRACEFUL_SECONDS + 3)
        _settle(before | {str(threading.get_native_id())})
        sock.close()
