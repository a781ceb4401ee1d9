"""Django helpers: signed URLs, redirects and cookies for paths under the distribution.

>>> from frontgate.integrations.django.helpers import signed_url
>>> signed_url.__name__
'signed_url'
"""

from __future__ import annotations

from typing import TypeVar

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

from .conf import get_gate

__all__ = ["set_signed_cookies", "signed_redirect", "signed_url"]

R = TypeVar("R", bound=HttpResponseBase)


def signed_url(
    path: str,
    *,
    filename: str | None = None,
    attachment: bool = False,
    content_type: str | None = None,
    expires_in: int | float | None = None,
) -> str:
    """A signed URL for ``path`` under ``BASE_URL``.

    ``signed_url("media/report.pdf", filename="Q3.pdf", attachment=True, expires_in=60)``
    """
    return get_gate().distribution.url(
        path,
        filename=filename,
        attachment=attachment,
        content_type=content_type,
        expires_in=expires_in,
    )


def signed_redirect(
    request: HttpRequest,
    path: str,
    *,
    filename: str | None = None,
    attachment: bool = False,
    content_type: str | None = None,
    expires_in: int | float | None = None,
) -> HttpResponseRedirect:
    """A ``REDIRECT_STATUS`` redirect to a signed URL for ``path``, never cached.

    ``return signed_redirect(request, "media/report.pdf", filename="report.pdf",
    attachment=True)``
    """
    del request  # part of the signature so views read naturally; nothing to take from it yet
    gate = get_gate()
    url = gate.distribution.url(
        path,
        filename=filename,
        attachment=attachment,
        content_type=content_type,
        expires_in=expires_in,
    )
    response = HttpResponseRedirect(url)
    response.status_code = gate.redirect_status
    patch_cache_control(response, private=True, no_store=True)
    return response


def set_signed_cookies(response: R, prefix: str, *, expires_in: int | float | None = None) -> R:
    """Add signed cookies for every file under ``prefix`` (``BASE_URL/prefix*``) to
    ``response``, which is marked private and uncacheable.

    ``set_signed_cookies(response, "media/videos/", expires_in=3600)``; the cookies go to
    ``BASE_URL``'s host, so it must share the site's domain (``COOKIE_DOMAIN``, R34).
    """
    for value in get_gate().distribution.set_cookie_headers(prefix, expires_in=expires_in):
        response.cookies.load(value)
    patch_cache_control(response, private=True, no_store=True)
    return response
