"""CF-base64 (R1, R2) and raw query reading (R25)."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontgate.encoding import cf_b64decode, cf_b64encode, is_cf_b64, percent_decode, split_query
from frontgate.errors import ErrorCode, InputError

CF_ALPHABET = re.compile(r"[A-Za-z0-9\-_~]*")


def test_r1_maps_plus_equals_slash() -> None:
    # 0xfb 0xff encodes as "+/8=" in standard base64
    assert base64.b64encode(b"\xfb\xff") == b"+/8="
    assert cf_b64encode(b"\xfb\xff") == "-~8_"


def test_r1_rsa_signature_is_344_chars_ending_in_padding() -> None:
    assert len(cf_b64encode(bytes(256))) == 344
    assert cf_b64encode(b"\xff" * 256).endswith("__")


@given(st.binary(max_size=600))
def test_r1_round_trip_and_alphabet(data: bytes) -> None:
    encoded = cf_b64encode(data)
    assert CF_ALPHABET.fullmatch(encoded)
    assert len(encoded) % 4 == 0
    assert is_cf_b64(encoded)
    assert cf_b64decode(encoded) == data


@given(st.binary(max_size=200))
def test_r1_equals_standard_base64_with_three_substitutions(data: bytes) -> None:
    standard = base64.b64encode(data).decode()
    assert cf_b64encode(data) == standard.replace("+", "-").replace("=", "_").replace("/", "~")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("+~8_", id="R2-standard-plus"),
        pytest.param("-/8_", id="R2-standard-slash"),
        pytest.param("-~8=", id="R2-standard-padding"),
        pytest.param("-~8", id="R2-unpadded"),
        pytest.param("A_AA", id="R2-padding-in-the-middle"),
        pytest.param("A___", id="R2-too-much-padding"),
        pytest.param("AAA_AAAA", id="R2-padding-before-the-end"),
        pytest.param("AA AA", id="R2-space"),
        pytest.param("AAé_", id="R2-non-ascii"),
        pytest.param("AA%7E", id="R2-percent-escape-not-decoded-here"),
    ],
)
def test_r2_refuses_malformed(value: str) -> None:
    assert not is_cf_b64(value)
    with pytest.raises(InputError) as info:
        cf_b64decode(value)
    assert info.value.code is ErrorCode.URL_INVALID
    assert info.value.__cause__ is None  # never a binascii.Error for the user


def test_r2_empty_value_is_well_formed_and_empty() -> None:
    assert is_cf_b64("")
    assert cf_b64decode("") == b""


@given(st.text(max_size=40))
def test_r2_decoder_raises_only_input_error(text: str) -> None:
    try:
        decoded = cf_b64decode(text)
    except InputError:
        assert not is_cf_b64(text)
    else:
        assert is_cf_b64(text)
        assert cf_b64encode(decoded) == text


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        pytest.param("abc", "abc", id="R25-no-escape"),
        pytest.param("a%7Eb", "a~b", id="R25-tilde-escaped"),
        pytest.param("a%7eb", "a~b", id="R25-lower-case-hex"),
        pytest.param("a+b", "a+b", id="R25-plus-stays-plus"),
        pytest.param("%5F%5f", "__", id="R25-padding-escaped"),
        pytest.param("%zz%4", "%zz%4", id="R25-broken-escapes-kept"),
        pytest.param("%C3%A9", "\xc3\xa9", id="R25-high-bytes-latin1"),
    ],
)
def test_r25_percent_decode(raw: str, decoded: str) -> None:
    assert percent_decode(raw) == decoded


@pytest.mark.parametrize(
    ("query", "pairs"),
    [
        pytest.param("a=1&Expires=10&b", [("a", "1"), ("Expires", "10"), ("b", "")], id="R25"),
        pytest.param("", [("", "")], id="R25-empty"),
        pytest.param("a=b=c", [("a", "b=c")], id="R25-first-equals-splits"),
        pytest.param("&&", [("", ""), ("", ""), ("", "")], id="R25-empty-segments"),
        pytest.param("Key%2DPair%2DId=x", [("Key%2DPair%2DId", "x")], id="R25-names-raw"),
    ],
)
def test_r25_split_query(query: str, pairs: list[tuple[str, str]]) -> None:
    assert split_query(query) == pairs
