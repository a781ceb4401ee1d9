"""``prepare_url``, ``check_resource`` and the signer's input checks (R43-R47): any
input gives a signed URL that verifies, or an InputError, never another exception."""

from __future__ import annotations

import warnings

from frontgate.errors import FrontgateError, FrontgateWarning
from frontgate.policy import check_resource, normalize_ip, prepare_url
from fuzz._common import NOW, RSA_ID, Meter, fields, signers, text, verifier

BUDGET_BASE = 6000
BUDGET_PER_BYTE = 2


def test_one_input(data: bytes) -> None:
    warnings.simplefilter("ignore", FrontgateWarning)  # warnings are advice, not failures
    url_bytes, resource_bytes, ip_bytes, expires_bytes = fields(data, 4)
    url, resource = text(url_bytes), text(resource_bytes)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        for check, value in ((prepare_url, url), (check_resource, resource)):
            try:
                check(value)
            except FrontgateError as exc:
                assert exc.message
        try:
            normalize_ip(text(ip_bytes))
        except FrontgateError as exc:
            assert exc.code == "ip-invalid"
        seconds = int.from_bytes(expires_bytes[:4], "big") if expires_bytes else 3600
        try:
            signed = signers()[RSA_ID].sign_url(
                url,
                expires_in=seconds,
                now=NOW,
                resource=resource or None,
                ip_address=text(ip_bytes) or None,
            )
        except FrontgateError as exc:
            assert exc.message
            return
    # what the signer emits, the verifier (and so CloudFront) accepts
    decision = verifier().verify_url(signed, client_ip=text(ip_bytes).strip() or None, now=NOW)
    assert decision.reason in ("ok", "ip-mismatch", "resource-mismatch"), decision
    assert len(signed) <= 8192
