"""The whole signed-content flow on this machine: throwaway keys, a sample file, a local
edge, and the requests CloudFront serves or refuses (``frontgate demo``).

>>> with Demo() as demo:
...     [(step.name, step.status) for step in demo.run()][:2]
[('signed URL', 200), ('unsigned URL', 403)]

Only the standard library's HTTP client is used, so the demo needs nothing beyond the
``frontgate[edge]`` extra. :mod:`frontgate.cli` prints the steps.
"""

from __future__ import annotations

import contextlib
import http.client
import shutil
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

from frontgate.distribution import Distribution
from frontgate.keys import describe_key, generate_private_key, private_pem, public_pem
from frontgate.responses import parse_error
from frontgate.signer import Signer

from .app import create_app
from .server import running

__all__ = ["Demo", "Step"]

KEY_PAIR_ID: Final = "K2DEMOKEYPAIR"
SAMPLE: Final = "hello.txt"
OTHER: Final = "secret.txt"
SAMPLE_BYTES: Final = b"Hello from the frontgate edge: you hold a valid signature.\n"
#: a documentation range (RFC 5737): never the address the demo requests from
FOREIGN_RANGE: Final = "203.0.113.0/24"


@dataclass(frozen=True, slots=True)
class Step:
    """One request of the demo and what the edge answered."""

    name: str
    expected: int
    status: int
    #: the edge's error code (``MissingKey``...) or ``served``
    code: str
    #: the reason the edge gave (``X-Frontgate-Reason``), or what was checked
    reason: str
    #: for a served file: the bytes are the file's
    intact: bool = True

    @property
    def as_expected(self) -> bool:
        """True when the edge answered as CloudFront would."""
        return self.status == self.expected and self.intact


class Demo:
    """A temporary directory with keys and files, and an edge serving it on loopback.

    Use it as a context manager: the edge stops and the directory is removed on exit.
    """

    def __init__(self, key_type: str = "rsa") -> None:
        self.key_type = key_type
        self.key_pair_id = KEY_PAIR_ID
        self.directory = Path(tempfile.mkdtemp(prefix="frontgate-demo-"))
        self.origin = self.directory / "origin"
        self.private_key_path = self.directory / "private_key.pem"
        self.public_key_path = self.directory / "public_key.pem"
        self.base_url = ""
        self.signer: Signer | None = None
        self.key_description = ""
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Demo:
        self._stack.callback(shutil.rmtree, self.directory, ignore_errors=True)
        try:
            key = generate_private_key(self.key_type)
            self.private_key_path.write_bytes(private_pem(key))
            self.private_key_path.chmod(0o600)
            self.public_key_path.write_bytes(public_pem(key))
            self.origin.mkdir()
            (self.origin / SAMPLE).write_bytes(SAMPLE_BYTES)
            (self.origin / OTHER).write_bytes(b"Not for you.\n")
            self.signer = Signer(key, KEY_PAIR_ID)
            self.key_description = describe_key(key)
            app = create_app(self.origin, {KEY_PAIR_ID: public_pem(key)})
            self.base_url = self._stack.enter_context(running(app))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    @property
    def distribution(self) -> Distribution:
        """The edge as a distribution: paths in, signed URLs and cookies out."""
        assert self.signer is not None, "use Demo as a context manager"
        return Distribution(self.base_url, self.signer, expires_in=300)

    def run(self) -> list[Step]:
        """Make each request of the demo and return what the edge answered."""
        cdn = self.distribution
        url = cdn.url(SAMPLE)
        base, _, query = url.partition("?")
        signature = query.split("Signature=", 1)[1].split("&", 1)[0]
        # one changed character in the middle of the signature
        middle = len(signature) // 2
        flipped = "A" if signature[middle] != "A" else "B"
        tampered = url.replace(signature, signature[:middle] + flipped + signature[middle + 1 :], 1)
        with warnings.catch_warnings():
            # signing an already-past expiry warns (R45): here it is the point
            warnings.simplefilter("ignore")
            expired = cdn.url(SAMPLE, expires_at=int(time.time()) - 60)
        another = f"{cdn.resolve(OTHER)}?{query}"
        cookies = cdn.cookies("")
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        restricted = cdn.url(SAMPLE, ip_address=FOREIGN_RANGE)
        return [
            self._fetch("signed URL", 200, url),
            self._fetch("unsigned URL", 403, base),
            self._fetch("tampered signature", 403, tampered),
            self._fetch("expired URL", 403, expired),
            self._fetch(f"signature of {SAMPLE} on {OTHER}", 403, another),
            self._fetch("signed cookies", 200, base, {"Cookie": cookie_header}),
            self._fetch(f"URL for {FOREIGN_RANGE} from 127.0.0.1", 403, restricted),
        ]

    def _fetch(
        self, name: str, expected: int, url: str, headers: Mapping[str, str] | None = None
    ) -> Step:
        status, reply_headers, body = fetch(url, headers)
        if status == 200:
            same = body == SAMPLE_BYTES
            detail = f"{len(body)} bytes, {'identical to' if same else 'DIFFERENT from'} {SAMPLE}"
            return Step(name, expected, status, "served", detail, same)
        code = _error_code(body) or "-"
        return Step(name, expected, status, code, reply_headers.get("x-frontgate-reason", "-"))

    def link(self, expires_in: int = 3600) -> str:
        """A signed link to the sample file, for a browser."""
        return self.distribution.url(SAMPLE, expires_in=expires_in)


def fetch(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` with the standard library: ``(status, lower-cased headers, body)``."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.request("GET", target, headers=dict(headers or {}))
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def _error_code(body: bytes) -> str | None:
    parsed = parse_error(body)
    return parsed[0] if parsed else None
