"""CloudFront's URL-safe base64 (R1, R2) and raw query-string reading (R25).

>>> cf_b64encode(b"\\xfb\\xff")
'-~8_'
>>> cf_b64decode("-~8_")
b'\\xfb\\xff'
>>> split_query("a=1&Expires=10&b")
[('a', '1'), ('Expires', '10'), ('b', '')]
"""

from __future__ import annotations

import binascii
import re

from .errors import ErrorCode, InputError

__all__ = [
    "cf_b64decode",
    "cf_b64encode",
    "is_cf_b64",
    "percent_decode",
    "split_query",
]

#: R1: standard alphabet with padding, then + -> -, = -> _, / -> ~ (for bytes.translate)
TO_CF = bytes.maketrans(b"+=/", b"-_~")
# "+=/" become "!", which strict decoding refuses: one pass checks the alphabet (OP7)
_FROM_CF = bytes.maketrans(b"-_~+=/", b"+=/!!!")
# R2: only the CF alphabet, whole groups of four, padding only at the end
_CF_B64 = re.compile(r"(?:[A-Za-z0-9\-~]{4})*(?:[A-Za-z0-9\-~]{2}__|[A-Za-z0-9\-~]{3}_)?")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def cf_b64encode(data: bytes) -> str:
    """Encode bytes as CF-base64 (R1): padded base64 with ``+=/`` mapped to ``-_~``."""
    # binascii directly: base64.b64encode is a Python wrapper around the same call
    return binascii.b2a_base64(data, newline=False).translate(TO_CF).decode("ascii")


def is_cf_b64(value: str) -> bool:
    """Tell whether ``value`` is well-formed CF-base64 (R2)."""
    return _CF_B64.fullmatch(value) is not None


def cf_b64decode(value: str) -> bytes:
    """Decode CF-base64 strictly (R2); raise :class:`InputError` on anything else.

    The standard alphabet (``+ / =``) and unpadded values are refused (OP7).
    """
    # Strict decoding checks the alphabet, the padding and the length in C.
    try:
        return binascii.a2b_base64(value.encode("ascii").translate(_FROM_CF), strict_mode=True)
    except (binascii.Error, ValueError):
        raise _not_cf_b64() from None


def _not_cf_b64() -> InputError:
    return InputError(
        ErrorCode.URL_INVALID,
        "Value is not CloudFront base64: only A-Z a-z 0-9 - _ ~ in groups of four.",
    )


def percent_decode(value: str) -> str:
    """Decode ``%HH`` escapes (as Latin-1 code points); ``+`` stays ``+`` (R25, OP5).

    Bytes above 0x7F become the matching Latin-1 character, which then fails the
    CF-base64 alphabet check, as any non-ASCII value should.
    """
    if "%" not in value:
        return value
    # In C, not a Python call per escape (an 8 KB value holds 2,700 of them): a % that
    # starts no escape becomes %25, real backslashes are doubled, every %HH becomes \xHH,
    # and the unicode_escape codec decodes exactly those (backslashreplace spells the
    # characters beyond Latin-1 as \uXXXX, which it turns back).
    text = _LONE_PERCENT.sub("%25", value).replace("\\", "\\\\").replace("%", "\\x")
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def split_query(query: str) -> list[tuple[str, str]]:
    """Split a raw query at ``&`` into (name, value) pairs, nothing decoded (R25).

    The name is the text before the first ``=``; the value the text after it, or ``""``.
    """
    pairs: list[tuple[str, str]] = []
    for segment in query.split("&"):
        name, _, value = segment.partition("=")
        pairs.append((name, value))
    return pairs
