"""``manage.py frontgate_url media/report.pdf [--expires-in 60] [--filename N] [--cookies]``.

Prints a signed URL for a path under ``BASE_URL`` with the project's settings (handy in
support), or with ``--cookies`` the ``Set-Cookie`` values for a prefix, one a line.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontgate.errors import FrontgateError
from frontgate.integrations.django.conf import get_gate


class Command(BaseCommand):
    """Print a signed URL (or signed cookies) for a path under BASE_URL."""

    help = "Print a signed CloudFront URL for a path under FRONTGATE['BASE_URL']."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="path under BASE_URL, e.g. media/report.pdf")
        parser.add_argument("--expires-in", type=float, help="seconds (default EXPIRES_IN)")
        parser.add_argument("--filename", help="download name (response-content-disposition)")
        parser.add_argument("--attachment", action="store_true", help="download, not inline")
        parser.add_argument("--content-type", help="response-content-type to sign")
        parser.add_argument(
            "--cookies", action="store_true", help="print Set-Cookie values for the prefix"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            distribution = get_gate().distribution
            if options["cookies"]:
                for line in distribution.set_cookie_headers(
                    options["path"], expires_in=options["expires_in"]
                ):
                    self.stdout.write(line)
                return
            self.stdout.write(
                distribution.url(
                    options["path"],
                    filename=options["filename"],
                    attachment=options["attachment"],
                    content_type=options["content_type"],
                    expires_in=options["expires_in"],
                )
            )
        except FrontgateError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
