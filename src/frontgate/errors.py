"""The one error hierarchy of frontgate.

Every error carries a machine-readable :class:`ErrorCode` and a one-sentence message that
says what was wrong and what to do; ``str(error)`` is that message. Key material never
appears in a message.

::

    FrontgateError(Exception)          .code, .message
     ├── KeyLoadError                  key-unreadable, key-encrypted, key-bad-password,
     │                                 key-unsupported, key-is-public, key-is-certificate
     ├── InputError(ValueError)        url-invalid, resource-invalid, time-invalid,
     │                                 ip-invalid, hash-unsupported, key-pair-id-invalid,
     │                                 too-long, policy-invalid, playlist-invalid
     ├── ConfigError                   config-missing, config-invalid, config-conflict,
     │                                 extra-missing, source-unreadable
     └── BackendError                  sha1-unavailable, kms-failed, aws-failed

Refusing a signed URL is not an error: :meth:`frontgate.Verifier.verify_url` returns a
:class:`frontgate.Decision` for any input.

>>> try:
...     raise InputError(ErrorCode.TIME_INVALID, "expires_at is a naive datetime.")
... except FrontgateError as exc:
...     print(exc.code, "|", exc)
time-invalid | expires_at is a naive datetime.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BackendError",
    "ConfigError",
    "ErrorCode",
    "FrontgateError",
    "FrontgateWarning",
    "InputError",
    "KeyLoadError",
    "extra_missing",
]


class ErrorCode(StrEnum):
    """Machine-readable error codes (kebab-case)."""

    # keys
    KEY_UNREADABLE = "key-unreadable"
    KEY_ENCRYPTED = "key-encrypted"
    KEY_BAD_PASSWORD = "key-bad-password"  # noqa: S105 - a code, not a password
    KEY_UNSUPPORTED = "key-unsupported"
    KEY_IS_PUBLIC = "key-is-public"
    KEY_IS_CERTIFICATE = "key-is-certificate"
    # input to the signer
    URL_INVALID = "url-invalid"
    RESOURCE_INVALID = "resource-invalid"
    TIME_INVALID = "time-invalid"
    IP_INVALID = "ip-invalid"
    HASH_UNSUPPORTED = "hash-unsupported"
    KEY_PAIR_ID_INVALID = "key-pair-id-invalid"
    TOO_LONG = "too-long"
    POLICY_INVALID = "policy-invalid"
    PLAYLIST_INVALID = "playlist-invalid"
    # configuration
    CONFIG_MISSING = "config-missing"
    CONFIG_INVALID = "config-invalid"
    CONFIG_CONFLICT = "config-conflict"
    EXTRA_MISSING = "extra-missing"
    SOURCE_UNREADABLE = "source-unreadable"
    # environment and remote services
    SHA1_UNAVAILABLE = "sha1-unavailable"
    KMS_FAILED = "kms-failed"
    AWS_FAILED = "aws-failed"


class FrontgateError(Exception):
    """Root of every error frontgate raises; ``str(e)`` is the message."""

    #: what went wrong, for programs
    code: ErrorCode
    #: one sentence for people: what was wrong and what to do
    message: str

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class KeyLoadError(FrontgateError):
    """A private or public key could not be loaded or is not one CloudFront accepts."""


class InputError(FrontgateError, ValueError):
    """Bad input to the signer (URL, resource, time, IP, hash, key pair id, size)."""


class ConfigError(FrontgateError):
    """A configuration mistake, a missing optional dependency or an unreadable key source."""


class BackendError(FrontgateError):
    """The crypto backend or a remote service (KMS, AWS) could not do what was asked."""


def extra_missing(what: str, extra: str) -> ConfigError:
    """The error an adapter raises when its optional dependency is not installed.

    >>> str(extra_missing("frontgate edge needs granian", "edge"))
    "frontgate edge needs granian: pip install 'frontgate[edge]'."
    """
    return ConfigError(ErrorCode.EXTRA_MISSING, f"{what}: pip install 'frontgate[{extra}]'.")


class FrontgateWarning(UserWarning):
    """A signed result that works but is probably not what was meant (R45, R46)."""
