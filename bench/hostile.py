"""Worst case per decision: the slowest hostile input, as a multiple of one raw RSA-2048
verify measured alongside (target: at most 5x, issue 10).

Inputs: the fuzz corpus (``fuzz/corpus``, plus ``.fuzz/corpus`` when ``make fuzz`` has
run) and generated worst cases for each input kind at R43's limits (an 8 KB URL, a 20 KB
request). Each case cycles through 2,048 variants, more than any cache holds, so every
call does the whole work; the signature cache is off.

Run: ``python -m bench hostile``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frontgate.encoding import cf_b64encode
from frontgate.policy import policy_json
from fuzz import edge as edge_harness
from fuzz._common import CORPUS, D, NOW, ROOT, RSA_ID, fields, signers, text, verifier

from ._harness import Row, compare, rate

__all__ = ["run"]

TARGET = 5.0
VARIANTS = 2048
LATER = NOW + 3600
#: R43
MAX_URL = 8192
MAX_REQUEST = 20480


def _raw_rsa() -> Callable[[], None]:
    key = signers()[RSA_ID].public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    data = policy_json(f"{D}/a.jpg", LATER).encode()
    signature = signers()[RSA_ID].sign(data)
    pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()  # noqa: S303 - CloudFront's default

    def raw() -> None:
        key.verify(signature, data, pkcs1, sha1)

    return raw


def _cycle(calls: list[Callable[[], object]]) -> Callable[[], object]:
    """One call per invocation, each a different variant."""
    pending: Iterator[Callable[[], object]] = itertools.cycle(calls)
    return lambda: next(pending)()


def _signed_policy(resource: str) -> str:
    data = policy_json(resource, LATER).encode()
    signature = cf_b64encode(signers()[RSA_ID].sign(data))
    return f"Policy={cf_b64encode(data)}&Signature={signature}&Key-Pair-Id={RSA_ID}"


def _padded(url: str, variant: int, limit: int = MAX_URL) -> str:
    return url[: limit - 5] + f"{variant:05d}"[: max(0, limit - len(url[: limit - 5]))]


def _generated() -> dict[str, Callable[[], object]]:
    judge = verifier()
    rsa_signer = signers()[RSA_ID]
    cases: dict[str, list[Callable[[], object]]] = {}

    # R11: a signed wildcard policy replayed on an 8 KB path of slashes (the CPU pin)
    query = _signed_policy(f"{D}/*/*/*/x*y*z")
    cases["URL: 8 KB path of / under a signed 4-wildcard policy"] = [
        lambda v=v: judge.verify_url(f"{D}/{'/' * (MAX_URL - 700 - v % 64)}x?{query}", now=NOW)
        for v in range(VARIANTS)
    ]
    # R11 with ? wildcards in the query section, a 7 KB query
    query_q = _signed_policy(f"{D}/a.jpg?w=???&h=*")
    cases["URL: 7 KB query under a signed ?-wildcard policy"] = [
        lambda v=v: judge.verify_url(f"{D}/a.jpg?{'w=1' * (2300 - v % 64)}&{query_q}", now=NOW)
        for v in range(VARIANTS)
    ]
    # an allowed canned URL of 8 KB: 4,000 query parameters to rebuild and hash
    many = [
        rsa_signer.sign_url(
            f"{D}/a.jpg?{'&'.join(['x'] * (3700 + v % 16))}", expires_at=LATER, now=NOW
        )
        for v in range(16)
    ]
    cases["URL: 8 KB canned, 3,700 parameters, allowed"] = [
        lambda v=v: judge.verify_url(many[v % 16] + "&" * (v // 16 % 64), now=NOW)
        for v in range(VARIANTS)
    ]
    # R5: Expires of thousands of digits
    cases["URL: Expires of 8,000 digits"] = [
        lambda v=v: judge.verify_url(
            f"{D}/a.jpg?Expires={v}{'9' * 8000}&Signature=AAAA&Key-Pair-Id={RSA_ID}", now=NOW
        )
        for v in range(VARIANTS)
    ]
    # R8: 6 KB policies built to hurt the parser (signature not needed to reach it)
    for name, document in {
        "nested 4,500 deep": "[" * 4500,
        "one epoch of 4,000 digits": '{"Statement":[{"Condition":{"DateLessThan":'
        '{"AWS:EpochTime":' + "9" * 4000 + "}}}]}",
        "4,000 brackets inside strings": '{"Statement":[{"Resource":"' + "[" * 4000 + '"}]}',
    }.items():
        cases[f"URL: 6 KB policy, {name}"] = [
            lambda v=v, document=document: judge.verify_url(
                f"{D}/a.jpg?Policy={cf_b64encode(f' {v}'.encode() + document.encode())}"
                f"&Signature=AAAA&Key-Pair-Id={RSA_ID}",
                now=NOW,
            )
            for v in range(VARIANTS)
        ]
    # R33: a 20 KB Cookie header of 3,000 tiny cookies before valid custom cookies
    jar = rsa_signer.sign_cookies(f"{D}/videos/*", expires_at=LATER, now=NOW)
    valid = "; ".join(f"{k}={v}" for k, v in jar.items())
    cases["Cookie: 20 KB, 3,000 cookies, then valid custom ones"] = [
        lambda v=v: judge.verify_cookies(
            f"{D}/videos/{v}.ts", "; ".join(f"c{i}=" for i in range(3000)) + "; " + valid, now=NOW
        )
        for v in range(VARIANTS)
    ]
    # the edge app in-process: 20 KB of headers, a Range of 5,000 digits, no signature
    headers = b"\n".join(b"x-h%d: %s" % (i, b"v" * 40) for i in range(300))
    cases["Edge: 20 KB of headers, Range of 5,000 digits"] = [
        lambda v=v: edge_harness.call(
            edge_harness.scope_for(
                b"GET\x00/hello%d.txt\x00a=1\x00range: bytes=%s-\ncookie: %s\n%s"
                % (v, b"9" * 5000, b"a=1; " * 400, headers)
            )
        )
        for v in range(VARIANTS)
    ]
    return {name: _cycle(calls) for name, calls in cases.items()}


def _corpus_inputs() -> dict[str, Callable[[], object]]:
    """Every fuzz corpus input of the decision targets, as a call."""
    judge = verifier()
    found: dict[str, Callable[[], object]] = {}
    for folder in (CORPUS, ROOT / ".fuzz" / "corpus"):
        for target in ("verify_url", "verify_cookies", "verify_request", "edge"):
            directory = folder / target
            for path in sorted(directory.iterdir()) if directory.is_dir() else []:
                data = path.read_bytes()
                name = f"{target}/{Path(path).name[:12]}"
                if target == "verify_url":
                    url, ip = fields(data, 2)
                    found[name] = lambda u=text(url), i=text(ip) or None: judge.verify_url(
                        u, client_ip=i, now=NOW
                    )
                elif target == "verify_cookies":
                    url, header, ip = fields(data, 3)
                    found[name] = lambda u=text(url), h=text(header): judge.verify_cookies(
                        u, h, now=NOW
                    )
                elif target == "verify_request":
                    first, *rest = data.split(b"\x00")
                    found[name] = lambda u=text(first), hs=[text(h) for h in rest]: (
                        judge.verify_request(u, hs, now=NOW)
                    )
                else:
                    scope = edge_harness.scope_for(data)
                    found[name] = lambda s=scope: edge_harness.call(dict(s))
    return found


def run() -> list[Row]:
    raw = _raw_rsa()
    rows = []
    # the corpus: a quick rate for each input, then the slowest measured properly
    corpus = _corpus_inputs()
    timed = sorted(
        ((rate(fn, seconds=0.01), name) for name, fn in corpus.items()),
        key=lambda pair: pair[0],
    )
    slowest = {name: corpus[name] for _, name in timed[:3]}
    worst_ratio = 0.0
    worst_name = ""
    for name, fn in [*slowest.items(), *_generated().items()]:
        ours, base = compare(fn, raw, seconds=1.0)
        ratio = base / ours
        if ratio > worst_ratio:
            worst_ratio, worst_name = ratio, name
        label = name if not name.startswith(("verify_", "edge/")) else f"corpus {name}"
        rows.append(
            Row(label, 1e6 / ours, "µs", ratio, TARGET, lower_is_better=True,
                baseline="raw RSA-2048 verify")
        )  # fmt: skip
    rows.append(
        Row(
            f"worst case per decision ({len(corpus)} corpus + generated)",
            worst_ratio,
            "x",
            worst_ratio,
            TARGET,
            lower_is_better=True,
            baseline=worst_name,
        )
    )
    return rows
