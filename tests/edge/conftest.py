"""Fixtures for the edge: an origin directory, the edge as a real granian server on a free
127.0.0.1 port (in a thread), signers for the trusted key and for an untrusted one, and
raw HTTP for requests httpx would normalise (``..``, two ``Host`` headers, no ``Host``).
"""

from __future__ import annotations

import os
import socket
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from frontgate.distribution import Distribution
from frontgate.edge import EdgeApp, create_app
from frontgate.edge.server import running
from frontgate.signer import Signer
from tests.conftest import KEY_PAIR_ID, private_pem, public_pem

#: the bytes of the sample file every test fetches
HELLO = b"Hello, signed world.\n"
#: another key pair id, whose key the edge does not trust
UNTRUSTED_ID = "KUNTRUSTED00001"


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of the given size (grey pixels), for browsers and Content-Type."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


#: 300 KiB whose every byte tells its offset modulo 251 (a prime: no period of 2^n)
BIG = bytes(i % 251 for i in range(300 * 1024))


def make_origin(root: Path) -> Path:
    """An origin directory with the files the tests ask for, and a file outside it."""
    origin = root / "origin"
    (origin / "docs").mkdir(parents=True)
    (origin / "empty-dir").mkdir()
    (origin / "hello.txt").write_bytes(HELLO)
    (origin / "a b é.txt").write_bytes(b"spaces and accents\n")
    (origin / "docs" / "index.html").write_bytes(b"<h1>docs</h1>\n")
    (origin / "data.json").write_bytes(b'{"a": 1}\n')
    (origin / "pixel.png").write_bytes(png(3, 2))
    (origin / "digits.bin").write_bytes(bytes(range(256)) * 4)  # 1,024 bytes
    (origin / "empty.txt").write_bytes(b"")
    # above the edge's small-body limit (64 KiB): served with sendfile where offered
    (origin / "big.bin").write_bytes(BIG)
    (root / "outside.txt").write_bytes(b"outside the origin\n")
    os.symlink(root / "outside.txt", origin / "link-out.txt")
    os.symlink(origin / "hello.txt", origin / "link-in.txt")
    os.symlink(root, origin / "dir-out")
    return origin


@pytest.fixture(scope="session")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_origin(tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="session")
def trusted_signer() -> Signer:
    return Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID)


@pytest.fixture(scope="session")
def ecdsa_signer() -> Signer:
    return Signer.from_pem(private_pem("ecdsa"), "KECDSA000000001", hash_algorithm="SHA256")


@pytest.fixture(scope="session")
def untrusted_signer() -> Signer:
    return Signer.from_pem(private_pem("rsa"), UNTRUSTED_ID)


def edge_app(origin: Path, **options: object) -> EdgeApp:
    """The edge trusting the RSA test key and the ECDSA one (a key group of two)."""
    return create_app(
        origin,
        {KEY_PAIR_ID: public_pem("rsa"), "KECDSA000000001": public_pem("ecdsa")},
        **options,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Edge:
    """A running edge: its base URL and a distribution signing for it."""

    url: str
    cdn: Distribution

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def signed(self, path: str, **kwargs: object) -> str:
        return self.cdn.url(path, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def edge(origin: Path, trusted_signer: Signer) -> Iterator[Edge]:
    """The default edge (not strict, peer IP only, no CORS), shared by the session."""
    with running(edge_app(origin)) as url:
        yield Edge(url, Distribution(url, trusted_signer))


@pytest.fixture(scope="session")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as session:
        yield session


def raw_request(edge: Edge, request: bytes, timeout: float = 5) -> tuple[int, bytes, bytes]:
    """Send bytes as they are; return (status, header block, body) of the answer."""
    with socket.create_connection(("127.0.0.1", edge.port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while True:
            try:
                piece = sock.recv(65536)
            except TimeoutError:
                break
            if not piece:
                break
            data += piece
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head, body


def get_raw(
    edge: Edge, target: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes, bytes]:
    """GET a request target exactly as written (no normalisation of ``..`` or ``%2e``)."""
    headers = {"Host": edge.host, "Connection": "close", **(headers or {})}
    lines = [f"GET {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return raw_request(edge, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())
