"""Names for the kinds of values the public API accepts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, TypeAlias

#: a point in time: an aware datetime or epoch seconds
When: TypeAlias = datetime | int | float
#: a length of time: seconds or a timedelta
Duration: TypeAlias = int | float | timedelta
#: PEM text or bytes
PEMData: TypeAlias = str | bytes
#: the hash names CloudFront accepts (R20)
HashName: TypeAlias = Literal["SHA1", "SHA256"]
#: the key types CloudFront accepts (R17)
KeyType: TypeAlias = Literal["RSA", "ECDSA"]

__all__ = ["Duration", "HashName", "KeyType", "PEMData", "When"]
