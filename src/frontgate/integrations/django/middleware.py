"""Django middleware: ``X-Accel-Redirect`` / ``X-Sendfile`` responses become signed redirects.

>>> AccelRedirectMiddleware.async_capable, AccelRedirectMiddleware.sync_capable
(True, True)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import Final

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase, StreamingHttpResponse

from ..gate import ACCEL_REDIRECT, COOKIES_HEADER, SENDFILE, Gate, Rewrite
from ..playlists import aload, load
from .conf import get_gate

__all__ = ["AccelRedirectMiddleware"]

_TRIGGERS: Final = (ACCEL_REDIRECT, SENDFILE, COOKIES_HEADER)


class _Body:
    """An async iterator over one body, maybe empty (an async server needs one for
    streaming responses)."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body or None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        body, self._body = self._body, None
        if body is None:
            raise StopAsyncIteration
        return body


class AccelRedirectMiddleware:
    """Turns responses carrying ``X-Accel-Redirect``/``X-Sendfile`` into ``REDIRECT_STATUS``
    redirects to signed URLs, and ``X-Frontgate-Cookies`` into signed cookies.

    Works in sync and async stacks. The configuration is loaded when Django builds its
    middleware chain, so a mistake in ``settings.FRONTGATE`` fails at start-up.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        get_gate()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)
        return self.process_response(response)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        pending = self.get_response(request)
        assert not isinstance(pending, HttpResponseBase)
        response = await pending
        gate = get_gate()
        rewrite = _decide(gate, response)
        if rewrite is not None and rewrite.playlist is not None:
            # read or fetched in a worker thread: the event loop never waits on it
            rewrite = gate.playlist_answer(rewrite, await aload(rewrite.playlist))
        return self._apply(response, rewrite)

    def process_response(self, response: HttpResponseBase) -> HttpResponseBase:
        """Apply the gate's decision to ``response`` in place (cookies, closers and
        signals stay as Django set them)."""
        gate = get_gate()
        rewrite = _decide(gate, response)
        if rewrite is not None and rewrite.playlist is not None:
            rewrite = gate.playlist_answer(rewrite, load(rewrite.playlist))
        return self._apply(response, rewrite)

    def _apply(self, response: HttpResponseBase, rewrite: Rewrite | None) -> HttpResponseBase:
        if rewrite is None:
            return response
        headers = response.headers
        if rewrite.status != response.status_code:
            response.status_code = rewrite.status
            response.reason_phrase = HTTPStatus(rewrite.status).phrase
        for name in list(headers):
            del headers[name]
        for name, value in rewrite.headers:
            headers[name] = value
        for value in rewrite.set_cookies:
            response.cookies.load(value)
        if rewrite.body is not None:
            if isinstance(response, StreamingHttpResponse):
                # an async server needs an async iterator, or Django warns and buffers
                chunks = (rewrite.body,) if rewrite.body else ()
                response.streaming_content = _Body(rewrite.body) if self.is_async else chunks
            else:
                response.content = rewrite.body  # type: ignore[attr-defined]
        return response


def _decide(gate: Gate, response: HttpResponseBase) -> Rewrite | None:
    headers = response.headers
    if not any(name in headers for name in _TRIGGERS):
        return None
    return gate.rewrite(response.status_code, list(headers.items()))
