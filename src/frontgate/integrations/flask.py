"""Flask extension: ``Frontgate(app)`` or ``fg = Frontgate(); fg.init_app(app)``.

>>> from flask import Flask
>>> from frontgate.keys import generate_private_key, private_pem
>>> app = Flask(__name__)
>>> app.config["FRONTGATE"] = {"KEY_PAIR_ID": "K2JCJMDEHXQW5F",
...     "PRIVATE_KEY": private_pem(generate_private_key("ecdsa")),
...     "BASE_URL": "https://cdn.example.com", "LOCATIONS": {"/protected/": "media/"}}
>>> fg = Frontgate(app)
>>> with app.app_context():
...     fg.signed_url("media/a.pdf").startswith("https://cdn.example.com/media/a.pdf?")
True

``init_app`` validates ``app.config["FRONTGATE"]`` (a mistake is a ``ConfigError`` at
start-up), stores the gate in ``app.extensions["frontgate"]``, wraps ``app.wsgi_app`` in
the X-Accel-Redirect middleware and adds the ``signed_url`` Jinja global.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..errors import ConfigError, ErrorCode, extra_missing

try:
    from flask import Flask, current_app
    from flask import redirect as _redirect
    from werkzeug.wrappers import Response
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise extra_missing("frontgate's Flask integration needs Flask", "flask") from exc

from ..config import Settings
from ..distribution import Distribution
from .gate import NO_STORE, Gate, stream_cookie_headers
from .playlists import load
from .wsgi import AccelRedirectMiddleware

__all__ = ["Frontgate"]

R = TypeVar("R", bound=Response)
_WHERE = "app.config['FRONTGATE']"


class Frontgate:
    """The extension object; holds no app (state lives in ``app.extensions``).

    ``config`` (a mapping, a :class:`~frontgate.Distribution` or a gate) overrides
    ``app.config["FRONTGATE"]``; ``middleware=False`` leaves ``app.wsgi_app`` alone.
    """

    def __init__(
        self,
        app: Flask | None = None,
        config: Gate | Distribution | Settings | Mapping[str, Any] | None = None,
        *,
        middleware: bool = True,
    ) -> None:
        self._config = config
        self._middleware = middleware
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the configuration and wire frontgate into ``app``."""
        config = self._config if self._config is not None else app.config.get("FRONTGATE")
        gate = Gate.from_config(config, where=_WHERE)
        app.extensions["frontgate"] = gate
        if self._middleware:
            app.wsgi_app = AccelRedirectMiddleware(app.wsgi_app, gate)  # type: ignore[method-assign]
        app.jinja_env.globals["signed_url"] = self.signed_url

    @property
    def gate(self) -> Gate:
        """The current app's gate (needs an app context)."""
        gate = current_app.extensions.get("frontgate")
        if not isinstance(gate, Gate):
            raise ConfigError(
                ErrorCode.CONFIG_MISSING,
                "frontgate is not set up for this app; call Frontgate(app) or init_app(app).",
            )
        return gate

    @property
    def distribution(self) -> Distribution:
        """The current app's :class:`~frontgate.Distribution`."""
        return self.gate.distribution

    def signed_url(
        self,
        path: str,
        *,
        filename: str | None = None,
        attachment: bool = False,
        content_type: str | None = None,
        expires_in: int | float | None = None,
    ) -> str:
        """A signed URL for ``path`` under ``BASE_URL`` (also the Jinja global)."""
        return self.distribution.url(
            path,
            filename=filename,
            attachment=attachment,
            content_type=content_type,
            expires_in=expires_in,
        )

    def signed_redirect(
        self,
        path: str,
        *,
        filename: str | None = None,
        attachment: bool = False,
        content_type: str | None = None,
        expires_in: int | float | None = None,
    ) -> Response:
        """A ``REDIRECT_STATUS`` redirect to a signed URL for ``path``, never cached."""
        gate = self.gate
        url = gate.distribution.url(
            path,
            filename=filename,
            attachment=attachment,
            content_type=content_type,
            expires_in=expires_in,
        )
        response = _redirect(url, code=gate.redirect_status)
        response.headers["Cache-Control"] = NO_STORE
        return response

    def set_signed_cookies(
        self, response: R, prefix: str, *, expires_in: int | float | None = None
    ) -> R:
        """Add signed cookies for every file under ``prefix`` to ``response``."""
        for value in self.distribution.set_cookie_headers(prefix, expires_in=expires_in):
            response.headers.add("Set-Cookie", value)
        response.headers["Cache-Control"] = NO_STORE
        return response

    def set_stream_cookies(
        self, response: R, path: str, *, expires_in: int | float | None = None
    ) -> R:
        """Add signed cookies opening one stream (``path``: its folder, or a playlist in
        it) to ``response``; their resource and ``Path`` are the stream's folder."""
        for value in stream_cookie_headers(self.distribution, path, expires_in=expires_in):
            response.headers.add("Set-Cookie", value)
        response.headers["Cache-Control"] = NO_STORE
        return response

    def signed_playlist_response(
        self, path: str, *, expires_in: int | float | None = None
    ) -> Response:
        """The playlist at ``path`` under ``BASE_URL``, signed for this viewer, as the
        middleware answers an ``X-Accel-Redirect`` to it (200 with ``Cache-Control:
        private, max-age``; 404/502 when it cannot be loaded)."""
        gate = self.gate
        answer = gate.playlist_request(path)
        if answer.playlist is not None:
            loaded = load(answer.playlist)
            answer = gate.playlist_answer(answer, loaded, expires_in=expires_in)
        return Response(answer.body, status=answer.status, headers=answer.headers)
