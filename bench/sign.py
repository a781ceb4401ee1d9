"""Signing speed, as ratios to the raw ``cryptography`` sign measured in this process.

Targets come from issues 3 and 14. Each call is made the way an application makes it: the
default clock (no ``now=``), a different expiry every call (``expires_in`` and
``expires_at`` each get their own row) and a different URL (or cookie resource) every
call, from a pool of :data:`URL_POOL`, larger than any cache, so no cache can answer.
The raw operation is the signature alone (``key.sign(policy_bytes, PKCS1v15(), SHA1())``
/ ``ECDSA(SHA1())``) with every object built beforehand, so a ratio near 1 means
frontgate's own Python costs almost nothing. Calls alternate with the raw operation in
short blocks (see :func:`bench._harness.compare`), so load from elsewhere falls on both
alike.
"""

from __future__ import annotations

import compileall
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from frontgate.keys import generate_private_key, private_pem
from frontgate.policy import Policy
from frontgate.signer import Signer

from ._harness import Row, compare, median_run_seconds, rate, threaded_rate

__all__ = ["URL_POOL", "run", "varied_calls"]

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
D = "https://d111111abcdef8.cloudfront.net"
URL = f"{D}/videos/2026/q3-keynote.mp4?quality=1080p"
NOW = 1767290400
EXPIRES = NOW + 3600
#: distinct URLs and cookie resources signed in turn: more than any cache keeps (4096)
URL_POOL = 20_011
#: distinct expiries in turn; prime and larger than any cache, so the pairs never repeat
_EXPIRY_POOL = 100_003


def varied_calls(signer: Signer) -> dict[str, Callable[[], object]]:
    """The calls a signing application makes, each call with a new expiry and URL
    (cookies: a new resource, one folder per viewer).

    Keys name the case; ``expires_in`` varies the duration, ``expires_at`` the
    absolute time (both within a day, so no far-future warning), both read the clock.
    """
    urls = itertools.cycle(
        [f"{D}/videos/{i % 97:02d}/clip-{i:05d}.mp4?quality=1080p" for i in range(URL_POOL)]
    )
    folders = itertools.cycle([f"{D}/users/{i:05d}/*" for i in range(URL_POOL)])
    start = int(time.time())
    durations = itertools.cycle(range(600, 600 + _EXPIRY_POOL))
    moments = itertools.cycle(range(start + 3600, start + 3600 + _EXPIRY_POOL))
    not_before = start - 60
    resource = f"{D}/videos/*"
    ip = "203.0.113.0/24"
    nxt = next
    sign_url, sign_cookies = signer.sign_url, signer.sign_cookies
    return {
        "sign_url canned, expires_in": lambda: sign_url(nxt(urls), expires_in=nxt(durations)),
        "sign_url canned, expires_at": lambda: sign_url(nxt(urls), expires_at=nxt(moments)),
        "sign_url custom (resource*, IP, start), expires_in": lambda: sign_url(
            nxt(urls),
            expires_in=nxt(durations),
            not_before=not_before,
            ip_address=ip,
            resource=resource,
        ),
        "sign_url custom (resource*, IP, start), expires_at": lambda: sign_url(
            nxt(urls),
            expires_at=nxt(moments),
            not_before=not_before,
            ip_address=ip,
            resource=resource,
        ),
        "sign_cookies custom (folder/*), expires_in": lambda: sign_cookies(
            nxt(folders), expires_in=nxt(durations)
        ),
        "sign_cookies custom (folder/*), expires_at": lambda: sign_cookies(
            nxt(folders), expires_at=nxt(moments)
        ),
    }


def _rows_for_key(kind: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> list[Row]:
    signer = Signer(key, KEY_PAIR_ID)
    data = Policy(URL, EXPIRES).to_bytes()
    if isinstance(key, rsa.RSAPrivateKey):
        pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()  # CloudFront's default hash

        def raw() -> bytes:
            return key.sign(data, pkcs1, sha1)

        targets = (0.95, 0.95)
    else:
        ecdsa = ec.ECDSA(hashes.SHA1())

        def raw() -> bytes:
            return key.sign(data, ecdsa)

        targets = (0.85, 0.80)  # aims 0.92 and 0.88 (issue 14)
    label = "RSA-2048" if kind == "rsa" else "ECDSA P-256"
    baseline = f"raw {label} sign"
    rows = []
    raw_rate = 0.0
    for name, fn in varied_calls(signer).items():
        target = targets[0] if "canned" in name else targets[1]
        ours, raw_rate = compare(fn, raw)
        rows.append(
            Row(f"{name}, {label}", ours, "ops/s", ours / raw_rate, target, baseline=baseline)
        )
    rows.append(Row(f"raw sign, {label}", raw_rate, "ops/s"))
    return rows


def _cache_hit(key: rsa.RSAPrivateKey) -> Row:
    signer = Signer(key, KEY_PAIR_ID, cache_window=300)
    data = Policy(URL, EXPIRES).to_bytes()
    pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()
    ours, raw = compare(
        lambda: signer.sign_url(URL, expires_in=3600, now=NOW),
        lambda: key.sign(data, pkcs1, sha1),
    )
    return Row(
        "sign_url cache_window=300 hit, RSA-2048",
        ours,
        "ops/s",
        ours / raw,
        100,
        baseline="raw RSA-2048 sign",
    )


def _botocore_rsa(key: rsa.RSAPrivateKey) -> list[Row]:
    import rsa as pure_rsa
    from botocore.signers import CloudFrontSigner
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    rsa_key = pure_rsa.PrivateKey.load_pkcs1(pem)

    # botocore's own docstring example, copied by the tutorials: the key file is read
    # and parsed on every URL
    def tutorial_signer(message: bytes) -> bytes:
        with open(key_path, "rb") as handle:
            private_key = handle.read()
        return pure_rsa.sign(message, pure_rsa.PrivateKey.load_pkcs1(private_key), "SHA-1")

    fd, key_path = tempfile.mkstemp(suffix=".pem")
    os.write(fd, pem)
    os.close(fd)
    tutorial = CloudFrontSigner(KEY_PAIR_ID, tutorial_signer)
    # the same with the key parsed once: the best the rsa package can do
    botocore = CloudFrontSigner(
        KEY_PAIR_ID, lambda message: pure_rsa.sign(message, rsa_key, "SHA-1")
    )
    signer = Signer(key, KEY_PAIR_ID)
    expires = datetime.fromtimestamp(EXPIRES, UTC)
    assert botocore.generate_presigned_url(URL, date_less_than=expires) == signer.sign_url(
        URL, expires_at=EXPIRES, now=NOW
    )
    ours_t, tutorials = compare(
        lambda: signer.sign_url(URL, expires_at=EXPIRES, now=NOW),
        lambda: tutorial.generate_presigned_url(URL, date_less_than=expires),
    )
    os.unlink(key_path)
    ours, theirs = compare(
        lambda: signer.sign_url(URL, expires_at=EXPIRES, now=NOW),
        lambda: botocore.generate_presigned_url(URL, date_less_than=expires),
    )
    # the ceiling of that ratio on this CPU: the raw cryptography sign against rsa's
    data = Policy(URL, EXPIRES).to_bytes()
    pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()
    raw, pure = compare(
        lambda: key.sign(data, pkcs1, sha1), lambda: pure_rsa.sign(data, rsa_key, "SHA-1")
    )
    return [
        Row(
            "sign_url canned vs botocore + rsa as the tutorials do it, RSA-2048",
            ours_t,
            "ops/s",
            ours_t / tutorials,
            50,
            baseline=f"botocore+rsa, key read per URL {tutorials:,.0f} ops/s",
        ),
        Row(
            "  (botocore + rsa with the key parsed once)",
            ours,
            "ops/s",
            ours / theirs,
            baseline=f"botocore+rsa {theirs:,.0f} ops/s",
        ),
        Row(
            "  (ceiling: raw cryptography sign vs rsa.sign)",
            raw,
            "ops/s",
            raw / pure,
            baseline=f"rsa.sign {pure:,.0f} ops/s",
        ),
    ]


def _botocore_ecdsa(key: ec.EllipticCurvePrivateKey) -> Row:
    from botocore.signers import CloudFrontSigner

    ecdsa = ec.ECDSA(hashes.SHA1())
    botocore = CloudFrontSigner(KEY_PAIR_ID, lambda message: key.sign(message, ecdsa))
    signer = Signer(key, KEY_PAIR_ID)
    # both sides as applications call them: a new URL and expiry every call
    start = int(time.time()) + 3600
    calls = [
        (f"{D}/videos/{i % 97:02d}/clip-{i:05d}.mp4", epoch, datetime.fromtimestamp(epoch, UTC))
        for i, epoch in enumerate(range(start, start + URL_POOL))
    ]
    ours_calls, their_calls = itertools.cycle(calls), itertools.cycle(calls)

    def ours_call() -> str:
        url, epoch, _ = next(ours_calls)
        return signer.sign_url(url, expires_at=epoch)

    def their_call() -> str:
        url, _, when = next(their_calls)
        return botocore.generate_presigned_url(url, date_less_than=when)

    assert ours_call().split("&Signature=")[0] == their_call().split("&Signature=")[0]
    ours, theirs = compare(ours_call, their_call)
    return Row(
        "sign_url canned vs botocore + cryptography, ECDSA",
        ours,
        "ops/s",
        ours / theirs,
        1.4,
        baseline=f"botocore+cryptography {theirs:,.0f} ops/s",
    )


def _threads(key: rsa.RSAPrivateKey) -> list[Row]:
    signer = Signer(key, KEY_PAIR_ID)
    data = Policy(URL, EXPIRES).to_bytes()
    pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()

    def ours() -> str:
        return signer.sign_url(URL, expires_at=EXPIRES, now=NOW)

    def raw() -> bytes:
        return key.sign(data, pkcs1, sha1)

    calls = max(50, int(rate(raw, seconds=0.2) * 0.5))
    best: dict[str, float] = {}
    for name, fn in (("ours", ours), ("raw", raw)):
        one = max(threaded_rate(fn, 1, calls=calls) for _ in range(2))
        two = max(threaded_rate(fn, 2, calls=calls) for _ in range(2))
        best[name] = two / one
    return [
        Row(
            "2 threads vs 1, sign_url RSA-2048",
            best["ours"],
            "x",
            best["ours"] / best["raw"],
            0.9,
            baseline=f"raw sign scales {best['raw']:.2f}x on {os.cpu_count()} CPUs",
        )
    ]


def _key_load() -> list[Row]:
    rows = []
    for kind in ("rsa", "ecdsa"):
        pem = private_pem(generate_private_key(kind))
        timings = []
        for _ in range(30):
            start = time.perf_counter()
            Signer.from_pem(pem, KEY_PAIR_ID)
            timings.append(time.perf_counter() - start)
        timings.sort()
        label = "RSA-2048" if kind == "rsa" else "ECDSA P-256"
        rows.append(Row(f"Signer.from_pem (with self-check), {label}", timings[15] * 1000, "ms"))
    return rows


def _cold_start(key: rsa.RSAPrivateKey) -> Row:
    import frontgate

    # An installed package has bytecode; this checkout may run with PYTHONDONTWRITEBYTECODE.
    compileall.compile_dir(Path(frontgate.__file__).parent, quiet=1)
    script = Path(sys.executable).parent / "frontgate"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "frontgate"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "key.pem"
        path.write_bytes(private_pem(key))
        ours = [
            *command,
            "sign",
            "--url",
            URL,
            "--key-pair-id",
            KEY_PAIR_ID,
            "--private-key",
            str(path),
            "--expires-in",
            "300",
        ]
        baseline = [
            sys.executable,
            "-c",
            "from cryptography.hazmat.primitives import hashes, serialization\n"
            "from cryptography.hazmat.primitives.asymmetric import padding\n"
            f"key = serialization.load_pem_private_key(open({str(path)!r}, 'rb').read(), None)\n"
            "print(key.sign(b'policy', padding.PKCS1v15(), hashes.SHA1()).hex())\n",
        ]
        median_run_seconds(ours, runs=2)  # warm the page cache
        theirs_s = median_run_seconds(baseline)
        ours_s = median_run_seconds(ours)
    return Row(
        "CLI cold start, frontgate sign (median of 10)",
        ours_s * 1000,
        "ms",
        ours_s / theirs_s,
        1.3,
        lower_is_better=True,
        baseline=f"python -c 'import cryptography; load; sign' {theirs_s * 1000:.0f} ms",
    )


def run() -> list[Row]:
    """All signing figures."""
    rsa_key = generate_private_key("rsa")
    ec_key = generate_private_key("ecdsa")
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    rows = _rows_for_key("rsa", rsa_key) + _rows_for_key("ecdsa", ec_key)
    rows.append(_cache_hit(rsa_key))
    rows += _botocore_rsa(rsa_key)
    rows.append(_botocore_ecdsa(ec_key))
    rows += _threads(rsa_key)
    rows += _key_load()
    rows.append(_cold_start(rsa_key))
    return rows
