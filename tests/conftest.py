"""Shared test fixtures: a fixed clock, the committed test keys, and signers over
every key type and hash CloudFront accepts.

Subdirectories (``tests/edge``, ``tests/verify``, ...) reuse these fixtures; their own
``conftest.py`` may add more. Constants are importable: ``from tests.conftest import NOW``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, settings

from frontgate.signer import Signer

# Tests assert behaviour, never speed: no per-example deadline (hypothesis's default of
# 200 ms fails on a loaded machine) and no too-slow health check; `make bench` measures.
settings.register_profile("frontgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("frontgate")

#: 2026-01-01T18:00:00Z, the instant every core test runs at (the AWS worked example, R3)
NOW = 1767290400
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
#: the passphrase of every ``*_encrypted.pem`` test key
PASSPHRASE = "correct horse battery staple"
DATA_DIR = Path(__file__).parent / "data"
KEYS_DIR = DATA_DIR / "keys"

KeyKind = Literal["rsa", "ecdsa"]

#: one file per accepted private key format (R48)
ACCEPTED_KEYS: dict[str, str] = {
    "rsa-pkcs1": "rsa2048_pkcs1.pem",
    "rsa-pkcs8": "rsa2048_pkcs8.pem",
    "ecdsa-sec1": "p256_sec1.pem",
    "ecdsa-pkcs8": "p256_pkcs8.pem",
}
#: encrypted private keys, all with :data:`PASSPHRASE`
ENCRYPTED_KEYS: dict[str, str] = {
    "rsa-pkcs8-encrypted": "rsa2048_pkcs8_encrypted.pem",
    "rsa-pkcs1-encrypted": "rsa2048_pkcs1_encrypted.pem",
    "ecdsa-sec1-encrypted": "p256_sec1_encrypted.pem",
}
#: files the signer must refuse, with the error code each gives (R17, R48)
REFUSED_KEYS: dict[str, tuple[str, str]] = {
    "rsa-1024": ("rsa1024.pem", "key-unsupported"),
    "rsa-4096": ("rsa4096.pem", "key-unsupported"),
    "p-384": ("p384.pem", "key-unsupported"),
    "ed25519": ("ed25519.pem", "key-unsupported"),
    "public-key": ("rsa2048_public.pem", "key-is-public"),
    "certificate": ("certificate.pem", "key-is-certificate"),
    "garbage": ("garbage.pem", "key-unreadable"),
    "truncated": ("truncated.pem", "key-unreadable"),
}
PRIVATE_FILES: dict[KeyKind, str] = {"rsa": "rsa2048_pkcs1.pem", "ecdsa": "p256_sec1.pem"}
PUBLIC_FILES: dict[KeyKind, str] = {"rsa": "rsa2048_public.pem", "ecdsa": "p256_public.pem"}


def key_path(name: str) -> Path:
    """The path of a committed test key, e.g. ``key_path("rsa2048_pkcs1.pem")``."""
    return KEYS_DIR / name


def key_bytes(name: str) -> bytes:
    """The bytes of a committed test key."""
    return key_path(name).read_bytes()


def private_pem(kind: KeyKind) -> bytes:
    """The private key PEM of the ``rsa`` or ``ecdsa`` test key."""
    return key_bytes(PRIVATE_FILES[kind])


def public_pem(kind: KeyKind) -> bytes:
    """The public key PEM of the ``rsa`` or ``ecdsa`` test key."""
    return key_bytes(PUBLIC_FILES[kind])


def pem_body_lines(*pems: bytes) -> list[str]:
    """The base64 body lines of PEM blocks: what must never appear in any output."""
    lines = []
    for pem in pems:
        for line in pem.decode("ascii").splitlines():
            if line and not line.startswith("-----") and ":" not in line:
                lines.append(line)
    return lines


@pytest.fixture
def now() -> int:
    """The fixed clock of every core test (2026-01-01T18:00:00Z)."""
    return NOW


@pytest.fixture
def key_pair_id() -> str:
    return KEY_PAIR_ID


@pytest.fixture
def keys_dir() -> Path:
    return KEYS_DIR


@pytest.fixture
def rsa_key_pem() -> bytes:
    return private_pem("rsa")


@pytest.fixture
def ec_key_pem() -> bytes:
    return private_pem("ecdsa")


@pytest.fixture
def rsa_public_pem() -> bytes:
    return public_pem("rsa")


@pytest.fixture
def ec_public_pem() -> bytes:
    return public_pem("ecdsa")


@pytest.fixture
def rsa_key_path() -> Path:
    return key_path(PRIVATE_FILES["rsa"])


@pytest.fixture
def ec_key_path() -> Path:
    return key_path(PRIVATE_FILES["ecdsa"])


@pytest.fixture(params=["rsa", "ecdsa"])
def key_kind(request: pytest.FixtureRequest) -> KeyKind:
    """Each key type CloudFront accepts (R17)."""
    kind: KeyKind = request.param
    return kind


@pytest.fixture(params=["SHA1", "SHA256"])
def hash_algorithm(request: pytest.FixtureRequest) -> Literal["SHA1", "SHA256"]:
    """Each hash CloudFront accepts (R20)."""
    name: Literal["SHA1", "SHA256"] = request.param
    return name


SignerFactory = Callable[..., Signer]


@pytest.fixture
def signer_factory(key_kind: KeyKind, hash_algorithm: Literal["SHA1", "SHA256"]) -> SignerFactory:
    """Build a :class:`Signer` for the current key type and hash (rsa/ecdsa x SHA1/SHA256);
    keyword arguments go to :meth:`Signer.from_pem` (``cache_window=``...)."""

    def factory(**kwargs: Any) -> Signer:
        kwargs.setdefault("hash_algorithm", hash_algorithm)
        return Signer.from_pem(private_pem(key_kind), KEY_PAIR_ID, **kwargs)

    return factory


@pytest.fixture
def signer(signer_factory: SignerFactory) -> Signer:
    """A signer for the current key type and hash."""
    return signer_factory()


@pytest.fixture
def rsa_signer() -> Signer:
    """The RSA SHA-1 signer (deterministic signatures: full expected URLs)."""
    return Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID)


@pytest.fixture
def ec_signer() -> Signer:
    """The ECDSA P-256 SHA-1 signer."""
    return Signer.from_pem(private_pem("ecdsa"), KEY_PAIR_ID)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No FRONTGATE_* variables from the developer's shell leak into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("FRONTGATE_"):
            monkeypatch.delenv(name)
    return monkeypatch
