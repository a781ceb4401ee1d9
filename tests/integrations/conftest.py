"""Fixtures for the integration tests: Django settings for this folder only, the test key,
a verifier, live servers on 127.0.0.1 and a running ``frontgate edge``.

Django is configured here with ``settings.configure`` (not ``DJANGO_SETTINGS_MODULE``) so
that other test folders are unaffected.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
import pytest
from django.conf import settings

from frontgate import Verifier
from tests.browser import Browser, Page, require_chromium
from tests.conftest import KEY_PAIR_ID, KEYS_DIR

PRIVATE_KEY = KEYS_DIR / "rsa2048_pkcs8.pem"
PUBLIC_KEY = KEYS_DIR / "rsa2048_public.pem"
BASE_URL = "https://cdn.example.com"
SENDFILE_ROOT = "/srv/private"
LOCATIONS = {
    "/protected/": "media/",
    "/protected/videos/": "hls/",
    f"{SENDFILE_ROOT}/": "files/",
}
FRONTGATE: dict[str, Any] = {
    "KEY_PAIR_ID": KEY_PAIR_ID,
    "PRIVATE_KEY": str(PRIVATE_KEY),
    "BASE_URL": BASE_URL,
    "LOCATIONS": LOCATIONS,
}
FRONTGATE_MIDDLEWARE = "frontgate.integrations.django.AccelRedirectMiddleware"

if not settings.configured:
    settings.configure(
        SECRET_KEY="frontgate-tests-only",
        DEBUG=False,
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "frontgate.integrations.django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            FRONTGATE_MIDDLEWARE,
        ],
        ROOT_URLCONF="tests.integrations.django_site.urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": []}],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        USE_TZ=True,
        LOGIN_URL="/login/",
        FRONTGATE=FRONTGATE,
        SENDFILE_BACKEND="frontgate.integrations.django.sendfile",
        SENDFILE_ROOT=SENDFILE_ROOT,
        SENDFILE_CHECK_FILE_EXISTS=False,
    )
    django.setup()


@pytest.fixture(scope="session")
def verifier() -> Verifier:
    """Checks what the integrations sign, with the test key's public half."""
    return Verifier({KEY_PAIR_ID: PUBLIC_KEY.read_bytes()})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- live servers ---------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def serve_wsgi() -> Iterator[Callable[[Any], str]]:
    """Serve a WSGI app with wsgiref on 127.0.0.1 in a thread; returns its base URL."""
    servers: list[WSGIServer] = []

    def serve(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[Any], str]]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a thread (as httpx's tests do)."""
    import uvicorn

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(app: Any) -> str:
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="error", lifespan="off", ws="none"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, thread in servers:
        server.should_exit = True
        thread.join(5)


# -- the local edge -----------------------------------------------------------------------------


def edge_available() -> bool:
    """Whether this checkout has ``frontgate edge`` (it lands separately)."""
    if importlib.util.find_spec("frontgate.edge") is None:
        return False
    probe = subprocess.run(
        [sys.executable, "-m", "frontgate", "edge", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0


def start_edge(
    origin: Path, public_key: Path = PUBLIC_KEY, *, cors_origin: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start ``frontgate edge`` for ``origin``; returns the process and its base URL.
    ``cors_origin``: the one web origin whose scripts may read from it, with cookies."""
    cors = ["--cors-origin", cors_origin] if cors_origin else []
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontgate",
            "edge",
            "--origin",
            str(origin),
            "--public-key",
            f"{KEY_PAIR_ID}={public_key}",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-access-log",
            *cors,
        ],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    _stderr_files[proc.pid] = errors
    assert proc.stdout is not None
    line = proc.stdout.readline()
    prefix = "frontgate edge listening on "
    if not line.startswith(prefix):
        stop(proc)
        errors.seek(0)
        raise RuntimeError(f"frontgate edge did not start: {line!r} {errors.read()[-2000:]!r}")
    # keep reading so that the edge never blocks on a full pipe
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, line[len(prefix) :].strip()


_stderr_files: dict[int, Any] = {}


def stop(proc: subprocess.Popen[str]) -> None:
    """Stop a child started here (SIGTERM, then SIGKILL after 5 s) and close its files."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung child
        proc.kill()
        proc.wait(5)
    if proc.stdout is not None:
        proc.stdout.close()
    errors = _stderr_files.pop(proc.pid, None)
    if errors is not None:
        errors.close()


#: a small stream (tests/integrations/test_playlists.py): a master, a media playlist with
#: a key, an init section, a query and a space, and a DASH manifest with templates
STREAM_FILES = {
    "master.m3u8": b"#EXTM3U\n#EXT-X-VERSION:7\n"
    b'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="audio/index.m3u8"\n'
    b'#EXT-X-STREAM-INF:BANDWIDTH=150000,AUDIO="a"\nlow/index.m3u8\n'
    b'#EXT-X-STREAM-INF:BANDWIDTH=400000,AUDIO="a"\nhigh/index.m3u8\n',
    "low/index.m3u8": b"#EXTM3U\r\n#EXT-X-VERSION:7\r\n#EXT-X-TARGETDURATION:2\r\n"
    b'#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x0000000000000000000000000000000a\r\n'
    b'#EXT-X-MAP:URI="init.mp4"\r\n# a comment\r\n'
    b"#EXTINF:2,\r\nseg0.m4s\r\n#EXTINF:2,\r\nseg%201.m4s?v=1\r\n#EXT-X-ENDLIST\r\n",
    "low/seg0.m4s": b"segment zero",
    "low/key.bin": b"0123456789abcdef",
    "manifest.mpd": b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
    b'mediaPresentationDuration="PT4S" profiles="urn:mpeg:dash:profile:isoff-live:2011">\n'
    b' <Period><AdaptationSet mimeType="video/mp4">\n'
    b'  <SegmentTemplate initialization="init-$RepresentationID$.m4s" '
    b'media="seg-$RepresentationID$-$Number$.m4s" duration="2" startNumber="1"/>\n'
    b'  <Representation id="0" bandwidth="400000" codecs="avc1.42c01e"/>\n'
    b" </AdaptationSet></Period>\n</MPD>\n",
}

#: the files every live test downloads through the edge
ORIGIN_FILES = {
    "media/report.pdf": b"%PDF-1.4 quarterly report\n",
    "media/q3 2026/résumé.pdf": b"%PDF-1.4 unicode name\n",
    "hls/index.m3u8": b"#EXTM3U\n",
    "hls/seg0.ts": b"segment zero",
    **{f"media/streams/v1/{name}": data for name, data in STREAM_FILES.items()},
}


@pytest.fixture(scope="session")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("origin")
    for name, data in ORIGIN_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture(scope="session")
def edge(origin: Path) -> Iterator[str]:
    """A running ``frontgate edge`` serving :data:`ORIGIN_FILES`; its base URL.

    The CLI as a subprocess; while a checkout has the edge app but not yet its command,
    the same app under uvicorn in a thread.
    """
    if edge_available():
        proc, url = start_edge(origin)
        yield url
        stop(proc)
        return
    try:
        from frontgate.edge import create_app
    except ImportError:
        pytest.skip("frontgate edge is not available in this checkout yet")
    import uvicorn

    port = free_port()
    app = create_app(origin, {KEY_PAIR_ID: PUBLIC_KEY.read_bytes()})
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


# -- the Django example and a browser (tests/integrations/test_*browser.py) -----------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_downloads" / "run.py"


def load_example() -> ModuleType:
    """``examples/django_downloads/run.py`` as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("django_downloads_run", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Servers:
    site: str
    edge: str
    files: dict[str, bytes]
    #: the example's directory: keys, database, ``origin/`` (what the bucket holds)
    directory: Path
    #: whether the origin holds the test stream (ffmpeg was there to make it)
    stream: bool


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The example's origin (with the test stream, made once per session when ffmpeg is
    installed), keys and database; the edge, whose CORS policy lets the site's players
    read it; the site under uvicorn."""
    if not edge_available():
        pytest.skip("the frontgate edge command is not available in this checkout yet")
    example = load_example()
    directory = tmp_path_factory.mktemp("django-downloads")
    stream = example.prepare(directory)
    port = example.free_port()
    site = f"http://127.0.0.1:{port}"
    edge_proc, edge = start_edge(
        directory / "origin", directory / "public_key.pem", cors_origin=site
    )
    try:
        env = {**example.django_env(directory, edge), "FG_KEY_PAIR_ID": KEY_PAIR_ID}
        site_proc = example.start_django(env, port, "uvicorn")
        try:
            yield Servers(site, edge, example.FILES, directory, stream)
        finally:
            site_proc.terminate()
            try:
                site_proc.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                site_proc.kill()
                site_proc.wait(5)
    finally:
        stop(edge_proc)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the session; tests isolate themselves in contexts."""
    chromium = require_chromium()
    running = Browser.launch(chromium, tmp_path_factory.mktemp("chromium") / "profile")
    yield running
    running.close()


def log_in(page: Page, site: str) -> None:
    """Fill and submit the site's login form as the example's user demo / demo."""
    page.navigate(f"{site}/login/")
    page.wait_until("document.readyState === 'complete' && !!document.forms[0]")
    page.evaluate(
        "document.getElementById('id_username').value = 'demo';"
        "document.getElementById('id_password').value = 'demo';"
        "document.forms[0].submit()"
    )
    page.wait_until("location.pathname === '/' && !!document.getElementById('q3-2026')")
