"""Keys CloudFront accepts: RSA-2048 and ECDSA P-256, in PEM (R17, R48).

>>> key = generate_private_key("ecdsa")
>>> loaded = load_private_key(private_pem(key))
>>> describe_key(loaded)
'ECDSA P-256'
>>> describe_key(load_public_key(public_pem(key)))
'ECDSA P-256'

Every way loading can fail has its own :class:`~frontgate.errors.ErrorCode`; no message
ever contains key material.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol, TypeAlias, runtime_checkable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ._types import HashName, KeyType, PEMData
from .errors import BackendError, ErrorCode, InputError, KeyLoadError

__all__ = [
    "KeyGroup",
    "LocalKey",
    "PrivateKey",
    "PublicKey",
    "SigningKey",
    "check_hash_algorithm",
    "check_key_pair_id",
    "describe_key",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "private_pem",
    "public_key_fingerprint",
    "public_pem",
    "repair_pem",
    "verify_signature",
]

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_HASHES: dict[str, type[hashes.SHA1] | type[hashes.SHA256]] = {
    "SHA1": hashes.SHA1,
    "SHA256": hashes.SHA256,
}
_KEY_PAIR_ID = re.compile(r"[A-Za-z0-9]+")
_PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)-----END (?P=label)-----", re.DOTALL
)


def check_hash_algorithm(value: object) -> HashName:
    """Return ``"SHA1"`` or ``"SHA256"``; anything else is an :class:`InputError` (R20)."""
    if value == "SHA1":
        return "SHA1"
    if value == "SHA256":
        return "SHA256"
    if isinstance(value, str) and value.upper().replace("-", "") in _HASHES:
        return "SHA1" if value.upper().replace("-", "") == "SHA1" else "SHA256"
    raise InputError(
        ErrorCode.HASH_UNSUPPORTED,
        f"hash_algorithm must be 'SHA1' or 'SHA256', not {value!r} (R20).",
    )


def check_key_pair_id(value: object) -> str:
    """Return a key pair id made of letters and digits (R21)."""
    if not isinstance(value, str) or not _KEY_PAIR_ID.fullmatch(value):
        raise InputError(
            ErrorCode.KEY_PAIR_ID_INVALID,
            f"key_pair_id must be the CloudFront public key id (letters and digits, e.g. "
            f"K2JCJMDEHXQW5F), not {value!r} (R21).",
        )
    return value


# ---------------------------------------------------------------------------
# PEM text


def repair_pem(data: PEMData) -> bytes:
    """Undo what environment variables and secret stores do to PEM text (R48, P4).

    Strips surrounding quotes and whitespace, turns CR LF into LF, turns the two
    characters ``\\n`` into line breaks when there is no real one, re-wraps a body that
    arrived on one line, and ends with a newline.

    >>> repair_pem('"-----BEGIN PUBLIC KEY-----\\\\nAAAA\\\\n-----END PUBLIC KEY-----"')
    b'-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n'
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise KeyLoadError(
                ErrorCode.KEY_UNREADABLE,
                "The key is not PEM text (it has non-ASCII bytes); give the PEM file, the "
                "one whose first line is BEGIN ... PRIVATE KEY.",
            ) from None
    elif isinstance(data, str):
        text = data
    else:
        raise KeyLoadError(
            ErrorCode.KEY_UNREADABLE, f"A key must be PEM text or bytes, not {type(data).__name__}."
        )
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\r\\n", "\n").replace("\\n", "\n").strip()
    blocks = []
    for match in _PEM_BLOCK.finditer(text):
        body = match["body"]
        label = match["label"]
        if ":" not in body and "\n" not in body.strip():
            # one-line body (a .env file, a Docker env file): re-wrap at 64 columns
            flat = "".join(body.split())
            body = "\n" + "\n".join(flat[i : i + 64] for i in range(0, len(flat), 64)) + "\n"
        blocks.append(f"-----BEGIN {label}-----{body}-----END {label}-----\n")
    if not blocks:
        return (text + "\n").encode("ascii", "replace")
    return "".join(blocks).encode("ascii", "replace")


def _labels(pem: bytes) -> list[str]:
    return [m["label"] for m in _PEM_BLOCK.finditer(pem.decode("ascii", "replace"))]


def describe_key(key: PrivateKey | PublicKey | object) -> str:
    """A short name for a key's type and size, e.g. ``'RSA-2048'`` or ``'ECDSA P-256'``."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
        return f"ECDSA {names.get(key.curve.name, key.curve.name)}"
    name = type(key).__name__.removeprefix("_").replace("PrivateKey", "").replace("PublicKey", "")
    return name or "unknown"


def key_type(key: PrivateKey | PublicKey) -> KeyType:
    """``"RSA"`` or ``"ECDSA"``."""
    return "RSA" if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) else "ECDSA"


def _check_type(key: object, what: str) -> None:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size == 2048:
        return
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return
    raise KeyLoadError(
        ErrorCode.KEY_UNSUPPORTED,
        f"The {what} is {describe_key(key)}; CloudFront accepts only RSA-2048 and ECDSA P-256 "
        "keys (R17). Make one with: frontgate keygen --type rsa|ecdsa.",
    )


def load_private_key(data: PEMData, passphrase: str | bytes | None = None) -> PrivateKey:
    """Load an RSA-2048 or P-256 private key from PEM (PKCS#1, PKCS#8, SEC1; R48).

    Raises :class:`KeyLoadError` with ``key-unreadable``, ``key-encrypted``,
    ``key-bad-password``, ``key-unsupported``, ``key-is-public`` or ``key-is-certificate``.
    """
    pem = repair_pem(data)
    labels = _labels(pem)
    if not labels:
        if b"-----BEGIN " in pem:
            raise KeyLoadError(
                ErrorCode.KEY_UNREADABLE,
                "The PEM is truncated (a BEGIN line without its matching END line); copy "
                "the whole key file again, from its BEGIN line to its END line.",
            )
        raise KeyLoadError(
            ErrorCode.KEY_UNREADABLE,
            "No PEM key found (no BEGIN ... PRIVATE KEY line); give the private "
            "key file as written by openssl or frontgate keygen.",
        )
    if not any(label.endswith("PRIVATE KEY") for label in labels):
        if "CERTIFICATE" in labels:
            raise KeyLoadError(
                ErrorCode.KEY_IS_CERTIFICATE,
                "This is a certificate, not a private key; give the private key PEM "
                "(a BEGIN PRIVATE KEY block).",
            )
        if any(label.endswith("PUBLIC KEY") for label in labels):
            raise KeyLoadError(
                ErrorCode.KEY_IS_PUBLIC,
                "This is a public key; signing needs the private key (the public key is "
                "what you upload to CloudFront).",
            )
        raise KeyLoadError(
            ErrorCode.KEY_UNREADABLE,
            f"The PEM holds {labels[0]!r}, not a private key; give the private key PEM.",
        )
    if "OPENSSH PRIVATE KEY" in labels:
        raise KeyLoadError(
            ErrorCode.KEY_UNSUPPORTED,
            "This is an OpenSSH private key; convert it to PEM with "
            "'ssh-keygen -p -m PEM -f KEY' or make one with frontgate keygen.",
        )
    encrypted = "ENCRYPTED PRIVATE KEY" in labels or b"Proc-Type: 4,ENCRYPTED" in pem
    password = passphrase.encode() if isinstance(passphrase, str) else passphrase
    if encrypted and not password:
        raise KeyLoadError(
            ErrorCode.KEY_ENCRYPTED,
            "The private key is encrypted; give its passphrase (passphrase=, or "
            "--passphrase-env NAME on the command line).",
        )
    if not encrypted and password is not None:
        raise KeyLoadError(
            ErrorCode.KEY_BAD_PASSWORD,
            "A passphrase was given but the private key is not encrypted; drop the passphrase.",
        )
    try:
        # RSA validation costs ~30 ms per load; the signer's self-check replaces it.
        key = serialization.load_pem_private_key(
            pem, password=password, unsafe_skip_rsa_key_validation=True
        )
    except UnsupportedAlgorithm:
        raise KeyLoadError(
            ErrorCode.KEY_UNSUPPORTED,
            "The private key uses an algorithm this crypto library cannot load; CloudFront "
            "accepts RSA-2048 and ECDSA P-256 keys (R17).",
        ) from None
    except (ValueError, TypeError) as exc:
        if encrypted and ("password" in str(exc).lower() or "decrypt" in str(exc).lower()):
            raise KeyLoadError(
                ErrorCode.KEY_BAD_PASSWORD,
                "The passphrase does not decrypt the private key; check the passphrase.",
            ) from None
        raise KeyLoadError(
            ErrorCode.KEY_UNREADABLE,
            "The private key PEM could not be decoded (truncated, or its lines were "
            "mangled); copy the whole file again, from its BEGIN line to its END line.",
        ) from None
    _check_type(key, "private key")
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key


def load_public_key(data: PEMData | PublicKey | PrivateKey) -> PublicKey:
    """Load an RSA-2048 or P-256 public key (``BEGIN PUBLIC KEY`` or ``BEGIN RSA PUBLIC
    KEY`` PEM, a certificate, a private key PEM, or a key object)."""
    if isinstance(data, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        data = data.public_key()
    if isinstance(data, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        _check_type(data, "public key")
        return data
    pem = repair_pem(data)
    labels = _labels(pem)
    key: object
    try:
        if "CERTIFICATE" in labels:
            from cryptography import x509

            key = x509.load_pem_x509_certificate(pem).public_key()
        elif any(label.endswith("PRIVATE KEY") for label in labels):
            key = load_private_key(pem).public_key()
        elif labels:
            key = serialization.load_pem_public_key(pem)
        else:
            raise KeyLoadError(
                ErrorCode.KEY_UNREADABLE,
                "No PEM public key found (no BEGIN PUBLIC KEY line).",
            )
    except KeyLoadError:
        raise
    except UnsupportedAlgorithm:
        raise KeyLoadError(
            ErrorCode.KEY_UNSUPPORTED,
            "The public key uses an algorithm CloudFront does not accept (R17).",
        ) from None
    except ValueError:
        raise KeyLoadError(
            ErrorCode.KEY_UNREADABLE,
            "The public key PEM could not be decoded; copy the whole BEGIN PUBLIC KEY "
            "block again, from its BEGIN line to its END line.",
        ) from None
    _check_type(key, "public key")
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return key


def generate_private_key(kind: str) -> PrivateKey:
    """A new RSA-2048 (``"rsa"``) or P-256 (``"ecdsa"``) private key."""
    if kind.lower() == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind.lower() in ("ecdsa", "ec"):
        return ec.generate_private_key(ec.SECP256R1())
    raise InputError(ErrorCode.KEY_UNSUPPORTED, f"Key type must be rsa or ecdsa, not {kind!r}.")


def private_pem(key: PrivateKey, passphrase: str | bytes | None = None) -> bytes:
    """PKCS#8 PEM of a private key, encrypted when a passphrase is given."""
    password = passphrase.encode() if isinstance(passphrase, str) else passphrase
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_pem(key: PrivateKey | PublicKey) -> bytes:
    """``BEGIN PUBLIC KEY`` PEM, the form CloudFront's CreatePublicKey expects (R48)."""
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_fingerprint(key: PrivateKey | PublicKey) -> str:
    """SHA-256 of the public key's DER (SubjectPublicKeyInfo), hex; equal keys, equal prints."""
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) else key
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()


# ---------------------------------------------------------------------------
# Signing and verifying


@runtime_checkable
class SigningKey(Protocol):
    """Anything that can make CloudFront signatures: a local key, or one held in KMS."""

    #: "RSA" or "ECDSA"
    key_type: KeyType
    #: e.g. "RSA-2048"
    description: str

    def signer_for(self, hash_algorithm: HashName) -> Callable[[bytes], bytes]:
        """A function that signs policy bytes with this key and hash (R18, R19)."""
        ...

    def public_key(self) -> PublicKey:
        """The matching public key."""
        ...


def _sha1_unavailable() -> BackendError:
    return BackendError(
        ErrorCode.SHA1_UNAVAILABLE,
        "This system's crypto library refuses SHA-1 signatures (FIPS mode or a hardened "
        "crypto policy); sign with hash_algorithm='SHA256' (--hash-algorithm SHA256), which "
        "CloudFront accepts since April 2026 (P3).",
    )


class LocalKey:
    """A private key held in this process.

    >>> LocalKey(generate_private_key("rsa"))
    LocalKey(RSA-2048)
    """

    __slots__ = ("_key", "description", "key_type")

    def __init__(self, key: PrivateKey) -> None:
        _check_type(key, "private key")
        self._key = key
        self.key_type: KeyType = key_type(key)
        self.description = describe_key(key)

    def __repr__(self) -> str:
        return f"LocalKey({self.description})"

    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def signer_for(self, hash_algorithm: HashName) -> Callable[[bytes], bytes]:
        """Bind key, padding and hash once; check once that the pair signs and verifies."""
        algorithm = _HASHES[check_hash_algorithm(hash_algorithm)]()
        key = self._key
        # A closure passing the algorithm positionally: the C method parses keyword
        # arguments more slowly than the closure's own frame costs.
        sign: Callable[[bytes], bytes]
        if isinstance(key, rsa.RSAPrivateKey):
            rsa_sign, pkcs1 = key.sign, padding.PKCS1v15()

            def sign(data: bytes) -> bytes:
                return rsa_sign(data, pkcs1, algorithm)

        else:
            ec_sign, ecdsa = key.sign, ec.ECDSA(algorithm)

            def sign(data: bytes) -> bytes:
                return ec_sign(data, ecdsa)

        probe = b"frontgate self-check"
        try:
            signature = sign(probe)
        except UnsupportedAlgorithm as exc:
            if hash_algorithm == "SHA1":
                raise _sha1_unavailable() from exc
            raise BackendError(
                ErrorCode.SHA1_UNAVAILABLE, f"The crypto library cannot sign with {hash_algorithm}."
            ) from exc
        if not verify_signature(key.public_key(), signature, probe, hash_algorithm):
            raise KeyLoadError(
                ErrorCode.KEY_UNREADABLE,
                "The private key is inconsistent (its parts do not match); it may be "
                "corrupted. Make a new one with frontgate keygen.",
            )
        return sign


def verify_signature(
    public_key: PublicKey, signature: bytes, data: bytes, hash_algorithm: HashName
) -> bool:
    """Check a CloudFront signature (RSA PKCS#1 v1.5 or DER ECDSA; R18, R19)."""
    algorithm = _HASHES[hash_algorithm]()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
    except InvalidSignature:
        return False
    except UnsupportedAlgorithm as exc:
        if hash_algorithm == "SHA1":
            raise _sha1_unavailable() from exc
        raise
    return True


class KeyGroup(Mapping[str, PublicKey]):
    """The public keys an edge trusts: ``{key_pair_id: public key}`` (R22).

    >>> key = generate_private_key("rsa")
    >>> group = KeyGroup({"K2JCJMDEHXQW5F": public_pem(key)})
    >>> list(group), group.find_signer(key)
    (['K2JCJMDEHXQW5F'], 'K2JCJMDEHXQW5F')
    """

    __slots__ = ("_keys",)

    def __init__(self, keys: Mapping[str, PEMData | PublicKey | PrivateKey]) -> None:
        if isinstance(keys, KeyGroup):
            self._keys: dict[str, PublicKey] = dict(keys._keys)
            return
        if not isinstance(keys, Mapping):
            raise InputError(
                ErrorCode.KEY_PAIR_ID_INVALID,
                "A key group is a mapping {key_pair_id: public key PEM}.",
            )
        self._keys = {}
        for key_id, value in keys.items():
            check_key_pair_id(key_id)
            try:
                self._keys[key_id] = load_public_key(value)
            except KeyLoadError as exc:
                raise KeyLoadError(exc.code, f"Key {key_id}: {exc.message}") from None

    def __getitem__(self, key_pair_id: str) -> PublicKey:
        return self._keys[key_pair_id]

    def get(self, key_pair_id: str, default: PublicKey | None = None) -> PublicKey | None:  # type: ignore[override]
        """The public key for an id, or ``default`` (a plain dict lookup: a hot path)."""
        return self._keys.get(key_pair_id, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}: {describe_key(v)}" for k, v in self._keys.items())
        return f"KeyGroup({{{inner}}})"

    def find_signer(self, key: PrivateKey | PublicKey) -> str | None:
        """The id under which this key (or its public half) is in the group, if any."""
        wanted = public_key_fingerprint(key)
        for key_id, public in self._keys.items():
            if public_key_fingerprint(public) == wanted:
                return key_id
        return None
