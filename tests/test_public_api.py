"""The public names resolve, and no repr or message shows key material (style: Errors)."""

from __future__ import annotations

import pytest

import frontgate
from frontgate import (
    BackendError,
    ConfigError,
    Distribution,
    ErrorCode,
    FrontgateError,
    InputError,
    KeyGroup,
    KeyLoadError,
    Policy,
    Signer,
    Verifier,
)
from frontgate.compat.botocore import CloudFrontSigner
from frontgate.keys import LocalKey, load_private_key
from tests.conftest import (
    KEY_PAIR_ID,
    KEYS_DIR,
    REFUSED_KEYS,
    key_bytes,
    pem_body_lines,
    private_pem,
    public_pem,
)

ALL_PEMS = [path.read_bytes() for path in sorted(KEYS_DIR.glob("*.pem"))]
BODY_LINES = pem_body_lines(*ALL_PEMS)


def assert_clean(text: str) -> None:
    assert "-----BEGIN" not in text
    assert "PRIVATE KEY-----" not in text
    for line in BODY_LINES:
        assert line[:20] not in text, "key material in output"


@pytest.mark.parametrize("name", frontgate.__all__)
def test_all_names_resolve(name: str) -> None:
    assert getattr(frontgate, name) is not None
    assert name in dir(frontgate)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = frontgate.NoSuchThing  # type: ignore[attr-defined,unused-ignore]


def test_version() -> None:
    assert frontgate.__version__.count(".") == 2


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_reprs_show_no_key_material(kind: str) -> None:
    pem = private_pem("rsa" if kind == "rsa" else "ecdsa")
    signer = Signer.from_pem(pem, KEY_PAIR_ID, hash_algorithm="SHA256")
    key = load_private_key(pem)
    objects: list[object] = [
        signer,
        LocalKey(key),
        KeyGroup({KEY_PAIR_ID: public_pem("rsa" if kind == "rsa" else "ecdsa")}),
        Distribution("https://d111111abcdef8.cloudfront.net", signer),
        CloudFrontSigner(KEY_PAIR_ID, signer),
        Verifier({KEY_PAIR_ID: public_pem("rsa" if kind == "rsa" else "ecdsa")}),
        Policy("https://d111111abcdef8.cloudfront.net/*", 10),
    ]
    for obj in objects:
        assert_clean(repr(obj))
        assert_clean(str(obj))


@pytest.mark.parametrize(
    "error",
    [
        FrontgateError(ErrorCode.KEY_UNREADABLE, "x"),
        KeyLoadError(ErrorCode.KEY_UNSUPPORTED, "x"),
        InputError(ErrorCode.URL_INVALID, "x"),
        ConfigError(ErrorCode.CONFIG_MISSING, "x"),
        BackendError(ErrorCode.SHA1_UNAVAILABLE, "x"),
    ],
)
def test_error_shape(error: FrontgateError) -> None:
    assert str(error) == "x"
    assert error.code.value in repr(error)


def test_input_error_is_a_value_error() -> None:
    assert issubclass(InputError, ValueError)


def test_every_error_code_is_kebab_case() -> None:
    for code in ErrorCode:
        assert code.value == code.value.lower()
        assert " " not in code.value
        assert "_" not in code.value


@pytest.mark.parametrize("name", [v[0] for v in REFUSED_KEYS.values()])
def test_key_errors_show_no_key_material(name: str) -> None:
    with pytest.raises(FrontgateError) as info:
        Signer.from_pem(key_bytes(name), KEY_PAIR_ID)
    assert_clean(str(info.value))
    assert_clean(repr(info.value))
