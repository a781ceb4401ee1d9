"""System checks: the configuration is valid and the key really signs.

``manage.py check`` reports ``frontgate.E001`` (a configuration mistake, naming the
setting), ``frontgate.E002`` (the key does not produce signatures its public key accepts),
``frontgate.E003`` (the django-sendfile2 backend is set but cannot work) and
``frontgate.W001`` (``PLAYLIST_ROOT`` is not a directory this process can read).

>>> from frontgate.integrations.django.checks import check_configuration
>>> check_configuration.__name__
'check_configuration'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning

from ...errors import FrontgateError
from ..gate import ACCEL_REDIRECT
from .conf import build_gate

__all__ = ["check_configuration"]

_MIDDLEWARE = "frontgate.integrations.django.AccelRedirectMiddleware"
_BACKEND = "frontgate.integrations.django.sendfile"


def check_configuration(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate ``settings.FRONTGATE`` and sign (then verify) a test URL."""
    del app_configs, kwargs
    from django.conf import settings

    try:
        gate = build_gate()
    except FrontgateError as exc:
        return [
            Error(
                exc.message,
                hint="See the 'Configuration shared by every integration' section of "
                "frontgate's documentation.",
                id="frontgate.E001",
            )
        ]
    errors: list[CheckMessage] = []
    from ...verify import Verifier, _diagnosing

    signer = gate.distribution.signer
    try:
        url = gate.distribution.url("frontgate-check", expires_in=60)
        verifier = _diagnosing(Verifier({signer.key_pair_id: signer.public_key()}))
        decision = verifier.verify_url(url)
        problem = None if decision.allowed else decision.message
    except FrontgateError as exc:
        problem = exc.message
    if problem is not None:
        errors.append(
            Error(
                f"The key in {gate.where}['PRIVATE_KEY'] cannot sign: {problem}",
                hint="Check the key source and that the key is RSA-2048 or ECDSA P-256.",
                id="frontgate.E002",
            )
        )
    if getattr(settings, "SENDFILE_BACKEND", None) == _BACKEND:
        errors.extend(_check_sendfile(gate))
    root = gate.playlist_root
    if root is not None and not (os.path.isdir(root) and os.access(root, os.R_OK | os.X_OK)):
        errors.append(
            CheckWarning(
                f"{gate.where}['PLAYLIST_ROOT'] {root!r} is not a readable directory, so "
                "every playlist would be answered 404.",
                hint="Point it at the directory holding the playlists under the paths they "
                "have under BASE_URL, or leave it out to fetch them through BASE_URL.",
                id="frontgate.W001",
            )
        )
    return errors


def _check_sendfile(gate: Any) -> list[CheckMessage]:
    from django.conf import settings

    errors: list[CheckMessage] = []
    if _MIDDLEWARE not in getattr(settings, "MIDDLEWARE", ()):
        errors.append(
            Error(
                f"SENDFILE_BACKEND is {_BACKEND!r} but MIDDLEWARE lacks {_MIDDLEWARE!r}, "
                "so sendfile() answers would reach clients as empty pages.",
                hint=f"Add {_MIDDLEWARE!r} to MIDDLEWARE.",
                id="frontgate.E003",
            )
        )
    url_root = getattr(settings, "SENDFILE_URL", None)
    if url_root:
        probe = str(url_root).rstrip("/") + "/probe"
        if gate.target(ACCEL_REDIRECT, probe) is None:
            errors.append(
                Error(
                    f"SENDFILE_URL {url_root!r} is outside every {gate.where}['LOCATIONS'] "
                    "prefix, so every sendfile() answer would be a 500.",
                    hint=f"Add {str(url_root).rstrip('/') + '/'!r} to LOCATIONS.",
                    id="frontgate.E003",
                )
            )
    return errors
