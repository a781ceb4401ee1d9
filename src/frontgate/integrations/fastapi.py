"""FastAPI: the configured distribution as a dependency, and the ASGI middleware wired in.

>>> from fastapi import Depends, FastAPI
>>> from frontgate.keys import generate_private_key, private_pem
>>> fg = Frontgate({"KEY_PAIR_ID": "K2JCJMDEHXQW5F",
...     "PRIVATE_KEY": private_pem(generate_private_key("ecdsa")),
...     "BASE_URL": "https://cdn.example.com", "LOCATIONS": {"/protected/": "media/"}})
>>> app = FastAPI()
>>> fg.init_app(app)
>>> @app.get("/report")
... def report(cdn: Distribution = Depends(get_distribution)) -> SignedRedirectResponse:
...     return SignedRedirectResponse(cdn, "media/report.pdf", attachment=True)

``Depends(fg)`` works too (the instance is callable), and :func:`get_signer` yields the
:class:`~frontgate.Signer`. A mistake in the configuration raises ``ConfigError`` when
``Frontgate(...)`` is built, before the app serves anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, ErrorCode, extra_missing

try:
    from fastapi import FastAPI, Request
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise extra_missing("frontgate's FastAPI integration needs FastAPI", "fastapi") from exc

from ..config import Settings
from ..distribution import Distribution
from ..signer import Signer
from .asgi import AccelRedirectMiddleware
from .gate import Gate
from .starlette import SignedRedirectResponse, set_stream_cookies, signed_playlist_response

__all__ = [
    "Frontgate",
    "SignedRedirectResponse",
    "get_distribution",
    "get_gate",
    "get_signer",
    "set_stream_cookies",
    "signed_playlist_response",
]


class Frontgate:
    """The validated configuration for a FastAPI/Starlette app.

    ``init_app(app)`` stores it in ``app.state.frontgate`` (read by :func:`get_gate`,
    :func:`get_distribution`, :func:`get_signer`) and adds the X-Accel-Redirect middleware
    (``middleware=False`` to skip it).
    """

    def __init__(
        self,
        config: Gate | Distribution | Settings | Mapping[str, Any] | None = None,
        /,
        **settings: Any,
    ) -> None:
        self.gate = Gate.from_config(config, **settings)

    @property
    def distribution(self) -> Distribution:
        """The configured :class:`~frontgate.Distribution`."""
        return self.gate.distribution

    def __call__(self) -> Distribution:
        return self.gate.distribution

    def init_app(self, app: FastAPI, *, middleware: bool = True) -> None:
        """Make the configuration reachable from requests and wire in the middleware."""
        app.state.frontgate = self.gate
        if middleware:
            app.add_middleware(AccelRedirectMiddleware, self.gate)


def get_gate(request: Request) -> Gate:
    """Dependency: the app's :class:`Gate` (set by :meth:`Frontgate.init_app`)."""
    gate = getattr(request.app.state, "frontgate", None)
    if not isinstance(gate, Gate):
        raise ConfigError(
            ErrorCode.CONFIG_MISSING,
            "frontgate is not set up for this app; call Frontgate(config).init_app(app).",
        )
    return gate


def get_distribution(request: Request) -> Distribution:
    """Dependency: the app's configured :class:`~frontgate.Distribution`."""
    return get_gate(request).distribution


def get_signer(request: Request) -> Signer:
    """Dependency: the app's :class:`~frontgate.Signer`."""
    return get_gate(request).distribution.signer
