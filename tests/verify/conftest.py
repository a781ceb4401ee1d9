"""Keys, signers and URL builders of the verifier tests (R23-R42).

The keys are committed under ``tests/verify/data`` (see its README); nothing here depends
on ``tests/conftest.py``. Every test runs at :data:`NOW` unless it says otherwise.

Policies are written as literal JSON here, not with ``frontgate.policy``, so that a test
can sign any bytes at all (whitespace, odd members, broken JSON) and the verifier is
checked against an independent reading of the rules.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

import pytest

from frontgate.encoding import cf_b64encode
from frontgate.keys import PrivateKey, load_private_key
from frontgate.signer import Signer
from frontgate.verify import Verifier

#: 2026-01-01T18:00:00Z (the AWS worked example of R3)
NOW = 1767290400
D = "https://d111111abcdef8.cloudfront.net"
DATA = Path(__file__).parent / "data"

KeyName = Literal["rsa", "ec", "rsa_b", "ec_b"]
HashName = Literal["SHA1", "SHA256"]

#: key pair id of each committed key
KEY_IDS: dict[KeyName, str] = {
    "rsa": "K2JCJMDEHXQW5F",
    "ec": "K4ECDSAP256KEY",
    "rsa_b": "K3ROTATEDRSA01",
    "ec_b": "K5ROTATEDECDSA",
}
RSA_ID = KEY_IDS["rsa"]
EC_ID = KEY_IDS["ec"]
#: public keys Verifier must refuse (R17)
REFUSED_PUBLIC = {
    "rsa-1024": "refused_rsa1024_public.pem",
    "rsa-4096": "refused_rsa4096_public.pem",
    "p-384": "refused_p384_public.pem",
    "ed25519": "refused_ed25519_public.pem",
}


def data_path(name: str) -> Path:
    """A committed file of ``tests/verify/data``."""
    return DATA / name


def private_pem(name: KeyName) -> bytes:
    return data_path(f"{name}.pem").read_bytes()


def public_pem(name: KeyName) -> bytes:
    return data_path(f"{name}_public.pem").read_bytes()


@cache
def private_key(name: KeyName) -> PrivateKey:
    return load_private_key(private_pem(name))


@cache
def signer(name: KeyName = "rsa", hash_algorithm: HashName = "SHA1") -> Signer:
    """A signer of a committed key under its id (one instance per key and hash)."""
    return Signer(private_key(name), KEY_IDS[name], hash_algorithm=hash_algorithm)


def make_verifier(*names: KeyName, cache_size: int = 0) -> Verifier:
    """A verifier trusting the named keys (default: ``rsa`` and ``ec``), from public PEM."""
    chosen = names or ("rsa", "ec")
    return Verifier({KEY_IDS[n]: public_pem(n) for n in chosen}, cache_size=cache_size)


def policy_doc(
    resource: str | None = f"{D}/*",
    expires: int = NOW + 3600,
    *,
    not_before: int | None = None,
    ip: str | None = None,
) -> str:
    """A compact custom policy, built with json.dumps (independent of frontgate.policy)."""
    condition: dict[str, object] = {"DateLessThan": {"AWS:EpochTime": expires}}
    if not_before is not None:
        condition["DateGreaterThan"] = {"AWS:EpochTime": not_before}
    if ip is not None:
        condition["IpAddress"] = {"AWS:SourceIp": ip}
    statement: dict[str, object] = {"Condition": condition}
    if resource is not None:
        statement = {"Resource": resource, **statement}
    return json.dumps({"Statement": [statement]}, separators=(",", ":"))


def canned_bytes(resource: str, expires: int) -> bytes:
    """R3's template, filled in verbatim."""
    return (
        '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%d}}}]}'
        % (resource, expires)
    ).encode()


def join(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def custom_url(
    policy: str | bytes,
    url: str = f"{D}/a.jpg",
    *,
    by: KeyName = "rsa",
    hash_algorithm: HashName = "SHA1",
    key_pair_id: str | None = None,
) -> str:
    """``url`` carrying ``policy`` (any bytes) signed by a committed key (R24 order)."""
    data = policy.encode() if isinstance(policy, str) else policy
    s = signer(by, hash_algorithm)
    tail = "&Hash-Algorithm=SHA256" if hash_algorithm == "SHA256" else ""
    return join(
        url,
        f"Policy={cf_b64encode(data)}&Signature={cf_b64encode(s.sign(data))}"
        f"&Key-Pair-Id={key_pair_id or KEY_IDS[by]}{tail}",
    )


def canned_url(
    url: str = f"{D}/a.jpg",
    expires: int = NOW + 3600,
    *,
    by: KeyName = "rsa",
    hash_algorithm: HashName = "SHA1",
    resource: str | None = None,
    key_pair_id: str | None = None,
) -> str:
    """``url`` with a canned signature over ``resource`` (default: ``url`` itself)."""
    s = signer(by, hash_algorithm)
    signature = cf_b64encode(s.sign(canned_bytes(resource or url, expires)))
    tail = "&Hash-Algorithm=SHA256" if hash_algorithm == "SHA256" else ""
    return join(
        url,
        f"Expires={expires}&Signature={signature}&Key-Pair-Id={key_pair_id or KEY_IDS[by]}{tail}",
    )


def custom_cookies(
    policy: str | bytes, *, by: KeyName = "rsa", hash_algorithm: HashName = "SHA1"
) -> dict[str, str]:
    """A custom cookie set (R31) over any policy bytes."""
    data = policy.encode() if isinstance(policy, str) else policy
    cookies = {
        "CloudFront-Policy": cf_b64encode(data),
        "CloudFront-Signature": cf_b64encode(signer(by, hash_algorithm).sign(data)),
        "CloudFront-Key-Pair-Id": KEY_IDS[by],
    }
    if hash_algorithm == "SHA256":
        cookies["CloudFront-Hash-Algorithm"] = "SHA256"
    return cookies


def canned_cookies(
    resource: str, expires: int = NOW + 3600, *, by: KeyName = "rsa"
) -> dict[str, str]:
    """A canned cookie set (R31) for one exact URL."""
    return {
        "CloudFront-Expires": str(expires),
        "CloudFront-Signature": cf_b64encode(signer(by).sign(canned_bytes(resource, expires))),
        "CloudFront-Key-Pair-Id": KEY_IDS[by],
    }


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@pytest.fixture(scope="session")
def verifier() -> Verifier:
    """Trusts the ``rsa`` and ``ec`` keys."""
    return make_verifier()


@pytest.fixture(scope="session", params=["rsa", "ec"])
def kind(request: pytest.FixtureRequest) -> KeyName:
    """Each key type CloudFront accepts (R17)."""
    name: KeyName = request.param
    return name


@pytest.fixture(scope="session", params=["SHA1", "SHA256"])
def hash_name(request: pytest.FixtureRequest) -> HashName:
    """Each hash CloudFront accepts (R20)."""
    name: HashName = request.param
    return name


#: the members `frontgate verify --json` and Decision.to_dict() carry (R39)
R39_FIELDS = {
    "allowed",
    "reason",
    "message",
    "source",
    "policy",
    "key_pair_id",
    "hash_algorithm",
    "resource",
    "policy_resource",
    "expires",
    "not_before",
    "ip_address",
    "edge",
    "warnings",
}
