"""Signed playlists (``frontgate.streaming.sign_playlist``) on any HLS or DASH text: a
signed text or a FrontgateError, never another exception, within the work budget; a
text that changed carries the signer's query, and what the signer emits verifies.

Input: a selector byte (nested "sign"/"keep", relative/absolute), then the playlist.
"""

from __future__ import annotations

import warnings

from frontgate.errors import FrontgateError, FrontgateWarning
from frontgate.streaming import sign_playlist
from fuzz._common import EC_ID, NOW, D, Meter, signers, text

BUDGET_BASE = 20000
BUDGET_PER_BYTE = 40
URL = f"{D}/v/42/index.m3u8"


def test_one_input(data: bytes) -> None:
    warnings.simplefilter("ignore", FrontgateWarning)  # URIs left unsigned are advice
    selector, playlist = (data[0], data[1:]) if data else (0, b"")
    source = text(playlist)
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        try:
            signed = sign_playlist(
                source,
                URL,
                signers()[EC_ID],
                expires_in=3600,
                now=NOW,
                nested="keep" if selector & 1 else "sign",
                absolute=bool(selector & 2),
            )
        except FrontgateError as exc:
            assert exc.message
            return
    assert isinstance(signed, str)
    if signed != source:
        assert f"Key-Pair-Id={EC_ID}" in signed
