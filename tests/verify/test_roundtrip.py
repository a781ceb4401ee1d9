"""Everything the signer makes, the verifier allows (inside its window, for its viewer) and
refuses just outside: RSA/ECDSA x SHA1/SHA256 x canned/custom x URL/cookies over generated
URLs, windows and IP ranges (R4, R7, R11, R13-R15, R26, R31)."""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Callable
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontgate.verify import Reason, Verifier
from tests.verify.conftest import NOW, HashName, KeyName, cookie_header, make_verifier, signer

COMBOS = [
    pytest.param(kind, hash_name, policy, carrier, id=f"{kind}-{hash_name}-{policy}-{carrier}")
    for kind in ("rsa", "ec")
    for hash_name in ("SHA1", "SHA256")
    for policy in ("canned", "custom")
    for carrier in ("url", "cookies")
]
VERIFIER: Verifier = make_verifier()

# RFC 3986 characters the signer keeps as they are (R44); "%HH" escapes added separately
_PATH_CHARS = string.ascii_letters + string.digits + "-._~!$&()*+,;=:@"
_QUERY_CHARS = string.ascii_letters + string.digits + "-._~!$()*+,;:@/?"
_RESERVED = {"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"}

escapes = st.integers(0, 255).map(lambda b: f"%{b:02X}")
segment = st.lists(st.sampled_from(_PATH_CHARS) | escapes, max_size=12).map("".join)
paths = st.lists(segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
words = st.lists(st.sampled_from(_QUERY_CHARS) | escapes, max_size=8).map("".join)
pairs = st.tuples(words.filter(lambda n: n not in _RESERVED), st.none() | words)
queries = st.lists(pairs, max_size=4).map(
    lambda ps: "&".join(n if v is None else f"{n}={v}" for n, v in ps)
)
origins = st.sampled_from(
    [
        "https://d111111abcdef8.cloudfront.net",
        "https://cdn.example.com",
        "http://cdn.example.com",
        "http://127.0.0.1:8080",
    ]
)
networks = st.builds(
    lambda addr, prefix: ipaddress.IPv4Network((addr, prefix), strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)


class Case(NamedTuple):
    url: str
    expires: int
    not_before: int | None = None
    network: ipaddress.IPv4Network | None = None
    client: str | None = None
    resource: str | None = None


@st.composite
def requests(draw: st.DrawFn, policy: str) -> Case:
    url = draw(origins) + draw(paths)
    query = draw(queries)
    if query:
        url += "?" + query
    expires = NOW + draw(st.integers(2, 300 * 86400))  # a whole second inside any window
    if policy == "canned":
        return Case(url, expires)
    not_before = NOW - draw(st.integers(0, 86400)) if draw(st.booleans()) else None
    network = client = None
    if draw(st.booleans()):
        network = draw(networks)
        client = str(network[draw(st.integers(0, network.num_addresses - 1))])
    cuts = [n for n in range(url.index("/", 8) + 1, len(url) + 1) if "%" not in url[n - 2 : n]]
    cut = draw(st.sampled_from(cuts))  # never inside a %HH escape
    resource = url[:cut] + "*" if draw(st.booleans()) else None
    return Case(url, expires, not_before, network, client, resource)


def outside(network: ipaddress.IPv4Network) -> str:
    """An IPv4 address just outside a network that is not 0.0.0.0/0."""
    if int(network.network_address) > 0:
        return str(network.network_address - 1)
    return str(network.broadcast_address + 1)


@pytest.mark.parametrize(("kind", "hash_name", "policy", "carrier"), COMBOS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_r4_r7_everything_signed_verifies(
    kind: KeyName, hash_name: HashName, policy: str, carrier: str, data: st.DataObject
) -> None:
    case = data.draw(requests(policy))
    s = signer(kind, hash_name)
    ip = None if case.network is None else str(case.network)
    judge: Callable[[float, str | None], Reason]

    if carrier == "url":
        resource = case.resource
        if policy == "custom" and case.not_before is None and ip is None and resource is None:
            resource = case.url  # custom with nothing but an exact resource
        signed = s.sign_url(
            case.url,
            expires_at=case.expires,
            not_before=case.not_before,
            ip_address=ip,
            resource=resource,
            now=NOW,
        )

        def judge(at: float, viewer: str | None) -> Reason:
            return VERIFIER.verify_url(signed, client_ip=viewer, now=at).reason

    else:
        pattern = case.url if policy == "canned" else (case.resource or case.url + "*")
        cookies = s.sign_cookies(
            pattern, expires_at=case.expires, not_before=case.not_before, ip_address=ip, now=NOW
        )
        assert ("CloudFront-Policy" in cookies) is (policy == "custom" or "*" in pattern)
        header = cookie_header(cookies)

        def judge(at: float, viewer: str | None) -> Reason:
            by_map = VERIFIER.verify_cookies(case.url, cookies, client_ip=viewer, now=at)
            by_header = VERIFIER.verify_request(case.url, [header], client_ip=viewer, now=at)
            assert by_map == by_header
            return by_map.reason

    inside = NOW if case.not_before is None else max(NOW, case.not_before + 1)
    assert judge(inside, case.client) is Reason.OK
    assert judge(case.expires - 1, case.client) is Reason.OK
    assert judge(case.expires, case.client) is Reason.EXPIRED
    if case.not_before is not None:
        assert judge(case.not_before, case.client) is Reason.NOT_YET_VALID
    if case.network is not None:
        assert judge(inside, None) is Reason.CLIENT_IP_REQUIRED
        if case.network.prefixlen > 0:
            assert judge(inside, outside(case.network)) is Reason.IP_MISMATCH
        assert judge(inside, "2001:db8::1") is Reason.IP_MISMATCH


@settings(max_examples=40, deadline=None)
@given(path=paths, query=queries)
def test_r26_signer_and_verifier_agree_on_the_resource(path: str, query: str) -> None:
    url = f"https://CDN.Example.com:443{path}" + (f"?{query}" if query else "")
    signed = signer("ec").sign_url(url, expires_at=NOW + 60, now=NOW)
    decision = VERIFIER.verify_url(signed, now=NOW)
    assert decision.reason is Reason.OK
    expected = f"https://cdn.example.com{path}" + (f"?{query}" if query else "")
    assert decision.resource == expected
