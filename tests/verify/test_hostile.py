"""Adversarial input to the verifier: the work one request causes is bounded (counted,
never timed), and numbers of any length are refusals, never exceptions (R5, R8, R11, R38).

The work counter is :class:`fuzz._common.Meter`: the Python and built-in calls one
verification makes, counted by cProfile. Linear work shows as a call count that does not
grow (or grows by a constant per item) when the input grows.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from fuzz._common import Meter, reference_glob

from frontgate.policy import Policy, PolicyError, glob_match, resource_matches
from frontgate.verify import Reason, Verifier
from tests.verify.conftest import (
    NOW,
    RSA_ID,
    D,
    canned_cookies,
    canned_url,
    cookie_header,
    custom_cookies,
    custom_url,
    data_path,
    policy_doc,
)

THOUSANDS = "9" * 5000


def calls(run: object) -> int:
    """The calls ``run()`` makes (its work), counted by cProfile."""
    with Meter(10**9) as meter:
        run()  # type: ignore[operator]
    return meter.calls


# -- R11: the wildcard CPU pin ---------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [f"{D}/*/*/*/*/*a", f"{D}/*a*b*c*d*e", "*://*/*/*/*?*=*&*", f"{D}/*?a=*&b=?*&c"],
)
def test_r11_wildcard_match_work_is_linear_in_the_path(pattern: str) -> None:
    """A few * against a path of thousands of / once took seconds (backtracking regex);
    now each section is a few string operations over disjoint stretches of the URL."""
    sizes = (1_000, 8_000)
    counted = []
    for size in sizes:
        url = f"{D}/{'/' * size}?{'a=' * (size // 4)}"
        meter = [0]
        assert glob_match(pattern, url, True, meter) == reference_glob(pattern, url, True)
        # the string operations are handed disjoint stretches of the URL
        assert meter[0] <= len(url) + len(pattern)
        resource_matches(pattern, url)  # compiles and caches the pattern
        counted.append(calls(lambda url=url: resource_matches(pattern, url)))
    assert counted[0] == counted[1], counted  # 8x the path, the same work


def test_r11_cpu_pin_signed_wildcard_policy_and_long_path_is_a_quick_refusal(
    verifier: Verifier,
) -> None:
    """The reported attack: a valid policy with wildcards, replayed on a long path."""
    signed = custom_url(policy_doc(f"{D}/*/*/*/x*y*z"), f"{D}/a/b/c/x-y-z")
    assert verifier.verify_url(signed, now=NOW).reason is Reason.OK
    query = signed.split("?", 1)[1]
    work = []
    for size in (1_000, 6_000):
        hostile = f"{D}/{'/' * size}?{query}"
        decision = verifier.verify_url(hostile, now=NOW)
        assert decision.reason is Reason.RESOURCE_MISMATCH  # and the caches are warm
        work.append(calls(lambda hostile=hostile: verifier.verify_url(hostile, now=NOW)))
    assert work[1] == work[0], work


# -- R5: Expires of thousands of digits -------------------------------------------------


def test_r5_expires_of_thousands_of_digits_in_the_url_is_malformed_policy(
    verifier: Verifier,
) -> None:
    url = canned_url().replace(f"Expires={NOW + 3600}", f"Expires={THOUSANDS}")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY
    assert decision.edge_code == "MalformedPolicy"
    assert "milliseconds" not in decision.message
    assert len(decision.message) < 300


def test_r5_cloudfront_expires_cookie_of_thousands_of_digits_is_malformed_policy(
    verifier: Verifier,
) -> None:
    jar = canned_cookies(f"{D}/a.jpg") | {"CloudFront-Expires": THOUSANDS}
    for cookies in (jar, cookie_header(jar)):
        decision = verifier.verify_cookies(f"{D}/a.jpg", cookies, now=NOW)
        assert decision.reason is Reason.MALFORMED_POLICY
    assert verifier.signed_by(f"{D}/a.jpg", jar) is None


def test_r5_cli_verify_refuses_thousands_of_digits_without_a_traceback() -> None:
    url = canned_url().replace(f"Expires={NOW + 3600}", f"Expires={THOUSANDS}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "frontgate",
            "verify",
            "--url",
            url,
            "--public-key",
            f"{RSA_ID}={data_path('rsa_public.pem')}",
            "--now",
            str(NOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "malformed-policy" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_r5_cli_inspect_reads_thousands_of_digits_as_a_problem() -> None:
    url = canned_url().replace(f"Expires={NOW + 3600}", f"Expires={THOUSANDS}")
    done = subprocess.run(
        [sys.executable, "-m", "frontgate", "inspect", "--json", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "is not epoch seconds (R5)" in done.stdout


# -- R8: policies built to hurt the parser ----------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        "[" * 100_000,
        '{"Statement":' * 5_000,
        '{"a":[' * 3_000 + "1" + "]}" * 3_000,
        policy_doc(expires=NOW).replace(str(NOW), THOUSANDS),
        policy_doc(expires=NOW).replace(str(NOW), "-" + THOUSANDS),
    ],
    ids=["arrays", "objects", "mixed", "epoch-digits", "negative-epoch-digits"],
)
def test_r8_policy_nesting_and_huge_numbers_are_malformed_policy(
    document: str, verifier: Verifier
) -> None:
    with pytest.raises(PolicyError):
        Policy.from_json(document.encode())
    decision = verifier.verify_url(custom_url(document), now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY
    cookies = custom_cookies(document)
    assert verifier.verify_cookies(f"{D}/a.jpg", cookies, now=NOW).reason is (
        Reason.MALFORMED_POLICY
    )


def test_r8_brackets_inside_strings_do_not_count_as_nesting() -> None:
    resource = f"{D}/" + "%5B" * 10 + "[{" * 40 + '\\"'
    document = policy_doc(resource).encode()
    assert Policy.from_json(document).resource == resource


# -- R38: many cookies, many parameters -------------------------------------------------


def test_r38_ten_thousand_cookies_cost_linear_work(verifier: Verifier) -> None:
    jar = cookie_header(canned_cookies(f"{D}/a.jpg"))
    work = []
    for count in (1_000, 10_000):
        header = "; ".join(f"c{i}=1" for i in range(count)) + "; " + jar
        assert verifier.verify_cookies(f"{D}/a.jpg", header, now=NOW).allowed
        work.append(calls(lambda header=header: verifier.verify_cookies(f"{D}/a.jpg", header)))
    # a constant number of calls per cookie: 9,000 more cookies, at most 4 calls each
    assert work[1] - work[0] <= 4 * 9_000, work


def test_r38_ten_thousand_query_parameters_cost_linear_work(verifier: Verifier) -> None:
    work = []
    for count in (1_000, 10_000):
        url = f"{D}/a.jpg?" + "&".join("x" for _ in range(count))
        signed = canned_url(url)
        assert verifier.verify_url(signed, now=NOW).allowed
        work.append(calls(lambda signed=signed: verifier.verify_url(signed, now=NOW)))
    assert work[1] - work[0] <= 4 * 9_000, work


def test_op5_percent_escapes_cost_no_call_each(verifier: Verifier) -> None:
    """OP5 decodes %HH in reserved values; 2,700 escapes once cost a Python call each."""
    signed = custom_url(policy_doc(f"{D}/a" + "*" * 1500))
    policy = signed.split("Policy=", 1)[1].split("&", 1)[0]
    escaped = signed.replace(policy, "".join(f"%{ord(c):02X}" for c in policy))
    assert escaped.count("%") > 2_000
    assert verifier.verify_url(signed, now=NOW).allowed
    assert verifier.verify_url(escaped, now=NOW).allowed
    plain = calls(lambda: verifier.verify_url(signed, now=NOW))
    decoded = calls(lambda: verifier.verify_url(escaped, now=NOW))
    assert decoded - plain <= 10, (plain, decoded)


@pytest.mark.parametrize("resource", [f'{D}/a"b', f"{D}/a\\b", f"{D}/a\nb", f"{D}/\x00"])
def test_r3_sign_policy_refuses_a_resource_json_would_escape(resource: str) -> None:
    """Found by fuzzing: Policy.from_json accepts these, but their verbatim bytes (R3)
    would be other JSON than the policy, and a signature over them a silent mistake."""
    from frontgate.errors import InputError
    from tests.verify.conftest import signer

    policy = Policy(resource, NOW + 60)
    assert Policy.from_json(policy_doc(resource).encode()).resource == resource
    with pytest.raises(InputError) as refused:
        signer("rsa").sign_policy(policy)
    assert refused.value.code == "resource-invalid"
