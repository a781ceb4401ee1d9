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

from ..gate import ACCEL_REDIRECT, COOKIES_HEADER, SENDFILE
from .conf import get_gate

__all__ = ["AccelRedirectMiddleware"]

_TRIGGERS: Final = (ACCEL_REDIRECT, SENDFILE, COOKIES_HEADER)


class _Nothing:
    """An empty async iterator (an async server needs one for streaming responses)."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration


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
        response = self.get_response(request)
        assert not isinstance(response, HttpResponseBase)
        return self.process_response(await response)

    def process_response(self, response: HttpResponseBase) -> HttpResponseBase:
        """Apply the gate's decision to ``response`` in place (cookies, closers and
        signals stay as Django set them)."""
        headers = response.headers
        if not any(name in headers for name in _TRIGGERS):
            return response
        rewrite = get_gate().rewrite(response.status_code, list(headers.items()))
        if rewrite is None:  # pragma: no cover - the triggers and the gate agree
            return response
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
                response.streaming_content = _Nothing() if self.is_async else iter(())
            else:
                response.content = rewrite.body  # type: ignore[attr-defined]
        return response
