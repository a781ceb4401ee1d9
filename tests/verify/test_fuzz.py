"""Fuzz: arbitrary text into every entry point never raises and is never allowed; one
changed character in a signed URL or cookie is refused unless the result is the same
request under R25/R26 (host case, an ignored fragment, base64 bits that decode alike).
The CLI judges any ``--url`` with exit 1, never 2, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontgate.cli import CommandError
from frontgate.cli._verify import inspect_value
from frontgate.encoding import cf_b64decode, percent_decode
from frontgate.errors import InputError
from frontgate.policy import resource_matches
from frontgate.verify import Decision, Reason, parse_cookie_header, rebuild_url
from tests.verify.conftest import (
    NOW,
    D,
    canned_url,
    cookie_header,
    custom_cookies,
    custom_url,
    data_path,
    make_verifier,
    policy_doc,
)

VERIFIER = make_verifier()
CACHED = make_verifier(cache_size=64)
URL = f"{D}/videos/a.ts?v=1"
# every code point, surrogates included: untrusted input may be anything a str can hold
anything = st.text(st.characters(exclude_categories=()), max_size=300)
url_like = st.builds(
    lambda a, b: a + b,
    st.sampled_from(["https://", "http://", "HTTPS://", f"{D}/", f"{URL}&", "", "ftp://"]),
    anything,
)
cookie_names = st.sampled_from(
    [
        "CloudFront-Policy",
        "CloudFront-Expires",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
        "CloudFront-Hash-Algorithm",
    ]
)
ips = st.none() | anything | st.ip_addresses().map(str)
times = st.integers(0, 2**40) | st.floats(0, 1e12)


def check(decision: Decision) -> None:
    assert isinstance(decision, Decision)
    assert decision.allowed is False
    assert decision.reason is not Reason.OK
    assert isinstance(decision.message, str)
    assert decision.message
    json.dumps(decision.to_dict())


@settings(max_examples=300, deadline=None)
@given(url=url_like, client_ip=ips, now=times)
def test_fuzz_verify_url(url: str, client_ip: str | None, now: float) -> None:
    check(VERIFIER.verify_url(url, client_ip=client_ip, now=now))
    check(CACHED.verify_url(url, client_ip=client_ip, now=now))
    request = rebuild_url(url)
    assert request is None or request.rebuilt.startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None)
@given(
    url=url_like,
    jar=st.dictionaries(cookie_names | anything, anything, max_size=6),
    header=anything,
    client_ip=ips,
)
def test_fuzz_verify_cookies(
    url: str, jar: dict[str, str], header: str, client_ip: str | None
) -> None:
    check(VERIFIER.verify_cookies(url, jar, client_ip=client_ip, now=NOW))
    check(VERIFIER.verify_cookies(url, header, client_ip=client_ip, now=NOW))
    check(VERIFIER.verify_request(url, [header, cookie_header(jar)], client_ip=client_ip, now=NOW))


@settings(max_examples=200, deadline=None)
@given(headers=st.lists(anything, max_size=4))
def test_fuzz_parse_cookie_header(headers: list[str]) -> None:
    found = parse_cookie_header(headers)
    assert set(found) <= {
        "CloudFront-Policy",
        "CloudFront-Expires",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
        "CloudFront-Hash-Algorithm",
    }


@settings(max_examples=200, deadline=None)
@given(value=url_like | anything.map(lambda s: "CloudFront-Policy=" + s) | anything)
def test_fuzz_inspect(value: str) -> None:
    try:
        result = inspect_value(value, NOW)
    except CommandError:
        return  # not a URL or cookies at all: a usage error (exit 2)
    assert result["signature_checked"] is False
    json.dumps(result)


@settings(max_examples=100, deadline=None)
@given(value=st.binary(max_size=200))
def test_fuzz_policy_bytes(value: bytes) -> None:
    from frontgate.encoding import cf_b64encode

    url = f"{URL}&Policy={cf_b64encode(value)}&Signature=AAAA&Key-Pair-Id=K2JCJMDEHXQW5F"
    check(VERIFIER.verify_url(url, now=NOW))


# -- one character changed ----------------------------------------------------------------------

SIGNED = {
    "canned-rsa": canned_url(URL),
    "canned-ec-sha256": canned_url(URL, by="ec", hash_algorithm="SHA256"),
    "custom-exact": custom_url(policy_doc(URL), URL, by="ec"),
    "custom-wildcard": custom_url(policy_doc(f"{D}/videos/*"), URL),
}
PATTERN = {"custom-exact": URL, "custom-wildcard": f"{D}/videos/*"}
_CHARS = st.sampled_from("aA0-_~%&=?#/:.+ é\x00\ud800") | st.characters()


def _decoded(name: str, value: str) -> object:
    value = percent_decode(value)
    if name in ("Signature", "Policy"):
        try:
            return cf_b64decode(value)
        except InputError:
            return ("undecodable", value)
    return value


def same_request(original: str, mutated: str, pattern: str | None) -> bool:
    """Whether ``mutated`` is the request ``original`` was signed for (R25, R26)."""
    a, b = rebuild_url(original), rebuild_url(mutated)
    if a is None or b is None or b.duplicate is not None:
        return False
    if set(a.params) != set(b.params) or any(
        _decoded(n, a.params[n]) != _decoded(n, b.params[n]) for n in a.params
    ):
        return False
    if pattern is not None:
        return resource_matches(pattern, b.rebuilt)
    return a.rebuilt == b.rebuilt


def mutate(text: str, position: int, char: str, how: str) -> str:
    position %= len(text) + (how == "insert")
    if how == "insert":
        return text[:position] + char + text[position:]
    if how == "delete":
        return text[:position] + text[position + 1 :]
    return text[:position] + char + text[position + 1 :]


@pytest.mark.parametrize("name", sorted(SIGNED))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(0, 10_000),
    char=_CHARS,
    how=st.sampled_from(["replace", "insert", "delete"]),
)
def test_fuzz_one_character_in_a_signed_url(name: str, position: int, char: str, how: str) -> None:
    original = SIGNED[name]
    assert VERIFIER.verify_url(original, now=NOW).allowed
    mutated = mutate(original, position, char, how)
    decision = VERIFIER.verify_url(mutated, now=NOW)
    assert isinstance(decision, Decision)
    # allowed exactly when the change keeps the request the signature was made for
    assert decision.allowed is same_request(original, mutated, PATTERN.get(name)), (
        mutated,
        decision,
    )


COOKIES = custom_cookies(policy_doc(f"{D}/videos/*"), by="ec", hash_algorithm="SHA256")


@settings(max_examples=200, deadline=None)
@given(
    cookie=st.sampled_from(sorted(COOKIES)),
    position=st.integers(0, 10_000),
    char=_CHARS,
    how=st.sampled_from(["replace", "insert", "delete"]),
)
def test_fuzz_one_character_in_a_cookie(cookie: str, position: int, char: str, how: str) -> None:
    jar = dict(COOKIES)
    jar[cookie] = mutate(jar[cookie], position, char, how)
    prefix = "CloudFront-"
    same = all(
        _decoded(n[len(prefix) :], jar[n]) == _decoded(n[len(prefix) :], COOKIES[n])
        for n in COOKIES
    )
    for decision in (
        VERIFIER.verify_cookies(URL, jar, now=NOW),
        VERIFIER.verify_cookies(URL, cookie_header(jar), now=NOW),
    ):
        assert isinstance(decision, Decision)
        if decision.allowed:
            assert same or ";" in char or char.isspace(), jar


# -- the CLI ----------------------------------------------------------------------------------

_SCRIPT = Path(sys.executable).parent / "frontgate"
FRONTGATE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "frontgate"]
NASTY: list[str | bytes] = [
    "",
    " ",
    "-x",
    "--json",
    "-",
    "https://",
    "http://[::1",
    "%",
    "\t\n",
    "https://d.example/a?Expires=1&Expires=2",
    "https://d.example/a?Policy=%FF%FE&Signature=x&Key-Pair-Id=K2JCJMDEHXQW5F",
    f"{D}/{'a' * 20000}?Expires=1",
    "https://d.example/é?Expires=9999999999999",
    b"https://d.example/\xff\xfe?Key-Pair-Id=\xc3",
]


@pytest.mark.parametrize("url", NASTY, ids=[f"nasty-{n}" for n in range(len(NASTY))])
@pytest.mark.parametrize("json_flag", [False, True], ids=["text", "json"])
def test_fuzz_cli_judges_every_url(url: str | bytes, json_flag: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTGATE_")}
    # a strict UTF-8 terminal, where an unprintable character would raise
    env["PYTHONIOENCODING"] = "utf-8:strict"
    args: list[str | bytes] = [
        *FRONTGATE,
        "verify",
        "--public-key",
        f"K2JCJMDEHXQW5F={data_path('rsa_public.pem')}",
        "--url",
        url,
        "--now",
        str(NOW),
    ]
    if json_flag:
        args.append("--json")
    done = subprocess.run(args, capture_output=True, env=env, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    if json_flag:
        data = json.loads(done.stdout)
        assert data["allowed"] is False
    else:
        assert done.stdout.startswith("✘ refused (".encode())
