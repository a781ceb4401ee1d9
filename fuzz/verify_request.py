"""``Verifier.verify_request``: a URL and several ``Cookie`` headers, as the edge calls it."""

from __future__ import annotations

from frontgate.verify import parse_cookie_header
from fuzz._common import NOW, Meter, check_decision, text, verifier

BUDGET_BASE = 3000
BUDGET_PER_BYTE = 2


def test_one_input(data: bytes) -> None:
    url_bytes, *header_bytes = data.split(b"\x00")
    url, headers = text(url_bytes), [text(h) for h in header_bytes]
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        decision = verifier().verify_request(url, headers, client_ip="192.0.2.10", now=NOW)
    check_decision(decision, url, parse_cookie_header(headers), "192.0.2.10")
