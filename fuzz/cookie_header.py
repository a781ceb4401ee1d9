"""``parse_cookie_header``: first occurrence of each CloudFront cookie, raw values (R33)."""

from __future__ import annotations

from frontgate.policy import COOKIE_NAMES
from frontgate.verify import parse_cookie_header
from fuzz._common import Meter, text

BUDGET_BASE = 100
BUDGET_PER_BYTE = 4


def test_one_input(data: bytes) -> None:
    header = text(data)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        jar = parse_cookie_header(header)
    assert set(jar) <= COOKIE_NAMES
    # the reference reading: split at ';', first occurrence wins, surrounding blanks dropped
    expected: dict[str, str] = {}
    for item in header.split(";"):
        name, sep, value = item.strip().partition("=")
        if sep and name in COOKIE_NAMES:
            expected.setdefault(name, value.strip())
    assert jar == expected
