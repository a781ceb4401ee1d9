"""``Verifier.verify_url`` on any URL (R38): a Decision, never allowed unless an
independent re-verification agrees, within the work budget."""

from __future__ import annotations

from fuzz._common import NOW, Meter, check_decision, fields, text, verifier

#: calls one verification may cost: a constant plus a few per input byte (10,000 query
#: segments of one byte each are 20,000 bytes)
BUDGET_BASE = 3000
BUDGET_PER_BYTE = 2


def test_one_input(data: bytes) -> None:
    url_bytes, ip = fields(data, 2)
    url = text(url_bytes)
    client_ip = text(ip) or None
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        decision = verifier().verify_url(url, client_ip=client_ip, now=NOW)
    check_decision(decision, url, client_ip=client_ip)
