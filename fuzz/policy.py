"""Custom policy parsing (R7, R8) and resource matching (R11).

Input: policy JSON, NUL, a resource pattern, NUL, a request URL. ``Policy.from_json``
raises only PolicyError and round-trips what it accepts; ``resource_matches`` agrees
with a dynamic-programming reference and its work meter stays linear.
"""

from __future__ import annotations

from frontgate.encoding import cf_b64decode
from frontgate.errors import FrontgateError
from frontgate.policy import Policy, PolicyError, glob_match, resource_matches
from fuzz._common import EC_ID, Meter, fields, reference_covers, reference_glob, signers, text

BUDGET_BASE = 500
BUDGET_PER_BYTE = 1
COMPILE_PER_BYTE = 128  # sre compiles a ?-segment at about 70 calls a character
#: the reference matcher is quadratic: only short inputs are compared with it
REFERENCE_LIMIT = 200


def test_one_input(data: bytes) -> None:
    doc, pattern_bytes, url_bytes = fields(data, 3)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(doc)):
        try:
            policy = Policy.from_json(doc)
        except PolicyError as exc:
            assert exc.code == "policy-invalid" and exc.message
            policy = None
    if policy is not None:
        try:
            signed = signers()[EC_ID].sign_policy(policy)  # ECDSA: the quick one
        except FrontgateError as exc:  # a resource JSON would have to escape (R3)
            assert exc.code == "resource-invalid"
        else:
            if "Policy" in signed:  # what the signer emits reads back as the same policy
                assert Policy.from_json(cf_b64decode(signed["Policy"])) == policy
    pattern, url = text(pattern_bytes), text(url_bytes)
    # a handful of string operations whatever the URL's length; compiling a pattern with
    # ? into its fixed-width regex (once, cached: patterns are signed) costs per character
    with Meter(BUDGET_BASE + COMPILE_PER_BYTE * len(pattern)):
        matched = resource_matches(pattern, url)
    for question_mark in (True, False):
        meter = [0]
        result = glob_match(pattern, url, question_mark, meter)
        assert meter[0] <= len(url) + len(pattern), (meter, len(url), len(pattern))
        if len(pattern) + len(url) <= REFERENCE_LIMIT:
            assert result == reference_glob(pattern, url, question_mark), (pattern, url)
    if "://" in url and len(pattern) + len(url) <= REFERENCE_LIMIT and "#" not in url:
        assert matched == reference_covers(pattern, url), (pattern, url)
