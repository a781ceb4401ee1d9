"""Signing inside AWS KMS: the private key never leaves KMS (contract, "Key sources").

>>> from frontgate import Signer
>>> key = KmsKey("alias/cdn-signing")                                  # doctest: +SKIP
>>> Signer(key, "K2JCJMDEHXQW5F", hash_algorithm="SHA256").sign_url(   # doctest: +SKIP
...     "https://d111111abcdef8.cloudfront.net/a.pdf", expires_in=300)

KMS signs RSA keys with ``RSASSA_PKCS1_V1_5_SHA_256`` and P-256 keys with
``ECDSA_SHA_256`` (a DER signature, as CloudFront wants: R19). KMS has no SHA-1
signing, so only ``Hash-Algorithm=SHA256`` URLs can be made (R20).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from cryptography.hazmat.primitives import serialization

from frontgate._types import HashName, KeyType
from frontgate.errors import BackendError, ConfigError, ErrorCode, KeyLoadError
from frontgate.keys import (
    PublicKey,
    check_hash_algorithm,
    describe_key,
    load_public_key,
    verify_signature,
)

from .session import AwsSession, aws_errors, region_from_arn

if TYPE_CHECKING:
    from mypy_boto3_kms.literals import MessageTypeType, SigningAlgorithmSpecType

__all__ = ["MAX_RAW_MESSAGE", "KmsKey", "kms_sha1_refused"]

#: KMS Sign takes a RAW message up to 4,096 bytes; longer ones are sent as a SHA-256 DIGEST
MAX_RAW_MESSAGE: Final = 4096

_ALGORITHMS: Final[dict[str, tuple[KeyType, SigningAlgorithmSpecType]]] = {
    "RSA_2048": ("RSA", "RSASSA_PKCS1_V1_5_SHA_256"),
    "ECC_NIST_P256": ("ECDSA", "ECDSA_SHA_256"),
}


def kms_sha1_refused(key_id: str) -> ConfigError:
    """The error for a ``kms:`` key asked to sign with SHA-1."""
    return ConfigError(
        ErrorCode.CONFIG_CONFLICT,
        f"KMS has no SHA-1 signing, so the kms:{key_id} key cannot sign SHA1; use "
        "hash_algorithm='SHA256' (--hash-algorithm SHA256), which CloudFront accepts (R20).",
    )


class KmsKey:
    """A CloudFront signing key held in KMS (asymmetric ``RSA_2048`` or ``ECC_NIST_P256``).

    The public key is fetched once (GetPublicKey) and checked like a local one (R17);
    each signature is one KMS ``Sign`` call, so sign many URLs with
    :func:`frontgate.aws.sign_urls`. Safe to share between threads.
    """

    __slots__ = ("_algorithm", "_arn", "_client", "_public", "description", "key_id", "key_type")

    def __init__(self, key_id: str, *, aws: AwsSession | None = None) -> None:
        if not key_id:
            raise ConfigError(
                ErrorCode.CONFIG_INVALID, "kms: needs a key id, ARN or alias (kms:alias/NAME)."
            )
        session = aws or AwsSession(region=region_from_arn(key_id))
        self.key_id = key_id
        self._client = session.kms
        with aws_errors(f"reading the KMS key {key_id}", code=ErrorCode.KMS_FAILED):
            answer = self._client.get_public_key(KeyId=key_id)
        # KeySpec replaced CustomerMasterKeySpec; some endpoints send only the older name
        spec = str(answer.get("KeySpec", answer.get("CustomerMasterKeySpec", "")))
        if answer.get("KeyUsage") != "SIGN_VERIFY":
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                f"The KMS key {key_id} is not a signing key (KeyUsage "
                f"{answer.get('KeyUsage')}); create it with KeyUsage SIGN_VERIFY.",
            )
        if spec not in _ALGORITHMS:
            raise KeyLoadError(
                ErrorCode.KEY_UNSUPPORTED,
                f"The KMS key {key_id} is {spec}; CloudFront accepts RSA_2048 and "
                "ECC_NIST_P256 keys (R17).",
            )
        self.key_type, self._algorithm = _ALGORITHMS[spec]
        offered = answer.get("SigningAlgorithms") or [self._algorithm]
        if self._algorithm not in offered:
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                f"The KMS key {key_id} does not offer {self._algorithm} signing.",
            )
        try:
            der_key = serialization.load_der_public_key(answer["PublicKey"])
        except ValueError as exc:
            raise BackendError(
                ErrorCode.KMS_FAILED, f"KMS returned an unreadable public key for {key_id}."
            ) from exc
        self._public = load_public_key(
            der_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        # sign with the ARN KMS resolved, so a moved alias cannot mix two keys
        self._arn = str(answer.get("KeyId") or key_id)
        self.description = f"KMS {describe_key(self._public)}"

    def __repr__(self) -> str:
        return f"KmsKey({self.key_id!r}, {self.description})"

    def public_key(self) -> PublicKey:
        return self._public

    def signer_for(self, hash_algorithm: HashName) -> Callable[[bytes], bytes]:
        """A function signing policy bytes in KMS; SHA1 is a :class:`ConfigError`."""
        if check_hash_algorithm(hash_algorithm) != "SHA256":
            raise kms_sha1_refused(self.key_id)
        client, arn, algorithm, key_id = self._client, self._arn, self._algorithm, self.key_id

        def sign(data: bytes) -> bytes:
            message, kind = data, "RAW"
            if len(data) > MAX_RAW_MESSAGE:
                message, kind = hashlib.sha256(data).digest(), "DIGEST"
            message_type: MessageTypeType = "RAW" if kind == "RAW" else "DIGEST"
            with aws_errors(f"signing with the KMS key {key_id}", code=ErrorCode.KMS_FAILED):
                answer = client.sign(
                    KeyId=arn,
                    Message=message,
                    MessageType=message_type,
                    SigningAlgorithm=algorithm,
                )
            return answer["Signature"]

        probe = b"frontgate self-check"
        if not verify_signature(self._public, sign(probe), probe, "SHA256"):
            raise BackendError(
                ErrorCode.KMS_FAILED,
                f"A KMS signature by {key_id} does not verify with its public key; check "
                "the key's signing algorithm.",
            )
        return sign
