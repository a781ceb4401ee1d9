"""The edge app (``EdgeApp``) called in-process with hostile ASGI scopes: any method,
target, query and headers get one complete answer below 500, never an exception.

Input: method, NUL, raw path, NUL, query string, NUL, header lines (``name: value``,
split at LF). A signed URL for ``/hello.txt`` is in the seeds, so mutations reach the
file, Range and conditional code.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from frontgate.edge import EdgeApp, create_app
from fuzz._common import RSA_ID, Meter, fields, signers

BUDGET_BASE = 8000
BUDGET_PER_BYTE = 4
HOST = b"127.0.0.1:8080"


@cache
def app() -> EdgeApp:
    origin = Path(tempfile.mkdtemp(prefix="frontgate-fuzz-"))
    (origin / "hello.txt").write_bytes(b"Hello, signed world.\n")
    (origin / "docs").mkdir()
    (origin / "docs" / "index.html").write_bytes(b"<h1>docs</h1>\n")
    return create_app(origin, {RSA_ID: signers()[RSA_ID].public_key()}, cache_size=0)


def scope_for(data: bytes) -> dict[str, Any]:
    method, path, query, header_block = fields(data, 4)
    headers = []
    for line in header_block.split(b"\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers.append((name.strip().lower(), value.strip()))
    if not any(name == b"host" for name, _ in headers):
        headers.insert(0, (b"host", HOST))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.decode("latin-1") or "GET",
        "scheme": "http",
        "path": path.decode("latin-1"),
        "raw_path": path or b"/",
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("192.0.2.10", 50000),
        "server": ("127.0.0.1", 8080),
    }


def call(scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the app on one scope without an event loop: nothing it awaits may block."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    coroutine = app()(scope, receive, send)
    try:
        coroutine.send(None)
    except StopIteration:
        return sent
    coroutine.close()
    raise AssertionError("the edge waited on something for a small file")


def test_one_input(data: bytes) -> None:
    scope = scope_for(data)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        sent = call(scope)
    assert sent and sent[0]["type"] == "http.response.start", sent[:1]
    assert 200 <= sent[0]["status"] < 500, sent[0]["status"]
    assert sent[-1].get("more_body", False) is False or sent[-1]["type"] != "http.response.body"
