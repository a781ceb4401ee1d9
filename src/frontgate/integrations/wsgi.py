"""WSGI middleware: ``X-Accel-Redirect`` / ``X-Sendfile`` responses become signed redirects.

>>> from frontgate.keys import generate_private_key, private_pem
>>> def app(environ, start_response):
...     start_response("200 OK", [("X-Accel-Redirect", "/protected/report.pdf")])
...     return [b"ignored"]
>>> wrapped = AccelRedirectMiddleware(app, {
...     "KEY_PAIR_ID": "K2JCJMDEHXQW5F",
...     "PRIVATE_KEY": private_pem(generate_private_key("ecdsa")),
...     "BASE_URL": "https://cdn.example.com",
...     "LOCATIONS": {"/protected/": "media/"},
... })
>>> seen = []
>>> body = wrapped({}, lambda status, headers, exc_info=None: seen.append((status, headers)))
>>> status, headers = seen[0]
>>> status, dict(headers)["Location"].startswith("https://cdn.example.com/media/report.pdf?")
('302 Found', True)
>>> b"".join(body)
b''

Responses without those headers pass through untouched: the same iterable, streaming
included. A target ending in ``.m3u8`` or ``.mpd`` is answered with the playlist itself,
signed for this viewer (read from ``PLAYLIST_ROOT`` or fetched through ``BASE_URL``).
Needs no framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any, TypeAlias

from ..config import Settings
from ..distribution import Distribution
from .gate import TRIGGERS, Gate, Rewrite
from .playlists import load

__all__ = ["AccelRedirectMiddleware"]

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse: TypeAlias = Callable[..., Callable[[bytes], object]]
WSGIApp: TypeAlias = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _text(value: str) -> str:
    """A WSGI header value (latin-1 code points of the bytes) as the text the app meant."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _discard(data: bytes) -> None:
    del data


class _Responder:
    """One request's state: the rewrite chosen when the app starts its response."""

    __slots__ = ("gate", "rewrite", "start_response", "started")

    def __init__(self, gate: Gate, start_response: StartResponse) -> None:
        self.gate = gate
        self.start_response = start_response
        self.started = False
        self.rewrite: Rewrite | None = None

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        self.started = True
        if not any(name.lower() in TRIGGERS for name, _ in headers):
            self.rewrite = None
            return self.start_response(status, headers, exc_info)
        code = int(status.split(" ", 1)[0])
        rewrite = self.gate.rewrite(code, [(name, _text(value)) for name, value in headers])
        if rewrite is not None and rewrite.playlist is not None:
            rewrite = self.gate.playlist_answer(rewrite, load(rewrite.playlist))
        self.rewrite = rewrite
        if rewrite is None:  # pragma: no cover - TRIGGERS and rewrite agree
            return self.start_response(status, headers, exc_info)
        out = list(rewrite.headers)
        out += [("Set-Cookie", value) for value in rewrite.set_cookies]
        line = status if rewrite.status == code else _status_line(rewrite.status)
        write = self.start_response(line, out, exc_info)
        return write if rewrite.body is None else _discard


class AccelRedirectMiddleware:
    """Wrap a WSGI app so ``X-Accel-Redirect``/``X-Sendfile`` answers become redirects to
    signed URLs (contract, "Framework integrations").

    ``config`` is the configuration mapping, a :class:`~frontgate.Distribution` (plus
    ``LOCATIONS``/``REDIRECT_STATUS`` keywords) or a :class:`~frontgate.integrations.gate.Gate`;
    the same keys may be given as keyword arguments. Mistakes raise ``ConfigError`` here,
    at start-up.
    """

    def __init__(
        self,
        app: WSGIApp,
        config: Gate | Distribution | Settings | Mapping[str, Any] | None = None,
        /,
        **settings: Any,
    ) -> None:
        self.app = app
        self.gate = Gate.from_config(config, **settings)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        responder = _Responder(self.gate, start_response)
        result = self.app(environ, responder)
        if responder.started:
            if responder.rewrite is None or responder.rewrite.body is None:
                return result  # untouched: the very iterable the app returned
            _close(result)
            return [responder.rewrite.body]
        # the app starts its response lazily, on the first chunk (a generator)
        iterator = iter(result)
        first: list[bytes] = []
        try:
            for chunk in iterator:
                first.append(chunk)
                if _started(responder):
                    break
        except BaseException:
            _close(result)
            raise
        rewrite = responder.rewrite
        if rewrite is not None and rewrite.body is not None:
            _close(result)
            return [rewrite.body]
        return _Chain(first, iterator, result)


def _started(responder: _Responder) -> bool:
    return responder.started  # read again: the app's iteration sets it


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


class _Chain:
    """The chunks read while waiting for ``start_response``, then the rest; ``close``
    reaches the app's iterable as PEP 3333 requires."""

    __slots__ = ("_first", "_iterator", "_result")

    def __init__(
        self, first: list[bytes], iterator: Iterator[bytes], result: Iterable[bytes]
    ) -> None:
        self._first = first
        self._iterator = iterator
        self._result = result

    def __iter__(self) -> Iterator[bytes]:
        yield from self._first
        yield from self._iterator

    def close(self) -> None:
        _close(self._result)
