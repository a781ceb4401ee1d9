"""The X-Accel-Redirect middleware's cost, next to the one signature it adds (issue 6).

A trivial Django view answers ``X-Accel-Redirect``; Django's WSGI handler is called in a
loop with and without frontgate's middleware, in the same process and alternating rounds.
The middleware's added time per request must stay under one ``sign_url`` plus 20%.
Also: the WSGI and ASGI middleware alone around a bare app, pass-through responses, and
a 1,000-segment playlist answered signed from ``PLAYLIST_ROOT`` (issue 11).

    python -m bench integrations
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from ._harness import Row, compare, rate

__all__ = ["run"]

KEY = Path(__file__).resolve().parents[1] / "tests" / "data" / "keys" / "rsa2048_pkcs8.pem"
FRONTGATE = {
    "KEY_PAIR_ID": "K2JCJMDEHXQW5F",
    "PRIVATE_KEY": str(KEY),
    "BASE_URL": "https://d111111abcdef8.cloudfront.net",
    "LOCATIONS": {"/protected/": "media/"},
}
MIDDLEWARE = "frontgate.integrations.django.AccelRedirectMiddleware"


def _django_handlers() -> tuple[Any, Any]:
    import django
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    def download(request: object) -> HttpResponse:
        response = HttpResponse(content_type="application/pdf")
        response["X-Accel-Redirect"] = "/protected/reports/q3 2026.pdf"
        response["Content-Disposition"] = 'attachment; filename="q3.pdf"'
        return response

    if not settings.configured:
        settings.configure(
            SECRET_KEY="bench",
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=[],
            INSTALLED_APPS=["frontgate.integrations.django"],
            FRONTGATE=FRONTGATE,
        )
        django.setup()
    globals()["urlpatterns"] = [path("download", download)]
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    plain = WSGIHandler()
    with override_settings(MIDDLEWARE=[MIDDLEWARE]):
        gated = WSGIHandler()
    return plain, gated


def _environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/download",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }


def _call(handler: Any) -> object:
    statuses: list[str] = []
    body = handler(_environ(), lambda status, headers, exc_info=None: statuses.append(status))
    body.close()
    return statuses


def run() -> list[Row]:
    from frontgate import Distribution
    from frontgate.integrations.asgi import AccelRedirectMiddleware as Asgi
    from frontgate.integrations.wsgi import AccelRedirectMiddleware as Wsgi

    plain, gated = _django_handlers()
    assert _call(gated) == ["302 Found"], "the middleware did not redirect"
    cdn = Distribution.from_config(FRONTGATE)

    def sign() -> str:
        return cdn.url("media/reports/q3 2026.pdf", filename="q3.pdf", attachment=True)

    gated_rate, plain_rate = compare(lambda: _call(gated), lambda: _call(plain))
    sign_rate = rate(sign, seconds=0.5)
    added = 1 / gated_rate - 1 / plain_rate
    rows = [
        Row("django view, no middleware", plain_rate, "req/s"),
        Row("django view + AccelRedirectMiddleware", gated_rate, "req/s", gated_rate / plain_rate),
        Row("Distribution.url (one RSA-2048 signature)", sign_rate, "ops/s"),
        Row(
            "middleware added us/request vs one signature",
            added * 1e6,
            "us",
            added * sign_rate,
            target=1.2,
            lower_is_better=True,
            baseline="one Distribution.url",
        ),
    ]

    headers = [("X-Accel-Redirect", "/protected/reports/q3 2026.pdf")]

    def app(environ: object, start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [b""]

    def passing(environ: object, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"x"]

    wsgi, wsgi_pass = Wsgi(app, FRONTGATE), Wsgi(passing, FRONTGATE)

    def write(data: bytes) -> None:
        del data

    def noop(status: str, headers: object, exc_info: object = None) -> Any:
        del status, headers, exc_info
        return write

    wsgi_rate = rate(lambda: wsgi({}, noop), seconds=0.5)
    pass_rate, bare_rate = compare(lambda: wsgi_pass({}, noop), lambda: passing({}, noop))
    rows.append(
        Row(
            "WSGI middleware redirect",
            wsgi_rate,
            "req/s",
            wsgi_rate / sign_rate,
            baseline="one Distribution.url",
        )
    )
    rows.append(
        Row(
            "WSGI middleware pass-through",
            pass_rate,
            "req/s",
            pass_rate / bare_rate,
            baseline="bare WSGI app",
        )
    )

    async def asgi_app(scope: object, receive: object, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"x-accel-redirect", b"/protected/a.pdf")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    asgi = Asgi(asgi_app, FRONTGATE)

    async def sink(message: object) -> None:
        del message

    async def many(n: int) -> None:
        for _ in range(n):
            await asgi({"type": "http"}, None, sink)  # type: ignore[arg-type]

    asgi_rate = rate(lambda: asyncio.run(many(200)), seconds=0.5) * 200
    rows.append(
        Row(
            "ASGI middleware redirect",
            asgi_rate,
            "req/s",
            asgi_rate / sign_rate,
            baseline="one Distribution.url",
        )
    )
    rows.append(_playlist_row())
    return rows


def _playlist_row() -> Row:
    """The WSGI middleware answering an X-Accel-Redirect to a 1,000-segment media
    playlist read from PLAYLIST_ROOT (read, decode, sign, answer), against
    ``sign_playlist`` alone on the same text: what the middleware adds to the signing."""
    import itertools
    import tempfile

    from frontgate.integrations.wsgi import AccelRedirectMiddleware as Wsgi
    from frontgate.streaming import sign_playlist

    from .streaming import media_playlist

    text = media_playlist(1000, 0)
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "media" / "videos"
        folder.mkdir(parents=True)
        (folder / "index.m3u8").write_text(text)
        headers = [("X-Accel-Redirect", "/protected/videos/index.m3u8")]

        def app(environ: object, start_response: Any) -> list[bytes]:
            start_response("200 OK", headers)
            return [b""]

        wsgi = Wsgi(app, {**FRONTGATE, "PLAYLIST_ROOT": root})
        seen: list[str] = []

        def start(status: str, headers: object, exc_info: object = None) -> Any:
            del headers, exc_info
            seen.append(status)
            return len

        body = b"".join(wsgi({}, start))
        assert seen == ["200 OK"], seen
        assert body.count(b"Signature=") == 1002, "not signed"
        cdn = wsgi.gate.distribution
        url = cdn.resolve("media/videos/index.m3u8")
        expiries = itertools.cycle(range(300, 360))  # a different signature each call

        def alone() -> str:
            return sign_playlist(
                text, url, cdn.signer, expires_in=next(expiries), absolute=True, nested="keep"
            )

        playlist_rate, alone_rate = compare(lambda: wsgi({}, start), alone)
    return Row(
        "WSGI playlist answer, 1,000 segments",
        playlist_rate,
        "req/s",
        playlist_rate / alone_rate,
        baseline="sign_playlist alone",
    )


if __name__ == "__main__":
    for row in run():
        print(row)
