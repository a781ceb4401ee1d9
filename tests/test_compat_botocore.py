"""frontgate.compat.botocore.CloudFrontSigner: a drop-in for botocore's, same bytes."""

from __future__ import annotations

import hashlib
import json
import string
import subprocess
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.signers import CloudFrontSigner as BotocoreSigner
from hypothesis import given, settings
from hypothesis import strategies as st

from frontgate.compat.botocore import CloudFrontSigner
from frontgate.encoding import cf_b64decode
from frontgate.errors import ConfigError, ErrorCode, FrontgateWarning, InputError
from frontgate.keys import load_public_key, verify_signature
from frontgate.policy import Policy
from frontgate.signer import Signer
from tests.conftest import KEY_PAIR_ID, NOW, private_pem, public_pem
from tests.test_botocore_parity import rsa_sha1

D = "https://d111111abcdef8.cloudfront.net"
URL = f"{D}/image.jpg?color=red&size=medium"
BOTOCORE = BotocoreSigner(KEY_PAIR_ID, rsa_sha1)
COMPAT = CloudFrontSigner(KEY_PAIR_ID, rsa_sha1)
NAIVE = datetime(2026, 1, 1, 18, 0)  # botocore reads it as UTC


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(NAIVE, id="naive-is-utc"),
        pytest.param(datetime(2026, 1, 1, 18, 0, tzinfo=UTC), id="aware-utc"),
        pytest.param(datetime(2026, 1, 1, 19, 0, tzinfo=timezone(timedelta(hours=1))), id="offset"),
        pytest.param(NAIVE + timedelta(microseconds=999999), id="R45-fraction-floored"),
    ],
)
def test_canned_equals_botocore(when: datetime) -> None:
    expected = BOTOCORE.generate_presigned_url(URL, date_less_than=when)
    assert COMPAT.generate_presigned_url(URL, date_less_than=when) == expected
    assert "Expires=1767290400&" in expected


@pytest.mark.parametrize(
    ("resource", "start", "ip"),
    [
        pytest.param(URL, None, None, id="exact"),
        pytest.param(f"{D}/*", NAIVE - timedelta(hours=1), None, id="start"),
        pytest.param(f"{D}/*", None, "192.0.2.1", id="bare-ip"),
        pytest.param(f"{D}/image.jpg?*", NAIVE - timedelta(days=1), "198.51.100.0/24", id="all"),
    ],
)
def test_custom_equals_botocore(resource: str, start: datetime | None, ip: str | None) -> None:
    policy = BOTOCORE.build_policy(resource, NAIVE, date_greater_than=start, ip_address=ip)
    assert COMPAT.build_policy(resource, NAIVE, date_greater_than=start, ip_address=ip) == policy
    expected = BOTOCORE.generate_presigned_url(URL, policy=policy)
    assert COMPAT.generate_presigned_url(URL, policy=policy) == expected
    assert COMPAT.generate_presigned_url(URL, policy=policy.encode()) == expected


def test_same_positional_signatures() -> None:
    policy = COMPAT.build_policy(f"{D}/*", NAIVE, NAIVE - timedelta(hours=1), "10.0.0.0/8")
    assert COMPAT.generate_presigned_url(URL, None, policy) == BOTOCORE.generate_presigned_url(
        URL, None, policy
    )
    assert COMPAT.key_id == KEY_PAIR_ID
    assert COMPAT.rsa_signer is rsa_sha1


def test_epoch_numbers_accepted() -> None:
    expected = BOTOCORE.generate_presigned_url(URL, date_less_than=NAIVE)
    assert COMPAT.generate_presigned_url(URL, date_less_than=NOW) == expected


def test_lone_trailing_question_mark_kept_as_botocore_does() -> None:
    url = f"{D}/a.jpg?"
    assert COMPAT.generate_presigned_url(url, NAIVE) == BOTOCORE.generate_presigned_url(url, NAIVE)


def test_with_a_frontgate_rsa_sha1_signer_same_bytes() -> None:
    compat = CloudFrontSigner(KEY_PAIR_ID, Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID))
    assert compat.generate_presigned_url(URL, date_less_than=NAIVE) == (
        BOTOCORE.generate_presigned_url(URL, date_less_than=NAIVE)
    )


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_r20_with_a_frontgate_sha256_signer(kind: str) -> None:
    signer = Signer.from_pem(
        private_pem("rsa" if kind == "rsa" else "ecdsa"), KEY_PAIR_ID, hash_algorithm="SHA256"
    )
    compat = CloudFrontSigner(KEY_PAIR_ID, signer)
    assert repr(compat) == "CloudFrontSigner(key_id='K2JCJMDEHXQW5F', hash_algorithm='SHA256')"
    url = compat.generate_presigned_url(URL, date_less_than=NAIVE)
    assert url.endswith("&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256")
    signature = url.split("&Signature=")[1].split("&")[0]
    key = load_public_key(public_pem("rsa" if kind == "rsa" else "ecdsa"))
    data = Policy(URL, NOW).to_bytes()
    assert verify_signature(key, cf_b64decode(signature), data, "SHA256")


def test_both_or_neither_stay_value_errors_as_in_botocore() -> None:
    for kwargs in ({}, {"date_less_than": NAIVE, "policy": "{}"}):
        with pytest.raises(ValueError, match="either date_less_than or policy") as info:
            COMPAT.generate_presigned_url(URL, **kwargs)  # type: ignore[arg-type]
        assert isinstance(info.value, InputError)
        assert info.value.code is ErrorCode.POLICY_INVALID
        with pytest.raises(ValueError, match="either date_less_than or policy"):
            BOTOCORE.generate_presigned_url(URL, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        pytest.param({"policy": '{"Statement":[]}'}, "R8", id="R8-malformed"),
        pytest.param({"policy": b""}, "R8", id="R8-empty"),
        pytest.param({"date_less_than": datetime(2263, 1, 1)}, "R5", id="R5-after-2262"),
        pytest.param({"date_less_than": datetime(1969, 12, 31)}, "R5", id="R5-before-1970"),
    ],
)
def test_what_native_refuses_is_signed_with_a_warning(kwargs: dict[str, object], rule: str) -> None:
    expected = BOTOCORE.generate_presigned_url(URL, **kwargs)
    with pytest.warns(FrontgateWarning, match=f"403.*{rule}"):
        assert COMPAT.generate_presigned_url(URL, **kwargs) == expected  # type: ignore[arg-type]


def test_r5_epoch_numbers_out_of_range_warn() -> None:
    with pytest.warns(FrontgateWarning, match="R5"):
        url = COMPAT.generate_presigned_url(URL, date_less_than=NOW * 1000)
    assert f"Expires={NOW * 1000}&" in url


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://D111111abcdef8.cloudfront.net/a", id="R26-host-case"),
        pytest.param(f"{D}:443/a", id="R26-default-port"),
        pytest.param(D, id="R26-empty-path"),
        pytest.param(f"{D}/a b", id="R44-space"),
        pytest.param(f'{D}/\u00e9"\\', id="R44-json-escapes"),
        pytest.param(f"{D}/a?Expires=1", id="R44-reserved"),
        pytest.param(f"{D}/a#x", id="R44-fragment"),
        pytest.param("foo", id="R44-not-a-url"),
    ],
)
def test_r44_urls_cloudfront_rebuilds_differently_warn(url: str) -> None:
    expected = BOTOCORE.generate_presigned_url(url, date_less_than=NAIVE)
    with pytest.warns(FrontgateWarning, match="R44") as record:
        assert COMPAT.generate_presigned_url(url, date_less_than=NAIVE) == expected
    assert all("403" in str(w.message) for w in record)


def test_r11_policy_that_does_not_cover_the_url_warns() -> None:
    policy = COMPAT.build_policy(f"{D}/videos/*", NAIVE)
    with pytest.warns(FrontgateWarning, match="does not cover.*403.*R11"):
        url = COMPAT.generate_presigned_url(URL, policy=policy)
    assert url == BOTOCORE.generate_presigned_url(URL, policy=policy)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param(("foo", NAIVE), "bare resource 'foo' matches no http", id="R46-bare"),
        pytest.param(("*", NAIVE), "every file.*R12", id="R12-star"),
        pytest.param(("https://*", NAIVE), "every host", id="R46-every-host"),
        pytest.param((f"{D}/a b", NAIVE), "R44", id="R44-space"),
        pytest.param((f"{D}/a?Policy=x", NAIVE), "R26", id="R26-reserved"),
        pytest.param((f"{D}/*", NAIVE, None, "2001:db8::1"), "IPv6.*R15", id="R15-ipv6"),
        pytest.param((f"{D}/*", NAIVE, None, "192.0.2.10/24"), "192.0.2.0/24.*R47", id="R47"),
        pytest.param((f"{D}/*", NAIVE, NAIVE), "R14", id="R14-empty-window"),
        pytest.param(("https://b.s3.amazonaws.com/*", NAIVE), "S3", id="R46-s3"),
    ],
)
def test_build_policy_signs_what_native_refuses_with_a_warning(
    args: tuple[object, ...], match: str
) -> None:
    expected = BOTOCORE.build_policy(*args)
    with pytest.warns(FrontgateWarning, match=match):
        assert COMPAT.build_policy(*args) == expected  # type: ignore[arg-type]


def test_r12_allow_any_resource_silences_the_every_url_warning() -> None:
    compat = CloudFrontSigner(KEY_PAIR_ID, rsa_sha1, allow_any_resource=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compat.build_policy("*", NAIVE) == BOTOCORE.build_policy("*", NAIVE)


def test_r45_date_greater_than_truncated_as_botocore_does() -> None:
    start = NAIVE - timedelta(seconds=59.5)
    policy = COMPAT.build_policy(f"{D}/*", NAIVE, date_greater_than=start)
    assert f'"DateGreaterThan":{{"AWS:EpochTime":{NOW - 60}}}' in policy
    assert policy == BOTOCORE.build_policy(f"{D}/*", NAIVE, date_greater_than=start)


def test_constructor_checks() -> None:
    with pytest.raises(ConfigError) as info:
        CloudFrontSigner("K2OTHER", Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID))
    assert info.value.code is ErrorCode.CONFIG_CONFLICT
    for bad in ("bad id", "K1&x=1", "K\u00e9", 5):
        with pytest.raises(InputError) as refused:
            CloudFrontSigner(bad, rsa_sha1)  # type: ignore[arg-type]
        assert refused.value.code is ErrorCode.KEY_PAIR_ID_INVALID


def test_r21_url_safe_key_ids_warn_but_sign() -> None:
    for key_id in ("MY_KEY_ID", "k-1.2~3", ""):
        with pytest.warns(FrontgateWarning, match="R21"):
            compat = CloudFrontSigner(key_id, rsa_sha1)
        assert compat.generate_presigned_url(URL, NAIVE) == BotocoreSigner(
            key_id, rsa_sha1
        ).generate_presigned_url(URL, NAIVE)


def test_build_policy_needs_no_signer_as_in_botocore() -> None:
    compat = CloudFrontSigner(KEY_PAIR_ID, None)  # type: ignore[arg-type]
    assert compat.build_policy(URL, NAIVE) == BOTOCORE.build_policy(URL, NAIVE)
    with pytest.raises(TypeError):
        compat.generate_presigned_url(URL, NAIVE)


def test_the_native_signer_stays_strict() -> None:
    with pytest.raises(InputError):
        Signer.from_pem(private_pem("rsa"), "MY_KEY_ID")
    signer = Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID)
    with pytest.raises(InputError):
        signer.sign_url(URL, expires_at=NOW, resource="foo", now=NOW - 60)
    with pytest.raises(InputError):
        signer.sign_url(URL, expires_at=NOW, ip_address="2001:db8::1", now=NOW - 60)
    with pytest.raises(InputError):
        signer.sign_url(f"{D}/a b", expires_at=NOW, now=NOW - 60)


# django-storages reads django.conf.settings, which can be configured once per process;
# a subprocess keeps this test from fixing the settings every other test would then see.
_STORAGES_SCRIPT = """
import json, sys
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit
import django
from django.conf import settings
settings.configure(USE_TZ=True)
django.setup()
from botocore.signers import CloudFrontSigner as BotocoreSigner
from storages.backends.s3 import S3Storage
from frontgate import Signer
from frontgate.compat.botocore import CloudFrontSigner
pem, key_id = sys.argv[1].encode(), sys.argv[2]
signer = Signer.from_pem(pem, key_id)
storage = S3Storage(
    custom_domain="d111111abcdef8.cloudfront.net",
    cloudfront_signer=CloudFrontSigner(key_id, signer),
    querystring_expire=300,
)
url = storage.url("media/q3 report.pdf")
expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
naive = datetime.fromtimestamp(expires, timezone.utc).replace(tzinfo=None)
reference = BotocoreSigner(key_id, signer.sign).generate_presigned_url(
    url.split("?")[0], date_less_than=naive)
print(json.dumps({"url": url, "reference": reference}))
"""


def test_django_storages_cloudfront_signer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _STORAGES_SCRIPT, private_pem("rsa").decode(), KEY_PAIR_ID],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["url"].startswith(
        "https://d111111abcdef8.cloudfront.net/media/q3%20report.pdf?Expires="
    )
    assert result["url"] == result["reference"]


# ---------------------------------------------------------------------------
# botocore's own expectations (its TestCloudfrontSigner), stated against this class:
# the key id MY_KEY_ID, a signer that always returns b"signed", naive datetimes.

Y2016 = datetime(2016, 1, 1)  # 1451606400
D2015 = datetime(2015, 12, 1)  # 1448928000


@pytest.fixture
def fixture_signer() -> CloudFrontSigner:
    with pytest.warns(FrontgateWarning, match="'MY_KEY_ID' is not a CloudFront key id.*R21"):
        return CloudFrontSigner("MY_KEY_ID", lambda message: b"signed")


def test_botocore_canned_policy_for_a_bare_resource(fixture_signer: CloudFrontSigner) -> None:
    with pytest.warns(FrontgateWarning, match="bare resource.*R46"):
        policy = fixture_signer.build_policy("foo", Y2016)
    assert policy == (
        '{"Statement":[{"Resource":"foo",'
        '"Condition":{"DateLessThan":{"AWS:EpochTime":1451606400}}}]}'
    )


def test_botocore_custom_policy_keeps_the_range_verbatim(
    fixture_signer: CloudFrontSigner,
) -> None:
    with pytest.warns(FrontgateWarning) as record:
        policy = fixture_signer.build_policy(
            "foo", Y2016, date_greater_than=D2015, ip_address="12.34.56.78/9"
        )
    assert json.loads(policy) == {
        "Statement": [
            {
                "Resource": "foo",
                "Condition": {
                    "DateLessThan": {"AWS:EpochTime": 1451606400},
                    "IpAddress": {"AWS:SourceIp": "12.34.56.78/9"},
                    "DateGreaterThan": {"AWS:EpochTime": 1448928000},
                },
            }
        ]
    }
    assert list(json.loads(policy)["Statement"][0]["Condition"]) == [
        "DateLessThan",
        "IpAddress",
        "DateGreaterThan",
    ]
    assert [rule for w in record for rule in ("R46", "R47") if rule in str(w.message)] == [
        "R46",
        "R47",
    ]


def test_botocore_presigned_url_with_an_expiry(fixture_signer: CloudFrontSigner) -> None:
    url = fixture_signer.generate_presigned_url("http://test.com/foo.txt", date_less_than=Y2016)
    assert url == (
        "http://test.com/foo.txt?Expires=1451606400&Signature=c2lnbmVk&Key-Pair-Id=MY_KEY_ID"
    )


def test_botocore_presigned_url_with_a_custom_policy(fixture_signer: CloudFrontSigner) -> None:
    with pytest.warns(FrontgateWarning):
        policy = fixture_signer.build_policy(
            "foo", Y2016, date_greater_than=D2015, ip_address="12.34.56.78/9"
        )
    with pytest.warns(FrontgateWarning, match="does not cover.*R11"):
        url = fixture_signer.generate_presigned_url(
            "http://test.com/index.html?foo=bar", policy=policy
        )
    assert url == (
        "http://test.com/index.html?foo=bar"
        "&Policy=eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiZm9vIiwiQ29uZ"
        "Gl0aW9uIjp7IkRhdGVMZXNzVGhhbiI6eyJBV1M6RXBvY2hUaW1lIj"
        "oxNDUxNjA2NDAwfSwiSXBBZGRyZXNzIjp7IkFXUzpTb3VyY2VJcCI"
        "6IjEyLjM0LjU2Ljc4LzkifSwiRGF0ZUdyZWF0ZXJUaGFuIjp7IkFX"
        "UzpFcG9jaFRpbWUiOjE0NDg5MjgwMDB9fX1dfQ__"
        "&Signature=c2lnbmVk&Key-Pair-Id=MY_KEY_ID"
    )


# ---------------------------------------------------------------------------
# the property: whatever botocore accepts, the same string; whatever it refuses, refused


def _digest(message: bytes) -> bytes:
    return hashlib.sha256(message).digest()  # stands in for a key: output follows input


_URL_SAFE = string.ascii_letters + string.digits + "-._~"
_offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
_times = st.datetimes(timezones=st.none() | _offsets)
_urls = st.one_of(
    st.text(max_size=40),
    st.builds(
        "{}://{}/{}{}".format,
        st.sampled_from(["http", "https", "HTTPS", "ftp"]),
        st.sampled_from(["d111111abcdef8.cloudfront.net", "D.example:443", "127.0.0.1:8080"]),
        st.text(max_size=12),
        st.sampled_from(["", "?", "?a=1", "?Expires=1", "#f"]),
    ),
)
_resources = st.one_of(_urls, st.sampled_from(["*", "foo", "https://*", f"{D}/*"]))
_ips = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from(["192.0.2.1", "192.0.2.10/24", "2001:db8::1", "12.34.56.78/9"]),
)


def _outcome(call: Callable[[], str]) -> str | type[Exception]:
    """The string returned, or ``Exception`` when the call raised (any kind)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FrontgateWarning)
            return call()
    except Exception:  # the property compares "raised" only
        return Exception


@settings(max_examples=300, deadline=None)
@given(
    key_id=st.text(_URL_SAFE, max_size=20),
    url=_urls,
    resource=_resources,
    expires=_times,
    start=st.none() | _times,
    ip=_ips,
    canned=st.booleans(),
    own_policy=st.none() | st.text(max_size=60) | st.binary(max_size=60),
)
def test_property_same_string_as_botocore(
    key_id: str,
    url: str,
    resource: str,
    expires: datetime,
    start: datetime | None,
    ip: str | None,
    canned: bool,
    own_policy: str | bytes | None,
) -> None:
    botocore = BotocoreSigner(key_id, _digest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FrontgateWarning)
        compat = CloudFrontSigner(key_id, _digest)
    built = _outcome(lambda: botocore.build_policy(resource, expires, start, ip))
    assert _outcome(lambda: compat.build_policy(resource, expires, start, ip)) == built
    if canned:
        assert _outcome(lambda: compat.generate_presigned_url(url, expires)) == _outcome(
            lambda: botocore.generate_presigned_url(url, expires)
        )
    else:
        policy = own_policy if own_policy is not None or not isinstance(built, str) else built
        if policy is None:
            policy = ""
        assert _outcome(lambda: compat.generate_presigned_url(url, policy=policy)) == _outcome(
            lambda: botocore.generate_presigned_url(url, policy=policy)
        )
