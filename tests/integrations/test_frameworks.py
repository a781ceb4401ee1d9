"""Flask, FastAPI/Starlette and bare WSGI through their own test clients."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import httpx
import pytest
from werkzeug.test import Client as WerkzeugClient

from frontgate import ConfigError, Verifier
from frontgate.integrations.flask import Frontgate

from .apps import bare_wsgi_app, fastapi_app, flask_app
from .conftest import BASE_URL, FRONTGATE


class AsgiClient:
    """A sync face over httpx's ASGI transport (starlette's TestClient now wants httpx2,
    which is not installed here)."""

    def __init__(self, app: Any, *, follow_redirects: bool = True) -> None:
        self.app = app
        self.follow_redirects = follow_redirects
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                cookies=self.cookies,
                follow_redirects=self.follow_redirects,
            ) as client:
                response = await client.request(method, url)
                self.cookies = client.cookies
                return response

        return asyncio.run(go())

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str) -> httpx.Response:
        return self.request("POST", url)


def test_flask_login_then_signed_redirect(verifier: Verifier) -> None:
    app = flask_app(FRONTGATE)
    assert app.extensions["frontgate"].distribution.base_url == BASE_URL
    client = app.test_client()
    anonymous = client.get("/download/report.pdf")
    assert anonymous.status_code == 403
    assert "Location" not in anonymous.headers
    client.post("/login")
    response = client.get("/download/q3 2026/résumé.pdf")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{BASE_URL}/media/q3%202026/r%C3%A9sum%C3%A9.pdf?")
    assert "r%25C3%25A9sum%25C3%25A9.pdf" in location  # the filename* value, signed
    assert verifier.verify_url(location).allowed
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data == b""


def test_flask_helpers_and_jinja_global(verifier: Verifier) -> None:
    client = flask_app(FRONTGATE).test_client()
    redirect = client.get("/helper/report.pdf")
    assert redirect.status_code == 302
    assert verifier.verify_url(redirect.headers["Location"]).allowed
    page = client.get("/page").get_data(as_text=True)
    href = html.unescape(re.search(r'href="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    assert verifier.verify_url(href).allowed
    videos = client.get("/videos")
    cookies = dict(c.split(";", 1)[0].split("=", 1) for c in videos.headers.getlist("Set-Cookie"))
    assert verifier.verify_cookies(f"{BASE_URL}/hls/a.ts", cookies).allowed


def test_flask_streaming_passes(verifier: Verifier) -> None:
    response = flask_app(FRONTGATE).test_client().get("/stream")
    assert response.is_streamed
    assert response.data == b"one,two"


def test_flask_bad_configuration_fails_at_init_app() -> None:
    app = flask_app(FRONTGATE)
    app.config["FRONTGATE"] = {**FRONTGATE, "LOCATIONS": {"/p": "media/"}}
    with pytest.raises(ConfigError, match=r"app\.config\['FRONTGATE'\]\['LOCATIONS'\]"):
        Frontgate(app)


def test_fastapi_login_then_signed_redirect(verifier: Verifier) -> None:
    client = AsgiClient(fastapi_app(FRONTGATE), follow_redirects=False)
    anonymous = client.get("/download/report.pdf")
    assert anonymous.status_code == 403
    assert "location" not in anonymous.headers
    client.post("/login")
    response = client.get("/download/report.pdf")
    assert response.status_code == 302
    assert verifier.verify_url(response.headers["location"]).allowed
    assert response.content == b""


def test_fastapi_dependencies_and_signed_redirect_response(verifier: Verifier) -> None:
    client = AsgiClient(fastapi_app(FRONTGATE), follow_redirects=False)
    direct = client.get("/direct/report.pdf")
    assert direct.status_code == 302
    assert direct.headers["cache-control"] == "private, no-store"
    assert verifier.verify_url(direct.headers["location"]).allowed
    assert client.get("/signer").json() == {"key_pair_id": FRONTGATE["KEY_PAIR_ID"]}


def test_fastapi_streaming_passes() -> None:
    response = AsgiClient(fastapi_app(FRONTGATE)).get("/stream")
    assert response.content == b"one,two"
    assert response.headers["content-type"].startswith("text/csv")


def test_fastapi_bad_configuration_fails_before_serving() -> None:
    with pytest.raises(ConfigError, match="REDIRECT_STATUS"):
        fastapi_app({**FRONTGATE, "REDIRECT_STATUS": "302"})


def test_bare_wsgi_login_then_signed_redirect(verifier: Verifier) -> None:
    client: Any = WerkzeugClient(bare_wsgi_app(FRONTGATE))
    assert client.get("/download/report.pdf").status_code == 403
    client.post("/login")
    response = client.get("/download/report.pdf")
    assert response.status_code == 302
    assert verifier.verify_url(response.headers["Location"]).allowed
