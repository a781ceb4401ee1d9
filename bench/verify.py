"""Verifying speed, as ratios to the raw ``cryptography`` verify measured in this process.

Targets come from issue 4: ``verify_url`` of an allowed canned URL reaches 0.50x the raw
RSA-2048 verify (aim 0.80x) and 0.75x the raw ECDSA P-256 verify (aim 0.90x). The raw
operation is the public-key check alone, with the padding and hash objects built
beforehand. Refusals that need no signature check are reported in microseconds.

Run: ``python -m bench verify``.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from frontgate.keys import generate_private_key
from frontgate.policy import Policy
from frontgate.signer import Signer
from frontgate.verify import Verifier

from ._harness import Row, compare, rate

__all__ = ["run"]

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
D = "https://d111111abcdef8.cloudfront.net"
URL = f"{D}/videos/2026/q3-keynote.mp4?quality=1080p"
NOW = 1767290400
EXPIRES = NOW + 3600


def _raw_verify(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, data: bytes, signature: bytes
) -> Callable[[], None]:
    public = key.public_key()
    sha1 = hashes.SHA1()
    if isinstance(public, rsa.RSAPublicKey):
        pkcs1 = padding.PKCS1v15()
        rsa_public = public

        def raw_rsa() -> None:
            rsa_public.verify(signature, data, pkcs1, sha1)

        return raw_rsa
    assert isinstance(public, ec.EllipticCurvePublicKey)
    ecdsa = ec.ECDSA(sha1)
    ec_public = public

    def raw_ec() -> None:
        ec_public.verify(signature, data, ecdsa)

    return raw_ec


def _rows_for_key(kind: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> list[Row]:
    label = "RSA-2048" if kind == "rsa" else "ECDSA P-256"
    signer = Signer(key, KEY_PAIR_ID)
    verifier = Verifier({KEY_PAIR_ID: key.public_key()})
    data = Policy(URL, EXPIRES).to_bytes()
    raw = _raw_verify(key, data, signer.sign(data))
    canned = signer.sign_url(URL, expires_at=EXPIRES, now=NOW)
    custom = signer.sign_url(
        URL,
        expires_at=EXPIRES,
        not_before=NOW - 60,
        ip_address="203.0.113.0/24",
        resource=f"{D}/videos/*",
        now=NOW,
    )
    cookies = signer.sign_cookies(f"{D}/videos/*", expires_at=EXPIRES, now=NOW)
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    for url, client in ((canned, None), (custom, "203.0.113.7")):
        assert verifier.verify_url(url, client_ip=client, now=NOW).allowed
    assert verifier.verify_cookies(URL, header, now=NOW).allowed

    target = (0.50, 0.80) if kind == "rsa" else (0.75, 0.90)
    cases: list[tuple[str, float | None, Callable[[], object]]] = [
        ("verify_url canned allowed", target[0], lambda: verifier.verify_url(canned, now=NOW)),
        (
            "verify_url custom (resource*, IP, start)",
            None,
            lambda: verifier.verify_url(custom, client_ip="203.0.113.7", now=NOW),
        ),
        (
            "verify_cookies custom (Cookie header)",
            None,
            lambda: verifier.verify_cookies(URL, header, now=NOW),
        ),
    ]
    rows = []
    raw_rate = 0.0
    for name, floor, fn in cases:
        ours, raw_rate = compare(fn, raw)
        baseline = f"raw {label} verify" + (f" (aim {target[1]:g}x)" if floor else "")
        rows.append(
            Row(f"{name}, {label}", ours, "ops/s", ours / raw_rate, floor, baseline=baseline)
        )
    rows.append(Row(f"raw verify, {label}", raw_rate, "ops/s"))
    return rows


def _cache(key: rsa.RSAPrivateKey) -> Row:
    signer = Signer(key, KEY_PAIR_ID)
    cached = Verifier({KEY_PAIR_ID: key.public_key()}, cache_size=1024)
    data = Policy(URL, EXPIRES).to_bytes()
    raw = _raw_verify(key, data, signer.sign(data))
    url = signer.sign_url(URL, expires_at=EXPIRES, now=NOW)
    assert cached.verify_url(url, now=NOW).allowed
    ours, base = compare(lambda: cached.verify_url(url, now=NOW), raw)
    return Row(
        "verify_url canned, cache hit, RSA-2048",
        ours,
        "ops/s",
        ours / base,
        baseline="raw RSA-2048 verify",
    )


def _cheap_refusals(key: rsa.RSAPrivateKey) -> list[Row]:
    """Refusals decided before any public-key operation: microseconds each."""
    signer = Signer(key, KEY_PAIR_ID)
    verifier = Verifier({KEY_PAIR_ID: key.public_key()})
    signed = signer.sign_url(URL, expires_at=EXPIRES, now=NOW)
    cases = {
        "refusal: unsigned URL (missing-key)": URL,
        "refusal: no Signature (missing-signature)": signed.split("&Signature=")[0]
        + f"&Key-Pair-Id={KEY_PAIR_ID}",
        "refusal: Expires in ms (malformed-policy)": signed.replace(
            f"Expires={EXPIRES}", f"Expires={EXPIRES}000"
        ),
        "refusal: unknown Key-Pair-Id (unknown-key)": signed.replace(KEY_PAIR_ID, "KOTHER"),
        "refusal: not a URL (malformed-request)": "not a url",
    }
    rows = []
    for name, url in cases.items():
        assert not verifier.verify_url(url, now=NOW).allowed
        per_second = rate(lambda url=url: verifier.verify_url(url, now=NOW))  # type: ignore[misc]
        rows.append(Row(name, 1e6 / per_second, "µs"))
    return rows


def run() -> list[Row]:
    rsa_key = generate_private_key("rsa")
    ec_key = generate_private_key("ecdsa")
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    rows = _rows_for_key("rsa", rsa_key)
    rows += _rows_for_key("ecdsa", ec_key)
    rows.append(_cache(rsa_key))
    rows += _cheap_refusals(rsa_key)
    return rows
