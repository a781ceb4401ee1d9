"""Times as CloudFront reads them: whole epoch seconds (R5, R45).

>>> from datetime import datetime, timezone
>>> expiry_epoch(datetime(2026, 1, 1, 18, 0, 0, 999999, tzinfo=timezone.utc))
1767290400
>>> start_epoch(1767290400.2)
1767290401
>>> parse_when("2026-01-01T18:00:00")
1767290400
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final

from ._types import Duration, When
from .errors import ErrorCode, InputError

__all__ = [
    "MAX_EPOCH",
    "duration_seconds",
    "expiry_epoch",
    "format_epoch",
    "now_seconds",
    "parse_when",
    "start_epoch",
]

#: R5/OP9: 2262-04-11T23:47:16Z, the 64-bit nanosecond limit, in seconds
MAX_EPOCH = 9223372036
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"[0-9]+")


def _split(when: When, name: str) -> tuple[int, bool]:
    """Return (whole seconds rounded down, whether a fraction was dropped)."""
    if isinstance(when, bool) or not isinstance(when, datetime | int | float):
        raise InputError(
            ErrorCode.TIME_INVALID,
            f"{name} must be an aware datetime or epoch seconds, not {type(when).__name__}.",
        )
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise InputError(
                ErrorCode.TIME_INVALID,
                f"{name} is a naive datetime; give it a time zone, e.g. "
                "datetime.now(timezone.utc) (R45: local and UTC times are easy to mix up).",
            )
        delta = when - _EPOCH
        whole = delta.days * 86400 + delta.seconds
        return whole, delta.microseconds != 0
    if isinstance(when, float):
        if not math.isfinite(when):
            raise InputError(ErrorCode.TIME_INVALID, f"{name} must be a finite number.")
        whole = math.floor(when)
        return whole, whole != when
    return when, False


def _check_range(value: int, name: str) -> int:
    if value < 0:
        raise InputError(ErrorCode.TIME_INVALID, f"{name} is before 1970 ({value}).")
    if value > MAX_EPOCH:
        hint = (
            " It looks like milliseconds: divide by 1000."
            if value > 10**12
            else " CloudFront accepts times up to 2262-04-11T23:47:16Z."
        )
        raise InputError(ErrorCode.TIME_INVALID, f"{name} is out of range ({value}).{hint}")
    return value


def expiry_epoch(when: When, name: str = "expires_at") -> int:
    """Epoch seconds of an expiry, rounded down so the window never grows (R45)."""
    whole, _ = _split(when, name)
    return _check_range(whole, name)


def start_epoch(when: When, name: str = "not_before") -> int:
    """Epoch seconds of a start time, rounded up so the window never grows (R45)."""
    whole, fraction = _split(when, name)
    return _check_range(whole + 1 if fraction else whole, name)


def duration_seconds(duration: Duration, name: str = "expires_in") -> float:
    """Seconds in ``duration`` (a number or a timedelta); must be positive."""
    if isinstance(duration, timedelta):
        seconds = duration.total_seconds()
    elif isinstance(duration, int | float) and not isinstance(duration, bool):
        seconds = float(duration)
    else:
        raise InputError(
            ErrorCode.TIME_INVALID,
            f"{name} must be seconds or a timedelta, not {type(duration).__name__}.",
        )
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(ErrorCode.TIME_INVALID, f"{name} must be positive, not {duration}.")
    return seconds


def parse_when(text: str, name: str = "time", *, start: bool = False) -> int:
    """Parse a CLI WHEN: integer epoch seconds or ISO 8601 (UTC unless it has an offset).

    Returns epoch seconds. A fraction of a second is dropped, or rounded up for a
    ``start`` time, so a window is never wider than asked (R45).
    """
    value = text.strip()
    if _DIGITS.fullmatch(value):
        if len(value) > 19:  # checked before int(); far past R5's last second anyway
            raise InputError(
                ErrorCode.TIME_INVALID, f"{name} {value[:24]}... is not a time in epoch seconds."
            )
        return int(value)
    iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise InputError(
            ErrorCode.TIME_INVALID,
            f"{name} {text!r} is neither epoch seconds nor an ISO 8601 date or date-time "
            "(e.g. 2026-01-01T18:00:00Z).",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    whole, fraction = _split(parsed, name)
    return whole + 1 if start and fraction else whole


_TWO_DIGITS: Final = [f"{n:02d}" for n in range(60)]
_HOUR_MINUTE: Final = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


def format_epoch(epoch: int) -> str:
    """``1767290400`` -> ``'2026-01-01T18:00:00Z'``.

    Runs for every verified request, each with its own expiry: the date comes from a small
    cache of days, the time of day from integer arithmetic.
    """
    if type(epoch) is not int:
        return _format_any(epoch)
    days, seconds = divmod(epoch, 86400)
    date = _format_day(days)
    if date is None:
        return f"epoch {epoch}"
    minutes, seconds = divmod(seconds, 60)
    return f"{date}T{_HOUR_MINUTE[minutes]}:{_TWO_DIGITS[seconds]}Z"


@lru_cache(maxsize=1024)
def _format_day(days: int) -> str | None:
    try:
        return (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")
    except OverflowError:
        return None


def _format_any(epoch: float) -> str:
    try:
        return (_EPOCH + timedelta(seconds=epoch)).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        return f"epoch {epoch}"


def now_seconds(now: When | None, clock: Callable[[], float] = time.time) -> float:
    """The current time in epoch seconds: ``now`` when given, else ``clock()``.

    The one place the clock is read (style: every clock-dependent call takes ``now=``).

    >>> now_seconds(1767290400), now_seconds(None, lambda: 5.0)
    (1767290400, 5.0)
    """
    if now is None:
        return clock()
    if type(now) is int or type(now) is float:
        return now
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise InputError(
                ErrorCode.TIME_INVALID, "now is a naive datetime; give it a time zone (R45)."
            )
        return now.timestamp()
    if isinstance(now, int | float) and not isinstance(now, bool):
        return float(now)
    raise InputError(ErrorCode.TIME_INVALID, "now must be an aware datetime or epoch seconds.")
