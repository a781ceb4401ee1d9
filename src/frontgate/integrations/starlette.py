"""Starlette responses: a redirect to a signed URL.

>>> from frontgate import Distribution, Signer
>>> from frontgate.keys import generate_private_key
>>> cdn = Distribution("https://cdn.example.com",
...                    Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F"))
>>> response = SignedRedirectResponse(cdn, "media/report.pdf", filename="report.pdf",
...                                   attachment=True)
>>> response.status_code, response.headers["cache-control"]
(302, 'private, no-store')
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import extra_missing

try:
    from starlette.background import BackgroundTask
    from starlette.responses import RedirectResponse
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise extra_missing(
        "frontgate's Starlette/FastAPI integration needs starlette", "fastapi"
    ) from exc

from ..distribution import Distribution
from .gate import NO_STORE, Gate

__all__ = ["SignedRedirectResponse"]


class SignedRedirectResponse(RedirectResponse):
    """A starlette ``RedirectResponse`` to a signed URL for ``path`` under the distribution.

    Takes :meth:`Distribution.url`'s keywords (``filename=``, ``attachment=``,
    ``content_type=``, ``expires_in=``). ``cdn`` may also be a
    :class:`~frontgate.integrations.gate.Gate`, whose ``REDIRECT_STATUS`` is then used.
    """

    def __init__(
        self,
        cdn: Distribution | Gate,
        path: str,
        *,
        filename: str | None = None,
        attachment: bool = False,
        content_type: str | None = None,
        expires_in: int | float | None = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if isinstance(cdn, Gate):
            status_code = status_code or cdn.redirect_status
            cdn = cdn.distribution
        url = cdn.url(
            path,
            filename=filename,
            attachment=attachment,
            content_type=content_type,
            expires_in=expires_in,
        )
        super().__init__(
            url, status_code=status_code or 302, headers=headers, background=background
        )
        self.headers["cache-control"] = NO_STORE
