"""R38: one case per reason code, the order of the checks, and the R38/R39 shapes of a
:class:`Decision` (edge codes, ``to_dict``)."""

from __future__ import annotations

import json

import pytest

from frontgate.verify import Decision, Reason, Verifier
from tests.verify.conftest import (
    EC_ID,
    NOW,
    R39_FIELDS,
    RSA_ID,
    D,
    canned_url,
    custom_url,
    join,
    policy_doc,
)

URL = f"{D}/a.jpg"


def test_r38_ok(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL), now=NOW)
    assert decision.allowed
    assert bool(decision)
    assert decision.reason is Reason.OK
    assert decision.edge_code is None


def test_r38_missing_key_without_any_signing_parameter(verifier: Verifier) -> None:
    decision = verifier.verify_url(URL, now=NOW)
    assert decision.reason is Reason.MISSING_KEY
    assert decision.source is None
    assert not decision


@pytest.mark.parametrize("kpid", ["", None], ids=["R38-empty-key-pair-id", "R38-no-key-pair-id"])
def test_r38_missing_key_when_key_pair_id_missing_or_empty(
    verifier: Verifier, kpid: str | None
) -> None:
    url = canned_url(URL).replace(f"&Key-Pair-Id={RSA_ID}", "")
    if kpid is not None:
        url += "&Key-Pair-Id="
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.MISSING_KEY
    assert decision.source == "url"


def test_r38_unknown_key(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL, key_pair_id="KNOTTRUSTED01"), now=NOW)
    assert decision.reason is Reason.UNKNOWN_KEY
    assert decision.key_pair_id == "KNOTTRUSTED01"


def test_r38_unknown_key_is_case_sensitive(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL, key_pair_id=RSA_ID.lower()), now=NOW)
    assert decision.reason is Reason.UNKNOWN_KEY


def test_r38_malformed_request_duplicate_parameter(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL) + f"&Key-Pair-Id={RSA_ID}", now=NOW)
    assert decision.reason is Reason.MALFORMED_REQUEST
    assert decision.source == "url"


def test_r38_malformed_request_not_a_url(verifier: Verifier) -> None:
    decision = verifier.verify_url("not a url", now=NOW)
    assert decision.reason is Reason.MALFORMED_REQUEST
    assert decision.edge_code == "AccessDenied"


@pytest.mark.parametrize("signature", ["", None], ids=["empty", "absent"])
def test_r38_missing_signature(verifier: Verifier, signature: str | None) -> None:
    base = join(URL, f"Expires={NOW + 60}&Key-Pair-Id={RSA_ID}")
    url = base if signature is None else base + "&Signature="
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.MISSING_SIGNATURE
    assert decision.edge_code == "AccessDenied"


def test_r38_unsupported_hash_algorithm(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL) + "&Hash-Algorithm=MD5", now=NOW)
    assert decision.reason is Reason.UNSUPPORTED_HASH_ALGORITHM
    assert decision.edge_code == "AccessDenied"


def test_r38_malformed_policy(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL).replace("Expires=", "Expires=-"), now=NOW)
    assert decision.reason is Reason.MALFORMED_POLICY
    assert decision.edge_code == "MalformedPolicy"


def test_r38_bad_signature(verifier: Verifier) -> None:
    url = canned_url(URL, resource=f"{D}/b.jpg")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert decision.policy == "canned"


def test_r38_resource_mismatch(verifier: Verifier) -> None:
    decision = verifier.verify_url(custom_url(policy_doc(f"{D}/b.jpg")), now=NOW)
    assert decision.reason is Reason.RESOURCE_MISMATCH
    assert decision.policy_resource == f"{D}/b.jpg"


def test_r38_expired(verifier: Verifier) -> None:
    decision = verifier.verify_url(canned_url(URL, NOW - 1), now=NOW)
    assert decision.reason is Reason.EXPIRED


def test_r38_not_yet_valid(verifier: Verifier) -> None:
    url = custom_url(policy_doc(not_before=NOW + 10))
    assert verifier.verify_url(url, now=NOW).reason is Reason.NOT_YET_VALID


def test_r38_ip_mismatch(verifier: Verifier) -> None:
    url = custom_url(policy_doc(ip="192.0.2.0/24"))
    decision = verifier.verify_url(url, client_ip="198.51.100.1", now=NOW)
    assert decision.reason is Reason.IP_MISMATCH
    assert decision.ip_address == "192.0.2.0/24"


def test_r38_client_ip_required(verifier: Verifier) -> None:
    url = custom_url(policy_doc(ip="192.0.2.0/24"))
    assert verifier.verify_url(url, now=NOW).reason is Reason.CLIENT_IP_REQUIRED
    assert verifier.verify_url(url, client_ip="", now=NOW).reason is Reason.CLIENT_IP_REQUIRED


def test_r38_reason_codes_are_exactly_the_table() -> None:
    assert [r.value for r in Reason] == [
        "ok",
        "missing-key",
        "unknown-key",
        "malformed-request",
        "missing-signature",
        "unsupported-hash-algorithm",
        "malformed-policy",
        "bad-signature",
        "resource-mismatch",
        "expired",
        "not-yet-valid",
        "ip-mismatch",
        "client-ip-required",
    ]


# -- order of the steps: each request fails two steps, the earlier one must win --------------

ALL_BAD = policy_doc(f"{D}/other/*", NOW - 10, not_before=NOW + 10, ip="192.0.2.0/24")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param(
            canned_url(URL) + "&Expires=1",
            Reason.MALFORMED_REQUEST,
            id="R38-1-duplicate-before-everything",
        ),
        pytest.param(
            join(URL, "Expires=x&Signature=&Hash-Algorithm=MD5"),
            Reason.MISSING_KEY,
            id="R38-4-key-before-signature-hash-policy",
        ),
        pytest.param(
            join(URL, "Expires=x&Key-Pair-Id=KUNKNOWN&Hash-Algorithm=MD5"),
            Reason.UNKNOWN_KEY,
            id="R38-5-unknown-key-before-signature",
        ),
        pytest.param(
            join(URL, f"Expires=x&Key-Pair-Id={RSA_ID}&Hash-Algorithm=MD5"),
            Reason.MISSING_SIGNATURE,
            id="R38-6-signature-before-hash",
        ),
        pytest.param(
            join(URL, f"Expires=x&Signature=AAAA&Key-Pair-Id={RSA_ID}&Hash-Algorithm=MD5"),
            Reason.UNSUPPORTED_HASH_ALGORITHM,
            id="R38-7-hash-before-policy",
        ),
        pytest.param(
            join(URL, f"Expires=x&Signature=!!&Key-Pair-Id={RSA_ID}"),
            Reason.MALFORMED_POLICY,
            id="R38-8-policy-before-signature",
        ),
        pytest.param(
            custom_url(ALL_BAD).replace("&Signature=", "&Signature=AAAA"),
            Reason.BAD_SIGNATURE,
            id="R38-9-signature-before-conditions",
        ),
        pytest.param(custom_url(ALL_BAD), Reason.RESOURCE_MISMATCH, id="R38-10-resource-first"),
        pytest.param(
            custom_url(policy_doc(expires=NOW, not_before=NOW + 10, ip="192.0.2.0/24")),
            Reason.EXPIRED,
            id="R38-10-expiry-before-start",
        ),
        pytest.param(
            custom_url(policy_doc(not_before=NOW, ip="192.0.2.0/24")),
            Reason.NOT_YET_VALID,
            id="R38-10-start-before-ip",
        ),
    ],
)
def test_r38_order_of_checks(verifier: Verifier, url: str, reason: Reason) -> None:
    assert verifier.verify_url(url, client_ip="198.51.100.1", now=NOW).reason is reason


# -- R38 table: edge codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (Reason.MISSING_KEY, "MissingKey"),
        (Reason.UNKNOWN_KEY, "InvalidKey"),
        (Reason.MALFORMED_POLICY, "MalformedPolicy"),
        (Reason.MALFORMED_REQUEST, "AccessDenied"),
        (Reason.MISSING_SIGNATURE, "AccessDenied"),
        (Reason.UNSUPPORTED_HASH_ALGORITHM, "AccessDenied"),
        (Reason.BAD_SIGNATURE, "AccessDenied"),
        (Reason.RESOURCE_MISMATCH, "AccessDenied"),
        (Reason.EXPIRED, "AccessDenied"),
        (Reason.NOT_YET_VALID, "AccessDenied"),
        (Reason.IP_MISMATCH, "AccessDenied"),
        (Reason.CLIENT_IP_REQUIRED, "AccessDenied"),
    ],
)
def test_r38_edge_code_table(reason: Reason, code: str) -> None:
    assert Decision(False, reason, "x").edge_code == code
    assert Decision(True, Reason.OK, "x").edge_code is None


# -- R39: the JSON shape --------------------------------------------------------------------


def test_r39_to_dict_of_a_refusal(verifier: Verifier) -> None:
    url = custom_url(
        policy_doc(f"{D}/v/*", NOW + 60, not_before=NOW - 60, ip="192.0.2.0/24"),
        f"{D}/v/a.ts",
        by="ec",
        hash_algorithm="SHA256",
    )
    data = verifier.verify_url(url, client_ip="203.0.113.9", now=NOW).to_dict()
    assert set(data) >= R39_FIELDS
    assert data == json.loads(json.dumps(data))  # plain JSON types only
    assert data["allowed"] is False
    assert data["reason"] == "ip-mismatch"
    assert data["source"] == "url"
    assert data["policy"] == "custom"
    assert data["key_pair_id"] == EC_ID
    assert data["hash_algorithm"] == "SHA256"
    assert data["resource"] == f"{D}/v/a.ts"
    assert data["policy_resource"] == f"{D}/v/*"
    assert (data["expires"], data["not_before"]) == (NOW + 60, NOW - 60)
    assert data["ip_address"] == "192.0.2.0/24"
    assert data["edge"] == {"status": 403, "code": "AccessDenied", "message": "Access denied"}
    assert data["warnings"] == []


def test_r39_to_dict_of_an_allowed_request(verifier: Verifier) -> None:
    data = verifier.verify_url(canned_url(URL), now=NOW).to_dict()
    assert set(data) >= R39_FIELDS
    assert data["allowed"] is True
    assert data["reason"] == "ok"
    assert data["edge"] is None
    assert (data["policy"], data["hash_algorithm"], data["expires"]) == (
        "canned",
        "SHA1",
        NOW + 3600,
    )
    assert data["policy_resource"] is None
    assert data["not_before"] is None


def test_r39_to_dict_without_a_source(verifier: Verifier) -> None:
    data = verifier.verify_url(URL, now=NOW).to_dict()
    assert data["source"] is None
    assert data["policy"] is None
    assert data["key_pair_id"] is None
    assert data["edge"] == {
        "status": 403,
        "code": "MissingKey",
        "message": "Missing Key-Pair-Id query parameter or cookie value",
    }
