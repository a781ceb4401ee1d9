"""Key sources: where a private key comes from (contract, "Key sources").

``PATH``, ``file://PATH`` and ``env:NAME`` are read here; ``kms:``, ``secretsmanager:`` and
``ssm:`` are handed to :mod:`frontgate.aws.sources` (needs ``frontgate[aws]``).

>>> import os
>>> from frontgate.keys import generate_private_key, private_pem
>>> os.environ["FG_DOCTEST_KEY"] = private_pem(generate_private_key("ecdsa")).decode()
>>> key, default_hash = load_signing_key("env:FG_DOCTEST_KEY")
>>> key, default_hash
(LocalKey(ECDSA P-256), 'SHA1')
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from os import PathLike
from typing import cast

from ._types import HashName
from .errors import ConfigError, ErrorCode, extra_missing
from .keys import LocalKey, SigningKey, load_private_key

__all__ = ["AWS_SCHEMES", "ENTRY_POINT_GROUP", "load_signing_key", "read_key_file", "source_label"]

AWS_SCHEMES = ("kms", "secretsmanager", "ssm")
#: the entry-point group where key sources beyond files and env: register (``frontgate[aws]``)
ENTRY_POINT_GROUP = "frontgate.key_sources"


# a long base64 run without "/" (path separators break it): a pasted key body
_KEY_LIKE = re.compile(r"[A-Za-z0-9+=]{40,}")


def _shown_path(text: str) -> str:
    """A path as error messages may show it: key material given as a path is never echoed."""
    if "-----" in text or "\n" in text or "\\n" in text or _KEY_LIKE.search(text):
        return "(the value given, which looks like key material rather than a path)"
    return text


def read_key_file(path: str | PathLike[str]) -> bytes:
    """Read a key file; ``file://PATH`` is the same as ``PATH``."""
    text = os.fspath(path)
    if text.startswith("file://"):
        text = text[len("file://") :]
    shown = _shown_path(text)
    try:
        # os.path rather than pathlib: pathlib pulls in urllib at CLI start-up
        with open(os.path.expanduser(text), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ConfigError(ErrorCode.SOURCE_UNREADABLE, f"No key file at {shown}.") from None
    except IsADirectoryError:
        raise ConfigError(
            ErrorCode.SOURCE_UNREADABLE, f"{shown} is a directory, not a key file."
        ) from None
    except OSError as exc:
        raise ConfigError(
            ErrorCode.SOURCE_UNREADABLE, f"Cannot read the key file {shown}: {exc.strerror}."
        ) from None


def source_label(source: str) -> str:
    """A name for a source that is safe to show (never the key itself)."""
    if "-----BEGIN" in source:
        return "<PEM text>"
    return _shown_path(source)


def _plugin(scheme: str) -> Callable[..., tuple[SigningKey, HashName]]:
    # The AWS sources sit above the core: they register under this entry-point group
    # (pyproject.toml), so the core names a scheme, never imports the adapter.
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP, name=scheme):
        try:
            return cast("Callable[..., tuple[SigningKey, HashName]]", entry.load())
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise extra_missing(f"The {scheme}: key source needs boto3", "aws") from exc
    raise extra_missing(f"The {scheme}: key source needs boto3", "aws")


def load_signing_key(
    source: str,
    *,
    passphrase: str | bytes | None = None,
    hash_algorithm: HashName | None = None,
) -> tuple[SigningKey, HashName]:
    """Resolve a key source to a signing key and the hash it signs with by default."""
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(ErrorCode.CONFIG_MISSING, "The private key source is empty.")
    if "-----BEGIN" in source:
        return LocalKey(load_private_key(source, passphrase)), "SHA1"
    scheme, sep, rest = source.partition(":")
    if sep and scheme in AWS_SCHEMES:
        load = _plugin(scheme)
        return load(scheme, rest, passphrase=passphrase, hash_algorithm=hash_algorithm)
    if sep and scheme == "env":
        if not rest:
            raise ConfigError(ErrorCode.CONFIG_INVALID, "env: needs a variable name (env:NAME).")
        value = os.environ.get(rest)
        if value is None or not value.strip():
            raise ConfigError(
                ErrorCode.SOURCE_UNREADABLE,
                f"The environment variable {rest} is not set or empty; put the private key "
                "PEM in it.",
            )
        return LocalKey(load_private_key(value, passphrase)), "SHA1"
    return LocalKey(load_private_key(read_key_file(source), passphrase)), "SHA1"
