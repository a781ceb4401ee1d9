"""End to end on 127.0.0.1: each stack behind a real server, a running ``frontgate edge``
standing in for CloudFront, and httpx as the client."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontgate import Distribution, FrontgateWarning

from .apps import bare_wsgi_app, fastapi_app, flask_app
from .conftest import FRONTGATE, ORIGIN_FILES, edge_available

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_downloads" / "run.py"


def live_config(edge: str) -> dict[str, Any]:
    return {**FRONTGATE, "BASE_URL": edge, "LOCATIONS": {"/protected/": "media/"}}


def scenario(site: str, edge: str) -> None:
    """Anonymous refused; logged in, redirected to a signed URL the edge serves with the
    download name; tampered and expired links refused."""
    name = "q3 2026/résumé.pdf"
    with httpx.Client(base_url=site, follow_redirects=False, timeout=10) as client:
        anonymous = client.get(f"/download/{name}")
        assert anonymous.status_code == 403
        assert "location" not in anonymous.headers
        client.post("/login")
        response = client.get(f"/download/{name}")
    assert response.status_code == 302
    signed = response.headers["location"]
    assert signed.startswith(f"{edge}/media/q3%202026/r%C3%A9sum%C3%A9.pdf?")
    served = httpx.get(signed, timeout=10)
    assert served.status_code == 200
    assert served.content == ORIGIN_FILES[f"media/{name}"]
    assert "r%C3%A9sum%C3%A9.pdf" in served.headers["content-disposition"]
    cut = signed.index("Signature=") + len("Signature=")
    tampered = signed[:cut] + ("A" if signed[cut] != "A" else "B") + signed[cut + 1 :]
    assert httpx.get(tampered, timeout=10).status_code == 403
    cdn = Distribution.from_config(live_config(edge))
    with pytest.warns(FrontgateWarning):
        expired = cdn.url(f"media/{name}", expires_at=int(time.time()) - 60)
    assert httpx.get(expired, timeout=10).status_code == 403


def test_bare_wsgi_live(edge: str, serve_wsgi: Callable[[Any], str]) -> None:
    scenario(serve_wsgi(bare_wsgi_app(live_config(edge))), edge)


def test_flask_live(edge: str, serve_wsgi: Callable[[Any], str]) -> None:
    scenario(serve_wsgi(flask_app(live_config(edge))), edge)


def test_fastapi_live(edge: str, serve_asgi: Callable[[Any], str]) -> None:
    scenario(serve_asgi(fastapi_app(live_config(edge))), edge)


def test_django_example_check(edge: str) -> None:
    """The example project under uvicorn with its own edge: ``run.py --check``."""
    del edge
    if not edge_available():
        pytest.skip("the frontgate edge command is not available in this checkout yet")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--check"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all good" in result.stdout
