"""Signed URLs and cookies (R3, R6, R9, R18-R24, R31-R34, R43, R45)."""

from __future__ import annotations

import threading
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontgate._types import HashName
from frontgate.encoding import cf_b64decode, split_query
from frontgate.errors import ErrorCode, FrontgateWarning, InputError
from frontgate.keys import load_public_key, verify_signature
from frontgate.policy import Policy, check_resource, policy_json, resource_warnings
from frontgate.signer import Signer, _custom_policy, _ip_condition, _resource, cookie_headers
from tests.conftest import (
    KEY_PAIR_ID,
    NOW,
    PASSPHRASE,
    SignerFactory,
    key_bytes,
    key_path,
    private_pem,
    public_pem,
)

D = "https://d111111abcdef8.cloudfront.net"
EXAMPLE = f"{D}/image.jpg?color=red&size=medium"
#: the signing instant for links that expire at NOW: an hour earlier, so no warning
T0 = NOW - 3600

# RSA PKCS#1 v1.5 is deterministic (R18): these are the exact URLs for the test key.
RSA_SHA1_EXAMPLE = (
    f"{EXAMPLE}&Expires=1767290400&Signature="
    "DjbXfxjrOiiMl26BkKWjG-NiMiRq0t7g5grt3cBDm05fwJCfw2qKk~Bhpd3cQWmGZqDA3P8f7ESdIbmVXMd9Lf"
    "MTBZo99TZDfqjWs1jXeCyOVTf5TQxweGDl5xOAWba9M7wZkYP9rARwbl~a-gWSVio5aHRv61vVrQlIH3VzE-nd"
    "dL58~BC0PIk92b5cW0~31duw3hdIaKe2yH6WYwzMaaLdIPhwRXIwUVumj8R8Ums6uLTlNHG7~k4kGH084cyTHr"
    "Wfu-KXUmxeDTqehoCPeEBnbXYeNsDVIgrCns0kPdJO690Kxg3Dsji18OIThln~~k1s38T79pShocy-rE5rBQ__"
    "&Key-Pair-Id=K2JCJMDEHXQW5F"
)
RSA_SHA256_EXAMPLE = (
    f"{EXAMPLE}&Expires=1767290400&Signature="
    "0sh1CQsYp7GReYhkTqfUAsm8BS5BbR7q8VBvBioX0vOBYJPiAksfd-bedQIDtf4P86XZVNUKvifq~IJbLScWgb"
    "dZZ1SdAyWF6iifJwt2YumYw9Kyof55rzhq4LQeIGK1udDPpZ0XeV~RCuiQhfwJ~lbMW1OQalRsyIfHQHjl4mPx"
    "yJXRzoVnYSRwOjdkKZeLkqUAAb1Ez-Agd33VvOrdiJhm8g5qCo0FNEltuMRwlmjnhZvVFHUiyIhBd8u8tVLsuH"
    "rLs4it1yWKFi-esuEfasB43JsPlcD6zU0DZyD-~PYJ72ktjPczw41~7qeVfGhJNuOjEw3nXv8MtzJEi0TSrw__"
    "&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256"
)
RSA_SHA1_CUSTOM = (
    f"{D}/videos/a.mp4?Policy="
    "eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly9kMTExMTExYWJjZGVmOC5jbG91ZGZyb250Lm5ldC"
    "92aWRlb3MvKiIsIkNvbmRpdGlvbiI6eyJEYXRlTGVzc1RoYW4iOnsiQVdTOkVwb2NoVGltZSI6MTc2NzI5MDQw"
    "MH0sIklwQWRkcmVzcyI6eyJBV1M6U291cmNlSXAiOiIxOTIuMC4yLjAvMjQifSwiRGF0ZUdyZWF0ZXJUaGFuIj"
    "p7IkFXUzpFcG9jaFRpbWUiOjE3NjcyODY4MDB9fX1dfQ__&Signature="
    "pJKAcR1ilroFI84ndPH5BFN--OF4vr8SV4qsNWHYNIgrG~12uLNI6pa2mD~bAWxkGpQCynZTpQQGCm3yTh-kWY"
    "kbjd7GOeQN1XLebooSfXto0Lyu3AdA28vaVoXc9X1vGb17cY1NOSTzVmui0tFRqtswZt7jaaI3bUOK8SkUYq-5"
    "KtEEJ3RPbIxIWkr5BLAEVW4~k3Dd3S9g1TxUJCksnOaWYu3MxEY6JROAfC4Au8l6RX-2xNw1JuQNC6ZK2n0Izw"
    "RIhAjCShxPVYnDj2xTKw0kLn-moZkcg5VbDY1UXCK7miIVD78p~TBCgE3Aa3wxWYAnSLk4jj2IK~BKBbbPlQ__"
    "&Key-Pair-Id=K2JCJMDEHXQW5F"
)


def parse_signed(url: str) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    """(request URL as CloudFront rebuilds it, user params, reserved params in order)."""
    base, _, query = url.partition("?")
    reserved = {"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"}
    kept = [segment for segment in query.split("&") if segment.partition("=")[0] not in reserved]
    pairs = split_query(query)
    user = [p for p in pairs if p[0] not in reserved]
    signing = [p for p in pairs if p[0] in reserved]
    rebuilt = base + ("?" + "&".join(kept) if kept else "")
    return rebuilt, user, signing


def signed_policy(url: str) -> tuple[Policy, bytes]:
    """The policy a signed URL carries (custom) or implies (canned), and its bytes."""
    rebuilt, _, signing = parse_signed(url)
    params = dict(signing)
    if "Policy" in params:
        data = cf_b64decode(params["Policy"])
        return Policy.from_json(data), data
    policy = Policy(rebuilt, int(params["Expires"]))
    return policy, policy.to_bytes()


def assert_verifies(url: str, kind: str, hash_algorithm: HashName) -> None:
    _, _, signing = parse_signed(url)
    params = dict(signing)
    _, data = signed_policy(url)
    key = load_public_key(public_pem("rsa" if kind == "rsa" else "ecdsa"))
    assert params.get("Hash-Algorithm", "SHA1") == hash_algorithm
    assert verify_signature(key, cf_b64decode(params["Signature"]), data, hash_algorithm)


# -- exact URLs (R3, R6, R18, R20, R24) ------------------------------------------------------


def test_r3_r6_rsa_sha1_canned_url_exact(rsa_signer: Signer) -> None:
    assert rsa_signer.sign_url(EXAMPLE, expires_at=NOW, now=T0) == RSA_SHA1_EXAMPLE


def test_r20_rsa_sha256_canned_url_exact() -> None:
    signer = Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID, hash_algorithm="SHA256")
    assert signer.sign_url(EXAMPLE, expires_at=NOW, now=T0) == RSA_SHA256_EXAMPLE


def test_r9_rsa_sha1_custom_url_exact(rsa_signer: Signer) -> None:
    url = rsa_signer.sign_url(
        f"{D}/videos/a.mp4",
        expires_at=NOW,
        not_before=NOW - 3600,
        ip_address="192.0.2.0/24",
        resource=f"{D}/videos/*",
        now=T0 - 60,
    )
    assert url == RSA_SHA1_CUSTOM


def test_r18_exact_url_signature_verifies_over_worked_example() -> None:
    # independent check of the literal above: the signature covers R3's worked bytes
    worked = (
        b'{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?color=red'
        b'&size=medium","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}'
    )
    signature = dict(parse_signed(RSA_SHA1_EXAMPLE)[2])["Signature"]
    key = load_public_key(public_pem("rsa"))
    assert verify_signature(key, cf_b64decode(signature), worked, "SHA1")
    assert len(signature) == 344
    assert signature.endswith("__")


def test_r19_ecdsa_signature_verifies_over_policy_bytes(ec_signer: Signer) -> None:
    url = ec_signer.sign_url(EXAMPLE, expires_at=NOW, now=T0)
    _, _, signing = parse_signed(url)
    signature = cf_b64decode(dict(signing)["Signature"])
    assert signature[0] == 0x30  # DER SEQUENCE, not raw r||s (R19)
    assert 70 <= len(signature) <= 72
    assert_verifies(url, "ecdsa", "SHA1")
    # randomised: a second signature differs but verifies too
    again = ec_signer.sign_url(EXAMPLE, expires_at=NOW, now=T0)
    assert again != url
    assert_verifies(again, "ecdsa", "SHA1")


def test_r24_parameter_order(signer: Signer) -> None:
    canned = signer.sign_url(f"{D}/a.jpg?w=1&h=2", expires_at=NOW, now=T0)
    _, user, signing = parse_signed(canned)
    expected = ["Expires", "Signature", "Key-Pair-Id"]
    if signer.hash_algorithm == "SHA256":
        expected.append("Hash-Algorithm")
    assert [n for n, _ in signing] == expected
    assert canned.startswith(f"{D}/a.jpg?w=1&h=2&Expires=")
    assert user == [("w", "1"), ("h", "2")]
    custom = signer.sign_url(f"{D}/a.jpg", expires_at=NOW, ip_address="192.0.2.1", now=T0)
    assert custom.startswith(f"{D}/a.jpg?Policy=")
    assert [n for n, _ in parse_signed(custom)[2]] == ["Policy", *expected[1:]]


def test_r6_r20_hash_algorithm_only_for_sha256(signer: Signer) -> None:
    url = signer.sign_url(EXAMPLE, expires_at=NOW, now=T0)
    if signer.hash_algorithm == "SHA256":
        assert url.endswith("&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256")
    else:
        assert "Hash-Algorithm" not in url
        assert url.endswith("&Key-Pair-Id=K2JCJMDEHXQW5F")
    assert "Policy=" not in url


def test_r18_r19_every_key_and_hash_verifies(
    signer: Signer, key_kind: str, hash_algorithm: HashName
) -> None:
    for url in (
        signer.sign_url(EXAMPLE, expires_at=NOW, now=T0),
        signer.sign_url(f"{D}/v/a.ts", expires_at=NOW, resource=f"{D}/v/*", now=T0),
    ):
        assert_verifies(url, key_kind, hash_algorithm)


def test_r44_signer_signs_the_normalised_url(rsa_signer: Signer) -> None:
    url = rsa_signer.sign_url(
        "HTTPS://D111111ABCDEF8.cloudfront.net:443/image.jpg?color=red&size=medium",
        expires_at=NOW,
        now=T0,
    )
    assert url == RSA_SHA1_EXAMPLE


def test_r44_signer_refuses_already_signed_url(rsa_signer: Signer) -> None:
    with pytest.raises(InputError) as info:
        rsa_signer.sign_url(RSA_SHA1_EXAMPLE, expires_at=NOW, now=T0)
    assert info.value.code is ErrorCode.URL_INVALID


# -- custom policies ----------------------------------------------------------------------


def test_r11_resource_must_cover_url(rsa_signer: Signer) -> None:
    with pytest.raises(InputError, match="does not cover") as info:
        rsa_signer.sign_url(f"{D}/a.jpg", expires_at=NOW, resource=f"{D}/videos/*", now=T0)
    assert info.value.code is ErrorCode.RESOURCE_INVALID


def test_r46_signer_refuses_any_resource_without_opt_in(rsa_signer: Signer) -> None:
    with pytest.raises(InputError):
        rsa_signer.sign_url(f"{D}/a.jpg", expires_at=NOW, resource="*", now=T0)
    url = rsa_signer.sign_url(
        f"{D}/a.jpg", expires_at=NOW, resource="*", allow_any_resource=True, now=T0
    )
    assert signed_policy(url)[0].resource == "*"


def test_r46_signer_warns_for_look_alike_domains(rsa_signer: Signer) -> None:
    with pytest.warns(FrontgateWarning, match="look-alike"):
        rsa_signer.sign_url(
            f"{D}/a.jpg", expires_at=NOW, resource="https://d111111abcdef8.cloudfront.net*", now=T0
        )


def test_r47_signer_normalises_ip(rsa_signer: Signer) -> None:
    url = rsa_signer.sign_url(f"{D}/a", expires_at=NOW, ip_address="192.0.2.10/24", now=T0)
    assert signed_policy(url)[0] == Policy(f"{D}/a", NOW, None, "192.0.2.0/24")
    with pytest.raises(InputError) as info:
        rsa_signer.sign_url(f"{D}/a", expires_at=NOW, ip_address="2001:db8::1", now=T0)
    assert info.value.code is ErrorCode.IP_INVALID


def test_sign_policy_parameters(rsa_signer: Signer) -> None:
    params = rsa_signer.sign_policy(Policy(EXAMPLE, NOW))
    assert list(params) == ["Expires", "Signature", "Key-Pair-Id"]
    assert f"{EXAMPLE}&" + "&".join(f"{k}={v}" for k, v in params.items()) == RSA_SHA1_EXAMPLE
    custom = rsa_signer.sign_policy(Policy(f"{D}/*", NOW))
    assert list(custom) == ["Policy", "Signature", "Key-Pair-Id"]


# -- times (R45) --------------------------------------------------------------------------


def test_r45_expiry_rounds_down_and_start_rounds_up(rsa_signer: Signer) -> None:
    url = rsa_signer.sign_url(
        f"{D}/a", expires_at=NOW + 0.9, not_before=T0 + 0.1, ip_address="192.0.2.1", now=T0
    )
    assert signed_policy(url)[0] == Policy(f"{D}/a", NOW, T0 + 1, "192.0.2.1/32")
    canned = rsa_signer.sign_url(f"{D}/a", expires_at=NOW + 0.9, now=T0)
    assert "Expires=1767290400&" in canned


def test_r45_aware_datetimes_accepted(rsa_signer: Signer) -> None:
    expires = datetime(2026, 1, 1, 19, 0, tzinfo=UTC) - timedelta(hours=1)
    assert rsa_signer.sign_url(EXAMPLE, expires_at=expires, now=T0) == RSA_SHA1_EXAMPLE
    now_dt = datetime.fromtimestamp(T0, UTC)
    assert rsa_signer.sign_url(EXAMPLE, expires_in=3600, now=now_dt) == RSA_SHA1_EXAMPLE


def test_r45_naive_datetime_refused(rsa_signer: Signer) -> None:
    naive = datetime(2026, 1, 1, 18, 0)
    for kwargs in (
        {"expires_at": naive, "now": T0},
        {"expires_at": NOW, "not_before": naive, "now": T0},
        {"expires_in": 60, "now": naive},
    ):
        with pytest.raises(InputError, match="naive") as info:
            rsa_signer.sign_url(f"{D}/a", **kwargs)  # type: ignore[arg-type]
        assert info.value.code is ErrorCode.TIME_INVALID


def test_r45_milliseconds_refused(rsa_signer: Signer) -> None:
    with pytest.raises(InputError, match="milliseconds") as info:
        rsa_signer.sign_url(f"{D}/a", expires_at=NOW * 1000, now=T0)
    assert info.value.code is ErrorCode.TIME_INVALID


def test_r45_expires_in_counts_from_now(rsa_signer: Signer) -> None:
    assert rsa_signer.sign_url(EXAMPLE, expires_in=3600, now=T0) == RSA_SHA1_EXAMPLE
    # T0 + 0.5 + 3600 rounds down to NOW (R45)
    assert (
        rsa_signer.sign_url(EXAMPLE, expires_in=timedelta(hours=1), now=T0 + 0.5)
        == RSA_SHA1_EXAMPLE
    )


def test_r45_injectable_clock() -> None:
    from frontgate.keys import load_private_key

    key = load_private_key(private_pem("rsa"))
    clocked = Signer(key, KEY_PAIR_ID, clock=lambda: float(T0))
    assert clocked.sign_url(EXAMPLE, expires_in=3600) == RSA_SHA1_EXAMPLE
    assert clocked.clock() == T0


def test_r45_warns_when_already_past(rsa_signer: Signer) -> None:
    with pytest.warns(FrontgateWarning, match="already past"):
        rsa_signer.sign_url(f"{D}/a", expires_at=NOW, now=NOW)  # R13: now == expiry is expired


def test_r45_warns_beyond_a_year(rsa_signer: Signer) -> None:
    with pytest.warns(FrontgateWarning, match="more than a year"):
        rsa_signer.sign_url(f"{D}/a", expires_in=366 * 86400, now=NOW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rsa_signer.sign_url(f"{D}/a", expires_in=365 * 86400, now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({}, "Give expires_at", id="R45-no-expiry"),
        pytest.param({"expires_at": NOW, "expires_in": 60}, "not both", id="R45-both"),
        pytest.param({"expires_at": NOW, "not_before": NOW}, "earlier", id="R45-start-at-end"),
        pytest.param({"expires_at": NOW, "not_before": NOW + 5}, "earlier", id="R45-start-after"),
        pytest.param({"expires_in": 0}, "positive", id="R45-zero-lifetime"),
        pytest.param({"expires_in": -5}, "positive", id="R45-negative-lifetime"),
        pytest.param({"expires_at": "tomorrow"}, "epoch", id="R45-string"),
    ],
)
def test_r45_bad_times_refused(rsa_signer: Signer, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        rsa_signer.sign_url(f"{D}/a", now=T0, **kwargs)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.TIME_INVALID


# -- R43 ----------------------------------------------------------------------------------


def test_r43_url_too_long(signer: Signer) -> None:
    signer.sign_url(f"{D}/{'a' * 7000}", expires_at=NOW, now=T0)
    with pytest.raises(InputError, match="8192") as info:
        signer.sign_url(f"{D}/{'a' * 8100}", expires_at=NOW, now=T0)
    assert info.value.code is ErrorCode.TOO_LONG
    # a custom policy carries the resource twice (R43)
    with pytest.raises(InputError, match="8192"):
        signer.sign_url(f"{D}/{'a' * 4500}", expires_at=NOW, ip_address="192.0.2.1", now=T0)


def test_r43_cookie_too_long(signer: Signer) -> None:
    signer.sign_cookies(f"{D}/{'a' * 2500}*", expires_at=NOW, now=T0)
    with pytest.raises(InputError, match="4096") as info:
        signer.sign_cookies(f"{D}/{'a' * 3000}*", expires_at=NOW, now=T0)
    assert info.value.code is ErrorCode.TOO_LONG


# -- cookies (R31, R32) ---------------------------------------------------------------------


def test_r32_canned_cookies_for_one_exact_url(rsa_signer: Signer) -> None:
    cookies = rsa_signer.sign_cookies(EXAMPLE, expires_at=NOW, now=T0)
    assert list(cookies) == ["CloudFront-Expires", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]
    params = dict(parse_signed(RSA_SHA1_EXAMPLE)[2])
    assert cookies["CloudFront-Expires"] == "1767290400"
    assert cookies["CloudFront-Signature"] == params["Signature"]
    assert cookies["CloudFront-Key-Pair-Id"] == KEY_PAIR_ID


@pytest.mark.parametrize(
    ("resource", "kwargs"),
    [
        pytest.param(f"{D}/videos/*", {}, id="R32-wildcard"),
        pytest.param(f"{D}/a.jpg", {"ip_address": "192.0.2.1"}, id="R32-ip"),
        pytest.param(f"{D}/a.jpg", {"not_before": T0}, id="R32-start"),
    ],
)
def test_r32_custom_cookies(
    signer: Signer,
    key_kind: str,
    hash_algorithm: HashName,
    resource: str,
    kwargs: dict[str, object],
) -> None:
    cookies = signer.sign_cookies(resource, expires_at=NOW, now=T0, **kwargs)  # type: ignore[arg-type]
    expected = ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]
    if hash_algorithm == "SHA256":
        expected.append("CloudFront-Hash-Algorithm")
        assert cookies["CloudFront-Hash-Algorithm"] == "SHA256"
    assert list(cookies) == expected
    data = cf_b64decode(cookies["CloudFront-Policy"])
    policy = Policy.from_json(data)
    assert policy.resource == resource
    assert policy.expires == NOW
    key = load_public_key(public_pem("rsa" if key_kind == "rsa" else "ecdsa"))
    signature = cf_b64decode(cookies["CloudFront-Signature"])
    assert verify_signature(key, signature, data, hash_algorithm)


def test_r31_cookie_values_need_no_quoting(signer: Signer) -> None:
    cookies = signer.sign_cookies(f"{D}/v/*", expires_at=NOW, ip_address="192.0.2.1", now=T0)
    for value in cookies.values():
        assert all(c.isalnum() or c in "-_~" for c in value)


def test_r46_cookies_refuse_any_resource(rsa_signer: Signer) -> None:
    with pytest.raises(InputError):
        rsa_signer.sign_cookies("https://*", expires_at=NOW, now=T0)
    cookies = rsa_signer.sign_cookies("https://*", expires_at=NOW, allow_any_resource=True, now=T0)
    assert "CloudFront-Policy" in cookies


# -- R34: Set-Cookie ----------------------------------------------------------------------


def test_r34_cookie_header_defaults() -> None:
    assert cookie_headers({"CloudFront-Key-Pair-Id": KEY_PAIR_ID, "CloudFront-Expires": "1"}) == [
        "CloudFront-Key-Pair-Id=K2JCJMDEHXQW5F; Path=/; Secure; HttpOnly; SameSite=Lax",
        "CloudFront-Expires=1; Path=/; Secure; HttpOnly; SameSite=Lax",
    ]


def test_r34_cookie_header_options() -> None:
    [line] = cookie_headers(
        [("CloudFront-Key-Pair-Id", KEY_PAIR_ID)],
        path="/media/",
        domain="example.com",
        max_age=300,
        expires=NOW,
        same_site="None",
    )
    assert line == (
        "CloudFront-Key-Pair-Id=K2JCJMDEHXQW5F; Path=/media/; Domain=example.com; Max-Age=300; "
        "Expires=Thu, 01 Jan 2026 18:00:00 GMT; Secure; HttpOnly; SameSite=None"
    )
    [plain] = cookie_headers({"a": "b"}, secure=False, http_only=False, same_site=None)
    assert plain == "a=b; Path=/"


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"domain": "cloudfront.net"}, id="R34-public-suffix"),
        pytest.param({"domain": ".CloudFront.net"}, id="R34-public-suffix-dot"),
        pytest.param({"domain": "a.com; Secure"}, id="R34-injection"),
        pytest.param({"path": "media"}, id="R34-relative-path"),
        pytest.param({"path": "/images/*"}, id="P9-wildcard-path"),
        pytest.param({"path": "/a;b"}, id="R34-path-injection"),
        pytest.param({"same_site": "None", "secure": False}, id="R34-none-needs-secure"),
        pytest.param({"same_site": "lax"}, id="R34-samesite-spelling"),
    ],
)
def test_r34_cookie_header_refusals(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        cookie_headers({"a": "b"}, **kwargs)  # type: ignore[arg-type]


# -- cache_window ----------------------------------------------------------------------------


def test_cache_window_one_url_per_window(signer_factory: SignerFactory) -> None:
    signer = signer_factory(cache_window=300)
    first = signer.sign_url(f"{D}/a.jpg", expires_in=60, now=NOW + 1)
    # expiry rounds up to the window: NOW + 300 (NOW is a multiple of 300)
    assert "Expires=1767290700&" in first
    assert signer.sign_url(f"{D}/a.jpg", expires_in=60, now=NOW + 200) is first
    later = signer.sign_url(f"{D}/a.jpg", expires_in=60, now=NOW + 250)
    assert "Expires=1767291000&" in later
    # different URLs and policies never share an entry
    other = signer.sign_url(f"{D}/b.jpg", expires_in=60, now=NOW + 1)
    assert other.startswith(f"{D}/b.jpg?")
    custom = signer.sign_url(f"{D}/a.jpg", expires_in=60, ip_address="192.0.2.1", now=NOW + 1)
    assert custom.startswith(f"{D}/a.jpg?Policy=")
    assert (
        signer.sign_url(f"{D}/a.jpg", expires_in=60, ip_address="192.0.2.1", now=NOW + 2) is custom
    )
    assert (
        signer.sign_url(f"{D}/a.jpg", expires_in=60, ip_address="192.0.2.2", now=NOW + 2) != custom
    )


def test_cache_window_off_gives_exact_expiry(rsa_signer: Signer) -> None:
    url = rsa_signer.sign_url(f"{D}/a.jpg", expires_in=60, now=NOW + 1)
    assert "Expires=1767290461&" in url


def test_cache_window_expires_at_is_not_rounded(signer_factory: SignerFactory) -> None:
    signer = signer_factory(cache_window=300)
    assert "Expires=1767290401&" in signer.sign_url(f"{D}/a", expires_at=NOW + 1, now=NOW)


def test_cache_window_must_be_positive() -> None:
    with pytest.raises(InputError):
        Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID, cache_window=0)


# -- threads, construction, repr ------------------------------------------------------------


def test_thread_safety_smoke(signer_factory: SignerFactory, key_kind: str) -> None:
    signer = signer_factory(cache_window=60)
    errors: list[BaseException] = []
    results: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            for i in range(40):
                url = signer.sign_url(f"{D}/t{n}/{i % 7}.jpg", expires_in=600, now=NOW)
                with lock:
                    results.append(url)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 160
    for url in set(results):
        assert_verifies(url, key_kind, signer.hash_algorithm)


def test_from_file_and_file_url(key_kind: str) -> None:
    name = "rsa2048_pkcs8.pem" if key_kind == "rsa" else "p256_pkcs8.pem"
    path = key_path(name)
    a = Signer.from_file(path, KEY_PAIR_ID)
    b = Signer.from_file(f"file://{path}", KEY_PAIR_ID, hash_algorithm="SHA256")
    assert a.key_description == b.key_description
    assert b.hash_algorithm == "SHA256"


def test_from_source_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FG_TEST_KEY", private_pem("rsa").decode().replace("\n", "\\n"))
    signer = Signer.from_source("env:FG_TEST_KEY", KEY_PAIR_ID)
    assert signer.sign_url(EXAMPLE, expires_at=NOW, now=T0) == RSA_SHA1_EXAMPLE


def test_from_pem_encrypted() -> None:

    signer = Signer.from_pem(
        key_bytes("rsa2048_pkcs1_encrypted.pem"), KEY_PAIR_ID, passphrase=PASSPHRASE
    )
    assert signer.sign_url(EXAMPLE, expires_at=NOW, now=T0) == RSA_SHA1_EXAMPLE


@pytest.mark.parametrize("key_pair_id", ["", "K2J CJ", "K2J&x"])
def test_r21_signer_refuses_bad_key_pair_id(key_pair_id: str) -> None:
    with pytest.raises(InputError) as info:
        Signer.from_pem(private_pem("rsa"), key_pair_id)
    assert info.value.code is ErrorCode.KEY_PAIR_ID_INVALID


def test_repr_shows_no_key(signer: Signer, key_kind: str, hash_algorithm: HashName) -> None:
    text = repr(signer)
    described = "RSA-2048" if key_kind == "rsa" else "ECDSA P-256"
    assert text == (
        f"Signer(key_pair_id='K2JCJMDEHXQW5F', key={described}, hash_algorithm='{hash_algorithm}')"
    )
    assert signer.key_description == described


# -- properties ---------------------------------------------------------------------------

_segments = st.text(st.sampled_from("abcXYZ019-._~!$()*+,;=:@%"), min_size=1, max_size=12).map(
    lambda s: s.replace("%", "%25")
)
_paths = st.lists(_segments, min_size=1, max_size=4).map("/".join)
_queries = st.one_of(
    st.just(""),
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9._~%-]{0,8}", fullmatch=True).map(
                lambda s: s.replace("%", "%25")
            ),
        ),
        min_size=1,
        max_size=3,
    ).map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs)),
)


@settings(max_examples=60, deadline=None)
@given(
    path=_paths,
    query=_queries,
    lifetime=st.integers(1, 365 * 86400),
    start=st.one_of(st.none(), st.integers(1, 3600)),
    ip=st.one_of(st.none(), st.sampled_from(["192.0.2.1", "198.51.100.0/24", "10.0.0.0/8"])),
    wildcard=st.booleans(),
)
def test_signed_url_parses_back_to_the_asked_policy(
    path: str, query: str, lifetime: int, start: int | None, ip: str | None, wildcard: bool
) -> None:
    signer = _PROPERTY_SIGNER
    url = f"{D}/{path}{query}"
    resource = f"{D}/{path.split('/')[0]}*" if wildcard else None
    not_before = NOW - start if start is not None else None
    signed = signer.sign_url(
        url,
        expires_at=NOW + lifetime,
        not_before=not_before,
        ip_address=ip,
        resource=resource,
        now=NOW,
    )
    rebuilt, _, signing = parse_signed(signed)
    assert rebuilt == url
    policy, data = signed_policy(signed)
    custom = resource is not None or not_before is not None or ip is not None
    assert ("Policy" in dict(signing)) is custom
    assert policy.resource == (resource or url)
    assert policy.expires == NOW + lifetime
    assert policy.not_before == not_before
    assert policy.ip_address == (None if ip is None else ip if "/" in ip else f"{ip}/32")
    assert policy.covers(rebuilt)
    assert verify_signature(
        load_public_key(public_pem("ecdsa")),
        cf_b64decode(dict(signing)["Signature"]),
        data,
        "SHA1",
    )


_PROPERTY_SIGNER = Signer.from_pem(private_pem("ecdsa"), KEY_PAIR_ID)


@given(
    scheme=st.sampled_from(["https", "http", "HTTP", "*"]),
    host=st.text("ab9-.*A", max_size=8) | st.just("b.s3.amazonaws.com"),
    path=st.text("aZ9-._~!$&'()*+,;=:@/?% \"", max_size=12),
)
def test_r46_plain_resources_need_no_check(scheme: str, host: str, path: str) -> None:
    # the signer skips check_resource and resource_warnings for the usual resource shape;
    # for every resource that shape admits, both would have had nothing to say
    resource = f"{scheme}://{host}/{path}"
    try:
        expected: object = check_resource(resource), tuple(resource_warnings(resource))
    except InputError as exc:
        expected = exc.code
    try:
        quick: object = _resource(resource, False)
    except InputError as exc:
        quick = exc.code
    assert quick == expected


def test_r9_template_equals_policy_json() -> None:
    # every combination of the optional conditions, against the reference formatter
    for start in (None, NOW - 60):
        for ip in (None, "192.0.2.0/24"):
            ip_part = "" if ip is None else _ip_condition(ip)[1]
            expected = policy_json(f"{D}/v/*", NOW, start, ip).encode()
            assert _custom_policy(f"{D}/v/*", NOW, ip_part, start) == expected
