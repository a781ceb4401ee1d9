"""Option types and helpers shared by the command modules (stdlib only at import)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontgate.keys import KeyGroup
    from frontgate.signer import Signer

__all__ = [
    "add_public_key_option",
    "add_signing_options",
    "expiry_from_args",
    "key_group_from_args",
    "now_arg",
    "passphrase_from_env",
    "public_key_arg",
    "signer_from_args",
    "start_when_arg",
    "when_arg",
]


def when_arg(text: str) -> int:
    """argparse type for WHEN: ISO 8601 (UTC unless an offset) or epoch seconds."""
    from frontgate.errors import InputError
    from frontgate.times import parse_when

    try:
        return parse_when(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def start_when_arg(text: str) -> int:
    """argparse type for --date-greater-than: like WHEN, a fraction rounds up (R45)."""
    from frontgate.errors import InputError
    from frontgate.times import parse_when

    try:
        return parse_when(text, start=True)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def now_arg(text: str) -> int:
    """argparse type for --now."""
    return when_arg(text)


def public_key_arg(text: str) -> tuple[str, str]:
    """argparse type for ``--public-key ID=PATH``."""
    key_id, sep, path = text.partition("=")
    if not sep or not key_id or not path:
        raise argparse.ArgumentTypeError(
            f"expected ID=PATH (e.g. K2JCJMDEHXQW5F=public_key.pem), got {text!r}"
        )
    return key_id, path


def add_public_key_option(parser: argparse.ArgumentParser) -> None:
    """``--public-key ID=PATH``, repeatable: the key group a verifier or edge trusts."""
    parser.add_argument(
        "--public-key",
        action="append",
        required=True,
        type=public_key_arg,
        metavar="ID=PATH",
        help="a trusted public key (repeatable: a key group)",
    )


def key_group_from_args(pairs: list[tuple[str, str]]) -> KeyGroup:
    """The key group named by the ``--public-key ID=PATH`` options."""
    from frontgate.errors import ConfigError, ErrorCode
    from frontgate.keys import KeyGroup
    from frontgate.sources import read_key_file

    keys: dict[str, bytes] = {}
    for key_id, path in pairs:
        if key_id in keys:
            raise ConfigError(ErrorCode.CONFIG_CONFLICT, f"--public-key {key_id} is given twice.")
        keys[key_id] = read_key_file(path)
    return KeyGroup(keys)


def passphrase_from_env(name: str | None) -> str | None:
    """The passphrase held in the environment variable ``name`` (never on the command line)."""
    if name is None:
        return None
    from frontgate.errors import ConfigError, ErrorCode

    value = os.environ.get(name)
    if value is None:
        raise ConfigError(
            ErrorCode.CONFIG_MISSING, f"--passphrase-env names {name}, which is not set."
        )
    return value


def add_signing_options(parser: argparse.ArgumentParser) -> None:
    """The options every signing command takes."""
    parser.add_argument(
        "--key-pair-id",
        required=True,
        metavar="ID",
        help="the CloudFront public key id (e.g. K2JCJMDEHXQW5F)",
    )
    parser.add_argument(
        "--private-key",
        required=True,
        metavar="SOURCE",
        help="PEM file, file://PATH, env:NAME, kms:KEY, secretsmanager:ID or ssm:NAME",
    )
    parser.add_argument(
        "--date-less-than",
        type=when_arg,
        metavar="WHEN",
        help="expiry: ISO 8601 (UTC unless an offset) or epoch seconds",
    )
    parser.add_argument(
        "--expires-in",
        type=float,
        metavar="SECONDS",
        help="expiry relative to now, instead of --date-less-than",
    )
    parser.add_argument(
        "--date-greater-than",
        type=start_when_arg,
        metavar="WHEN",
        help="start of validity (custom policy)",
    )
    parser.add_argument(
        "--ip-address", metavar="CIDR", help="IPv4 address or range (custom policy)"
    )
    parser.add_argument(
        "--hash-algorithm",
        choices=("SHA1", "SHA256"),
        default=None,
        help="signature hash (default SHA1; SHA256 for kms: keys)",
    )
    parser.add_argument(
        "--passphrase-env", metavar="NAME", help="environment variable holding the key's passphrase"
    )
    parser.add_argument(
        "--allow-any-resource",
        action="store_true",
        help="allow resources that match every file or host (R46)",
    )
    parser.add_argument(
        "--now",
        type=now_arg,
        metavar="WHEN",
        help="the clock for --expires-in and warnings (scripts, tests)",
    )


def signer_from_args(args: argparse.Namespace) -> Signer:
    """Build the signer named by the signing options."""
    from frontgate.signer import Signer

    return Signer.from_source(
        args.private_key,
        args.key_pair_id,
        hash_algorithm=args.hash_algorithm,
        passphrase=passphrase_from_env(args.passphrase_env),
    )


def expiry_from_args(args: argparse.Namespace) -> dict[str, float | int]:
    """``expires_at`` or ``expires_in`` from --date-less-than / --expires-in."""
    from . import CommandError

    if (args.date_less_than is None) == (args.expires_in is None):
        raise CommandError("give --date-less-than WHEN or --expires-in SECONDS (one of them)")
    if args.date_less_than is not None:
        return {"expires_at": args.date_less_than}
    return {"expires_in": args.expires_in}
