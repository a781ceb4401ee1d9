"""The edge app's own cost per request, in-process (no server, no network): the ASGI
application called with the scope a server would build, its messages collected.

    python -m bench edge_app

Cases: an unsigned request (403), signed URLs (RSA and ECDSA) and signed cookies for a
1 KiB file with the verified-signature cache hit, and a 1 MiB file. Each figure is
microseconds per request, and its ratio to the issue's target (at most 1.0 meets it).
The access log is off, as in ``make bench-edge``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frontgate.distribution import Distribution
from frontgate.edge import EdgeApp, create_app
from frontgate.keys import generate_private_key, public_pem
from frontgate.signer import Signer

from ._harness import Row

HOST = "127.0.0.1:8080"
RAW = "raw RSA-2048 verify"
#: (case, target in microseconds)
TARGETS = {
    "unsigned -> 403": 8.0,
    "signed URL RSA, 1 KiB, cache hit": 15.0,
    "signed URL ECDSA, 1 KiB, cache hit": 15.0,
    "signed cookies RSA, 1 KiB, cache hit": 15.0,
    "signed URL RSA, 1 MiB, cache hit": 15.0,
}

Message = MutableMapping[str, Any]


async def _receive() -> Message:  # the request has no body
    return {"type": "http.request", "body": b"", "more_body": False}


def request(app: EdgeApp, target: str, headers: list[tuple[bytes, bytes]]) -> Callable[[], int]:
    """A zero-argument call that runs one request through ``app``; returns the status."""
    path, _, query = target.partition("?")
    raw_path, query_string = path.encode(), query.encode()
    all_headers = [(b"host", HOST.encode()), *headers]
    extensions: dict[str, dict[str, object]] = {"http.response.pathsend": {}}
    status = [0]

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    def once() -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "scheme": "http",
            "method": "GET",
            "path": path,
            "raw_path": raw_path,
            "query_string": query_string,
            "root_path": "",
            "headers": all_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
            "extensions": extensions,
        }
        _drive(app(scope, _receive, send))
        return status[0]

    return once


def _drive(coroutine: Awaitable[None]) -> None:
    # the app never waits on anything here: one step runs it to the end
    try:
        coroutine.send(None)  # type: ignore[attr-defined]
    except StopIteration:
        return
    raise RuntimeError("the edge app suspended in-process")


def microseconds(
    calls: dict[str, Callable[[], object]], *, rounds: int = 25, burst: float = 0.02
) -> dict[str, float]:
    """Microseconds per call of each of ``calls``: the fastest burst of ``rounds``, the
    calls taking turns so that all of them meet the same quiet moments of a shared
    machine."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(rounds):
        for name, fn in calls.items():
            loops = 0
            start = time.perf_counter()
            while True:
                for _ in range(50):
                    fn()
                loops += 50
                elapsed = time.perf_counter() - start
                if elapsed >= burst:
                    break
            best[name] = min(best[name], elapsed / loops * 1e6)
    return best


def cases(origin: Path) -> dict[str, Callable[[], int]]:
    rsa_key, ec_key = generate_private_key("rsa"), generate_private_key("ecdsa")
    app = create_app(origin, {"KRSA": public_pem(rsa_key), "KECDSA": public_pem(ec_key)})
    base = f"http://{HOST}"
    rsa = Distribution(base, Signer(rsa_key, "KRSA"), expires_in=3600)
    ecdsa = Distribution(base, Signer(ec_key, "KECDSA", hash_algorithm="SHA256"), expires_in=3600)
    cookie = "; ".join(f"{k}={v}" for k, v in rsa.cookies("").items()).encode()

    def url(cdn: Distribution, name: str) -> str:
        return cdn.url(name).removeprefix(base)

    return {
        "unsigned -> 403": request(app, "/file_1k.bin", []),
        "signed URL RSA, 1 KiB, cache hit": request(app, url(rsa, "file_1k.bin"), []),
        "signed URL ECDSA, 1 KiB, cache hit": request(app, url(ecdsa, "file_1k.bin"), []),
        "signed cookies RSA, 1 KiB, cache hit": request(app, "/file_1k.bin", [(b"cookie", cookie)]),
        "signed URL RSA, 1 MiB, cache hit": request(app, url(rsa, "file_1m.bin"), []),
    }


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="frontgate-bench-") as work:
        origin = Path(work)
        (origin / "file_1k.bin").write_bytes(os.urandom(1024))
        (origin / "file_1m.bin").write_bytes(os.urandom(1024 * 1024))
        calls = cases(origin)
        expected = {name: 403 if name.startswith("unsigned") else 200 for name in calls}
        for name, fn in calls.items():
            if fn() != expected[name]:
                raise SystemExit(f"{name}: answered {fn()}, expected {expected[name]}")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signature = key.sign(b"x" * 100, padding.PKCS1v15(), hashes.SHA1())
        public = key.public_key()

        def raw_verify() -> None:
            public.verify(signature, b"x" * 100, padding.PKCS1v15(), hashes.SHA1())

        timed = microseconds({**calls, RAW: raw_verify})
        rows = [
            Row(
                f"edge app {name}",
                timed[name],
                "us",
                timed[name] / TARGETS[name],
                1.0,
                lower_is_better=True,
                baseline=f"of the {TARGETS[name]:g} us target "
                f"({timed[name] / timed[RAW]:.2f}x one RSA-2048 verify)",
            )
            for name in calls
        ]
        rows.append(Row(f"({RAW}, the reference)", timed[RAW], "us"))
        return rows
