"""What the verifier makes of policies: CF-base64 (R2, OP7), ``Expires`` digits (R5),
custom policy structure (R7, R8, R9, OP13), resource patterns (R11, R12, OP1, OP3), the
time window (R13, R14, R16) and IP conditions (R15, OP14)."""

from __future__ import annotations

import json

import pytest

from frontgate.encoding import cf_b64encode
from frontgate.policy import resource_matches
from frontgate.verify import Reason, Verifier
from tests.verify.conftest import (
    NOW,
    RSA_ID,
    D,
    canned_url,
    custom_url,
    join,
    policy_doc,
    signer,
)

URL = f"{D}/a.jpg"
EXP = NOW + 3600


# -- R2 / OP7: CF-base64 only ----------------------------------------------------------------


def _signature(url: str) -> str:
    return url.split("&Signature=", 1)[1].split("&", 1)[0]


def _with_signature(url: str, value: str) -> str:
    return url.replace(_signature(url), value)


def test_r2_standard_alphabet_signature_refused(verifier: Verifier) -> None:
    url = canned_url(URL)
    standard = _signature(url).translate(str.maketrans("-_~", "+=/"))
    decision = verifier.verify_url(_with_signature(url, standard), now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "standard base64" in decision.message


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s.rstrip("_"), id="unpadded"),
        pytest.param(lambda s: s[:-1], id="length-not-multiple-of-4"),
        pytest.param(lambda s: "é" + s[1:], id="non-ascii"),
        pytest.param(lambda s: s[:10] + "%" + s[11:], id="stray-percent"),
        pytest.param(lambda s: s[:10] + "_" + s[11:], id="padding-in-the-middle"),
    ],
)
def test_r2_malformed_signature_is_bad_signature(verifier: Verifier, mangle: object) -> None:
    assert callable(mangle)
    url = canned_url(URL)
    decision = verifier.verify_url(_with_signature(url, mangle(_signature(url))), now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert decision.policy == "canned"


def _policy_value(url: str) -> str:
    return url.split("Policy=", 1)[1].split("&", 1)[0]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s.translate(str.maketrans("-_~", "+=/")), id="standard-alphabet"),
        pytest.param(lambda s: s.rstrip("_"), id="unpadded"),
        pytest.param(lambda s: s + "A", id="bad-length"),
        pytest.param(lambda s: s + "%FF%FE", id="non-ascii-after-decoding"),
    ],
)
def test_r2_malformed_policy_value(verifier: Verifier, mangle: object) -> None:
    assert callable(mangle)
    # a policy whose encoding needs padding and uses - _ ~ (so each mangling changes it)
    doc = policy_doc(f"{D}/~?>/*?", EXP)
    url = custom_url(doc, f"{D}/~%3F%3E/x")
    value = _policy_value(url)
    assert mangle(value) != value
    decision = verifier.verify_url(url.replace(value, mangle(value)), now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY


# -- R5: canonical Expires digits ------------------------------------------------------------


@pytest.mark.parametrize(
    "expires",
    [
        pytest.param(f"0{EXP}", id="leading-zero"),
        pytest.param(f"+{EXP}", id="plus-sign"),
        pytest.param(f"-{EXP}", id="minus-sign"),
        pytest.param(f"%20{EXP}", id="leading-space"),
        pytest.param(f"{EXP}%20", id="trailing-space"),
        pytest.param(f"{EXP}000", id="milliseconds"),
        pytest.param("9223372037", id="above-2262"),
        pytest.param(f"{EXP}.0", id="fraction"),
        pytest.param("1.8e9", id="exponent"),
        pytest.param("0x69", id="hex"),
        pytest.param("", id="empty"),
        pytest.param("%D9%A1%D9%A2", id="non-ascii-digits"),
        pytest.param("\u0661\u0662", id="raw-arabic-indic-digits"),
        pytest.param("00", id="double-zero"),
    ],
)
def test_r5_non_canonical_expires_is_malformed_policy(verifier: Verifier, expires: str) -> None:
    url = canned_url(URL, EXP).replace(f"Expires={EXP}", f"Expires={expires}")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY


def test_r5_milliseconds_get_a_hint(verifier: Verifier) -> None:
    url = canned_url(URL, EXP).replace(f"Expires={EXP}", f"Expires={EXP}000")
    assert "milliseconds" in verifier.verify_url(url, now=NOW).message


@pytest.mark.parametrize("expires", [9223372036, 0])
def test_r5_bounds_are_accepted(verifier: Verifier, expires: int) -> None:
    decision = verifier.verify_url(canned_url(URL, expires), now=NOW)
    assert decision.reason is (Reason.OK if expires else Reason.EXPIRED)
    assert decision.expires == expires


# -- R7 / R8: custom policy structure ---------------------------------------------------------

R = f'"Resource":"{D}/*"'
DLT = f'"DateLessThan":{{"AWS:EpochTime":{EXP}}}'
STMT = f'{{{R},"Condition":{{{DLT}}}}}'
DOC = f'{{"Statement":[{STMT}]}}'

FRAGMENT = {
    "two-statements": "exactly one statement",
    "empty-statement-list": "exactly one statement",
    "no-statement": 'no "Statement"',
    "statement-a-string": "exactly one statement",
    "no-condition": 'no "Condition"',
    "no-datelessthan": 'no "DateLessThan"',
    "only-dategreaterthan": 'no "DateLessThan"',
    "quoted-epoch": "not quoted",
    "fractional-epoch": "whole number",
    "fraction-zero-epoch": "whole number",
    "exponent-epoch": "whole number",
    "negative-epoch": "outside",
    "too-large-epoch": "outside",
    "milliseconds-epoch": "outside",
    "boolean-epoch": "JSON integer",
    "null-epoch": "JSON integer",
    "nan-epoch": "NaN",
    "resource-number": '"Resource" must be a string',
    "resource-null": '"Resource" must be a string',
    "resource-list": '"Resource" must be a string',
    "member-case": "unknown member 'dateLessThan'",
    "epoch-member-case": "unknown member 'aws:EpochTime'",
    "unknown-Version": "unknown member 'Version'",
    "unknown-Effect": "unknown member 'Effect'",
    "unknown-condition": "unknown member 'StringLike'",
    "unknown-in-epoch": "unknown member 'X'",
    "duplicate-DateLessThan": "'DateLessThan' appears twice",
    "duplicate-Resource": "'Resource' appears twice",
    "dup-Statement": "'Statement' appears twice",
    "top-level-list": "must be a JSON object",
    "truncated-json": "not valid JSON",
    "not-json": "not valid JSON",
    "deeply-nested": "nests more objects and arrays",
    "not-utf8": "not UTF-8",
    "utf8-bom": "not valid JSON",
}
MALFORMED = [
    pytest.param(f'{{"Statement":[{STMT},{STMT}]}}', id="two-statements"),
    pytest.param('{"Statement":[]}', id="empty-statement-list"),
    pytest.param("{}", id="no-statement"),
    pytest.param(f'{{"Statement":"{D}/*"}}', id="statement-a-string"),
    pytest.param(f'{{"Statement":[{{{R}}}]}}', id="no-condition"),
    pytest.param(f'{{"Statement":[{{{R},"Condition":{{}}}}]}}', id="no-datelessthan"),
    pytest.param(
        f'{{"Statement":[{{{R},"Condition":{{"DateGreaterThan":{{"AWS:EpochTime":1}}}}}}]}}',
        id="only-dategreaterthan",
    ),
    pytest.param(DOC.replace(str(EXP), f'"{EXP}"'), id="quoted-epoch"),
    pytest.param(DOC.replace(str(EXP), f"{EXP}.5"), id="fractional-epoch"),
    pytest.param(DOC.replace(str(EXP), f"{EXP}.0"), id="fraction-zero-epoch"),
    pytest.param(DOC.replace(str(EXP), "1.8e9"), id="exponent-epoch"),
    pytest.param(DOC.replace(str(EXP), "-1"), id="negative-epoch"),
    pytest.param(DOC.replace(str(EXP), "9223372037"), id="too-large-epoch"),
    pytest.param(DOC.replace(str(EXP), f"{EXP}000"), id="milliseconds-epoch"),
    pytest.param(DOC.replace(str(EXP), "true"), id="boolean-epoch"),
    pytest.param(DOC.replace(str(EXP), "null"), id="null-epoch"),
    pytest.param(DOC.replace(str(EXP), "NaN"), id="nan-epoch"),
    pytest.param(DOC.replace(f'"{D}/*"', "42"), id="resource-number"),
    pytest.param(DOC.replace(f'"{D}/*"', "null"), id="resource-null"),
    pytest.param(DOC.replace(f'"{D}/*"', f'["{D}/*"]'), id="resource-list"),
    pytest.param(DOC.replace('"DateLessThan"', '"dateLessThan"'), id="member-case"),
    pytest.param(DOC.replace('"AWS:EpochTime"', '"aws:EpochTime"'), id="epoch-member-case"),
    pytest.param(DOC.replace("{", '{"Version":"2012-10-17",', 1), id="unknown-Version"),
    pytest.param(DOC.replace(R, R + ',"Effect":"Allow"'), id="unknown-Effect"),
    pytest.param(
        DOC.replace(DLT, DLT + ',"StringLike":{"aws:Referer":"x"}'),
        id="unknown-condition",
    ),
    pytest.param(
        DOC.replace(DLT, f'"DateLessThan":{{"AWS:EpochTime":{EXP},"X":1}}'),
        id="unknown-in-epoch",
    ),
    pytest.param(DOC.replace(DLT, DLT + "," + DLT), id="duplicate-DateLessThan"),
    pytest.param(DOC.replace(R, R + "," + R), id="duplicate-Resource"),
    pytest.param('{"Statement":[' + STMT + '],"Statement":[' + STMT + "]}", id="dup-Statement"),
    pytest.param("[" + DOC + "]", id="top-level-list"),
    pytest.param("{" + STMT, id="truncated-json"),
    pytest.param("not json", id="not-json"),
    pytest.param("[" * 100_000, id="deeply-nested"),
    pytest.param(b"\xff\xfe" + DOC.encode(), id="not-utf8"),
    pytest.param(b"\xef\xbb\xbf" + DOC.encode(), id="utf8-bom"),
]
# the body of a statement with an IpAddress condition; {ip} is the JSON value
IP_STMT = '{"Statement":[{' + R + ',"Condition":{' + DLT + ',"IpAddress":{"AWS:SourceIp":{ip}}}}]}'
for _ip, _id in [
    ('"2001:db8::/32"', "ipv6-range"),
    ('"::ffff:192.0.2.1"', "ipv6-mapped"),
    ('["192.0.2.0/24"]', "ip-list"),
    ('["192.0.2.0/24","198.51.100.0/24"]', "ip-list-of-two"),
    ('"192.0.2.0/33"', "prefix-too-long"),
    ('"192.000.2.1"', "leading-zero-octet"),
    ('"192.0.2.256"', "octet-too-large"),
    ('"192.0.2"', "three-octets"),
    ('"example.com"', "host-name"),
    ('""', "empty"),
    ("3221225985", "number"),
    (" 192.0.2.1".join('""'), "leading-space"),
]:
    MALFORMED.append(pytest.param(IP_STMT.replace("{ip}", _ip), id=f"sourceip-{_id}"))
    FRAGMENT[f"sourceip-{_id}"] = "SourceIp"


@pytest.mark.parametrize("doc", MALFORMED)
def test_r8_malformed_custom_policy(
    verifier: Verifier, doc: str | bytes, request: pytest.FixtureRequest
) -> None:
    decision = verifier.verify_url(custom_url(doc), client_ip="192.0.2.1", now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY
    assert decision.edge_code == "MalformedPolicy"
    # the message names this case's fault, so no case passes for an unrelated one
    assert FRAGMENT[request.node.callspec.id] in decision.message


def test_r8_templates_are_valid(verifier: Verifier) -> None:
    assert verifier.verify_url(custom_url(DOC), now=NOW).reason is Reason.OK


def test_r8_ip_template_is_valid(verifier: Verifier) -> None:
    doc = IP_STMT.replace("{ip}", '"192.0.2.0/24"')
    assert verifier.verify_url(custom_url(doc), client_ip="192.0.2.1", now=NOW).reason is (
        Reason.OK
    )


def test_r8_missing_ip_member_is_malformed(verifier: Verifier) -> None:
    doc = IP_STMT.replace('{"AWS:SourceIp":{ip}}', "{}")
    decision = verifier.verify_url(custom_url(doc), client_ip="192.0.2.1", now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY


# AWS's own example policy as its documentation encodes it: indented, CR LF line ends
AWS_EXAMPLE = (
    "{ \r\n"
    '   "Statement": [{ \r\n'
    f'      "Resource":"{D}/game_download.zip", \r\n'
    '      "Condition":{ \r\n'
    '         "IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}, \r\n'
    f'         "DateLessThan":{{"AWS:EpochTime":{EXP}}}\r\n'
    "      } \r\n"
    "   }] \r\n"
    "}"
)


def test_r9_aws_indented_crlf_example_accepted(verifier: Verifier) -> None:
    url = custom_url(AWS_EXAMPLE, f"{D}/game_download.zip")
    assert url.split("Policy=")[1].startswith("eyANCiAg")  # as printed by AWS
    decision = verifier.verify_url(url, client_ip="192.0.2.77", now=NOW)
    assert decision.reason is Reason.OK
    assert (decision.ip_address, decision.expires) == ("192.0.2.0/24", EXP)


def test_r9_whitespace_everywhere_and_any_member_order(verifier: Verifier) -> None:
    doc = (
        '\t{ "Statement" : [ { "Condition" : { "DateGreaterThan" : { "AWS:EpochTime" : 1 } ,'
        f'\n"DateLessThan":{{ "AWS:EpochTime" :\n{EXP} }} }} , "Resource" : "{D}/*" }} ] }}\n '
    )
    decision = verifier.verify_url(custom_url(doc), now=NOW)
    assert decision.reason is Reason.OK
    assert decision.not_before == 1


def test_r9_signature_covers_the_exact_bytes(verifier: Verifier) -> None:
    # the same policy, re-serialised: a signature over the compact form does not cover it
    compact = policy_doc(expires=EXP)
    spaced = compact.replace(",", ", ")
    url = custom_url(compact)
    forged = url.replace(cf_b64encode(compact.encode()), cf_b64encode(spaced.encode()))
    assert verifier.verify_url(forged, now=NOW).reason is Reason.BAD_SIGNATURE


def test_r10_editing_the_policy_breaks_the_signature(verifier: Verifier) -> None:
    url = custom_url(policy_doc(f"{D}/a.jpg", EXP))
    edited = policy_doc(f"{D}/*", EXP)
    forged = url.replace(
        cf_b64encode(policy_doc(f"{D}/a.jpg", EXP).encode()), cf_b64encode(edited.encode())
    )
    decision = verifier.verify_url(forged, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert "R10" in decision.message


def test_op13_single_object_statement_accepted(verifier: Verifier) -> None:
    doc = f'{{"Statement":{STMT}}}'
    assert verifier.verify_url(custom_url(doc), now=NOW).reason is Reason.OK


# -- R11: resource patterns -------------------------------------------------------------------

H = "d111111abcdef8.cloudfront.net"
R11_CASES = [
    # pattern "*" alone
    ("*", f"https://{H}/x/y.jpg?z=1", True),
    ("*", "http://other.example/", True),
    # Consequences paragraph of R11, in order
    (f"https://{H}/videos/*", f"https://{H}/videos/a/b.ts?x=1", True),
    (f"https://{H}/videos/*", f"https://{H}/videos", False),
    (f"https://{H}/hello*world", f"https://{H}/hello-world", True),
    (f"https://{H}/hello*world", f"https://{H}/hello?world", False),
    (f"https://{H}/a.jpg", f"https://{H}/a.jpg?x=1", False),
    (f"https://{H}/a.jpg", f"https://{H}/a.jpg", True),
    (f"https://{H}/a.jpg?*", f"https://{H}/a.jpg", True),
    (f"https://{H}/a.jpg?*", f"https://{H}/a.jpg?x=1&y=2", True),
    ("https://example.com*", "https://example.com.attacker.test/a?b=1", True),
    ("https://example.com*", "https://example.com/", True),
    ("*example.com", "https://example.com/", True),
    ("*example.com", "http://www.example.com/", True),
    ("*example.com", "https://example.com/a", False),
    ("*example.com", "https://example.com/?x=1", False),
    ("https://*", "https://any.example/p/q?r=1", True),
    ("https://*", "http://any.example/", False),
    (f"https://{H}/a?x=1&y=2", f"https://{H}/a?x=1&y=2", True),
    (f"https://{H}/a?x=1&y=2", f"https://{H}/a?y=2&x=1", False),
    # exceptions: trailing * in the domain reaches path and query ...
    ("https://*.example.com*", "https://cdn.example.com/a/b?c=d", True),
    ("https://cdn.example.*", "https://cdn.example.org/deep/path.jpg?x", True),
    # ... a domain without * and without / has path "/" and no query
    ("https://cdn.example.com", "https://cdn.example.com/", True),
    ("https://cdn.example.com", "https://cdn.example.com/a", False),
    ("https://cdn.example.com", "https://cdn.example.com/?x=1", False),
    # ... a trailing * in the path reaches the query, an inner one does not
    (f"https://{H}/a*", f"https://{H}/a/b.jpg?x=1", True),
    (f"https://{H}/*.jpg", f"https://{H}/a.jpg?x=1", False),
    # inside a section * matches / & =
    (f"https://{H}/*", f"https://{H}/a/b&c=d", True),
    (f"https://{H}/a.jpg?x=*", f"https://{H}/a.jpg?x=1&y=2", True),
    # ? starts the query section: never a path wildcard (OP1)
    (f"https://{H}/a?c.jpg", f"https://{H}/abc.jpg", False),
    (f"https://{H}/a?c.jpg", f"https://{H}/a?c.jpg", True),
    (f"https://{H}/?.jpg", f"https://{H}/a.jpg", False),
    # ... but one character elsewhere
    (f"https://{H}/a.jpg?v=?", f"https://{H}/a.jpg?v=1", True),
    (f"https://{H}/a.jpg?v=?", f"https://{H}/a.jpg?v=12", False),
    (f"https://{H}/a.jpg?v=?", f"https://{H}/a.jpg?v=", False),
    ("https://d?.example/a", "https://d1.example/a", True),
    ("https://d?.example/a", "https://d12.example/a", False),
    (f"http?://{H}/a", f"https://{H}/a", True),
    (f"http?://{H}/a", f"http://{H}/a", False),
    (f"*://{H}/a", f"http://{H}/a", True),
    (f"*://{H}/a", f"https://{H}/a", True),
    # a backslash is an ordinary character (OP1)
    (f"https://{H}/a\\?x=1", f"https://{H}/a\\?x=1", True),
    (f"https://{H}/a\\?x=1", f"https://{H}/a?x=1", False),
    # case (OP3): scheme and host folded, path and query not
    (f"HTTPS://{H.upper()}/a.jpg", f"https://{H}/a.jpg", True),
    (f"https://{H}/A.jpg", f"https://{H}/a.jpg", False),
    (f"https://{H}/a.jpg?X=1", f"https://{H}/a.jpg?x=1", False),
    # no percent-decoding on either side
    (f"https://{H}/a%20b.jpg", f"https://{H}/a%20b.jpg", True),
    (f"https://{H}/a%7Eb.jpg", f"https://{H}/a~b.jpg", False),
    (f"https://{H}/caf%C3%A9", f"https://{H}/caf%c3%a9", False),
    # ports are part of the domain section
    ("http://127.0.0.1:8080/*", "http://127.0.0.1:8080/a", True),
    ("http://127.0.0.1:8080/*", "http://127.0.0.1/a", False),
    # neither a protocol nor a leading *: matches nothing
    (f"{H}/a.jpg", f"https://{H}/a.jpg", False),
    ("", f"https://{H}/", False),
]


@pytest.mark.parametrize(("pattern", "url", "matches"), R11_CASES)
def test_r11_resource_matches(pattern: str, url: str, matches: bool) -> None:
    assert resource_matches(pattern, url) is matches


@pytest.mark.parametrize(("pattern", "url", "matches"), R11_CASES)
def test_r11_through_the_verifier(
    verifier: Verifier, pattern: str, url: str, matches: bool
) -> None:
    doc = '{"Statement":[{"Resource":%s,"Condition":{%s}}]}' % (
        json.dumps(pattern),
        DLT,
    )
    decision = verifier.verify_url(custom_url(doc, url), now=NOW)
    assert decision.reason is (Reason.OK if matches else Reason.RESOURCE_MISMATCH)
    assert decision.policy_resource == pattern


# -- R12: every resource --------------------------------------------------------------------


@pytest.mark.parametrize("resource", [None, "*"], ids=["no-resource", "star"])
def test_r12_all_resources_allowed_with_a_warning(verifier: Verifier, resource: str | None) -> None:
    url = custom_url(policy_doc(resource), "http://any.example/x?y=1")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.OK
    assert decision.policy_resource == resource
    assert decision.warnings
    assert "every file" in decision.warnings[0]
    assert decision.to_dict()["warnings"] == list(decision.warnings)


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [("https://*", "every host"), (f"https://{H}*", "look-alike")],
)
def test_r12_broad_patterns_warn(verifier: Verifier, resource: str, fragment: str) -> None:
    decision = verifier.verify_url(custom_url(policy_doc(resource), f"https://{H}/a"), now=NOW)
    assert decision.reason is Reason.OK
    assert any(fragment in w for w in decision.warnings)


def test_r12_precise_resource_has_no_warning(verifier: Verifier) -> None:
    assert verifier.verify_url(custom_url(policy_doc()), now=NOW).warnings == ()


# -- R13 / R14 / R16: the window, strict on both ends, no skew ---------------------------------


def test_r13_expired_at_boundary(verifier: Verifier) -> None:
    for url in (canned_url(URL, NOW), custom_url(policy_doc(expires=NOW))):
        assert verifier.verify_url(url, now=NOW).reason is Reason.EXPIRED
        assert verifier.verify_url(url, now=NOW - 1).reason is Reason.OK
        assert verifier.verify_url(url, now=NOW - 0.001).reason is Reason.OK


def test_r13_expires_zero_and_datetimes(verifier: Verifier) -> None:
    from datetime import UTC, datetime

    url = canned_url(URL, NOW)
    at = datetime.fromtimestamp(NOW, UTC)
    assert verifier.verify_url(url, now=at).reason is Reason.EXPIRED
    naive = datetime(2026, 1, 1, 17)
    with pytest.raises(ValueError, match="naive"):
        verifier.verify_url(url, now=naive)


def test_r14_not_yet_valid_at_boundary(verifier: Verifier) -> None:
    url = custom_url(policy_doc(not_before=NOW, expires=NOW + 10))
    assert verifier.verify_url(url, now=NOW).reason is Reason.NOT_YET_VALID
    assert verifier.verify_url(url, now=NOW - 5).reason is Reason.NOT_YET_VALID
    assert verifier.verify_url(url, now=NOW + 1).reason is Reason.OK
    assert verifier.verify_url(url, now=NOW + 0.001).reason is Reason.OK


def test_r14_one_second_window(verifier: Verifier) -> None:
    # DateGreaterThan = N, DateLessThan = N + 2: only N + 1 (and fractions) is inside
    url = custom_url(policy_doc(not_before=NOW, expires=NOW + 2))
    verdicts = [verifier.verify_url(url, now=NOW + d).reason for d in (0, 0.5, 1, 1.999, 2)]
    assert verdicts == [
        Reason.NOT_YET_VALID,
        Reason.OK,
        Reason.OK,
        Reason.OK,
        Reason.EXPIRED,
    ]


def test_r16_each_request_judged_at_its_own_time(verifier: Verifier) -> None:
    url = canned_url(URL, NOW + 60)
    assert [verifier.verify_url(url, now=NOW + t).allowed for t in (0, 59, 60, 61)] == [
        True,
        True,
        False,
        False,
    ]


# -- R15 / OP14: IP conditions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "client", "inside"),
    [
        ("192.0.2.0/24", "192.0.2.0", True),
        ("192.0.2.0/24", "192.0.2.255", True),
        ("192.0.2.0/24", "192.0.1.255", False),
        ("192.0.2.0/24", "192.0.3.0", False),
        ("192.0.2.7/32", "192.0.2.7", True),
        ("192.0.2.7/32", "192.0.2.6", False),
        ("192.0.2.7/32", "192.0.2.8", False),
        ("192.0.2.7", "192.0.2.7", True),
        ("192.0.2.7", "192.0.2.8", False),
        ("0.0.0.0/0", "0.0.0.0", True),
        ("0.0.0.0/0", "255.255.255.255", True),
        ("0.0.0.0/0", "2001:db8::1", False),
        ("192.0.2.10/24", "192.0.2.200", True),
        ("192.0.2.10/24", "192.0.3.10", False),
        ("10.0.0.0/8", "10.255.255.255", True),
        ("10.0.0.0/8", "11.0.0.0", False),
        ("192.0.2.0/24", "::ffff:192.0.2.7", True),
        ("192.0.2.0/24", "::FFFF:192.0.2.7", True),
        ("192.0.2.0/24", "::ffff:c000:0207", True),
        ("192.0.2.0/24", "::ffff:198.51.100.7", False),
        ("192.0.2.0/24", "2001:db8::1", False),
        ("192.0.2.0/24", "::192.0.2.7", False),
        ("192.0.2.0/24", "::1", False),
    ],
)
def test_r15_cidr_edges(verifier: Verifier, cidr: str, client: str, inside: bool) -> None:
    decision = verifier.verify_url(custom_url(policy_doc(ip=cidr)), client_ip=client, now=NOW)
    assert decision.reason is (Reason.OK if inside else Reason.IP_MISMATCH)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("192.0.2.10/24", "192.0.2.0/24"),
        ("192.0.2.7", "192.0.2.7/32"),
        ("203.0.113.129/25", "203.0.113.128/25"),
        ("1.2.3.4/0", "0.0.0.0/0"),
    ],
)
def test_r15_ranges_normalised(verifier: Verifier, written: str, normalised: str) -> None:
    decision = verifier.verify_url(custom_url(policy_doc(ip=written)), client_ip="1.1.1.1", now=NOW)
    assert decision.ip_address == normalised


def test_r15_ipv6_viewer_is_ip_mismatch_with_a_reason(verifier: Verifier) -> None:
    url = custom_url(policy_doc(ip="192.0.2.0/24"))
    decision = verifier.verify_url(url, client_ip="2001:db8::7", now=NOW)
    assert decision.reason is Reason.IP_MISMATCH
    assert "IPv6" in decision.message


@pytest.mark.parametrize("client", ["not-an-ip", "192.0.2", "192.0.2.1/24", " ", "[::1]"])
def test_r15_unreadable_client_ip_is_ip_mismatch(verifier: Verifier, client: str) -> None:
    url = custom_url(policy_doc(ip="192.0.2.0/24"))
    assert verifier.verify_url(url, client_ip=client, now=NOW).reason is Reason.IP_MISMATCH


def test_r15_no_ip_condition_admits_every_client(verifier: Verifier) -> None:
    url = custom_url(policy_doc())
    for client in (None, "", "2001:db8::1", "garbage", "192.0.2.1"):
        assert verifier.verify_url(url, client_ip=client, now=NOW).reason is Reason.OK


def test_r15_client_ip_required(verifier: Verifier) -> None:
    url = custom_url(policy_doc(ip="192.0.2.0/24"))
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.CLIENT_IP_REQUIRED
    assert "192.0.2.0/24" in decision.message


def test_r15_signer_output_with_ip(verifier: Verifier) -> None:
    url = signer("ec").sign_url(URL, expires_at=EXP, ip_address="192.0.2.10/24", now=NOW)
    assert verifier.verify_url(url, client_ip="192.0.2.99", now=NOW).reason is Reason.OK
    assert verifier.verify_url(url, client_ip="192.0.3.1", now=NOW).reason is Reason.IP_MISMATCH


def test_r15_check_happens_after_the_signature(verifier: Verifier) -> None:
    # a forged policy with a wide IP range never reaches the IP check
    url = custom_url(policy_doc(ip="192.0.2.0/24"))
    wide = policy_doc(ip="0.0.0.0/0")
    forged = url.replace(
        cf_b64encode(policy_doc(ip="192.0.2.0/24").encode()), cf_b64encode(wide.encode())
    )
    assert verifier.verify_url(forged, client_ip="1.1.1.1", now=NOW).reason is (
        Reason.BAD_SIGNATURE
    )


def test_r15_unsigned_parameters_cannot_add_an_ip(verifier: Verifier) -> None:
    # sanity: the key pair id and the query are all the verifier reads
    url = join(custom_url(policy_doc()), "IpAddress=1.2.3.4")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.OK
    assert decision.key_pair_id == RSA_ID
