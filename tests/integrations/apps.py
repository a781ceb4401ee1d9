"""The seed scenario as a small app in each stack: log in, then download a report that the
app answers with ``X-Accel-Redirect`` (anonymous users get 403, never a redirect)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from flask import Flask, render_template_string, session

from frontgate import Distribution, Signer
from frontgate.integrations.fastapi import (
    Frontgate as FastAPIFrontgate,
)
from frontgate.integrations.fastapi import (
    SignedRedirectResponse,
    get_distribution,
    get_signer,
)
from frontgate.integrations.flask import Frontgate as FlaskFrontgate
from frontgate.integrations.wsgi import AccelRedirectMiddleware


def accel_headers(name: str) -> dict[str, str]:
    filename = name.rsplit("/", 1)[-1]
    return {
        "X-Accel-Redirect": f"/protected/{name}",
        "Content-Disposition": f"attachment; filename*=UTF-8''{filename}",
    }


def flask_app(config: dict[str, Any]) -> Flask:
    app = Flask(__name__)
    app.secret_key = "tests-only"
    app.config["FRONTGATE"] = config
    fg = FlaskFrontgate(app)

    @app.post("/login")
    def login() -> str:
        session["user"] = "ada"
        return "ok"

    @app.get("/download/<path:name>")
    def download(name: str) -> Any:
        if "user" not in session:
            return "forbidden", 403
        response = app.response_class(b"never sent", mimetype="application/pdf")
        for key, value in accel_headers(name).items():
            response.headers[key] = value.encode().decode("latin-1")
        return response

    @app.get("/helper/<path:name>")
    def helper(name: str) -> Any:
        return fg.signed_redirect(f"media/{name}", filename=name, attachment=True)

    @app.get("/videos")
    def videos() -> Any:
        return fg.set_signed_cookies(app.response_class("<video>"), "hls/")

    @app.get("/page")
    def page() -> str:
        return render_template_string('<a href="{{ signed_url("media/report.pdf") }}">r</a>')

    @app.get("/stream")
    def stream() -> Any:
        def chunks() -> Iterator[str]:
            yield "one,"
            yield "two"

        return app.response_class(chunks(), mimetype="text/csv")

    return app


def fastapi_app(config: dict[str, Any]) -> FastAPI:
    app = FastAPI()
    FastAPIFrontgate(config).init_app(app)

    @app.post("/login")
    def login() -> Response:
        response = PlainTextResponse("ok")
        response.set_cookie("user", "ada")
        return response

    @app.get("/download/{name:path}")
    def download(name: str, request: Request) -> Response:
        if request.cookies.get("user") != "ada":
            return PlainTextResponse("forbidden", status_code=403)
        return Response(b"never sent", headers=accel_headers(name))

    @app.get("/direct/{name:path}")
    def direct(name: str, cdn: Annotated[Distribution, Depends(get_distribution)]) -> Response:
        return SignedRedirectResponse(cdn, f"media/{name}", filename=name, attachment=True)

    @app.get("/signer")
    def signer(signer: Annotated[Signer, Depends(get_signer)]) -> dict[str, str]:
        return {"key_pair_id": signer.key_pair_id}

    @app.get("/stream")
    def stream() -> StreamingResponse:
        async def chunks() -> Any:
            yield b"one,"
            yield b"two"

        return StreamingResponse(chunks(), media_type="text/csv")

    return app


def bare_wsgi_app(config: dict[str, Any]) -> AccelRedirectMiddleware:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"].encode("latin-1").decode()
        if environ["REQUEST_METHOD"] == "POST" and path == "/login":
            start_response("200 OK", [("Set-Cookie", "user=ada; Path=/")])
            return [b"ok"]
        if path.startswith("/download/"):
            if "user=ada" not in environ.get("HTTP_COOKIE", ""):
                start_response("403 Forbidden", [("Content-Type", "text/plain")])
                return [b"forbidden"]
            name = unquote(path[len("/download/") :])
            headers = [(k, v.encode().decode("latin-1")) for k, v in accel_headers(name).items()]
            start_response("200 OK", headers)
            return [b"never sent"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return AccelRedirectMiddleware(app, config)
