"""``frontgate edge`` (a local CloudFront-compatible edge) and ``frontgate demo``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from ._common import add_public_key_option, key_group_from_args

if TYPE_CHECKING:
    from frontgate.edge.demo import Demo, Step

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add edge and demo."""
    edge = sub.add_parser(
        "edge",
        help="serve a directory as CloudFront would: signed requests only",
        description=(
            "A local CloudFront-compatible edge: serves DIR only to requests carrying a "
            "valid signed URL or signed cookies, and refuses the rest as CloudFront does."
        ),
    )
    edge.add_argument("--origin", required=True, metavar="DIR", help="the directory to serve")
    add_public_key_option(edge)
    edge.add_argument("--host", default="127.0.0.1", help="address to listen on")
    edge.add_argument("--port", type=_port, default=8080, help="port to listen on (0: a free one)")
    edge.add_argument(
        "--strict",
        action="store_true",
        help="exact CloudFront responses: no X-Frontgate-Reason header",
    )
    edge.add_argument(
        "--trust-forwarded-for",
        type=_hops,
        default=0,
        metavar="N",
        help="take the client IP from X-Forwarded-For, N proxy hops from the right",
    )
    edge.add_argument(
        "--cors-origin",
        metavar="ORIGIN",
        help="allow credentialed requests from this web origin (e.g. http://127.0.0.1:3000)",
    )
    edge.add_argument(
        "--https",
        action="store_true",
        help="rebuild URLs as https:// (TLS ends at a proxy in front of the edge)",
    )
    edge.add_argument(
        "--no-access-log", action="store_true", help="do not log one line per request"
    )
    edge.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="processes serving the one port (default 1)",
    )
    edge.set_defaults(run=run_edge)

    demo = sub.add_parser(
        "demo",
        help="the whole flow on this machine: keys, a local edge, signed and refused requests",
        description=(
            "Make throwaway keys and a sample file, start a local edge, and show a signed "
            "URL served and unsigned, tampered, expired and misdirected requests refused."
        ),
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="leave the edge running and print a signed link to open (Ctrl-C stops it)",
    )
    demo.add_argument(
        "--key-type", choices=("rsa", "ecdsa"), default="rsa", help="the throwaway key's type"
    )
    demo.set_defaults(run=run_demo)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number (0 to 65535), got {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1024:
        raise argparse.ArgumentTypeError(f"expected 1 to 1024 processes, got {text!r}")
    return int(text)


def _hops(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        raise argparse.ArgumentTypeError(f"expected a number of proxy hops, got {text!r}")
    return int(text)


def _access_log() -> None:
    import logging

    from frontgate.edge import ACCESS_LOG

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(ACCESS_LOG)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def run_edge(args: argparse.Namespace) -> int:
    from frontgate.edge import create_app
    from frontgate.edge.server import serve

    app = create_app(
        args.origin,
        key_group_from_args(args.public_key),
        strict=args.strict,
        trust_forwarded_for=args.trust_forwarded_for,
        cors_origin=args.cors_origin,
        scheme="https" if args.https else "http",
    )
    if not args.no_access_log:
        _access_log()

    def ready(url: str) -> None:
        sys.stdout.write(f"frontgate edge listening on {url}\n")
        sys.stdout.flush()

    serve(app, args.host, args.port, workers=args.workers, on_ready=ready)
    return 0


# -- demo ---------------------------------------------------------------------------------

_WIDTH = 38


def _line(step: Step) -> str:
    mark = "✔" if step.status == 200 else "✘"
    line = f"  {mark} {step.name:<{_WIDTH}} {step.status:>3}  {step.code:<15} {step.reason}"
    if not step.as_expected:
        line += f"   <- UNEXPECTED: CloudFront would answer {step.expected}"
    return line


def _by_hand(demo: Demo) -> list[str]:
    from frontgate.edge.demo import KEY_PAIR_ID, SAMPLE

    url = f"http://127.0.0.1:8080/{SAMPLE}"
    sign = (
        f"frontgate sign --url {url} --key-pair-id {KEY_PAIR_ID} "
        "--private-key private_key.pem --expires-in 300"
    )
    return [
        "The same by hand (in an empty directory):",
        "  frontgate keygen --type rsa --private-out private_key.pem --public-out public_key.pem",
        f"  mkdir origin && echo hello > origin/{SAMPLE}",
        f"  frontgate edge --origin origin --public-key {KEY_PAIR_ID}=public_key.pem --port 8080 &",
        f"  curl -i {url}                                   # 403 MissingKey",
        f'  curl -i "$({sign})"   # 200',
        f"  frontgate sign-cookies --resource 'http://127.0.0.1:8080/*' "
        f"--key-pair-id {KEY_PAIR_ID} --private-key private_key.pem --expires-in 300",
        f"  curl -i -b 'CloudFront-Policy=...; CloudFront-Signature=...; "
        f"CloudFront-Key-Pair-Id={KEY_PAIR_ID}' {url}   # 200",
        "  frontgate verify --url '<a signed URL>' --public-key "
        f"{KEY_PAIR_ID}=public_key.pem   # why a URL is served or refused",
    ]


def run_demo(args: argparse.Namespace) -> int:
    from frontgate.edge.demo import Demo

    started = time.monotonic()
    out = sys.stdout
    with Demo(args.key_type) as demo:
        out.write(
            f"frontgate demo: a local CloudFront edge at {demo.base_url}\n"
            f"  origin {demo.origin}\n"
            f"  trusts {demo.key_description} public key {demo.public_key_path.name} "
            f"as key pair id {demo.key_pair_id}\n\n"
            f"  {'':2}{'request':<{_WIDTH}} {'HTTP':>4} {'edge answer':<15} reason\n"
        )
        out.flush()
        steps = demo.run()
        for step in steps:
            out.write(_line(step) + "\n")
        failed = [step for step in steps if not step.as_expected]
        out.write(
            "\n"
            + (
                "Every answer is the one CloudFront gives (✔ served, ✘ refused); "
                "'reason' is the edge's X-Frontgate-Reason header."
                if not failed
                else f"{len(failed)} answer(s) differ from CloudFront's."
            )
            + "\nCookies on http://127.0.0.1 are set without Secure: browsers drop Secure "
            "cookies sent over plain http.\n\n"
        )
        out.write("\n".join(_by_hand(demo)) + "\n")
        if args.keep:
            _keep(demo)
        else:
            out.write(f"\nDone in {time.monotonic() - started:.1f} s; removed {demo.directory}.\n")
        out.flush()
    return 1 if failed else 0


def _keep(demo: Demo) -> None:
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    sys.stdout.write(
        f"\nThe edge keeps running at {demo.base_url} (Ctrl-C stops it and removes "
        f"{demo.directory}). A signed link, valid for an hour:\n  {demo.link()}\n"
    )
    sys.stdout.flush()
    _access_log()
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.stdout.write("\nStopped.\n")
    finally:
        signal.signal(signal.SIGTERM, previous)
