"""``settings.FRONTGATE``, read at first use and again on ``setting_changed``.

>>> from frontgate.integrations.django.conf import WATCHED
>>> sorted(WATCHED)[:2]
['AWS_CLOUDFRONT_KEY', 'AWS_CLOUDFRONT_KEY_ID']
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final

from django.core.signals import setting_changed

from ...distribution import Distribution
from ...errors import ConfigError, ErrorCode
from ..gate import Gate

__all__ = ["WATCHED", "config_from_settings", "get_distribution", "get_gate", "reset"]

WHERE: Final = "settings.FRONTGATE"
#: the settings whose change rebuilds the gate
WATCHED: Final = frozenset(
    ("FRONTGATE", "AWS_CLOUDFRONT_KEY", "AWS_CLOUDFRONT_KEY_ID", "AWS_S3_CUSTOM_DOMAIN")
)

_lock = threading.Lock()
_gate: Gate | None = None


def config_from_settings() -> tuple[dict[str, Any], set[str]]:
    """``settings.FRONTGATE`` completed from django-storages' settings, and the names of
    the keys that came from there."""
    from django.conf import settings

    raw = getattr(settings, "FRONTGATE", None)
    if raw is not None and not isinstance(raw, Mapping):
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            f"{WHERE} must be a dict of frontgate settings, not {type(raw).__name__}.",
        )
    config = dict(raw or {})
    borrowed = set()
    fallbacks = (
        ("PRIVATE_KEY", "AWS_CLOUDFRONT_KEY", None),
        ("KEY_PAIR_ID", "AWS_CLOUDFRONT_KEY_ID", None),
        ("BASE_URL", "AWS_S3_CUSTOM_DOMAIN", "https://"),
    )
    for key, setting, scheme in fallbacks:
        value = getattr(settings, setting, None)
        if not config.get(key) and value:
            config[key] = f"{scheme}{value}" if scheme and isinstance(value, str) else value
            borrowed.add(key)
    if raw is None and not borrowed:
        raise ConfigError(
            ErrorCode.CONFIG_MISSING,
            f"{WHERE} is not set; give KEY_PAIR_ID, PRIVATE_KEY and BASE_URL (or "
            "django-storages' AWS_CLOUDFRONT_KEY_ID and AWS_CLOUDFRONT_KEY).",
        )
    return config, borrowed


def build_gate() -> Gate:
    """A new :class:`Gate` from the current settings (no cache)."""
    config, borrowed = config_from_settings()
    try:
        return Gate.from_config(config, where=WHERE)
    except ConfigError as exc:
        message = exc.message
        names = {"PRIVATE_KEY": "AWS_CLOUDFRONT_KEY", "KEY_PAIR_ID": "AWS_CLOUDFRONT_KEY_ID"}
        names["BASE_URL"] = "AWS_S3_CUSTOM_DOMAIN"
        for key in borrowed:
            message = message.replace(
                f"{WHERE}[{key!r}]",
                f"settings.{names[key]} (used as {WHERE}[{key!r}])",
            )
        raise ConfigError(exc.code, message) from None


def get_gate() -> Gate:
    """The gate for the current settings, built once (thread-safe) until they change."""
    gate = _gate
    if gate is None:
        with _lock:
            gate = _gate
            if gate is None:
                gate = build_gate()
                _set(gate)
    return gate


def get_distribution() -> Distribution:
    """The configured :class:`~frontgate.Distribution`."""
    return get_gate().distribution


def _set(gate: Gate | None) -> None:
    global _gate  # the one process-wide cache, reset by setting_changed
    _gate = gate


def reset(*, setting: str = "FRONTGATE", **kwargs: Any) -> None:
    """Forget the gate when a watched setting changes (Django's ``setting_changed``)."""
    del kwargs
    if setting in WATCHED:
        with _lock:
            _set(None)


setting_changed.connect(reset, dispatch_uid="frontgate-settings")
