"""``Verifier.verify_cookies`` with a raw ``Cookie`` header value (R29-R36)."""

from __future__ import annotations

from frontgate.verify import parse_cookie_header
from fuzz._common import NOW, Meter, check_decision, fields, text, verifier

BUDGET_BASE = 3000
BUDGET_PER_BYTE = 2


def test_one_input(data: bytes) -> None:
    url_bytes, header_bytes, ip = fields(data, 3)
    url, header = text(url_bytes), text(header_bytes)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        decision = verifier().verify_cookies(url, header, client_ip=text(ip) or None, now=NOW)
    check_decision(decision, url, parse_cookie_header(header), text(ip) or None)
