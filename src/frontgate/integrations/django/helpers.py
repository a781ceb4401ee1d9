"""Django helpers: signed URLs, redirects and cookies for paths under the distribution.

>>> from frontgate.integrations.django.helpers import signed_url
>>> signed_url.__name__
'signed_url'
"""

from __future__ import annotations

from typing import TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

from ..gate import Rewrite, stream_cookie_headers
from ..playlists import aload, load
from .conf import get_gate

__all__ = [
    "asigned_playlist_response",
    "set_signed_cookies",
    "set_stream_cookies",
    "signed_playlist_response",
    "signed_redirect",
    "signed_url",
]

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


def set_stream_cookies(response: R, path: str, *, expires_in: int | float | None = None) -> R:
    """Add signed cookies opening one stream to ``response``: the resource and the
    cookies' ``Path`` are the stream's folder (``path`` is the folder, ending in ``/``, or
    a playlist in it). The player then asks ``BASE_URL`` for the stream with credentials.

    ``set_stream_cookies(response, "media/videos/42/master.m3u8", expires_in=3600)``
    """
    distribution = get_gate().distribution
    for value in stream_cookie_headers(distribution, path, expires_in=expires_in):
        response.cookies.load(value)
    patch_cache_control(response, private=True, no_store=True)
    return response


def signed_playlist_response(
    request: HttpRequest, path: str, *, expires_in: int | float | None = None
) -> HttpResponse:
    """The playlist at ``path`` under ``BASE_URL`` (``.m3u8``/``.mpd``), signed for this
    viewer, as the middleware answers an ``X-Accel-Redirect`` to it: read from
    ``PLAYLIST_ROOT`` or fetched through ``BASE_URL``; media URIs absolute and signed,
    other playlists' URIs kept (serve them from the same view); ``Cache-Control: private,
    max-age`` within the signatures' life; 404/502 when it cannot be loaded.

    ``return signed_playlist_response(request, f"media/videos/{video_id}/{name}")``
    """
    del request  # part of the signature so views read naturally
    gate = get_gate()
    pending = gate.playlist_request(path)
    if pending.playlist is None:
        return _response(pending)
    loaded = load(pending.playlist)
    return _response(gate.playlist_answer(pending, loaded, expires_in=expires_in))


async def asigned_playlist_response(
    request: HttpRequest, path: str, *, expires_in: int | float | None = None
) -> HttpResponse:
    """:func:`signed_playlist_response` for async views: the playlist is read or fetched
    in a worker thread."""
    del request
    gate = get_gate()
    pending = gate.playlist_request(path)
    if pending.playlist is None:
        return _response(pending)
    loaded = await aload(pending.playlist)
    return _response(gate.playlist_answer(pending, loaded, expires_in=expires_in))


def _response(rewrite: Rewrite) -> HttpResponse:
    response = HttpResponse(rewrite.body or b"", status=rewrite.status)
    for name, value in rewrite.headers:
        response[name] = value
    return response
