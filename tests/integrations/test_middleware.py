"""The middleware rules, driven through the bare WSGI and ASGI adapters alike."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from frontgate import Verifier
from frontgate.integrations.asgi import AccelRedirectMiddleware as AsgiMiddleware
from frontgate.integrations.gate import parse_content_disposition
from frontgate.integrations.wsgi import AccelRedirectMiddleware as WsgiMiddleware

from .conftest import BASE_URL, FRONTGATE

Headers = list[tuple[str, str]]


def recorder(seen: list[Any]) -> Callable[..., Callable[[bytes], object]]:
    """A WSGI start_response that records (status, headers)."""

    def start_response(
        status: str, headers: Headers, exc_info: object = None
    ) -> Callable[[bytes], object]:
        seen.append((status, headers))
        return seen.append

    return start_response


Result = tuple[int, Headers, bytes]
Driver = Callable[[Headers, list[bytes]], Result]


def wsgi_driver(config: dict[str, Any]) -> Driver:
    def drive(headers: Headers, body: list[bytes]) -> Result:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            # WSGI headers carry bytes as latin-1 code points (PEP 3333)
            start_response("200 OK", [(n, v.encode().decode("latin-1")) for n, v in headers])
            return body

        seen: list[Any] = []
        out = WsgiMiddleware(app, config)({}, recorder(seen))
        data = b"".join(out)
        status, sent = seen[0]
        return int(status[:3]), [(n, v.encode("latin-1").decode()) for n, v in sent], data

    return drive


def asgi_driver(config: dict[str, Any]) -> Driver:
    def drive(headers: Headers, body: list[bytes]) -> Result:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            raw = [(n.lower().encode(), v.encode()) for n, v in headers]
            await send({"type": "http.response.start", "status": 200, "headers": raw})
            for i, chunk in enumerate(body):
                more = i < len(body) - 1
                await send({"type": "http.response.body", "body": chunk, "more_body": more})

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run(AsgiMiddleware(app, config)({"type": "http"}, None, send))  # type: ignore[arg-type]
        start = sent[0]
        pairs = [(n.decode(), v.decode()) for n, v in start["headers"]]
        return start["status"], pairs, b"".join(m.get("body", b"") for m in sent[1:])

    return drive


@pytest.fixture(params=[wsgi_driver, asgi_driver], ids=["wsgi", "asgi"])
def drive(request: pytest.FixtureRequest) -> Callable[..., Driver]:
    factory = request.param

    def make(**changes: Any) -> Driver:
        return factory({**FRONTGATE, **changes})  # type: ignore[no-any-return]

    return make


def header(headers: Headers, name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name.lower()]


def location_of(result: Result) -> str:
    status, headers, body = result
    assert status == 302, (status, headers)
    assert body == b""
    return header(headers, "Location")[0]


def test_accel_redirect_keeps_the_query_and_its_encoding(drive: Any, verifier: Verifier) -> None:
    location = location_of(drive()([("X-Accel-Redirect", "/protected/a%20b.pdf?v=2&n=x y")], []))
    assert location.startswith(f"{BASE_URL}/media/a%20b.pdf?v=2&n=x%20y&Expires=")
    assert verifier.verify_url(location).allowed


def test_non_ascii_utf8_header_is_encoded_once(drive: Any, verifier: Verifier) -> None:
    location = location_of(drive()([("X-Accel-Redirect", "/protected/é 1.pdf")], []))
    assert location.startswith(f"{BASE_URL}/media/%C3%A9%201.pdf?")
    assert verifier.verify_url(location).allowed


def test_headers_kept_and_dropped(drive: Any) -> None:
    status, headers, body = drive()(
        [
            ("X-Accel-Redirect", "/protected/r.pdf"),
            ("Content-Type", "application/pdf"),
            ("Content-Length", "9"),
            ("Content-Disposition", "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
            ("Set-Cookie", "a=1; Path=/"),
            ("Set-Cookie", "b=2; Path=/"),
            ("Cache-Control", "public, max-age=600"),
            ("X-Custom", "yes"),
            ("X-Accel-Buffering", "no"),
        ],
        [b"body ", b"dropped"],
    )
    assert status == 302
    assert body == b""
    assert header(headers, "Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert header(headers, "X-Custom") == ["yes"]
    assert header(headers, "Cache-Control") == ["private, no-store"]
    assert header(headers, "Content-Length") == ["0"]
    for gone in ("X-Accel-Redirect", "Content-Type", "Content-Disposition", "X-Accel-Buffering"):
        assert header(headers, gone) == []
    params = parse_qs(urlsplit(header(headers, "Location")[0]).query)
    assert params["response-content-type"] == ["application/pdf"]
    assert params["response-content-disposition"] == [
        "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    ]


def test_framework_default_html_type_does_not_travel(drive: Any) -> None:
    location = location_of(
        drive()(
            [
                ("X-Accel-Redirect", "/protected/r.pdf"),
                ("Content-Type", "text/html; charset=utf-8"),
            ],
            [],
        )
    )
    assert "response-content-type" not in location


def test_longest_prefix_and_redirect_status(drive: Any) -> None:
    result = drive(REDIRECT_STATUS=307)([("X-Accel-Redirect", "/protected/videos/a.ts")], [])
    assert result[0] == 307
    assert header(result[1], "Location")[0].startswith(f"{BASE_URL}/hls/a.ts?")


def test_x_sendfile_is_a_filesystem_path(drive: Any, verifier: Verifier) -> None:
    location = location_of(drive()([("X-Sendfile", "/srv/private/d/a b%?.pdf")], []))
    assert location.startswith(f"{BASE_URL}/files/d/a%20b%25%3F.pdf?")
    assert verifier.verify_url(location).allowed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("X-Accel-Redirect", "/internal/a.pdf", id="outside"),
        pytest.param("X-Accel-Redirect", "/protected", id="prefix-without-slash"),
        pytest.param("X-Accel-Redirect", "/protected/../etc/passwd", id="dot-dot"),
        pytest.param("X-Accel-Redirect", "/protected/%2e%2e/etc/passwd", id="encoded-dot-dot"),
        pytest.param("X-Accel-Redirect", "/protected/a.pdf?Signature=x", id="reserved-param"),
        pytest.param("X-Sendfile", "/srv/private/../../etc/passwd", id="sendfile-escape"),
        pytest.param("X-Sendfile", "relative/a.pdf", id="sendfile-relative"),
        pytest.param("X-Frontgate-Cookies", "/elsewhere/", id="cookies-outside"),
    ],
)
def test_unsignable_values_are_500_never_passed_through(
    drive: Any, name: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        status, headers, body = drive(
            LOCATIONS={"/protected/": "media/", "/srv/private/": "files/"}
        )([(name, value), ("Set-Cookie", "a=1")], [b"internal body"])
    assert status == 500
    assert header(headers, "Location") == []
    assert header(headers, "Set-Cookie") == []
    assert value.encode() not in body
    assert b"internal body" not in body
    assert caplog.records


def test_outside_log_names_locations(drive: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        drive()([("X-Accel-Redirect", "/internal/a.pdf")], [])
    assert "FRONTGATE['LOCATIONS']" in caplog.text


def test_cookie_mode_keeps_the_response(drive: Any, verifier: Verifier) -> None:
    status, headers, body = drive()(
        [("X-Frontgate-Cookies", "hls/; expires_in=60"), ("Content-Type", "text/html")],
        [b"<video>", b"</video>"],
    )
    assert (status, body) == (200, b"<video></video>")
    cookies = dict(c.split(";", 1)[0].split("=", 1) for c in header(headers, "Set-Cookie"))
    assert verifier.verify_cookies(f"{BASE_URL}/hls/seg1.ts", cookies).allowed
    assert header(headers, "X-Frontgate-Cookies") == []
    assert header(headers, "Cache-Control") == ["private, no-store"]
    assert header(headers, "Content-Type") == ["text/html"]


def test_pass_through_untouched(drive: Any) -> None:
    headers = [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("X-Thing", "é")]
    status, sent, body = drive()(headers, [b"a", b"b"])
    assert (status, body) == (200, b"ab")
    assert [(n.lower(), v) for n, v in sent] == [(n.lower(), v) for n, v in headers]


def test_wsgi_pass_through_returns_the_same_iterable() -> None:
    body = [b"x"]

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return body

    assert WsgiMiddleware(app, FRONTGATE)({}, recorder([])) is body


class _Closing:
    def __init__(self, start: bool, accel: bool, start_response: Any) -> None:
        self.closed = False
        self.start = start
        self.accel = accel
        self.start_response = start_response

    def __iter__(self) -> Iterator[bytes]:
        headers = [("X-Accel-Redirect", "/protected/a.pdf")] if self.accel else []
        self.start_response("200 OK", headers)
        yield b"chunk1"
        yield b"chunk2"

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("accel", [True, False], ids=["redirect", "pass"])
def test_wsgi_lazy_start_response_and_close(accel: bool) -> None:
    made: list[_Closing] = []

    def app(environ: Any, start_response: Any) -> _Closing:
        made.append(_Closing(False, accel, start_response))
        return made[0]

    seen: list[Any] = []
    result = WsgiMiddleware(app, FRONTGATE)({}, recorder(seen))
    data = b"".join(result)
    getattr(result, "close", lambda: None)()
    assert made[0].closed
    assert seen[0][0] == ("302 Found" if accel else "200 OK")
    assert data == (b"" if accel else b"chunk1chunk2")


def test_asgi_other_scopes_pass() -> None:
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["type"])

    middleware = AsgiMiddleware(app, FRONTGATE)
    asyncio.run(middleware({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    asyncio.run(middleware({"type": "websocket"}, None, None))  # type: ignore[arg-type]
    assert calls == ["lifespan", "websocket"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('attachment; filename="a b.pdf"', (True, "a b.pdf")),
        ("inline; filename=plain.txt", (False, "plain.txt")),
        ("attachment; filename=\"x.pdf\"; filename*=UTF-8''%E2%82%AC.pdf", (True, "€.pdf")),
        ("attachment", (True, None)),
        ('attachment; filename="q\\"uote.pdf"', (True, 'q"uote.pdf')),
    ],
)
def test_parse_content_disposition(value: str, expected: tuple[bool, str | None]) -> None:
    assert parse_content_disposition(value) == expected
