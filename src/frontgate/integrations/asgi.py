"""ASGI middleware: ``X-Accel-Redirect`` / ``X-Sendfile`` responses become signed redirects.

>>> import asyncio
>>> from frontgate.keys import generate_private_key, private_pem
>>> async def app(scope, receive, send):
...     await send({"type": "http.response.start", "status": 200,
...                 "headers": [(b"x-accel-redirect", b"/protected/report.pdf")]})
...     await send({"type": "http.response.body", "body": b"ignored"})
>>> wrapped = AccelRedirectMiddleware(app, KEY_PAIR_ID="K2JCJMDEHXQW5F",
...     PRIVATE_KEY=private_pem(generate_private_key("ecdsa")),
...     BASE_URL="https://cdn.example.com", LOCATIONS={"/protected/": "media/"})
>>> sent = []
>>> async def send(message): sent.append(message)
>>> asyncio.run(wrapped({"type": "http"}, None, send))
>>> sent[0]["status"], [m.get("body") for m in sent[1:]]
(302, [b''])

A target ending in ``.m3u8`` or ``.mpd`` is answered with the playlist itself, signed for
this viewer; it is read or fetched in a worker thread. Needs no framework. Per-request
state lives in a responder object, never on the shared middleware, and
``http.response.start`` is held only until its headers are read (the shape of starlette's
``GZipMiddleware``). :class:`SignedRedirectResponse` (needs starlette,
``pip install 'frontgate[fastapi]'``) is importable from here too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeAlias

from ..config import Settings
from ..distribution import Distribution
from .gate import TRIGGERS_BYTES, Gate
from .playlists import aload

if TYPE_CHECKING:
    from .starlette import SignedRedirectResponse as SignedRedirectResponse

__all__ = ["AccelRedirectMiddleware", "SignedRedirectResponse"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _raw(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class _Responder:
    """One request: decides at ``http.response.start``, then passes or drops the body."""

    __slots__ = ("drop_body", "gate", "send")

    def __init__(self, gate: Gate, send: Send) -> None:
        self.gate = gate
        self.send = send
        self.drop_body = False

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = message.get("headers") or []
            if not any(bytes(name).lower() in TRIGGERS_BYTES for name, _ in headers):
                await self.send(message)
                return
            rewrite = self.gate.rewrite(
                message["status"], [(_text(name), _text(value)) for name, value in headers]
            )
            if rewrite is None:  # pragma: no cover - TRIGGERS and rewrite agree
                await self.send(message)
                return
            if rewrite.playlist is not None:
                # read or fetched in a worker thread: the event loop never waits on it
                rewrite = self.gate.playlist_answer(rewrite, await aload(rewrite.playlist))
            out = [(_raw(name.lower()), _raw(value)) for name, value in rewrite.headers]
            out += [(b"set-cookie", _raw(value)) for value in rewrite.set_cookies]
            start = {**message, "status": rewrite.status, "headers": out}
            if rewrite.body is None:
                await self.send(start)
                return
            start.pop("trailers", None)
            self.drop_body = True
            await self.send(start)
            await self.send({"type": "http.response.body", "body": rewrite.body})
        elif not self.drop_body:
            await self.send(message)


class AccelRedirectMiddleware:
    """Wrap an ASGI app so ``X-Accel-Redirect``/``X-Sendfile`` answers become redirects to
    signed URLs (contract, "Framework integrations").

    ``config`` is the configuration mapping, a :class:`~frontgate.Distribution` (plus
    ``LOCATIONS``/``REDIRECT_STATUS`` keywords) or a :class:`~frontgate.integrations.gate.Gate`;
    the same keys may be given as keyword arguments. Mistakes raise ``ConfigError`` here.
    Scopes other than ``http`` pass through.
    """

    def __init__(
        self,
        app: ASGIApp,
        config: Gate | Distribution | Settings | Mapping[str, Any] | None = None,
        /,
        **settings: Any,
    ) -> None:
        self.app = app
        self.gate = Gate.from_config(config, **settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Responder(self.gate, send))


def __getattr__(name: str) -> Any:
    if name == "SignedRedirectResponse":
        from .starlette import SignedRedirectResponse

        return SignedRedirectResponse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
