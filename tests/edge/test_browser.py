"""A real headless Chromium against the edge: a small web app on another loopback port
sets signed cookies; its page's <img>, <video> and credentialed fetch() reach protected
files on the edge. Loaded with the cookies, refused without.

Cookies on http://127.0.0.1 carry no ``Secure`` (browsers do not store Secure cookies
from plain http); ``Distribution`` leaves it out for an http loopback base URL. Cookies
ignore ports, so cookies set by the app on 127.0.0.1:A are sent to the edge on
127.0.0.1:B, and the two are same-site, so ``SameSite=Lax`` cookies go along.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from frontgate.distribution import Distribution
from frontgate.edge.server import running
from frontgate.signer import Signer
from tests.browser import FLAGS as BROWSER_FLAGS
from tests.browser import require_chromium

from .conftest import edge_app

pytestmark = pytest.mark.browser

# the shared quiet flags, plus what this --dump-dom page needs
FLAGS = [
    *BROWSER_FLAGS,
    "--autoplay-policy=no-user-gesture-required",
    "--virtual-time-budget=8000",
]

PAGE = """<!doctype html><html><body>
<img id="img" src="{edge}/pixel.png">
<video id="video" src="{edge}/clip.mp4" preload="auto" muted></video>
<div id="img-result">pending</div><div id="fetch-result">pending</div>
<div id="js-cookies">{{document.cookie}}</div>
<script>
const img = document.getElementById("img");
const show = (id, text) => {{ document.getElementById(id).textContent = text; }};
img.onload = () => show("img-result", "loaded " + img.naturalWidth + "x" + img.naturalHeight);
img.onerror = () => show("img-result", "error");
fetch("{edge}/hello.txt", {{credentials: "include"}})
  .then(r => r.text().then(t => show("fetch-result", r.status + " " + t.trim())))
  .catch(e => show("fetch-result", "failed"));
show("js-cookies", "[" + document.cookie + "]");
</script></body></html>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


class Site:
    """The web app: /with-cookies sets signed cookies for the edge, /plain does not."""

    def __init__(self) -> None:
        self.edge = ""
        self.set_cookie: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = PAGE.format(edge=site.edge).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if self.path == "/with-cookies":
                    for value in site.set_cookie:
                        self.send_header("Set-Cookie", value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Site:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site_and_edge(origin: Path, trusted_signer: Signer) -> Iterator[tuple[Site, str]]:
    (origin / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4096))
    with Site() as site, running(edge_app(origin, cors_origin=site.url)) as edge:
        site.edge = edge
        site.set_cookie = Distribution(edge, trusted_signer).set_cookie_headers("")
        yield site, edge


def dump_dom(chromium: str, url: str, profile: Path) -> str:
    result = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


def _edge_log(caplog: pytest.LogCaptureFixture, path: str) -> list[tuple[int, str]]:
    return [
        (r.status, r.reason)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "frontgate.edge" and getattr(r, "path", None) == path
    ]


def test_browser_loads_protected_files_with_signed_cookies(
    chromium: str,
    site_and_edge: tuple[Site, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site, _ = site_and_edge
    assert all("Secure" not in value for value in site.set_cookie)
    assert all("HttpOnly" in value and "SameSite=Lax" in value for value in site.set_cookie)
    with caplog.at_level(logging.INFO, logger="frontgate.edge"):
        dom = dump_dom(chromium, f"{site.url}/with-cookies", tmp_path / "profile")
    assert '<div id="img-result">loaded 3x2</div>' in dom
    assert '<div id="fetch-result">200 Hello, signed world.</div>' in dom
    # HttpOnly: the page's scripts never see the signed cookies
    assert '<div id="js-cookies">[]</div>' in dom
    video = _edge_log(caplog, "/clip.mp4")
    assert video, "the video element made no request"
    assert all(status in (200, 206) and reason == "ok" for status, reason in video)


def test_browser_refused_without_cookies(
    chromium: str,
    site_and_edge: tuple[Site, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site, _ = site_and_edge
    with caplog.at_level(logging.INFO, logger="frontgate.edge"):
        dom = dump_dom(chromium, f"{site.url}/plain", tmp_path / "profile")
    assert '<div id="img-result">error</div>' in dom
    assert '<div id="fetch-result">403 ' in dom
    assert "<Code>MissingKey</Code>" in dom.replace("&lt;", "<").replace("&gt;", ">")
    assert _edge_log(caplog, "/pixel.png") == [(403, "missing-key")]
    assert all(entry == (403, "missing-key") for entry in _edge_log(caplog, "/clip.mp4"))
