"""Byte equality with botocore's CloudFrontSigner (R3, R9, R18), the reference signer.

botocore signs through a callback; here it is ``cryptography``'s RSA PKCS#1 v1.5 SHA-1,
which is deterministic, so equal policy bytes give equal URLs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.signers import CloudFrontSigner as BotocoreSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from frontgate.keys import load_private_key
from frontgate.policy import Policy, normalize_ip, prepare_url
from frontgate.signer import Signer
from tests.conftest import KEY_PAIR_ID, NOW, private_pem

D = "https://d111111abcdef8.cloudfront.net"
_KEY = load_private_key(private_pem("rsa"))
assert isinstance(_KEY, rsa.RSAPrivateKey)
_RSA_KEY: rsa.RSAPrivateKey = _KEY


def rsa_sha1(message: bytes) -> bytes:
    return _RSA_KEY.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - R18


BOTOCORE = BotocoreSigner(KEY_PAIR_ID, rsa_sha1)
FRONTGATE = Signer(_RSA_KEY, KEY_PAIR_ID)


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"{D}/image.jpg?color=red&size=medium", id="R3-worked-example"),
        pytest.param(f"{D}/a%20b/%C3%A9.pdf", id="R44-encoded-path"),
        pytest.param(f"{D}/", id="R26-root"),
        pytest.param("http://127.0.0.1:8080/a.jpg", id="R26-port"),
        pytest.param(f"{D}/a?x=&y", id="R26-empty-values"),
    ],
)
def test_r3_canned_url_equals_botocore(url: str) -> None:
    expected = BOTOCORE.generate_presigned_url(url, date_less_than=utc(NOW))
    assert FRONTGATE.sign_url(url, expires_at=NOW, now=NOW - 60) == expected


@pytest.mark.parametrize(
    ("resource", "start", "ip"),
    [
        pytest.param(f"{D}/videos/*", None, None, id="R9-expiry-only"),
        pytest.param(f"{D}/videos/*", NOW - 3600, None, id="R9-start"),
        pytest.param(f"{D}/videos/*", None, "192.0.2.1", id="R47-bare-ip"),
        pytest.param(f"{D}/videos/*", NOW - 3600, "198.51.100.0/24", id="R9-all"),
        pytest.param(f"{D}/videos/a.mp4", None, "10.0.0.0/8", id="R9-exact-resource"),
        pytest.param("*://d111111abcdef8.cloudfront.net/videos/*", None, None, id="R11-any-scheme"),
    ],
)
def test_r9_custom_url_equals_botocore(resource: str, start: int | None, ip: str | None) -> None:
    url = f"{D}/videos/a.mp4"
    policy = BOTOCORE.build_policy(
        resource,
        utc(NOW),
        date_greater_than=utc(start) if start is not None else None,
        ip_address=ip,
    )
    assert Policy(resource, NOW, start, normalize_ip(ip) if ip else None).to_json() == policy
    expected = BOTOCORE.generate_presigned_url(url, policy=policy)
    signed = FRONTGATE.sign_url(
        url, expires_at=NOW, not_before=start, ip_address=ip, resource=resource, now=NOW - 7200
    )
    assert signed == expected


# -- hypothesis: anything both accept gives the same bytes --------------------------------

_hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){1,2}", fullmatch=True)
_segments = st.text(st.sampled_from("abcXYZ019-._~!$()*+,;=:@%'"), min_size=1, max_size=10).map(
    lambda s: s.replace("%", "%25")
)
_paths = st.lists(_segments, max_size=4).map("/".join)
_queries = st.one_of(
    st.just(""),
    st.text(st.sampled_from("abc019-._~!$()*+,;=:@/?%"), min_size=1, max_size=24).map(
        lambda s: "?" + s.replace("%", "%25")
    ),
)
_octet = st.integers(0, 255)
_ips = st.one_of(
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", _octet, _octet, _octet, _octet),
    # networks without host bits: botocore writes ranges as given, frontgate as the network
    st.builds(
        lambda a, b, c, d, n: normalize_ip(f"{a}.{b}.{c}.{d}/{n}"),
        _octet,
        _octet,
        _octet,
        _octet,
        st.integers(0, 32),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(["https", "http"]),
    host=_hosts,
    path=_paths,
    query=_queries,
    expires=st.integers(NOW, NOW + 300 * 86400),
)
def test_r3_canned_parity_property(
    scheme: str, host: str, path: str, query: str, expires: int
) -> None:
    url = prepare_url(f"{scheme}://{host}/{path}{query}")
    expected = BOTOCORE.generate_presigned_url(url, date_less_than=utc(expires))
    assert FRONTGATE.sign_url(url, expires_at=expires, now=NOW - 1) == expected


@settings(max_examples=150, deadline=None)
@given(
    host=_hosts,
    path=_paths,
    query=_queries,
    expires=st.integers(NOW, NOW + 300 * 86400),
    # whole seconds: botocore floors DateGreaterThan, frontgate rounds it up (R45)
    start=st.one_of(st.none(), st.integers(1, 86400)),
    ip=st.one_of(st.none(), _ips),
    cut=st.booleans(),
)
def test_r9_custom_parity_property(
    host: str, path: str, query: str, expires: int, start: int | None, ip: str | None, cut: bool
) -> None:
    url = prepare_url(f"https://{host}/{path}{query}")
    resource = f"https://{host}/*" if cut else url
    not_before = NOW - 2 - start if start is not None else None
    policy = BOTOCORE.build_policy(
        resource,
        utc(expires),
        date_greater_than=utc(not_before) if not_before is not None else None,
        ip_address=ip,
    )
    expected = BOTOCORE.generate_presigned_url(url, policy=policy)
    signed = FRONTGATE.sign_url(
        url,
        expires_at=expires,
        not_before=not_before,
        ip_address=ip,
        resource=resource,
        now=NOW - 1,
    )
    assert signed == expected
