"""``frontgate sign``, ``sign-cookies``, ``sign-playlist`` and ``keygen``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ._common import add_signing_options, expiry_from_args, signer_from_args

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add sign, sign-cookies, sign-playlist and keygen."""
    sign = sub.add_parser(
        "sign",
        help="print a signed URL",
        description="Sign a CloudFront URL (flags as in 'aws cloudfront sign').",
    )
    sign.add_argument("--url", required=True, help="the URL to sign")
    sign.add_argument(
        "--policy-resource",
        metavar="RESOURCE",
        help="custom-policy resource pattern (may use * and ?)",
    )
    add_signing_options(sign)
    sign.set_defaults(run=run_sign)

    cookies = sub.add_parser(
        "sign-cookies",
        help="print signed cookies",
        description="Sign CloudFront cookies; prints a JSON object {name: value}.",
    )
    cookies.add_argument(
        "--resource",
        required=True,
        help="the URL or pattern the cookies open (e.g. https://d.example/videos/*)",
    )
    add_signing_options(cookies)
    cookies.add_argument(
        "--set-cookie", action="store_true", help="print Set-Cookie header values, one a line"
    )
    cookies.add_argument("--domain", help="Domain attribute (with --set-cookie)")
    cookies.add_argument("--path", default="/", help="Path attribute (with --set-cookie)")
    cookies.add_argument(
        "--insecure", action="store_true", help="leave out Secure (a plain-http local edge)"
    )
    cookies.set_defaults(run=run_sign_cookies)

    playlist = sub.add_parser(
        "sign-playlist",
        help="print an HLS or DASH playlist with every URI signed",
        description=(
            "Sign every URI of an HLS (.m3u8) or DASH (.mpd) playlist with one custom "
            "policy; reads the playlist from --input (default stdin), prints it signed."
        ),
    )
    playlist.add_argument("--url", required=True, help="the URL the playlist is served at")
    playlist.add_argument(
        "--input", metavar="FILE", help="the playlist file (default: standard input)"
    )
    playlist.add_argument(
        "--policy-resource",
        metavar="RESOURCE",
        help="resource pattern (default: the narrowest folder* covering every URI)",
    )
    add_signing_options(playlist)
    playlist.add_argument(
        "--absolute", action="store_true", help="write each signed URI as an absolute URL"
    )
    playlist.add_argument(
        "--nested",
        choices=("sign", "keep"),
        default="sign",
        help="keep: leave the URIs of other playlists as written (default: sign them)",
    )
    playlist.set_defaults(run=run_sign_playlist)

    keygen = sub.add_parser(
        "keygen",
        help="make a key pair for CloudFront",
        description="Write a new private key (mode 0600) and its public key PEM.",
    )
    keygen.add_argument("--type", choices=("rsa", "ecdsa"), default="rsa")
    keygen.add_argument("--private-out", required=True, metavar="PATH")
    keygen.add_argument("--public-out", required=True, metavar="PATH")
    keygen.add_argument(
        "--passphrase-env",
        metavar="NAME",
        help="encrypt the private key with the passphrase in this variable",
    )
    keygen.add_argument("--force", action="store_true", help="overwrite existing files")
    keygen.set_defaults(run=run_keygen)


def run_sign(args: argparse.Namespace) -> int:
    signer = signer_from_args(args)
    url = signer.sign_url(
        args.url,
        **expiry_from_args(args),
        not_before=args.date_greater_than,
        ip_address=args.ip_address,
        resource=args.policy_resource,
        allow_any_resource=args.allow_any_resource,
        now=args.now,
    )
    sys.stdout.write(url + "\n")
    return 0


def run_sign_cookies(args: argparse.Namespace) -> int:
    signer = signer_from_args(args)
    cookies = signer.sign_cookies(
        args.resource,
        **expiry_from_args(args),
        not_before=args.date_greater_than,
        ip_address=args.ip_address,
        allow_any_resource=args.allow_any_resource,
        now=args.now,
    )
    if args.set_cookie:
        from frontgate.signer import cookie_headers

        for line in cookie_headers(
            cookies, path=args.path, domain=args.domain, secure=not args.insecure
        ):
            sys.stdout.write(line + "\n")
    else:
        import json

        sys.stdout.write(json.dumps(cookies, indent=2) + "\n")
    return 0


def run_sign_playlist(args: argparse.Namespace) -> int:
    from frontgate.streaming import sign_playlist

    text = _read_playlist(args.input)
    signer = signer_from_args(args)
    signed = sign_playlist(
        text,
        args.url,
        signer,
        **expiry_from_args(args),
        not_before=args.date_greater_than,
        ip_address=args.ip_address,
        resource=args.policy_resource,
        absolute=args.absolute,
        nested=args.nested,
        allow_any_resource=args.allow_any_resource,
        now=args.now,
    )
    # bytes, not text: line ends and a byte order mark go out exactly as they came in
    sys.stdout.flush()
    sys.stdout.buffer.write(signed.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def _read_playlist(path: str | None) -> str:
    from frontgate.errors import ConfigError, ErrorCode, InputError
    from frontgate.streaming import MAX_PLAYLIST_CHARS

    limit = MAX_PLAYLIST_CHARS * 4  # UTF-8 bytes of the largest accepted playlist
    try:
        if path is None or path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise ConfigError(
            ErrorCode.SOURCE_UNREADABLE, f"Cannot read {path}: {exc.strerror}."
        ) from None
    if len(data) > limit:
        raise InputError(ErrorCode.PLAYLIST_INVALID, "The playlist is too large.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            ErrorCode.PLAYLIST_INVALID,
            f"The playlist is not UTF-8 text (byte {exc.start} cannot be decoded).",
        ) from None


def _write(path: str, data: bytes, mode: int, force: bool) -> None:
    from frontgate.errors import ConfigError, ErrorCode

    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise ConfigError(
            ErrorCode.CONFIG_CONFLICT, f"{path} exists; pass --force to overwrite it."
        ) from None
    except OSError as exc:
        raise ConfigError(
            ErrorCode.SOURCE_UNREADABLE, f"Cannot write {path}: {exc.strerror}."
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def run_keygen(args: argparse.Namespace) -> int:
    from frontgate.errors import ConfigError, ErrorCode
    from frontgate.keys import describe_key, generate_private_key, private_pem, public_pem

    from ._common import passphrase_from_env

    if not args.force:
        # check both paths first, so a refusal never leaves a lone private key behind
        for path in (args.private_out, args.public_out):
            if os.path.lexists(path):
                raise ConfigError(
                    ErrorCode.CONFIG_CONFLICT, f"{path} exists; pass --force to overwrite it."
                )
    if os.path.abspath(args.private_out) == os.path.abspath(args.public_out):
        raise ConfigError(
            ErrorCode.CONFIG_CONFLICT, "--private-out and --public-out name the same file."
        )
    key = generate_private_key(args.type)
    passphrase = passphrase_from_env(args.passphrase_env)
    _write(args.private_out, private_pem(key, passphrase), 0o600, args.force)
    _write(args.public_out, public_pem(key), 0o644, args.force)
    sys.stdout.write(
        f"Wrote a {describe_key(key)} private key to {args.private_out} (mode 0600; keep it "
        f"secret) and its public key to {args.public_out}.\n"
        f"Upload the public key to CloudFront, add it to a key group, and sign with its id:\n"
        f"  frontgate aws keys upload --public-key {args.public_out} --name NAME\n"
        f"  (or: aws cloudfront create-public-key, or the CloudFront console > Public keys)\n"
    )
    return 0
