"""What the harnesses share: the fixed keys and clock, input splitting, and the checks."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Final

from frontgate.keys import load_private_key
from frontgate.signer import Signer
from frontgate.verify import Decision, Reason, Verifier, rebuild_url

ROOT: Final = Path(__file__).resolve().parent.parent
KEYS: Final = ROOT / "tests" / "data" / "keys"
CORPUS: Final = Path(__file__).resolve().parent / "corpus"
#: 2026-01-01T18:00:00Z: every harness judges at this instant
NOW: Final = 1767290400
D: Final = "https://d111111abcdef8.cloudfront.net"
RSA_ID: Final = "K2JCJMDEHXQW5F"
EC_ID: Final = "KECDSA000000001"
#: R43: the longest URL, and the request line plus headers
MAX_URL: Final = 8192
MAX_REQUEST: Final = 20480


@cache
def signers() -> dict[str, Signer]:
    """A signer per trusted key (RSA SHA1, ECDSA SHA256)."""
    return {
        RSA_ID: Signer(load_private_key((KEYS / "rsa2048_pkcs1.pem").read_bytes()), RSA_ID),
        EC_ID: Signer(
            load_private_key((KEYS / "p256_sec1.pem").read_bytes()),
            EC_ID,
            hash_algorithm="SHA256",
        ),
    }


@cache
def verifier() -> Verifier:
    """Trusts both keys; no signature cache, so every input pays for what it asks."""
    return Verifier({key_id: s.public_key() for key_id, s in signers().items()})


def text(data: bytes) -> str:
    """Input bytes as text; undecodable bytes become lone surrogates (any str may come)."""
    return data.decode("utf-8", "surrogateescape")


def fields(data: bytes, count: int) -> list[bytes]:
    """``count`` fields of ``data`` split at NUL bytes (missing ones are empty)."""
    parts = data.split(b"\x00", count - 1)
    return parts + [b""] * (count - len(parts))


def check_decision(
    decision: object,
    url: str,
    cookies: dict[str, str] | None = None,
    client_ip: str | None = None,
) -> None:
    """A Decision with a reason and a message; an allowed one is checked independently."""
    assert isinstance(decision, Decision), type(decision)
    assert isinstance(decision.reason, Reason)
    assert decision.allowed is (decision.reason is Reason.OK)
    assert isinstance(decision.message, str) and decision.message
    json.dumps(decision.to_dict())
    if decision.allowed:
        assert_really_allowed(decision, url, cookies or {}, client_ip)


def _b64(value: str) -> bytes:
    # R1/R2 the long way: percent-decode, map the alphabet back, decode strictly
    from urllib.parse import unquote_to_bytes

    raw = unquote_to_bytes(value).decode("latin-1")
    assert all(c.isalnum() or c in "-_~" for c in raw), "non CF-base64 value allowed"
    return base64.b64decode(raw.translate(str.maketrans("-_~", "+=/")), validate=True)


def reference_glob(pattern: str, text: str, question_mark: bool) -> bool:
    """R11's wildcards by dynamic programming: slow, but obviously right."""
    reach = [True] + [False] * len(text)  # reach[j]: pattern so far matches text[:j]
    for char in pattern:
        if char == "*":
            for j in range(1, len(text) + 1):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [
                reach[j] and (text[j] == char or (question_mark and char == "?"))
                for j in range(len(text))
            ]
    return reach[-1]


def reference_covers(pattern: str, url: str) -> bool:
    """R11 steps 1-4 and the section-by-section match, written out independently."""
    if pattern == "*":
        return True
    if "://" in pattern:
        protocol, rest = pattern.split("://", 1)
    elif pattern.startswith("*"):
        protocol, rest = "*", pattern
    else:
        return False
    if "/" in rest:
        domain, tail = rest[: rest.index("/")], rest[rest.index("/") :]
        path, query = tail.split("?", 1) if "?" in tail else (tail, "*" if tail[-1] == "*" else "")
    else:
        wide = rest.endswith("*")
        domain, path, query = rest, ("/*" if wide else "/"), ("*" if wide else "")
    scheme, _, after = url.partition("://")
    head, _, req_query = after.partition("?")
    host, slash, req_path = head.partition("/")
    return (
        reference_glob(protocol.lower(), scheme.lower(), True)
        and reference_glob(domain.lower(), host.lower(), True)
        and reference_glob(path, slash + req_path if slash else "/", False)
        and reference_glob(query, req_query, True)
    )


def assert_really_allowed(
    decision: Decision, url: str, cookies: dict[str, str], client_ip: str | None
) -> None:
    """Re-verify an allowed request without the Verifier: signature, times, resource."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    request = rebuild_url(url)
    assert request is not None
    params = request.params or {
        name.removeprefix("CloudFront-"): value for name, value in cookies.items()
    }
    key_id = params["Key-Pair-Id"]
    assert key_id == decision.key_pair_id
    public = signers()[key_id].public_key()
    hash_name = params.get("Hash-Algorithm") or "SHA1"
    assert hash_name in ("SHA1", "SHA256")
    algorithm = hashes.SHA1() if hash_name == "SHA1" else hashes.SHA256()  # noqa: S303
    if "Policy" in params:
        data = _b64(params["Policy"])
        doc = json.loads(data)
        statement = doc["Statement"][0] if isinstance(doc["Statement"], list) else doc["Statement"]
        condition = statement["Condition"]
        expires = condition["DateLessThan"]["AWS:EpochTime"]
        if "DateGreaterThan" in condition:
            assert condition["DateGreaterThan"]["AWS:EpochTime"] < NOW
        if "IpAddress" in condition:
            import ipaddress

            assert client_ip, "allowed with an IP condition and no client IP"
            viewer = ipaddress.ip_address(client_ip.strip())
            if isinstance(viewer, ipaddress.IPv6Address):
                assert viewer.ipv4_mapped is not None, "an IPv6 viewer matched (R15)"
                viewer = viewer.ipv4_mapped
            network = ipaddress.IPv4Network(condition["IpAddress"]["AWS:SourceIp"], strict=False)
            assert viewer in network
        if "Resource" in statement:
            assert reference_covers(statement["Resource"], request.rebuilt), (
                statement["Resource"],
                request.rebuilt,
            )
    else:
        from urllib.parse import unquote

        expires_text = unquote(params["Expires"], "latin-1")
        assert expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 10
        expires = int(expires_text)
        data = (
            '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":'
            '{"AWS:EpochTime":%d}}}]}' % (request.rebuilt, expires)
        ).encode("utf-8", "surrogatepass")
    assert NOW < expires <= 9223372036
    signature = _b64(params["Signature"])
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, padding.PKCS1v15(), algorithm)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, data, ec.ECDSA(algorithm))


class Meter:
    """Counts the calls (Python and built-in) one input causes: the work budget.

    ``with Meter(budget) as m: ...`` raises AssertionError when the calls exceed it.
    Built on cProfile, which counts in C. Under atheris, whose instrumentation adds a
    counted call for each comparison and branch, :attr:`scale` widens every budget by a
    constant factor: work that grows faster than the input still overruns it.
    """

    enabled = True
    #: budgets are multiplied by this (``fuzz.run`` sets it for instrumented code)
    scale = 1

    def __init__(self, budget: int) -> None:
        self.budget = budget * Meter.scale
        self.calls = 0

    def __enter__(self) -> Meter:
        if Meter.enabled:
            import cProfile

            self._profile = cProfile.Profile()
            self._profile.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        if not Meter.enabled:
            return
        self._profile.disable()
        self.calls = sum(entry.callcount for entry in self._profile.getstats())
        assert self.calls <= self.budget, f"{self.calls} calls for one input (budget {self.budget})"
