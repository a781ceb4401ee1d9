"""Configuration validation (``Settings.from_mapping``): any mapping decoded from JSON
gives Settings or a ConfigError naming the key, never another exception."""

from __future__ import annotations

import json

from frontgate.config import Settings
from frontgate.distribution import Distribution
from frontgate.errors import FrontgateError
from fuzz._common import KEYS, Meter, text

BUDGET_BASE = 20000
BUDGET_PER_BYTE = 20
PEM = (KEYS / "p256_sec1.pem").read_text()


def test_one_input(data: bytes) -> None:
    try:
        loaded = json.loads(text(data))
    except (ValueError, RecursionError):
        return
    if isinstance(loaded, dict) and loaded.get("PRIVATE_KEY") == "pem":
        loaded["PRIVATE_KEY"] = PEM  # a real key, so validation reaches every setting
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        try:
            Distribution.from_settings(Settings.from_mapping(loaded))
        except FrontgateError as exc:
            assert exc.code.startswith(("config-", "key-", "extra-", "source-")), exc.code
