"""Verifying speed, as ratios to the raw ``cryptography`` verify measured in this process.

Targets come from issues 4 and 14: ``verify_url`` of an allowed canned URL reaches 0.50x
the raw RSA-2048 verify (aim 0.80x) and 0.75x the raw ECDSA P-256 verify (aim 0.90x);
custom-policy URLs and cookies with RSA reach 0.60x (aim 0.80x). Requests are judged as
an edge meets them: the default clock (no ``now=``) and a pool of :data:`POOL` signed
URLs and cookie headers, each with its own expiry and path, taken in turn, so no cache can
answer. The raw operation is the public-key check alone, with the padding and hash
objects built beforehand. Refusals that need no signature check are reported in
microseconds.

Run: ``python -m bench verify``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from frontgate.keys import generate_private_key
from frontgate.policy import Policy
from frontgate.signer import Signer
from frontgate.verify import Verifier

from ._harness import Row, compare, rate

__all__ = ["POOL", "run", "varied_requests"]

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
D = "https://d111111abcdef8.cloudfront.net"
URL = f"{D}/videos/2026/q3-keynote.mp4?quality=1080p"
NOW = 1767290400
EXPIRES = NOW + 3600
#: distinct signed requests per case, more than any cache in the verifier keeps
POOL = 3000


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


def varied_requests(signer: Signer, verifier: Verifier) -> dict[str, Callable[[], object]]:
    """Verifications as an edge makes them: each call a different signed request, judged
    by the default clock. Every request in the pools is checked to be allowed first."""
    start = int(time.time())
    canned, custom, cookies = [], [], []
    for i in range(POOL):
        url = f"{D}/videos/{i % 97:02d}/clip-{i:05d}.mp4?quality=1080p"
        expires = start + 3600 + i
        resource = f"{D}/videos/{i % 97:02d}/*"
        canned.append(signer.sign_url(url, expires_at=expires))
        custom.append(
            signer.sign_url(
                url,
                expires_at=expires,
                not_before=start - 60,
                ip_address="203.0.113.0/24",
                resource=resource,
            )
        )
        jar = signer.sign_cookies(resource, expires_at=expires)
        cookies.append((url, "; ".join(f"{name}={value}" for name, value in jar.items())))
    for i in range(POOL):
        assert verifier.verify_url(canned[i]).allowed
        assert verifier.verify_url(custom[i], client_ip="203.0.113.7").allowed
        assert verifier.verify_cookies(*cookies[i]).allowed
    canned_urls, custom_urls = itertools.cycle(canned), itertools.cycle(custom)
    jars = itertools.cycle(cookies)
    nxt = next
    verify_url, verify_cookies = verifier.verify_url, verifier.verify_cookies
    return {
        "verify_url canned allowed": lambda: verify_url(nxt(canned_urls)),
        "verify_url custom (resource*, IP, start)": lambda: verify_url(
            nxt(custom_urls), client_ip="203.0.113.7"
        ),
        "verify_cookies custom (Cookie header)": lambda: verify_cookies(*nxt(jars)),
    }


#: (floor, aim) per key and case: canned from issue 4, custom and cookies from issue 14
_TARGETS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "rsa": {"canned": (0.50, 0.80), "custom": (0.60, 0.80), "cookies": (0.60, 0.80)},
    "ecdsa": {"canned": (0.75, 0.90), "custom": (None, None), "cookies": (None, None)},
}


def _rows_for_key(kind: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> list[Row]:
    label = "RSA-2048" if kind == "rsa" else "ECDSA P-256"
    signer = Signer(key, KEY_PAIR_ID)
    verifier = Verifier({KEY_PAIR_ID: key.public_key()})
    data = Policy(URL, EXPIRES).to_bytes()
    raw = _raw_verify(key, data, signer.sign(data))
    targets = _TARGETS[kind]
    rows = []
    raw_rate = 0.0
    for name, fn in varied_requests(signer, verifier).items():
        floor, aim = targets[name.split()[1] if "cookies" not in name else "cookies"]
        ours, raw_rate = compare(fn, raw)
        baseline = f"raw {label} verify" + (f" (aim {aim:g}x)" if aim else "")
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
