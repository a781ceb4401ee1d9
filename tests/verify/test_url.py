"""Signed URLs, section E of cloudfront.md: reserved names (R23), order (R24), reading the
query (R25), the rebuilt URL (R26) and its byte-exactness (R27), canned or custom (R28),
URL over cookies (R29) and what reaches the origin (R30)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontgate.verify import Reason, Verifier, rebuild_url
from tests.verify.conftest import (
    NOW,
    RSA_ID,
    D,
    canned_cookies,
    canned_url,
    cookie_header,
    custom_url,
    join,
    policy_doc,
)

URL = f"{D}/a.jpg"
RESERVED = ["Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"]


def params_of(url: str) -> dict[str, str]:
    return dict(s.partition("=")[::2] for s in url.split("?", 1)[1].split("&"))


# -- R23: reserved names are exact, case-sensitive and raw -----------------------------------


@pytest.mark.parametrize(
    "user_query",
    ["expires=5", "EXPIRES=5", "policy=x", "signature=x", "key-pair-id=K", "Key%2DPair%2DId=K"],
)
def test_r23_lookalike_names_are_user_parameters(verifier: Verifier, user_query: str) -> None:
    signed_for = f"{URL}?{user_query}"
    decision = verifier.verify_url(canned_url(signed_for), now=NOW)
    assert decision.reason is Reason.OK
    assert decision.resource == signed_for


def test_r23_encoded_reserved_name_does_not_make_a_signed_url(verifier: Verifier) -> None:
    # Key%2DPair%2DId is not Key-Pair-Id (OP4): the URL has no reserved name, cookies count
    url = f"{URL}?Key%2DPair%2DId={RSA_ID}"
    assert rebuild_url(url) is not None
    assert rebuild_url(url).params == {}  # type: ignore[union-attr]
    decision = verifier.verify_cookies(url, canned_cookies(url), now=NOW)
    assert decision.reason is Reason.OK
    assert decision.source == "cookies"


@pytest.mark.parametrize("name", RESERVED)
def test_r23_each_reserved_name_is_recognised(name: str) -> None:
    request = rebuild_url(f"{URL}?x=1&{name}=v&y=2")
    assert request is not None
    assert request.params == {name: "v"}
    assert request.rebuilt == f"{URL}?x=1&y=2"


# -- R24: reserved parameters anywhere ------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        ["x", "y", "Expires", "Signature", "Key-Pair-Id"],
        ["Expires", "Signature", "Key-Pair-Id", "x", "y"],
        ["Key-Pair-Id", "x", "Signature", "y", "Expires"],
        ["Signature", "x", "Expires", "y", "Key-Pair-Id"],
    ],
    ids=["after", "before", "between-1", "between-2"],
)
def test_r24_reserved_parameters_in_any_order(verifier: Verifier, order: list[str]) -> None:
    signed = params_of(canned_url(f"{URL}?x=1&y=2"))
    url = f"{URL}?" + "&".join(f"{name}={signed[name]}" for name in order)
    assert verifier.verify_url(url, now=NOW).reason is Reason.OK


# -- R25: percent-decoded reserved values (OP5), duplicates (OP6) ----------------------------


def _signed_with(char: str) -> str:
    for n in range(200):
        url = canned_url(f"{D}/f{n}.jpg")
        if char in params_of(url)["Signature"]:
            return url
    raise AssertionError(f"no signature with {char!r}")  # pragma: no cover


@pytest.mark.parametrize(("char", "escape"), [("~", "%7E"), ("~", "%7e"), ("-", "%2D")])
def test_r25_percent_encoded_signature_accepted(verifier: Verifier, char: str, escape: str) -> None:
    url = _signed_with(char)
    head, _, sig = url.partition("&Signature=")
    sig, _, tail = sig.partition("&")
    url = f"{head}&Signature={sig.replace(char, escape)}&{tail}"
    assert escape in url
    assert verifier.verify_url(url, now=NOW).reason is Reason.OK


def test_r25_whole_values_percent_encoded(verifier: Verifier) -> None:
    url = custom_url(policy_doc(), by="ec", hash_algorithm="SHA256")
    params = params_of(url)
    encoded = "&".join(
        f"{name}=" + "".join(f"%{ord(c):02X}" for c in value) for name, value in params.items()
    )
    assert verifier.verify_url(f"{URL}?{encoded}", now=NOW).reason is Reason.OK


def test_r25_plus_is_not_a_space(verifier: Verifier) -> None:
    # CF-base64 has no "+": a "+" where "-" was is a different, invalid value
    url = _signed_with("-")
    head, _, sig = url.partition("&Signature=")
    sig, _, tail = sig.partition("&")
    tampered = f"{head}&Signature={sig.replace('-', '+', 1)}&{tail}"
    assert verifier.verify_url(tampered, now=NOW).reason is Reason.BAD_SIGNATURE
    spaced = f"{head}&Signature={sig.replace('-', '%20', 1)}&{tail}"
    assert verifier.verify_url(spaced, now=NOW).reason is Reason.BAD_SIGNATURE


def test_r25_percent_encoded_expires_and_key_pair_id(verifier: Verifier) -> None:
    url = canned_url(URL).replace(f"Key-Pair-Id={RSA_ID}", "Key-Pair-Id=%4B" + RSA_ID[1:])
    url = url.replace(f"Expires={NOW + 3600}", f"Expires=%31{str(NOW + 3600)[1:]}")
    assert verifier.verify_url(url, now=NOW).reason is Reason.OK


@pytest.mark.parametrize("name", RESERVED)
def test_r25_duplicate_reserved_parameter_is_malformed_request(
    verifier: Verifier, name: str
) -> None:
    # all five present once (Policy decides, OP10), then one of them again
    url = custom_url(policy_doc(), hash_algorithm="SHA256") + f"&Expires={NOW + 60}"
    assert verifier.verify_url(url, now=NOW).reason is Reason.OK
    url += f"&{name}={params_of(url)[name]}"
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.MALFORMED_REQUEST
    assert name in decision.message


def test_r25_duplicate_even_with_identical_value(verifier: Verifier) -> None:
    url = canned_url(URL)
    assert verifier.verify_url(url + f"&Expires={NOW + 3600}", now=NOW).reason is (
        Reason.MALFORMED_REQUEST
    )


def test_r25_name_without_equals_is_present_and_empty(verifier: Verifier) -> None:
    url = join(URL, f"Expires&Signature=AAAA&Key-Pair-Id={RSA_ID}")
    assert verifier.verify_url(url, now=NOW).reason is Reason.MALFORMED_POLICY


def test_r25_value_after_first_equals(verifier: Verifier) -> None:
    request = rebuild_url(f"{URL}?a=b=c&Key-Pair-Id=K=1")
    assert request is not None
    assert request.params == {"Key-Pair-Id": "K=1"}
    assert request.rebuilt == f"{URL}?a=b=c"


# -- R26: the rebuilt request URL -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "rebuilt"),
    [
        pytest.param("https://d.example:443/a", "https://d.example/a", id="https-443-dropped"),
        pytest.param("http://d.example:80/a", "http://d.example/a", id="http-80-dropped"),
        pytest.param("http://d.example:443/a", "http://d.example:443/a", id="http-443-kept"),
        pytest.param("https://d.example:80/a", "https://d.example:80/a", id="https-80-kept"),
        pytest.param(
            "http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a", id="non-default-port-kept"
        ),
        pytest.param("HTTPS://D.Example/A.JPG", "https://d.example/A.JPG", id="host-lowered"),
        pytest.param("https://d.example/a/./b/../c", "https://d.example/a/./b/../c", id="dots"),
        pytest.param("https://d.example/a%2fb%7E", "https://d.example/a%2fb%7E", id="raw-path"),
        pytest.param("https://d.example//a//b/", "https://d.example//a//b/", id="empty-segs"),
        pytest.param("https://d.example/a.html?&Expires=1", "https://d.example/a.html?", id="OP2"),
        pytest.param(
            "https://d.example/a.jpg?a=1&&Expires=1", "https://d.example/a.jpg?a=1&", id="OP2-mid"
        ),
        pytest.param("https://d.example/a?Expires=1", "https://d.example/a", id="no-query-left"),
        pytest.param("https://d.example/a?", "https://d.example/a?", id="lone-question-mark"),
        pytest.param("https://d.example/a?x=1#frag", "https://d.example/a?x=1", id="fragment"),
        pytest.param("https://d.example/a#f?Expires=1", "https://d.example/a", id="frag-query"),
        pytest.param("https://d.example", "https://d.example/", id="empty-path"),
        pytest.param("https://d.example?x=1", "https://d.example/?x=1", id="query-no-path"),
    ],
)
def test_r26_rebuilt_url(url: str, rebuilt: str) -> None:
    request = rebuild_url(url)
    assert request is not None
    assert request.rebuilt == rebuilt


@pytest.mark.parametrize("url", ["", "d.example/a", "ftp://d.example/a", "https://", "https:///a"])
def test_r26_not_an_http_url(url: str) -> None:
    assert rebuild_url(url) is None


def test_r26_default_port_and_host_case_verify(verifier: Verifier) -> None:
    url = canned_url(URL)
    assert verifier.verify_url(url.replace(D, D + ":443"), now=NOW).reason is Reason.OK
    assert verifier.verify_url(url.replace(D, D.upper()), now=NOW).reason is Reason.OK
    assert verifier.verify_url(url + "#top", now=NOW).reason is Reason.OK


def test_r26_non_default_port_is_part_of_the_resource(verifier: Verifier) -> None:
    local = "http://127.0.0.1:8080/a.jpg"
    assert verifier.verify_url(canned_url(local), now=NOW).reason is Reason.OK
    moved = canned_url(local).replace(":8080", ":8081")
    assert verifier.verify_url(moved, now=NOW).reason is Reason.BAD_SIGNATURE


def test_r26_op2_empty_segment_keeps_the_question_mark(verifier: Verifier) -> None:
    # an AWS sample signs .../sample.html? and sends .../sample.html?&Expires=...
    signed = canned_url(f"{D}/sample.html?")
    assert "sample.html?&Expires=" in signed
    decision = verifier.verify_url(signed, now=NOW)
    assert decision.reason is Reason.OK
    assert decision.resource == f"{D}/sample.html?"
    unsigned_form = canned_url(f"{D}/sample.html", resource=f"{D}/sample.html?")
    assert verifier.verify_url(unsigned_form, now=NOW).reason is Reason.BAD_SIGNATURE


def test_r26_path_dots_are_kept(verifier: Verifier) -> None:
    assert verifier.verify_url(canned_url(f"{D}/a/./b/../c.jpg"), now=NOW).reason is Reason.OK


# -- R27: byte-exactness ----------------------------------------------------------------------

R27_CASES = [
    pytest.param(f"{D}/a.jpg", f"{D}/a.jpg".replace("https:", "http:"), id="https-vs-http"),
    pytest.param(f"{D}/a.jpg", "https://cdn.example.com/a.jpg", id="host-alias"),
    pytest.param(f"{D}/a.jpg", f"{D}/A.jpg", id="path-case"),
    pytest.param(f"{D}/a.jpg?x=1", f"{D}/a.jpg?x=1&y=2", id="added-param"),
    pytest.param(f"{D}/a.jpg", f"{D}/a.jpg?x=1", id="added-query"),
    pytest.param(f"{D}/a.jpg?x=1&y=2", f"{D}/a.jpg?y=2&x=1", id="reordered"),
    pytest.param(f"{D}/a.jpg?x=1&y=2", f"{D}/a.jpg?x=1", id="removed-param"),
    pytest.param(f"{D}/a.jpg?q=a%20b", f"{D}/a.jpg?q=a+b", id="pct20-vs-plus"),
    pytest.param(f"{D}/a%20b.jpg", f"{D}/a+b.jpg", id="pct20-vs-plus-path"),
    pytest.param(f"{D}/a.jpg?q=it's", f"{D}/a.jpg?q=it%27s", id="quote-vs-pct27"),
    pytest.param(f"{D}/caf%C3%A9.jpg", f"{D}/caf%c3%a9.jpg", id="hex-case"),
    pytest.param(f"{D}/a/./b.jpg", f"{D}/a/b.jpg", id="dot-segment"),
]


@pytest.mark.parametrize(("signed_for", "requested"), R27_CASES)
def test_r27_canned_change_is_bad_signature(
    verifier: Verifier, signed_for: str, requested: str
) -> None:
    url = canned_url(requested, resource=signed_for)
    assert verifier.verify_url(canned_url(signed_for), now=NOW).reason is Reason.OK
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert decision.resource == requested
    assert requested in decision.message  # the message shows the rebuilt URL (P6)


@pytest.mark.parametrize(("signed_for", "requested"), R27_CASES)
def test_r27_custom_change_is_resource_mismatch(
    verifier: Verifier, signed_for: str, requested: str
) -> None:
    policy = policy_doc(signed_for)
    assert verifier.verify_url(custom_url(policy, signed_for), now=NOW).reason is Reason.OK
    decision = verifier.verify_url(custom_url(policy, requested), now=NOW)
    assert decision.reason is Reason.RESOURCE_MISMATCH
    assert signed_for in decision.message
    assert requested in decision.message


# -- R28: canned or custom --------------------------------------------------------------------


def test_r28_policy_and_expires_policy_decides(verifier: Verifier) -> None:
    url = custom_url(policy_doc(expires=NOW + 60))
    for expires in ("1", "garbage", str(NOW + 999_999)):
        decision = verifier.verify_url(f"{url}&Expires={expires}", now=NOW)
        assert decision.reason is Reason.OK
        assert (decision.policy, decision.expires) == ("custom", NOW + 60)


def test_r28_canned_signature_with_a_policy_is_judged_as_custom(verifier: Verifier) -> None:
    url = canned_url(URL) + "&Policy=%20"
    assert verifier.verify_url(url, now=NOW).reason is Reason.MALFORMED_POLICY


def test_r28_neither_policy_nor_expires_is_malformed_policy(verifier: Verifier) -> None:
    url = canned_url(URL).replace(f"Expires={NOW + 3600}&", "")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY
    assert "OP11" in decision.message


def test_r28_empty_policy_is_malformed_policy(verifier: Verifier) -> None:
    url = join(URL, f"Policy=&Signature=AAAA&Key-Pair-Id={RSA_ID}")
    assert verifier.verify_url(url, now=NOW).reason is Reason.MALFORMED_POLICY
    with_expires = canned_url(URL) + "&Policy="
    assert verifier.verify_url(with_expires, now=NOW).reason is Reason.MALFORMED_POLICY


# -- R29: any reserved name makes a signed-URL request ---------------------------------------


@pytest.mark.parametrize(
    "query",
    ["Hash-Algorithm=SHA256", "Expires=1893456000", "Policy=", "Signature=x", "Hash-Algorithm="],
)
def test_r29_reserved_name_in_url_ignores_valid_cookies(verifier: Verifier, query: str) -> None:
    url = f"{URL}?{query}"
    cookies = canned_cookies(URL)
    for decision in (
        verifier.verify_cookies(url, cookies, now=NOW),
        verifier.verify_cookies(url, cookie_header(cookies), now=NOW),
        verifier.verify_request(url, [cookie_header(cookies)], now=NOW),
    ):
        assert decision.reason is Reason.MISSING_KEY
        assert decision.source == "url"


def test_r29_origin_expires_parameter_gets_a_hint(verifier: Verifier) -> None:
    decision = verifier.verify_cookies(f"{URL}?Expires=1893456000", canned_cookies(URL), now=NOW)
    assert "R29" in decision.message
    assert "rename" in decision.message


def test_r29_without_reserved_names_cookies_are_judged(verifier: Verifier) -> None:
    url = f"{URL}?expires=1893456000"
    assert verifier.verify_cookies(url, canned_cookies(url), now=NOW).reason is Reason.OK


# -- R30: reserved parameters never reach the resource ---------------------------------------


def test_r30_all_five_reserved_parameters_are_removed(verifier: Verifier) -> None:
    url = canned_url(f"{URL}?v=2", by="ec", hash_algorithm="SHA256")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.OK
    assert decision.resource == f"{URL}?v=2"
    request = rebuild_url(url)
    assert request is not None
    assert set(request.params) == {"Expires", "Signature", "Key-Pair-Id", "Hash-Algorithm"}


def _rule_reading(base: str, query: str) -> tuple[str, dict[str, str], str | None]:
    """R25/R26 read literally: split at &, name before the first =, reserved names out
    (first occurrence kept), the name whose second occurrence comes first (OP6)."""
    params: dict[str, str] = {}
    duplicate = None
    kept = []
    for segment in query.split("&"):
        name, _, value = segment.partition("=")
        if name in RESERVED:
            if name in params:
                duplicate = duplicate or name
            else:
                params[name] = value
        else:
            kept.append(segment)
    return (f"{base}?{'&'.join(kept)}" if kept else base), params, duplicate


_SEGMENT_NAMES = [*RESERVED, "x", "Expiresx", "Polic", "", "Key-Pair-Idd", "expires"]


@settings(max_examples=400)
@given(
    st.lists(
        st.tuples(st.sampled_from(_SEGMENT_NAMES), st.sampled_from(["", "=", "=1", "=a=b"])),
        min_size=1,
        max_size=60,
    )
)
def test_r25_r26_rebuild_matches_the_rule_read_literally(
    segments: list[tuple[str, str]],
) -> None:
    # short queries take the segment loop, long ones (> 16 &) the search per reserved name
    # and, with a repeated name, the one-pass removal: all three must read the rule alike
    query = "&".join(name + value for name, value in segments)
    request = rebuild_url(f"{URL}?{query}")
    assert request is not None
    assert tuple(request) == _rule_reading(URL, query)
