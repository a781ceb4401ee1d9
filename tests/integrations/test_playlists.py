"""Playlists answered per viewer: an ``X-Accel-Redirect`` to a ``.m3u8``/``.mpd`` under
``LOCATIONS`` is answered with the playlist itself, signed as ``sign_playlist(text,
<its URL under BASE_URL>, signer, absolute=True, nested="keep")``, read from
``PLAYLIST_ROOT`` or fetched through ``BASE_URL`` (a running ``frontgate edge``) with a
signed request. Every adapter (bare WSGI and ASGI, Flask, FastAPI, Django sync and
async) through its real test client, both sources; the view helpers; cookies for one
stream's folder; failures (404/502 with a log line, never an unsigned redirect); and the
async adapters' load running off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import httpx
import pytest
from django.test import AsyncClient, Client, override_settings
from fastapi import Depends, FastAPI
from fastapi import Response as FastAPIResponse
from fastapi.responses import PlainTextResponse
from flask import Flask
from werkzeug.test import Client as WerkzeugClient

from frontgate import ConfigError, Verifier
from frontgate.config import Settings, parse_playlist_root
from frontgate.integrations.asgi import AccelRedirectMiddleware as AsgiMiddleware
from frontgate.integrations.fastapi import Frontgate as FastAPIFrontgate
from frontgate.integrations.fastapi import get_gate, set_stream_cookies, signed_playlist_response
from frontgate.integrations.flask import Frontgate as FlaskFrontgate
from frontgate.integrations.gate import Gate, stream_folder
from frontgate.integrations.wsgi import AccelRedirectMiddleware as WsgiMiddleware

from .conftest import BASE_URL, FRONTGATE, STREAM_FILES
from .test_frameworks import AsgiClient

STREAM = "media/streams/v1/"
HLS = "application/vnd.apple.mpegurl"
DASH = "application/dash+xml"


class Answer(NamedTuple):
    status: int
    #: header names lower-cased; ``set-cookie`` values joined by "\n"
    headers: dict[str, str]
    body: bytes


#: (config, path on the app) -> the app's answer
Stack = Callable[[dict[str, Any], str], Answer]


def _accel(name: str) -> list[tuple[str, str]]:
    """What each app's playlist view answers: the nginx-era internal redirect, plus a
    cookie of its own that must survive."""
    return [
        ("X-Accel-Redirect", f"/protected/{name}"),
        ("Content-Type", "text/plain"),
        ("Set-Cookie", "seen=1; Path=/"),
    ]


def _answer(status: int, pairs: list[tuple[str, str]], body: bytes) -> Answer:
    headers: dict[str, str] = {}
    for name, value in pairs:
        lower = name.lower()
        headers[lower] = f"{headers[lower]}\n{value}" if lower in headers else value
    return Answer(status, headers, body)


def wsgi_stack(config: dict[str, Any], path: str) -> Answer:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        name = environ["PATH_INFO"].removeprefix("/playlist/")
        start_response("200 OK", _accel(name))
        return [b"never sent"]

    response = WerkzeugClient(WsgiMiddleware(app, config)).get(path)
    return _answer(response.status_code, list(response.headers.items()), response.data)


def asgi_stack(config: dict[str, Any], path: str) -> Answer:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        name = scope["path"].removeprefix("/playlist/")
        headers = [(k.lower().encode(), v.encode()) for k, v in _accel(name)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"never sent"})

    response = AsgiClient(AsgiMiddleware(app, config)).get(path)
    return _answer(response.status_code, response.headers.multi_items(), response.content)


def flask_stack(config: dict[str, Any], path: str) -> Answer:
    app = Flask(__name__)
    app.config["FRONTGATE"] = config
    fg = FlaskFrontgate(app)

    @app.get("/playlist/<path:name>")
    def playlist(name: str) -> Any:
        return app.response_class(b"never sent", headers=_accel(name))

    @app.get("/helper/<path:name>")
    def helper(name: str) -> Any:
        return fg.signed_playlist_response(f"media/{name}")

    @app.get("/cookies/<path:name>")
    def cookies(name: str) -> Any:
        return fg.set_stream_cookies(app.response_class("<video>"), f"media/{name}")

    response = app.test_client().get(path)
    return _answer(response.status_code, list(response.headers.items()), response.data)


def fastapi_stack(config: dict[str, Any], path: str) -> Answer:
    app = FastAPI()
    FastAPIFrontgate(config).init_app(app)

    @app.get("/playlist/{name:path}")
    def playlist(name: str) -> FastAPIResponse:
        return FastAPIResponse(b"never sent", headers=dict(_accel(name)))

    @app.get("/helper/{name:path}")
    async def helper(name: str, gate: Annotated[Gate, Depends(get_gate)]) -> FastAPIResponse:
        return await signed_playlist_response(gate, f"media/{name}")

    @app.get("/cookies/{name:path}")
    def cookies(name: str, gate: Annotated[Gate, Depends(get_gate)]) -> FastAPIResponse:
        return set_stream_cookies(PlainTextResponse("<video>"), gate, f"media/{name}")

    response = AsgiClient(app).get(path)
    return _answer(response.status_code, response.headers.multi_items(), response.content)


def _django_pairs(response: Any) -> list[tuple[str, str]]:
    pairs = list(response.headers.items())
    pairs += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
    return pairs


def django_stack(config: dict[str, Any], path: str) -> Answer:
    with override_settings(FRONTGATE=config):
        response = Client().get(path)
    return _answer(response.status_code, _django_pairs(response), response.content)


def django_async_stack(config: dict[str, Any], path: str) -> Answer:
    """Django's async stack: async views, the middleware's async path (AsyncClient)."""
    path = path.replace("/playlist/", "/async-playlist/").replace("/helper/", "/async-helper/")
    path = path.replace("/async-helper/", "/async-playlist-helper/")

    async def fetch() -> Any:
        return await AsyncClient().get(path)

    with override_settings(FRONTGATE=config):
        response = asyncio.run(fetch())
    return _answer(response.status_code, _django_pairs(response), response.content)


def _django_sync_helper(config: dict[str, Any], path: str) -> Answer:
    return django_stack(
        config,
        path.replace("/helper/", "/playlist-helper/").replace("/cookies/", "/stream-cookies/"),
    )


STACKS: dict[str, Stack] = {
    "wsgi": wsgi_stack,
    "asgi": asgi_stack,
    "flask": flask_stack,
    "fastapi": fastapi_stack,
    "django": django_stack,
    "django-async": django_async_stack,
}
#: the stacks with a view helper (``/helper/<name>``) and a stream-cookies helper
HELPERS: dict[str, Stack] = {
    "flask": flask_stack,
    "fastapi": fastapi_stack,
    "django": _django_sync_helper,
    "django-async": django_async_stack,
}


@pytest.fixture(params=list(STACKS))
def stack(request: pytest.FixtureRequest) -> Stack:
    return STACKS[request.param]


@pytest.fixture(params=["root", "fetch"])
def source(request: pytest.FixtureRequest, origin: Path) -> Iterator[dict[str, Any]]:
    """The configuration for each playlist source: ``PLAYLIST_ROOT`` (a CloudFront
    BASE_URL, no network), or none, so playlists are fetched from the running edge."""
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}}
    if request.param == "root":
        yield {**config, "PLAYLIST_ROOT": str(origin)}
    else:
        edge = request.getfixturevalue("edge")
        yield {**config, "BASE_URL": edge}


def signed_uris(text: str, base: str) -> list[str]:
    """Every absolute URI under ``base`` in a playlist (lines and quoted attributes)."""
    found = re.findall(r'(?:^|"|\n)(' + re.escape(base) + r'[^"\s]*)', text)
    return [uri.replace("&amp;", "&") for uri in found]


def check_cache(answer: Answer, verifier: Verifier, uris: list[str]) -> None:
    """``private, max-age=N``, N no longer than every signature in the body lives."""
    match = re.fullmatch(r"private, max-age=(\d+)", answer.headers["cache-control"])
    assert match is not None, answer.headers
    max_age = int(match.group(1))
    assert 0 < max_age <= FRONTGATE.get("EXPIRES_IN", 300)
    now = time.time()
    for uri in uris:
        decision = verifier.verify_url(uri)
        assert decision.allowed, (uri, decision.message)
        assert decision.expires is not None
        assert now + max_age <= decision.expires + 1


def test_master_playlist_answered_as_is_with_variants_relative(
    stack: Stack, source: dict[str, Any]
) -> None:
    """A master names only other playlists: they stay as written (relative, unsigned),
    so the player asks the app for each; the text comes back byte for byte."""
    answer = stack(source, "/playlist/streams/v1/master.m3u8")
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == HLS
    assert answer.body == STREAM_FILES["master.m3u8"]
    assert answer.headers["content-length"] == str(len(answer.body))
    assert re.fullmatch(r"private, max-age=\d+", answer.headers["cache-control"])
    assert "location" not in answer.headers
    assert "seen=1" in answer.headers["set-cookie"]  # the app's own headers are kept


def test_media_playlist_signed_absolute_under_base_url(
    stack: Stack, source: dict[str, Any], verifier: Verifier
) -> None:
    """Key, init section and segments become absolute signed URLs under BASE_URL (the
    CDN serves them, not the app); comments, tags and CRLF stay as they were."""
    answer = stack(source, "/playlist/streams/v1/low/index.m3u8")
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == HLS
    text = answer.body.decode()
    base = f"{source['BASE_URL']}/{STREAM}low/"
    lines = text.split("\r\n")
    original = STREAM_FILES["low/index.m3u8"].decode().split("\r\n")
    assert len(lines) == len(original)
    for line, before in zip(lines, original, strict=True):
        if before in ("seg0.m4s", "seg%201.m4s?v=1") or "URI=" in before:
            assert line != before
        else:
            assert line == before
    assert lines[7].startswith(f"{base}seg0.m4s?Policy=")
    assert lines[9].startswith(f"{base}seg%201.m4s?v=1&Policy=")
    assert f'URI="{base}key.bin?Policy=' in lines[3]
    assert lines[3].endswith(",IV=0x0000000000000000000000000000000a")
    assert f'URI="{base}init.mp4?Policy=' in lines[4]
    uris = signed_uris(text, base)
    assert len(uris) == 4
    assert len({uri.partition("?")[2].split("Policy=")[1] for uri in uris}) == 1  # one policy
    check_cache(answer, verifier, uris)
    if "PLAYLIST_ROOT" not in source:  # the CDN serves what the playlist names
        assert httpx.get(lines[7], timeout=10).content == STREAM_FILES["low/seg0.m4s"]


def test_dash_manifest_signed_templates_kept(
    stack: Stack, source: dict[str, Any], verifier: Verifier
) -> None:
    answer = stack(source, "/playlist/streams/v1/manifest.mpd")
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == DASH
    text = answer.body.decode()
    base = f"{source['BASE_URL']}/{STREAM}"
    assert f'initialization="{base}init-$RepresentationID$.m4s?Policy=' in text
    assert f'media="{base}seg-$RepresentationID$-$Number$.m4s?Policy=' in text
    assert "&amp;Signature=" in text
    # a segment the template names, with the template's query: what CloudFront sees
    template = signed_uris(text, base)[1]
    check_cache(answer, verifier, [template.replace("$RepresentationID$-$Number$", "0-1")])


@pytest.mark.parametrize("name", list(HELPERS))
def test_view_helpers_answer_the_same(
    name: str, source: dict[str, Any], verifier: Verifier
) -> None:
    """``signed_playlist_response`` (Django sync and async, Flask, FastAPI/Starlette)
    answers what the middleware answers for an X-Accel-Redirect."""
    answer = HELPERS[name](source, "/helper/streams/v1/low/index.m3u8")
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == HLS
    base = f"{source['BASE_URL']}/{STREAM}low/"
    uris = signed_uris(answer.body.decode(), base)
    assert len(uris) == 4
    check_cache(answer, verifier, uris)
    master = HELPERS[name](source, "/helper/streams/v1/master.m3u8")
    assert master.body == STREAM_FILES["master.m3u8"]


@pytest.mark.parametrize("name", ["flask", "fastapi", "django"])
def test_stream_cookies_helpers_scope_cookies_to_the_folder(name: str, verifier: Verifier) -> None:
    """Resource and ``Path`` are the stream's folder: a custom policy for
    ``BASE_URL/<folder>*`` (R32) opens its files and nothing else, and ``Path``, a plain
    prefix (R34), keeps the cookies from being sent for the rest of the CDN (R37)."""
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}}
    answer = HELPERS[name](config, "/cookies/streams/v1/master.m3u8")
    assert answer.status == 200
    assert answer.headers["cache-control"] == "private, no-store"
    cookies = answer.headers["set-cookie"].split("\n")
    assert len(cookies) == 3
    assert all(re.search(f"; Path=/{STREAM}(;|$)", cookie) for cookie in cookies), cookies
    pairs = dict(cookie.split(";", 1)[0].split("=", 1) for cookie in cookies)
    assert verifier.verify_cookies(f"{BASE_URL}/{STREAM}low/seg0.m4s", pairs).allowed
    refused = verifier.verify_cookies(f"{BASE_URL}/media/streams/v2/low/seg0.m4s", pairs)
    assert not refused.allowed


def test_cookie_header_scope_folder() -> None:
    """``X-Frontgate-Cookies: <folder>; scope=folder``: cookies for the stream's folder,
    ``Path`` included; the page itself goes through."""
    gate = Gate.from_config({**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}})
    value = "/protected/streams/v1/; scope=folder"
    rewrite = gate.rewrite(200, [("X-Frontgate-Cookies", value)])
    assert rewrite is not None
    assert rewrite.status == 200
    assert rewrite.body is None
    assert len(rewrite.set_cookies) == 3
    assert all(f"Path=/{STREAM};" in value for value in rewrite.set_cookies)
    plain = gate.rewrite(200, [("X-Frontgate-Cookies", "/protected/streams/v1/")])
    assert plain is not None
    assert all("Path=/;" in value for value in plain.set_cookies)


def test_stream_folder_of_a_playlist_or_a_folder() -> None:
    assert stream_folder("media/v/42/master.m3u8") == "media/v/42/"
    assert stream_folder("media/v/42/") == "media/v/42/"
    assert stream_folder("master.m3u8") == "/"


# -- failures: a status and a log line, never the unsigned playlist, never a redirect ------


def test_missing_file_under_playlist_root_is_404_with_a_log_line(
    stack: Stack, origin: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": str(origin)}
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        answer = stack(config, "/playlist/streams/v1/missing.m3u8")
    assert answer.status == 404
    assert "location" not in answer.headers
    assert answer.headers["cache-control"] == "private, no-store"
    assert b"#EXTM3U" not in answer.body
    assert any(
        "media/streams/v1/missing.m3u8" in record.getMessage()
        and "Answered 404" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("streams/v1/missing.m3u8", "answered 404"),  # the CDN has no such file
        ("report.m3u8", "answered 404"),
    ],
)
def test_fetch_failure_is_502_with_a_log_line(
    stack: Stack, edge: str, caplog: pytest.LogCaptureFixture, name: str, why: str
) -> None:
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "BASE_URL": edge}
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        answer = stack(config, f"/playlist/{name}")
    assert answer.status == 502
    assert "location" not in answer.headers
    messages = [record.getMessage() for record in caplog.records]
    assert any(why in message and "Answered 502" in message for message in messages), messages
    assert not any("Signature=" in message for message in messages)  # no signed URL logged


def test_fetch_refused_by_the_cdn_is_502(edge: str, caplog: pytest.LogCaptureFixture) -> None:
    """A key the CDN does not trust: the signed fetch is refused (403), the viewer gets
    502, never the playlist unsigned nor a redirect."""
    from tests.conftest import key_path

    config = {
        **FRONTGATE,
        "PRIVATE_KEY": str(key_path("p256_sec1.pem")),
        "LOCATIONS": {"/protected/": "media/"},
        "BASE_URL": edge,
    }
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        answer = wsgi_stack(config, "/playlist/streams/v1/master.m3u8")
    assert answer.status == 502
    assert any("answered 403" in record.getMessage() for record in caplog.records)


def test_a_file_that_is_no_playlist_is_502(
    stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "fake.m3u8").write_bytes(b"<html>not a playlist</html>")
    (tmp_path / "media" / "latin1.m3u8").write_bytes(b"#EXTM3U\n#EXTINF:1,caf\xe9\nseg.ts\n")
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": str(tmp_path)}
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        fake = stack(config, "/playlist/fake.m3u8")
        latin1 = stack(config, "/playlist/latin1.m3u8")
    assert (fake.status, latin1.status) == (502, 502)
    messages = [record.getMessage() for record in caplog.records]
    assert any("playlist-invalid" in m or "neither" in m for m in messages), messages
    assert any("not UTF-8" in m for m in messages), messages


def test_playlist_outside_locations_is_500_naming_locations(
    stack: Stack, origin: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = {**FRONTGATE, "LOCATIONS": {"/elsewhere/": "media/"}, "PLAYLIST_ROOT": str(origin)}
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        answer = stack(config, "/playlist/streams/v1/master.m3u8")
    assert answer.status == 500
    assert "location" not in answer.headers
    assert b"#EXTM3U" not in answer.body
    assert any("LOCATIONS" in record.getMessage() for record in caplog.records)


def test_dot_segments_never_leave_the_location(origin: Path) -> None:
    gate = Gate.from_config(
        {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": str(origin)}
    )
    for value in ("/protected/../secret/x.m3u8", "/protected/a/%2e%2e/%2e%2e/x.m3u8"):
        rewrite = gate.rewrite(200, [("X-Accel-Redirect", value)])
        assert rewrite is not None
        assert rewrite.status == 500
        assert rewrite.playlist is None


def test_symlink_out_of_playlist_root_is_refused(tmp_path: Path, origin: Path) -> None:
    root = tmp_path / "root"
    (root / "media").mkdir(parents=True)
    (root / "media" / "link.m3u8").symlink_to(origin / STREAM / "master.m3u8")
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": str(root)}
    answer = wsgi_stack(config, "/playlist/link.m3u8")
    assert answer.status == 404


# -- the async adapters load off the event loop --------------------------------------------


class SlowCDN:
    """A loopback server that holds every request until :attr:`release` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = threading.Event()
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                cdn.arrived.set()
                cdn.release.wait(10)
                body = STREAM_FILES["master.m3u8"]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_cdn() -> Iterator[SlowCDN]:
    cdn = SlowCDN()
    yield cdn
    cdn.close()


async def _other_request_meanwhile(slow_cdn: SlowCDN, playlist: Any, other: Any) -> tuple[Any, Any]:
    """Start the playlist request; while its fetch hangs, another request on the same
    event loop completes; then the fetch is released and the playlist answered."""
    pending = asyncio.ensure_future(playlist())
    while not slow_cdn.arrived.is_set():
        await asyncio.sleep(0.01)
    done = await asyncio.wait_for(other(), timeout=5)
    assert not pending.done()
    slow_cdn.release.set()
    return await asyncio.wait_for(pending, timeout=10), done


def test_asgi_fetch_does_not_block_the_event_loop(slow_cdn: SlowCDN) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"x-accel-redirect", b"/protected/streams/v1/master.m3u8")]
        if scope["path"] == "/other":
            headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"other"})

    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "BASE_URL": slow_cdn.url}
    wrapped = AsgiMiddleware(app, config)

    async def call(path: str) -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await wrapped({"type": "http", "path": path}, None, send)  # type: ignore[arg-type]
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def scenario() -> tuple[Any, Any]:
        return await _other_request_meanwhile(
            slow_cdn, lambda: call("/playlist"), lambda: call("/other")
        )

    playlist, other = asyncio.run(scenario())
    assert other == (200, b"other")
    assert playlist == (200, STREAM_FILES["master.m3u8"])


def test_django_async_fetch_does_not_block_the_event_loop(slow_cdn: SlowCDN) -> None:
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "BASE_URL": slow_cdn.url}

    async def scenario() -> tuple[Any, Any]:
        client = AsyncClient()
        return await _other_request_meanwhile(
            slow_cdn,
            lambda: client.get("/async-playlist/streams/v1/master.m3u8"),
            lambda: client.get("/async-report/report.pdf"),
        )

    with override_settings(FRONTGATE=config):
        playlist, other = asyncio.run(scenario())
    assert other.status_code == 302
    assert playlist.status_code == 200
    assert playlist.content == STREAM_FILES["master.m3u8"]


# -- configuration ---------------------------------------------------------------------------


def test_playlist_root_configuration(tmp_path: Path) -> None:
    settings = Settings.from_mapping({**FRONTGATE, "PLAYLIST_ROOT": tmp_path})
    assert settings.playlist_root == str(tmp_path)
    assert Gate.from_config({**FRONTGATE, "PLAYLIST_ROOT": f"{tmp_path}/"}).playlist_root == str(
        tmp_path
    )
    assert Gate.from_config(FRONTGATE).playlist_root is None
    assert parse_playlist_root("") is None
    for bad in ("relative/dir", 42, "/a\0b"):
        with pytest.raises(ConfigError, match=r"PLAYLIST_ROOT.*absolute directory"):
            Settings.from_mapping({**FRONTGATE, "PLAYLIST_ROOT": bad})
    with pytest.raises(ConfigError, match="Did you mean 'PLAYLIST_ROOT'"):
        Settings.from_mapping({**FRONTGATE, "PLAYLISTS_ROOT": str(tmp_path)})


def test_gate_decision_is_pure() -> None:
    """The gate only says where to load from: a file path under PLAYLIST_ROOT (decoded
    once), or a signed URL to fetch; nothing is read until the adapter loads it."""
    gate = Gate.from_config({**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}})
    rewrite = gate.rewrite(200, [("X-Accel-Redirect", "/protected/streams/a%20b/master.m3u8")])
    assert rewrite is not None
    assert rewrite.playlist is not None
    assert rewrite.body is None
    assert rewrite.playlist.file is None
    assert rewrite.playlist.url == f"{BASE_URL}/media/streams/a%20b/master.m3u8"
    assert rewrite.playlist.fetch_url is not None
    assert rewrite.playlist.fetch_url.startswith(f"{BASE_URL}/media/streams/a%20b/master.m3u8?")
    rooted = Gate.from_config(
        {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": "/srv/x"}
    )
    pending = rooted.rewrite(200, [("X-Sendfile", "/srv/private/v/é.mpd")])
    assert pending is not None
    assert pending.playlist is None  # X-Sendfile outside LOCATIONS: a 500, logged
    pending = rooted.rewrite(200, [("X-Accel-Redirect", "/protected/v/%C3%A9 x.mpd?lang=en")])
    assert pending is not None
    assert pending.playlist is not None
    assert pending.playlist.file == "/srv/x/media/v/é x.mpd"
    assert pending.playlist.content_type == DASH
    # X-Sendfile (a filesystem path) under a LOCATIONS prefix is answered the same way
    with_files = Gate.from_config({**FRONTGATE, "PLAYLIST_ROOT": "/srv/x"})
    pending = with_files.rewrite(200, [("X-Sendfile", "/srv/private/v/é.m3u8")])
    assert pending is not None
    assert pending.playlist is not None
    assert pending.playlist.file == "/srv/x/files/v/é.m3u8"
    assert pending.playlist.url == f"{BASE_URL}/files/v/%C3%A9.m3u8"


def test_django_check_warns_about_a_missing_playlist_root(tmp_path: Path) -> None:
    from django.core.checks import run_checks

    with override_settings(FRONTGATE={**FRONTGATE, "PLAYLIST_ROOT": str(tmp_path / "none")}):
        messages = run_checks(tags=["frontgate"])
    assert [message.id for message in messages] == ["frontgate.W001"]
    assert "PLAYLIST_ROOT" in messages[0].msg
    with override_settings(FRONTGATE={**FRONTGATE, "PLAYLIST_ROOT": str(tmp_path)}):
        assert run_checks(tags=["frontgate"]) == []


@pytest.mark.parametrize("name", list(HELPERS))
def test_view_helpers_refuse_dot_segments_with_404(
    name: str, origin: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A view may build the path from the request: ``..`` never climbs, not even within
    ``PLAYLIST_ROOT``."""
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": str(origin)}
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        answer = HELPERS[name](config, "/helper/streams/v1/%2e%2e/v1/master.m3u8")
    assert answer.status == 404
    assert b"#EXTM3U" not in answer.body
    assert any("dot segments" in record.getMessage() for record in caplog.records)


def test_uris_left_unsigned_are_a_log_line_not_a_warning(
    stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A URI on another host stays as written; the middleware says so in its log (a
    FrontgateWarning would fail this test: warnings are errors here)."""
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "mixed.m3u8").write_text(
        "#EXTM3U\n#EXTINF:4,\nseg1.ts\n#EXTINF:4,\nhttps://ads.example/spot.ts\n"
    )
    config = {**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}, "PLAYLIST_ROOT": str(tmp_path)}
    with caplog.at_level(logging.WARNING, logger="frontgate.integrations"):
        answer = stack(config, "/playlist/mixed.m3u8")
    assert answer.status == 200
    lines = answer.body.decode().splitlines()
    assert lines[2].startswith(f"{BASE_URL}/media/seg1.ts?Policy=")
    assert lines[4] == "https://ads.example/spot.ts"
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "1 URI(s) of the playlist left unsigned" in m and "line 5: https://ads.example/spot.ts" in m
        for m in messages
    ), messages
