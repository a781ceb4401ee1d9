"""The ``frontgate`` command line: the only code in frontgate that prints or exits.

Each group of commands lives in its own module with a ``register(subparsers)`` function;
heavy imports (the core, granian, boto3) happen inside the command that needs them, so
``frontgate sign`` starts nearly as fast as a bare ``cryptography`` import.

Exit codes: 0 success, 1 a refusal (``verify``), 2 the command could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

__all__ = ["CommandError", "Parser", "main"]


class CommandError(Exception):
    """A usage problem found after parsing: printed as one line, exit 2."""


class _Formatter(argparse.HelpFormatter):
    # argparse sizes the terminal through shutil (which imports lzma and bz2) for every
    # argument added; os answers the same question without the imports
    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            try:
                width = os.get_terminal_size().columns - 2
            except OSError:
                width = 78
        super().__init__(prog, indent_increment, max_help_position, width)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"frontgate: usage: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(f"frontgate: warning: {message}\n")


def build_parser() -> Parser:
    from . import _aws, _edge, _sign, _verify

    parser = Parser(
        prog="frontgate",
        description="Sign, verify and serve CloudFront private content.",
    )
    parser.add_argument("--version", action="version", version=_version())
    # prog given: argparse would otherwise import shutil (and lzma, bz2) to size the terminal
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=Parser, prog="frontgate"
    )
    for module in (_sign, _verify, _edge, _aws):
        module.register(sub)
    return parser


def _version() -> str:
    from frontgate import __version__

    return f"frontgate {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    from frontgate.errors import FrontgateError

    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        sys.stderr.write("frontgate: usage: give a command (see 'frontgate --help')\n")
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            code = run(args)
        except FrontgateError as exc:
            sys.stderr.write(f"frontgate: {exc.code.value}: {exc.message}\n")
            return 2
        except CommandError as exc:
            sys.stderr.write(f"frontgate: usage: {exc}\n")
            return 2
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return 0
    return int(code or 0)
