"""``kms:``, ``secretsmanager:`` and ``ssm:`` key sources (contract, "Key sources").

:func:`frontgate.sources.load_signing_key` hands these schemes here.

>>> key, default_hash = load("ssm", "/cdn/private-key")             # doctest: +SKIP
>>> key, default_hash = load("secretsmanager", "cdn-keys#signing")  # doctest: +SKIP
>>> key, default_hash = load("kms", "alias/cdn-signing")            # doctest: +SKIP
>>> default_hash                                                    # doctest: +SKIP
'SHA256'

A secret is read once, when the signer is made; its value never appears in an error.
"""

from __future__ import annotations

import json

from frontgate._types import HashName
from frontgate.errors import ConfigError, ErrorCode, KeyLoadError
from frontgate.keys import LocalKey, SigningKey, check_hash_algorithm, load_private_key

from .kms import KmsKey, kms_sha1_refused
from .session import AwsSession, aws_errors, region_from_arn

__all__ = ["load", "pem_from_secret", "read_parameter", "read_secret"]


def load(
    scheme: str,
    rest: str,
    *,
    passphrase: str | bytes | None = None,
    hash_algorithm: HashName | None = None,
    aws: AwsSession | None = None,
) -> tuple[SigningKey, HashName]:
    """Resolve ``scheme:rest`` to a signing key and its default hash (SHA256 for kms)."""
    if scheme == "kms":
        if hash_algorithm is not None and check_hash_algorithm(hash_algorithm) == "SHA1":
            raise kms_sha1_refused(rest)
        return KmsKey(rest, aws=aws), "SHA256"
    if scheme == "secretsmanager":
        pem = read_secret(rest, aws=aws)
    elif scheme == "ssm":
        pem = read_parameter(rest, aws=aws)
    else:
        raise ConfigError(ErrorCode.CONFIG_INVALID, f"Unknown AWS key source {scheme}:.")
    try:
        return LocalKey(load_private_key(pem, passphrase)), "SHA1"
    except KeyLoadError as exc:
        raise KeyLoadError(exc.code, f"{scheme}:{rest}: {exc.message}") from None


def read_secret(reference: str, *, aws: AwsSession | None = None) -> str:
    """The PEM held by ``SECRET_ID[#member]`` in Secrets Manager (string or binary)."""
    secret_id, _, member = reference.partition("#")
    if not secret_id:
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            "secretsmanager: needs a secret id or ARN (secretsmanager:ID or ID#member).",
        )
    session = aws or AwsSession(region=region_from_arn(secret_id))
    with aws_errors(f"reading the secret {secret_id}"):
        answer = session.secretsmanager.get_secret_value(SecretId=secret_id)
    value: str | bytes | None = answer.get("SecretString")
    if value is None:
        value = answer.get("SecretBinary")
    if value is None:
        raise ConfigError(ErrorCode.SOURCE_UNREADABLE, f"The secret {secret_id} has no value.")
    return pem_from_secret(value, member or None, f"the secret {secret_id}")


def read_parameter(name: str, *, aws: AwsSession | None = None) -> str:
    """The value of an SSM parameter, decrypted (a SecureString)."""
    if not name:
        raise ConfigError(ErrorCode.CONFIG_INVALID, "ssm: needs a parameter name (ssm:/path/key).")
    session = aws or AwsSession(region=region_from_arn(name))
    with aws_errors(f"reading the parameter {name}"):
        answer = session.ssm.get_parameter(Name=name, WithDecryption=True)
    value = answer.get("Parameter", {}).get("Value")
    if not value:
        raise ConfigError(ErrorCode.SOURCE_UNREADABLE, f"The parameter {name} is empty.")
    return value


def _is_private_pem(value: object) -> bool:
    return isinstance(value, str) and "-----BEGIN" in value and "PRIVATE KEY" in value


def pem_from_secret(value: str | bytes, member: str | None, label: str) -> str:
    """The PEM in a secret value: the value itself, or a member of a JSON object.

    Without ``member``, a JSON object must have exactly one PEM member.

    >>> pem_from_secret('{"user": "cdn", "key": "-----BEGIN PRIVATE KEY-----..."}', None, "s")
    '-----BEGIN PRIVATE KEY-----...'
    """
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(
                ErrorCode.SOURCE_UNREADABLE,
                f"The binary value of {label} is not PEM text; store the private key PEM.",
            ) from None
    text = value.strip()
    if not text.startswith("{"):
        if member is not None:
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                f"{label} is not a JSON object, so it has no member {member!r}; drop #{member}.",
            )
        return text
    try:
        document = json.loads(text)
    except ValueError:
        raise ConfigError(
            ErrorCode.SOURCE_UNREADABLE,
            f"{label} starts with '{{' but is not valid JSON; store a PEM or a JSON object.",
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(ErrorCode.SOURCE_UNREADABLE, f"{label} is not a JSON object.")
    names = ", ".join(sorted(str(k) for k in document)) or "none"
    if member is not None:
        chosen = document.get(member)
        if not isinstance(chosen, str) or not chosen.strip():
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                f"{label} has no text member {member!r} (members: {names}).",
            )
        return chosen
    pems = [k for k, v in document.items() if _is_private_pem(v)]
    if len(pems) == 1:
        return str(document[pems[0]])
    if not pems:
        raise ConfigError(
            ErrorCode.SOURCE_UNREADABLE,
            f"{label} is JSON with no private key PEM member (members: {names}); name the "
            "member as ID#member.",
        )
    raise ConfigError(
        ErrorCode.CONFIG_CONFLICT,
        f"{label} has several PEM members ({', '.join(sorted(pems))}); pick one as ID#member.",
    )
