"""Signed cookies, section F of cloudfront.md: names (R31), canned or custom (R32), reading
(R33), setting (R34), misuse (R35), URL over cookies (R36) and reaching the edge (R37)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from frontgate.signer import cookie_headers
from frontgate.verify import Reason, Verifier, parse_cookie_header
from tests.verify.conftest import (
    EC_ID,
    NOW,
    RSA_ID,
    D,
    HashName,
    KeyName,
    canned_cookies,
    canned_url,
    cookie_header,
    custom_cookies,
    policy_doc,
    signer,
)

URL = f"{D}/videos/a.ts"


# -- R31: names -------------------------------------------------------------------------------


def test_r31_canned_and_custom_sets(verifier: Verifier, kind: KeyName, hash_name: HashName) -> None:
    s = signer(kind, hash_name)
    canned = s.sign_cookies(URL, expires_at=NOW + 60, now=NOW)
    custom = s.sign_cookies(f"{D}/videos/*", expires_at=NOW + 60, now=NOW)
    assert ("CloudFront-Expires" in canned, "CloudFront-Policy" in custom) == (True, True)
    for cookies, policy in ((canned, "canned"), (custom, "custom")):
        assert ("CloudFront-Hash-Algorithm" in cookies) is (hash_name == "SHA256")
        decision = verifier.verify_cookies(URL, cookies, now=NOW)
        assert decision.reason is Reason.OK
        assert (decision.source, decision.policy, decision.hash_algorithm) == (
            "cookies",
            policy,
            hash_name,
        )


@pytest.mark.parametrize(
    "rename", [str.lower, str.upper, lambda n: n.replace("CloudFront-", "Cloudfront-")]
)
def test_r31_names_are_case_sensitive(verifier: Verifier, rename: object) -> None:
    assert callable(rename)
    cookies = {rename(k): v for k, v in canned_cookies(URL).items()}
    for jar in (cookies, cookie_header(cookies)):
        decision = verifier.verify_cookies(URL, jar, now=NOW)
        assert decision.reason is Reason.MISSING_KEY
        assert decision.source is None


def test_r31_custom_hash_algorithm_cookie_values(verifier: Verifier) -> None:
    cookies = custom_cookies(policy_doc(), hash_algorithm="SHA256")
    assert verifier.verify_cookies(URL, cookies, now=NOW).reason is Reason.OK
    cookies["CloudFront-Hash-Algorithm"] = "sha256"
    decision = verifier.verify_cookies(URL, cookies, now=NOW)
    assert decision.reason is Reason.UNSUPPORTED_HASH_ALGORITHM
    assert "CloudFront-Hash-Algorithm" in decision.message


def test_r31_missing_pieces_name_the_cookie(verifier: Verifier) -> None:
    cookies = canned_cookies(URL)
    del cookies["CloudFront-Signature"]
    decision = verifier.verify_cookies(URL, cookies, now=NOW)
    assert decision.reason is Reason.MISSING_SIGNATURE
    assert "CloudFront-Signature" in decision.message
    only_expires = {"CloudFront-Expires": str(NOW + 60)}
    assert verifier.verify_cookies(URL, only_expires, now=NOW).reason is Reason.MISSING_KEY


def test_r31_neither_policy_nor_expires_cookie(verifier: Verifier) -> None:
    cookies = canned_cookies(URL)
    del cookies["CloudFront-Expires"]
    decision = verifier.verify_cookies(URL, cookies, now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY
    assert "CloudFront-Policy" in decision.message


def test_r31_empty_policy_cookie(verifier: Verifier) -> None:
    cookies = custom_cookies(policy_doc())
    cookies["CloudFront-Policy"] = ""
    assert verifier.verify_cookies(URL, cookies, now=NOW).reason is Reason.MALFORMED_POLICY


def test_r31_policy_cookie_beats_expires_cookie(verifier: Verifier) -> None:
    cookies = custom_cookies(policy_doc(expires=NOW + 60))
    cookies["CloudFront-Expires"] = "garbage"
    decision = verifier.verify_cookies(URL, cookies, now=NOW)
    assert decision.reason is Reason.OK
    assert decision.policy == "custom"


# -- R32: canned cookies open one URL ---------------------------------------------------------


def test_r32_canned_cookies_for_a_wildcard_never_work(verifier: Verifier) -> None:
    # what several SDK signers emit for .../videos/* (P8)
    cookies = canned_cookies(f"{D}/videos/*")
    for url in (URL, f"{D}/videos/*", f"{D}/videos/b.ts"):
        decision = verifier.verify_cookies(url, cookies, now=NOW)
        assert decision.reason is (Reason.OK if url.endswith("*") else Reason.BAD_SIGNATURE)


def test_r32_canned_cookies_open_exactly_one_url(verifier: Verifier) -> None:
    cookies = canned_cookies(URL)
    assert verifier.verify_cookies(URL, cookies, now=NOW).reason is Reason.OK
    other = verifier.verify_cookies(f"{D}/videos/b.ts", cookies, now=NOW)
    assert other.reason is Reason.BAD_SIGNATURE
    assert f"{D}/videos/b.ts" in other.message


def test_r32_signer_uses_custom_cookies_for_wildcards(verifier: Verifier) -> None:
    cookies = signer("ec").sign_cookies(f"{D}/videos/*", expires_at=NOW + 60, now=NOW)
    for url in (URL, f"{D}/videos/x/y.m3u8?v=1"):
        assert verifier.verify_cookies(url, cookies, now=NOW).reason is Reason.OK
    assert verifier.verify_cookies(f"{D}/other.ts", cookies, now=NOW).reason is (
        Reason.RESOURCE_MISMATCH
    )


# -- R33: reading cookies ---------------------------------------------------------------------


def test_r33_mapping_and_raw_header_agree(verifier: Verifier) -> None:
    cookies = custom_cookies(policy_doc(), by="ec")
    header = "session=abc; " + cookie_header(cookies) + "; theme=dark"
    by_mapping = verifier.verify_cookies(URL, cookies, now=NOW)
    by_header = verifier.verify_cookies(URL, header, now=NOW)
    by_request = verifier.verify_request(URL, [header], now=NOW)
    assert by_mapping == by_header == by_request
    assert by_mapping.reason is Reason.OK


def test_r33_first_occurrence_wins_in_one_header(verifier: Verifier) -> None:
    good = canned_cookies(URL)
    stale = canned_cookies(URL, NOW - 60)
    assert verifier.verify_cookies(URL, f"{cookie_header(good)}; {cookie_header(stale)}", now=NOW)
    first_stale = verifier.verify_cookies(
        URL, f"{cookie_header(stale)}; {cookie_header(good)}", now=NOW
    )
    assert first_stale.reason is Reason.EXPIRED


def test_r33_first_occurrence_across_cookie_headers(verifier: Verifier) -> None:
    good = custom_cookies(policy_doc())
    other = custom_cookies(policy_doc(), by="ec")
    decision = verifier.verify_request(URL, [cookie_header(good), cookie_header(other)], now=NOW)
    assert decision.reason is Reason.OK
    assert decision.key_pair_id == RSA_ID
    mixed = verifier.verify_request(
        URL,
        [f"CloudFront-Key-Pair-Id={EC_ID}", cookie_header(good)],
        now=NOW,
    )
    # the first Key-Pair-Id (EC) with the RSA signature: wrong key, named in the message
    assert mixed.reason is Reason.BAD_SIGNATURE
    assert RSA_ID in mixed.message


def test_r33_parse_cookie_header_first_occurrence() -> None:
    assert parse_cookie_header(
        ["a=1; CloudFront-Key-Pair-Id=K1", "CloudFront-Key-Pair-Id=K2; CloudFront-Expires=5"]
    ) == {"CloudFront-Key-Pair-Id": "K1", "CloudFront-Expires": "5"}
    assert parse_cookie_header("  CloudFront-Signature=a~b ;x") == {"CloudFront-Signature": "a~b"}
    assert parse_cookie_header("CloudFront-Signature") == {}


def test_r33_values_percent_decoded(verifier: Verifier) -> None:
    for n in range(200):
        cookies = canned_cookies(f"{D}/f{n}.ts")
        if "~" in cookies["CloudFront-Signature"]:
            break
    cookies["CloudFront-Signature"] = cookies["CloudFront-Signature"].replace("~", "%7E")
    cookies["CloudFront-Key-Pair-Id"] = "%4B" + RSA_ID[1:]
    assert verifier.verify_cookies(f"{D}/f{n}.ts", cookie_header(cookies), now=NOW).reason is (
        Reason.OK
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("CloudFront-Signature", Reason.BAD_SIGNATURE),
        ("CloudFront-Key-Pair-Id", Reason.UNKNOWN_KEY),
        ("CloudFront-Expires", Reason.MALFORMED_POLICY),
    ],
)
def test_r33_quoted_values_fail_op19(verifier: Verifier, name: str, reason: Reason) -> None:
    cookies = canned_cookies(URL)
    cookies[name] = f'"{cookies[name]}"'
    assert verifier.verify_cookies(URL, cookies, now=NOW).reason is reason
    assert verifier.verify_cookies(URL, cookie_header(cookies), now=NOW).reason is reason


def test_r33_quoted_policy_cookie_fails_op19(verifier: Verifier) -> None:
    cookies = custom_cookies(policy_doc())
    cookies["CloudFront-Policy"] = f'"{cookies["CloudFront-Policy"]}"'
    assert verifier.verify_cookies(URL, cookie_header(cookies), now=NOW).reason is (
        Reason.MALFORMED_POLICY
    )


# -- R34: Set-Cookie values come back as a Cookie header that verifies ------------------------


def test_r34_set_cookie_round_trip(verifier: Verifier) -> None:
    cookies = signer("rsa", "SHA256").sign_cookies(f"{D}/videos/*", expires_at=NOW + 60, now=NOW)
    jar: SimpleCookie = SimpleCookie()
    for value in cookie_headers(cookies, domain="example.com"):
        jar.load(value)
    header = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
    assert all(not morsel.value.startswith('"') for morsel in jar.values())  # no quoting
    assert verifier.verify_cookies(URL, header, now=NOW).reason is Reason.OK


# -- R35: an IP-bound cookie set only opens for that viewer -----------------------------------


def test_r35_ip_bound_cookies(verifier: Verifier) -> None:
    cookies = signer("ec").sign_cookies(
        f"{D}/videos/*", expires_at=NOW + 60, ip_address="203.0.113.7", now=NOW
    )
    assert verifier.verify_cookies(URL, cookies, client_ip="203.0.113.7", now=NOW)
    other = verifier.verify_cookies(URL, cookies, client_ip="203.0.113.8", now=NOW)
    assert other.reason is Reason.IP_MISMATCH


# -- R36: URL beats cookies, both ways --------------------------------------------------------


def test_r36_valid_url_with_junk_cookies_is_served(verifier: Verifier) -> None:
    url = canned_url(URL)
    junk = {
        "CloudFront-Key-Pair-Id": "KJUNK",
        "CloudFront-Signature": "!!",
        "CloudFront-Policy": "",
    }
    for jar in (junk, cookie_header(junk)):
        decision = verifier.verify_cookies(url, jar, now=NOW)
        assert decision.reason is Reason.OK
        assert decision.source == "url"
    assert verifier.verify_request(url, [cookie_header(junk)], now=NOW).source == "url"


def test_r36_invalid_url_with_valid_cookies_is_refused(verifier: Verifier) -> None:
    url = canned_url(URL, NOW - 1)
    cookies = custom_cookies(policy_doc())
    decision = verifier.verify_cookies(url, cookies, now=NOW)
    assert decision.reason is Reason.EXPIRED
    assert decision.source == "url"
    request = verifier.verify_request(url, [cookie_header(cookies)], now=NOW)
    assert request.reason is Reason.EXPIRED


# -- R37: no cookies at the edge --------------------------------------------------------------


def test_r37_no_cookies_is_missing_key_with_a_scope_hint(verifier: Verifier) -> None:
    for decision in (
        verifier.verify_cookies(URL, {}, now=NOW),
        verifier.verify_cookies(URL, "session=abc; theme=dark", now=NOW),
        verifier.verify_request(URL, [], now=NOW),
    ):
        assert decision.reason is Reason.MISSING_KEY
        assert decision.edge_code == "MissingKey"
        assert "Domain" in decision.message
        assert "R37" in decision.message
