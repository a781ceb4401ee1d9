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
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fuzz import edge as edge_harness
from fuzz._common import CORPUS, NOW, ROOT, RSA_ID, D, fields, signers, text, verifier

from frontgate.encoding import cf_b64encode
from frontgate.policy import policy_json

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
    pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()  # CloudFront's default hash

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
    slashes = [f"{D}/{'/' * (MAX_URL - 700 - v % 64)}x{v}?{query}" for v in range(VARIANTS)]
    cases["URL: 8 KB path of / under a signed 4-wildcard policy"] = [
        partial(judge.verify_url, u, now=NOW) for u in slashes
    ]
    # R11 with ? wildcards in the query section, a 7 KB query
    query_q = _signed_policy(f"{D}/a.jpg?w=???&h=*")
    long_queries = [f"{D}/a.jpg?{'w=1' * (2300 - v % 64)}{v}&{query_q}" for v in range(VARIANTS)]
    cases["URL: 7 KB query under a signed ?-wildcard policy"] = [
        partial(judge.verify_url, u, now=NOW) for u in long_queries
    ]
    # an allowed canned URL of 8 KB: 3,700 query parameters to rebuild and hash (no cache:
    # the verifier keeps none, so cycling through 64 signed URLs costs what new ones would)
    many = [
        rsa_signer.sign_url(f"{D}/a.jpg?{'&'.join(['x'] * (3700 + v))}", expires_at=LATER, now=NOW)
        for v in range(64)
    ]
    assert all(judge.verify_url(u, now=NOW).allowed for u in many)
    cases["URL: 8 KB canned, 3,700 parameters, allowed"] = [
        partial(judge.verify_url, u, now=NOW) for u in many
    ]
    # the same URLs with a & added after signing: bad-signature, explained (R4, R27)
    altered = [many[v % 64] + "&" * (1 + v // 64 % 32) for v in range(VARIANTS)]
    assert not any(judge.verify_url(u, now=NOW).allowed for u in altered[:64])
    cases["URL: 8 KB canned, 3,700 parameters, altered after signing"] = [
        partial(judge.verify_url, u, now=NOW) for u in altered
    ]
    # R18-R21: a forged signature on a trusted key id; explaining bad-signature checks the
    # other hash, the other keys and two URL variants (each one more public-key operation)
    zeros = cf_b64encode(bytes(256))
    forged = [
        f"{D}/f{v}.jpg?a=1&Expires={LATER}&Signature={zeros}&Key-Pair-Id={RSA_ID}"
        for v in range(VARIANTS)
    ]
    cases["URL: canned, forged RSA signature (bad-signature explained)"] = [
        partial(judge.verify_url, u, now=NOW) for u in forged
    ]
    # R25, OP6: a query of 1,000 repeated reserved names (malformed-request)
    tail = many[0].split("?", 1)[1].split("&Expires=", 1)[1]
    repeated = [f"{D}/a{v}.jpg?{'Expires&' * 1000}Expires={tail}" for v in range(VARIANTS)]
    cases["URL: 8 KB query, Expires 1,000 times"] = [
        partial(judge.verify_url, u, now=NOW) for u in repeated
    ]
    # OP5: a signed policy sent as 2,700 %HH escapes (allowed)
    escaped_query = _signed_policy(f"{D}/a" + "*" * 1800)
    policy = escaped_query.split("Policy=", 1)[1].split("&", 1)[0]
    escaped_query = escaped_query.replace(policy, "".join(f"%{ord(c):02X}" for c in policy))
    escaped = [f"{D}/a{v}.jpg?{escaped_query}" for v in range(VARIANTS)]
    assert len(escaped[-1]) <= MAX_URL
    assert judge.verify_url(escaped[0], now=NOW).allowed
    cases["URL: 8 KB, the policy as 2,500 %HH escapes, allowed"] = [
        partial(judge.verify_url, u, now=NOW) for u in escaped
    ]
    # R5: Expires of thousands of digits
    expires_urls = [
        f"{D}/a.jpg?Expires={v}{'9' * 8000}&Signature=AAAA&Key-Pair-Id={RSA_ID}"
        for v in range(VARIANTS)
    ]
    cases["URL: Expires of 8,000 digits"] = [
        partial(judge.verify_url, u, now=NOW) for u in expires_urls
    ]
    # R8: 6 KB policies built to hurt the parser (signature not needed to reach it)
    for name, document in {
        "nested 4,500 deep": "[" * 4500,
        "one epoch of 4,000 digits": '{"Statement":[{"Condition":{"DateLessThan":'
        '{"AWS:EpochTime":' + "9" * 4000 + "}}}]}",
        "4,000 brackets inside strings": '{"Statement":[{"Resource":"' + "[" * 4000 + '"}]}',
    }.items():
        urls = [
            f"{D}/a.jpg?Policy={cf_b64encode(f' {v}'.encode() + document.encode())}"
            f"&Signature=AAAA&Key-Pair-Id={RSA_ID}"
            for v in range(VARIANTS)
        ]
        cases[f"URL: 6 KB policy, {name}"] = [partial(judge.verify_url, u, now=NOW) for u in urls]
    # R33: a 20 KB Cookie header of 3,000 tiny cookies before valid custom cookies
    jar = rsa_signer.sign_cookies(f"{D}/videos/*", expires_at=LATER, now=NOW)
    valid = "; ".join(f"{k}={v}" for k, v in jar.items())
    tiny = "; ".join(f"c{i}=" for i in range(3000))
    headers_c = [f"{tiny}; v={v}; {valid}" for v in range(256)]
    cases["Cookie: 20 KB, 3,000 cookies, then valid custom ones"] = [
        partial(judge.verify_cookies, f"{D}/videos/{v}.ts", headers_c[v % 256], now=NOW)
        for v in range(VARIANTS)
    ]
    # the edge app in-process: 20 KB of headers, a Range of 5,000 digits, no signature
    block = b"\n".join(b"x-h%d: %s" % (i, b"v" * 40) for i in range(300))
    scopes = [
        edge_harness.scope_for(
            b"GET\x00/hello%d.txt\x00a=1\x00range: bytes=%s-\ncookie: %s\n%s"
            % (v, b"9" * 5000, b"a=1; " * 400, block)
        )
        for v in range(256)
    ]
    cases["Edge: 20 KB of headers, Range of 5,000 digits"] = [
        partial(edge_harness.call, scopes[v % 256]) for v in range(VARIANTS)
    ]
    return {name: _cycle(calls) for name, calls in cases.items()}


def _corpus_call(target: str, data: bytes) -> Callable[[], object]:
    judge = verifier()
    if target == "verify_url":
        url, ip = (text(field) for field in fields(data, 2))
        return lambda: judge.verify_url(url, client_ip=ip or None, now=NOW)
    if target == "verify_cookies":
        url, header, _ = (text(field) for field in fields(data, 3))
        return lambda: judge.verify_cookies(url, header, now=NOW)
    if target == "verify_request":
        first, *rest = (text(field) for field in data.split(b"\x00"))
        return lambda: judge.verify_request(first, rest, now=NOW)
    scope = edge_harness.scope_for(data)
    return lambda: edge_harness.call(dict(scope))


def _corpus_inputs() -> dict[str, Callable[[], object]]:
    """Every fuzz corpus input of the decision targets, as a call."""
    found: dict[str, Callable[[], object]] = {}
    for folder in (CORPUS, ROOT / ".fuzz" / "corpus"):
        for target in ("verify_url", "verify_cookies", "verify_request", "edge"):
            directory = folder / target
            for path in sorted(directory.iterdir()) if directory.is_dir() else []:
                data = path.read_bytes()
                name = f"{target}/{Path(path).name[:12]}"
                found[name] = _corpus_call(target, data)
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
