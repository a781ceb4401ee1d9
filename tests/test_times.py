"""Epoch seconds as CloudFront reads them (R5, R45)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontgate.errors import ErrorCode, InputError
from frontgate.times import (
    MAX_EPOCH,
    duration_seconds,
    expiry_epoch,
    format_epoch,
    parse_when,
    start_epoch,
)
from tests.conftest import NOW

NOW_DT = datetime(2026, 1, 1, 18, 0, 0, tzinfo=UTC)


def test_r5_worked_example_instant() -> None:
    # P5: AWS labels 1767290400 "10:00 am UTC"; it is 18:00 UTC
    assert expiry_epoch(NOW_DT) == NOW
    assert format_epoch(NOW) == "2026-01-01T18:00:00Z"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param(NOW, NOW, id="int"),
        pytest.param(NOW + 0.999, NOW, id="float-rounds-down"),
        pytest.param(NOW_DT.replace(microsecond=999999), NOW, id="datetime-rounds-down"),
        pytest.param(
            datetime(2026, 1, 1, 19, 0, tzinfo=timezone(timedelta(hours=1))), NOW, id="offset"
        ),
    ],
)
def test_r45_expiry_rounds_down(when: datetime | float, expected: int) -> None:
    assert expiry_epoch(when) == expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        pytest.param(NOW, NOW, id="int-unchanged"),
        pytest.param(float(NOW), NOW, id="whole-float-unchanged"),
        pytest.param(NOW + 0.001, NOW + 1, id="float-rounds-up"),
        pytest.param(NOW_DT.replace(microsecond=1), NOW + 1, id="datetime-rounds-up"),
    ],
)
def test_r45_start_rounds_up(when: datetime | float, expected: int) -> None:
    assert start_epoch(when) == expected


def test_r45_naive_datetime_refused() -> None:
    with pytest.raises(InputError) as info:
        expiry_epoch(datetime(2026, 1, 1, 18, 0))
    assert info.value.code is ErrorCode.TIME_INVALID
    assert "naive" in info.value.message
    with pytest.raises(InputError, match="not_before is a naive"):
        start_epoch(datetime(2026, 1, 1, 18, 0), "not_before")


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        pytest.param(NOW * 1000, "milliseconds", id="R5-milliseconds"),
        pytest.param(MAX_EPOCH + 1, "2262", id="R5-above-2262"),
        pytest.param(-1, "before 1970", id="R5-negative"),
    ],
)
def test_r5_out_of_range_refused(value: int, hint: str) -> None:
    with pytest.raises(InputError, match=hint) as info:
        expiry_epoch(value)
    assert info.value.code is ErrorCode.TIME_INVALID


def test_r5_upper_bound_accepted() -> None:
    assert expiry_epoch(MAX_EPOCH) == 9223372036
    assert format_epoch(MAX_EPOCH) == "2262-04-11T23:47:16Z"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1767290400", id="string"),
        pytest.param(True, id="bool"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param(None, id="none"),
    ],
)
def test_r45_non_times_refused(value: object) -> None:
    with pytest.raises(InputError) as info:
        expiry_epoch(value)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.TIME_INVALID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1767290400", NOW, id="epoch"),
        pytest.param("2026-01-01T18:00:00Z", NOW, id="iso-z"),
        pytest.param("2026-01-01T18:00:00", NOW, id="iso-naive-is-utc"),
        pytest.param("2026-01-01T19:00:00+01:00", NOW, id="iso-offset"),
        pytest.param("2026-01-01", NOW - 18 * 3600, id="date-only"),
        pytest.param(" 2026-01-01T18:00:00z ", NOW, id="spaces-and-lower-z"),
    ],
)
def test_cli_when_parsing(text: str, expected: int) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize("text", ["tomorrow", "", "-5", "2026-13-01", "1e9"])
def test_cli_when_refused(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_when(text, "--date-less-than")
    assert info.value.code is ErrorCode.TIME_INVALID


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [(300, 300.0), (0.5, 0.5), (timedelta(minutes=5), 300.0)],
)
def test_duration_seconds(duration: int | float | timedelta, seconds: float) -> None:
    assert duration_seconds(duration) == seconds


@pytest.mark.parametrize("duration", [0, -1, timedelta(0), float("inf"), True, "60"])
def test_duration_refused(duration: object) -> None:
    with pytest.raises(InputError) as info:
        duration_seconds(duration)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.TIME_INVALID


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        pytest.param("2026-01-01T18:00:00.250Z", False, NOW, id="R45-expiry-drops-fraction"),
        pytest.param("2026-01-01T18:00:00.250Z", True, NOW + 1, id="R45-start-rounds-up"),
        pytest.param("2026-01-01T18:00:00Z", True, NOW, id="R45-whole-start-unchanged"),
        pytest.param("1767290400", True, NOW, id="R45-epoch-start"),
    ],
)
def test_r45_cli_when_rounds_inward(text: str, start: bool, expected: int) -> None:
    assert parse_when(text, start=start) == expected


@given(st.integers(-(10**12), 10**12) | st.floats(-1e11, 1e11))
def test_format_epoch_agrees_with_datetime(epoch: float) -> None:
    try:
        expected = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    except OverflowError:
        expected = f"epoch {epoch}"
    assert format_epoch(epoch) == expected  # type: ignore[arg-type]
