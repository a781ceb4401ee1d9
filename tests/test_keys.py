"""Key loading (R17, R48, P3, P4): every accepted format, every refusal with its own code."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from frontgate._types import HashName
from frontgate.errors import BackendError, ErrorCode, InputError, KeyLoadError
from frontgate.keys import (
    KeyGroup,
    LocalKey,
    check_hash_algorithm,
    check_key_pair_id,
    describe_key,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_pem,
    public_key_fingerprint,
    public_pem,
    repair_pem,
    verify_signature,
)
from frontgate.signer import Signer
from tests import conftest
from tests.conftest import (
    ACCEPTED_KEYS,
    ENCRYPTED_KEYS,
    KEY_PAIR_ID,
    PASSPHRASE,
    REFUSED_KEYS,
    KeyKind,
    key_bytes,
    pem_body_lines,
)

RSA_PEM = key_bytes("rsa2048_pkcs1.pem")


def _assert_no_key_material(text: str, *pems: bytes) -> None:
    assert "-----BEGIN" not in text
    for line in pem_body_lines(*pems):
        assert line[:16] not in text


# -- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACCEPTED_KEYS.values()), ids=list(ACCEPTED_KEYS))
def test_r48_accepted_formats(name: str) -> None:
    key = load_private_key(key_bytes(name))
    assert describe_key(key) in ("RSA-2048", "ECDSA P-256")
    kind: KeyKind = "rsa" if name.startswith("rsa") else "ecdsa"
    assert public_pem(key) == conftest.public_pem(kind)


@pytest.mark.parametrize("name", list(ENCRYPTED_KEYS.values()), ids=list(ENCRYPTED_KEYS))
@pytest.mark.parametrize("passphrase", [PASSPHRASE, PASSPHRASE.encode()], ids=["str", "bytes"])
def test_r48_encrypted_with_passphrase(name: str, passphrase: str | bytes) -> None:
    key = load_private_key(key_bytes(name), passphrase)
    kind: KeyKind = "rsa" if name.startswith("rsa") else "ecdsa"
    assert public_pem(key) == conftest.public_pem(kind)


@pytest.mark.parametrize("name", list(ENCRYPTED_KEYS.values()), ids=list(ENCRYPTED_KEYS))
@pytest.mark.parametrize("passphrase", [None, "", b""], ids=["none", "empty-str", "empty-bytes"])
def test_r48_encrypted_without_passphrase(name: str, passphrase: str | bytes | None) -> None:
    with pytest.raises(KeyLoadError) as info:
        load_private_key(key_bytes(name), passphrase)
    assert info.value.code is ErrorCode.KEY_ENCRYPTED
    assert "passphrase" in info.value.message


@pytest.mark.parametrize("name", list(ENCRYPTED_KEYS.values()), ids=list(ENCRYPTED_KEYS))
def test_r48_encrypted_wrong_passphrase(name: str) -> None:
    with pytest.raises(KeyLoadError) as info:
        load_private_key(key_bytes(name), "not the passphrase")
    assert info.value.code is ErrorCode.KEY_BAD_PASSWORD
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


@pytest.mark.parametrize("name", list(ACCEPTED_KEYS.values()), ids=list(ACCEPTED_KEYS))
def test_r48_passphrase_for_plain_key(name: str) -> None:
    with pytest.raises(KeyLoadError) as info:
        load_private_key(key_bytes(name), PASSPHRASE)
    assert info.value.code is ErrorCode.KEY_BAD_PASSWORD
    assert "not encrypted" in info.value.message


# -- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"), list(REFUSED_KEYS.values()), ids=[f"R48-{k}" for k in REFUSED_KEYS]
)
def test_r48_refused(name: str, code: str) -> None:
    pem = key_bytes(name)
    with pytest.raises(KeyLoadError) as info:
        load_private_key(pem)
    assert info.value.code.value == code
    _assert_no_key_material(str(info.value), pem)
    _assert_no_key_material(repr(info.value), pem)
    # no cryptography exception chained for a traceback to show
    assert info.value.__suppress_context__ or info.value.__context__ is None


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("rsa1024.pem", "RSA-1024"),
        ("rsa4096.pem", "RSA-4096"),
        ("p384.pem", "ECDSA P-384"),
        ("ed25519.pem", "Ed25519"),
    ],
)
def test_r17_refusal_names_the_type_found(name: str, found: str) -> None:
    with pytest.raises(KeyLoadError, match=found) as info:
        load_private_key(key_bytes(name))
    assert "RSA-2048 and ECDSA P-256" in info.value.message


def test_r48_truncated_says_so() -> None:
    with pytest.raises(KeyLoadError) as info:
        load_private_key(key_bytes("truncated.pem"))
    assert info.value.code is ErrorCode.KEY_UNREADABLE
    assert "truncated" in info.value.message or "-----END" in info.value.message


def test_r48_mangled_body() -> None:
    pem = RSA_PEM.replace(b"\nMII", b"\nXXX", 1)
    with pytest.raises(KeyLoadError) as info:
        load_private_key(pem)
    assert info.value.code is ErrorCode.KEY_UNREADABLE
    _assert_no_key_material(info.value.message, RSA_PEM)


def test_r48_openssh_key_refused() -> None:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyLoadError, match="OpenSSH") as info:
        load_private_key(pem)
    assert info.value.code is ErrorCode.KEY_UNSUPPORTED


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xfe-----BEGIN PRIVATE KEY-----", id="non-ascii-bytes"),
        pytest.param(12345, id="not-text"),
        pytest.param("", id="empty"),
        pytest.param("-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----", id="dh"),
    ],
)
def test_r48_not_a_key(data: Any) -> None:
    with pytest.raises(KeyLoadError) as info:
        load_private_key(data)
    assert info.value.code is ErrorCode.KEY_UNREADABLE


# -- P4: PEM repair -------------------------------------------------------------------------


def _one_line(pem: bytes, sep: str = " ") -> str:
    lines = pem.decode().strip().splitlines()
    return f"{lines[0]}{sep}{''.join(lines[1:-1])}{sep}{lines[-1]}"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda p: p.decode().replace("\n", "\\n"), id="P4-literal-backslash-n"),
        pytest.param(lambda p: p.decode().strip().replace("\n", "\\n"), id="P4-no-final-newline"),
        pytest.param(lambda p: p.replace(b"\n", b"\r\n"), id="P4-crlf"),
        pytest.param(lambda p: p.decode().replace("\n", "\\r\\n"), id="P4-literal-crlf"),
        pytest.param(lambda p: '"' + p.decode().replace("\n", "\\n") + '"', id="P4-double-quotes"),
        pytest.param(lambda p: "'" + p.decode() + "'", id="P4-single-quotes"),
        pytest.param(lambda p: "  \n" + p.decode() + "\n\n  ", id="P4-surrounding-space"),
        pytest.param(lambda p: p.decode().strip(), id="P4-missing-final-newline"),
        pytest.param(_one_line, id="P4-one-line-body"),
        pytest.param(lambda p: _one_line(p, ""), id="P4-one-line-no-spaces"),
    ],
)
@pytest.mark.parametrize("name", ["rsa2048_pkcs1.pem", "p256_pkcs8.pem"])
def test_p4_pem_repair(mangle: Any, name: str) -> None:
    pem = key_bytes(name)
    key = load_private_key(mangle(pem))
    assert public_pem(key) == public_pem(load_private_key(pem))


def test_p4_repair_keeps_encrypted_pkcs1_headers() -> None:
    pem = key_bytes("rsa2048_pkcs1_encrypted.pem").decode().replace("\n", "\\n")
    key = load_private_key(pem, PASSPHRASE)
    assert describe_key(key) == "RSA-2048"


def test_p4_repair_pem_doctest_shape() -> None:
    assert repair_pem('"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"') == (
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    )


# -- public keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(key_bytes("rsa2048_public.pem"), id="public-pem"),
        pytest.param(key_bytes("certificate.pem"), id="certificate"),
        pytest.param(RSA_PEM, id="private-pem"),
        pytest.param(load_private_key(RSA_PEM), id="private-object"),
        pytest.param(load_private_key(RSA_PEM).public_key(), id="public-object"),
        pytest.param(
            load_private_key(RSA_PEM)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
            id="rsa-public-key-pkcs1",
        ),
    ],
)
def test_r17_public_key_sources(source: Any) -> None:
    assert public_pem(load_public_key(source)) == key_bytes("rsa2048_public.pem")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(key_bytes("rsa1024.pem"), ErrorCode.KEY_UNSUPPORTED, id="rsa-1024"),
        pytest.param(
            public_pem(ec.generate_private_key(ec.SECP384R1())),
            ErrorCode.KEY_UNSUPPORTED,
            id="p-384-public",
        ),
        pytest.param(key_bytes("garbage.pem"), ErrorCode.KEY_UNREADABLE, id="garbage"),
        pytest.param(
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            ErrorCode.KEY_UNREADABLE,
            id="bad-body",
        ),
    ],
)
def test_r17_public_key_refused(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(KeyLoadError) as info:
        load_public_key(data)
    assert info.value.code is code


# -- hashes, ids, self-check, P3 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SHA1", "SHA1"), ("SHA256", "SHA256"), ("sha256", "SHA256"), ("SHA-1", "SHA1")],
)
def test_r20_hash_names(value: str, expected: str) -> None:
    assert check_hash_algorithm(value) == expected


@pytest.mark.parametrize("value", ["MD5", "SHA512", "", None, 256])
def test_r20_hash_refused(value: object) -> None:
    with pytest.raises(InputError) as info:
        check_hash_algorithm(value)
    assert info.value.code is ErrorCode.HASH_UNSUPPORTED


@pytest.mark.parametrize("value", ["K2JCJMDEHXQW5F", "APKAEIBAERJR2EXAMPLE", "k1"])
def test_r21_key_pair_id_accepted(value: str) -> None:
    assert check_key_pair_id(value) == value


@pytest.mark.parametrize("value", ["", "K2J CJ", "K2J&x=1", "K2JCJMDEHXQW5F\n", None, 5])
def test_r21_key_pair_id_refused(value: object) -> None:
    with pytest.raises(InputError) as info:
        check_key_pair_id(value)
    assert info.value.code is ErrorCode.KEY_PAIR_ID_INVALID


def test_r48_inconsistent_key_fails_the_self_check() -> None:
    key = load_private_key(RSA_PEM)
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.private_numbers()
    broken = rsa.RSAPrivateNumbers(
        p=numbers.p,
        q=numbers.q,
        # OpenSSL re-checks a CRT result and falls back to d, so break every exponent
        d=numbers.d ^ 2,
        dmp1=numbers.dmp1 ^ 2,
        dmq1=numbers.dmq1 ^ 2,
        iqmp=numbers.iqmp,
        public_numbers=numbers.public_numbers,
    ).private_key(unsafe_skip_rsa_key_validation=True)
    with pytest.raises(KeyLoadError) as info:
        LocalKey(broken).signer_for("SHA1")
    assert info.value.code is ErrorCode.KEY_UNREADABLE
    assert "inconsistent" in info.value.message


class _NoSha1Key(rsa.RSAPrivateKey):
    """A real RSA key whose backend refuses SHA-1 signing, as FIPS builds and RHEL 9's
    crypto policy do (P3). Such an OpenSSL cannot run here, so this wraps a real key."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key

    def sign(self, data: bytes, padding: Any, algorithm: Any) -> bytes:
        if isinstance(algorithm, hashes.SHA1):
            raise UnsupportedAlgorithm("sha1 is not supported by this backend for RSA signing")
        return self._key.sign(data, padding, algorithm)

    def decrypt(self, ciphertext: bytes, padding: Any) -> bytes:  # pragma: no cover
        raise NotImplementedError

    @property
    def key_size(self) -> int:
        return self._key.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._key.public_key()

    def private_numbers(self) -> rsa.RSAPrivateNumbers:  # pragma: no cover
        raise NotImplementedError

    def private_bytes(self, *args: Any) -> bytes:  # pragma: no cover
        raise NotImplementedError

    def __copy__(self) -> _NoSha1Key:  # pragma: no cover
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _NoSha1Key:  # pragma: no cover
        return self


def test_p3_sha1_unavailable_suggests_sha256() -> None:
    key = _NoSha1Key(load_private_key(RSA_PEM))  # type: ignore[arg-type]
    with pytest.raises(BackendError) as info:
        Signer(key, KEY_PAIR_ID)
    assert info.value.code is ErrorCode.SHA1_UNAVAILABLE
    assert "SHA256" in info.value.message
    signer = Signer(key, KEY_PAIR_ID, hash_algorithm="SHA256")
    assert signer.hash_algorithm == "SHA256"


def test_r18_r19_verify_signature(key_kind: str, hash_algorithm: Any) -> None:
    key = load_private_key(key_bytes("rsa2048_pkcs1.pem" if key_kind == "rsa" else "p256_sec1.pem"))
    sign = LocalKey(key).signer_for(hash_algorithm)
    signature = sign(b"policy")
    assert verify_signature(key.public_key(), signature, b"policy", hash_algorithm)
    assert not verify_signature(key.public_key(), signature, b"policy!", hash_algorithm)
    other: HashName = "SHA256" if hash_algorithm == "SHA1" else "SHA1"
    assert not verify_signature(key.public_key(), signature, b"policy", other)


def test_r18_rsa_is_pkcs1v15_deterministic() -> None:
    key = load_private_key(RSA_PEM)
    assert isinstance(key, rsa.RSAPrivateKey)
    sign = LocalKey(key).signer_for("SHA1")
    assert (
        sign(b"x")
        == sign(b"x")
        == key.sign(
            b"x",
            padding.PKCS1v15(),
            hashes.SHA1(),  # noqa: S303 - CloudFront's default hash (R18)
        )
    )


# -- key group, generation, speed ---------------------------------------------------------


def test_r22_key_group() -> None:
    group = KeyGroup({"K1": key_bytes("rsa2048_public.pem"), "K2": key_bytes("p256_public.pem")})
    assert list(group) == ["K1", "K2"]
    assert len(group) == 2
    assert describe_key(group["K2"]) == "ECDSA P-256"
    assert group.find_signer(load_private_key(RSA_PEM)) == "K1"
    assert group.find_signer(generate_private_key("ecdsa")) is None
    assert repr(group) == "KeyGroup({K1: RSA-2048, K2: ECDSA P-256})"
    assert KeyGroup(group)["K1"] is group["K1"]


def test_r22_key_group_names_the_bad_key() -> None:
    with pytest.raises(KeyLoadError, match=r"^Key K2: ") as info:
        KeyGroup({"K1": key_bytes("rsa2048_public.pem"), "K2": key_bytes("rsa1024.pem")})
    assert info.value.code is ErrorCode.KEY_UNSUPPORTED
    with pytest.raises(InputError):
        KeyGroup({"bad id": key_bytes("rsa2048_public.pem")})


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_r48_generated_keys_round_trip(kind: str) -> None:
    key = generate_private_key(kind)
    encrypted = private_pem(key, "pw")
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert public_key_fingerprint(load_private_key(encrypted, "pw")) == public_key_fingerprint(key)
    assert public_pem(key).startswith(b"-----BEGIN PUBLIC KEY-----")


def test_generate_refuses_other_types() -> None:
    with pytest.raises(InputError):
        generate_private_key("dsa")


@pytest.mark.parametrize("name", ["rsa2048_pkcs1.pem", "p256_sec1.pem"])
def test_r48_key_load_is_fast(name: str) -> None:
    # Default RSA validation costs ~36 ms; frontgate skips it and self-checks with one
    # sign/verify instead. The best of five runs keeps this stable on a busy machine.
    pem = key_bytes(name)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        Signer.from_pem(pem, KEY_PAIR_ID)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.010
