"""Starlette responses: a redirect to a signed URL, a playlist signed for the viewer,
cookies for one stream.

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
    from starlette.responses import RedirectResponse, Response
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise extra_missing(
        "frontgate's Starlette/FastAPI integration needs starlette", "fastapi"
    ) from exc

from ..distribution import Distribution
from .gate import NO_STORE, Gate, stream_cookie_headers
from .playlists import aload

__all__ = ["SignedRedirectResponse", "set_stream_cookies", "signed_playlist_response"]


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


async def signed_playlist_response(
    cdn: Gate | Distribution, path: str, *, expires_in: int | float | None = None
) -> Response:
    """The playlist at ``path`` under ``BASE_URL``, signed for this viewer, as the ASGI
    middleware answers an ``X-Accel-Redirect`` to it; read from the gate's
    ``PLAYLIST_ROOT`` or fetched through ``BASE_URL`` (a :class:`Distribution` alone
    always fetches), in a worker thread.

    ``return await signed_playlist_response(gate, f"media/videos/{video_id}/{name}")``
    """
    gate = cdn if isinstance(cdn, Gate) else Gate(cdn)
    answer = gate.playlist_request(path)
    if answer.playlist is not None:
        loaded = await aload(answer.playlist)
        answer = gate.playlist_answer(answer, loaded, expires_in=expires_in)
    response = Response(answer.body, status_code=answer.status)
    for name, value in answer.headers:
        response.headers[name] = value
    return response


def set_stream_cookies(
    response: Response,
    cdn: Gate | Distribution,
    path: str,
    *,
    expires_in: int | float | None = None,
) -> Response:
    """Add signed cookies opening one stream (``path``: its folder, or a playlist in it)
    to ``response``; their resource and ``Path`` are the stream's folder."""
    distribution = cdn.distribution if isinstance(cdn, Gate) else cdn
    for value in stream_cookie_headers(distribution, path, expires_in=expires_in):
        response.headers.append("set-cookie", value)
    response.headers["cache-control"] = NO_STORE
    return response
