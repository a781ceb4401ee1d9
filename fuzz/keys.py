"""PEM repair and key loading (R48): only KeyLoadError (a FrontgateError) comes out, and
no key material appears in its message."""

from __future__ import annotations

from frontgate.errors import FrontgateError
from frontgate.keys import load_private_key, load_public_key, repair_pem
from fuzz._common import Meter, fields

BUDGET_BASE = 2000
BUDGET_PER_BYTE = 2


def test_one_input(data: bytes) -> None:
    pem, passphrase = fields(data, 2)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        try:
            repaired = repair_pem(pem)
            assert isinstance(repaired, bytes)
        except FrontgateError as exc:
            assert exc.code == "key-unreadable"
        for load in (
            lambda: load_private_key(pem, passphrase or None),
            lambda: load_public_key(pem),
        ):
            try:
                load()
            except FrontgateError as exc:
                body = [
                    line for line in pem.splitlines() if len(line) >= 16 and b"-----" not in line
                ]
                assert not any(line.decode("latin-1") in exc.message for line in body)
