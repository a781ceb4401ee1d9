"""The configuration every integration shares: one mapping, validated once.

>>> from frontgate.keys import generate_private_key, private_pem
>>> settings = Settings.from_mapping({
...     "KEY_PAIR_ID": "K2JCJMDEHXQW5F",
...     "PRIVATE_KEY": private_pem(generate_private_key("ecdsa")),
...     "BASE_URL": "https://cdn.example.com",
...     "LOCATIONS": {"/protected/": "media/"},
... })
>>> settings.locations, settings.redirect_status, settings.expires_in
((('/protected/', 'media/'),), 302, 300)
>>> from frontgate import Distribution
>>> Distribution.from_settings(settings).url("media/a.pdf").startswith("https://cdn.example.com/media/a.pdf?")
True

Every mistake is a :class:`~frontgate.errors.ConfigError` whose message names the setting to
fix (``FRONTGATE['BASE_URL'] ...``); unknown keys are refused with the closest known name.
The mapping is Django's ``settings.FRONTGATE``, Flask's ``app.config["FRONTGATE"]`` or the
keyword arguments of the WSGI/ASGI middleware.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from ._types import HashName
from .errors import ConfigError, ErrorCode, FrontgateError
from .policy import is_loopback_host
from .signer import SameSite, Signer

__all__ = [
    "DEFAULT_LOCATIONS",
    "KNOWN_KEYS",
    "Settings",
    "parse_locations",
    "parse_playlist_root",
    "parse_redirect_status",
]

#: every key the mapping may hold
KNOWN_KEYS: Final = (
    "KEY_PAIR_ID",
    "PRIVATE_KEY",
    "PRIVATE_KEY_PASSPHRASE",
    "BASE_URL",
    "EXPIRES_IN",
    "HASH_ALGORITHM",
    "LOCATIONS",
    "REDIRECT_STATUS",
    "COOKIE_DOMAIN",
    "COOKIE_PATH",
    "SAMESITE",
    "CACHE_WINDOW",
    "PLAYLIST_ROOT",
)
#: without LOCATIONS, an internal path is the same path under BASE_URL
DEFAULT_LOCATIONS: Final = (("/", ""),)
REDIRECT_STATUSES: Final = (302, 303, 307)
_AWS_PREFIXES: Final = ("kms:", "secretsmanager:", "ssm:")


def _name(where: str, key: str) -> str:
    return f"{where}[{key!r}]"


def _invalid(where: str, key: str, text: str) -> ConfigError:
    return ConfigError(ErrorCode.CONFIG_INVALID, f"{_name(where, key)} {text}")


def _seconds(where: str, key: str, value: object) -> int | float:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise _invalid(
            where, key, f"must be a positive number of seconds or a timedelta, not {value!r}."
        )
    return value


def _base_url(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            ErrorCode.CONFIG_MISSING,
            f"{_name(where, 'BASE_URL')} is missing; set it to the distribution's URL, e.g. "
            "'https://d111111abcdef8.cloudfront.net'.",
        )
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        raise _invalid(where, "BASE_URL", f"{value!r} is not a URL.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise _invalid(
            where,
            "BASE_URL",
            f"must be an https:// URL such as 'https://d111111abcdef8.cloudfront.net', "
            f"not {value!r}.",
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise _invalid(
            where,
            "BASE_URL",
            f"must be https ({value!r} is http); http:// is only for a loopback host "
            "running `frontgate edge`.",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise _invalid(
            where, "BASE_URL", f"must be a plain URL without query, fragment or user: {value!r}."
        )
    return value.rstrip("/")


def parse_locations(value: object, where: str = "FRONTGATE") -> tuple[tuple[str, str], ...]:
    """``LOCATIONS`` as ``((prefix, target), ...)``, longest prefix first.

    A prefix is an internal URI path or a filesystem path (X-Sendfile); both start and end
    with ``/``. A target is a path under ``BASE_URL``: relative, ``""`` or ending with ``/``.

    >>> parse_locations({"/protected/": "media/", "/protected/videos/": "hls/"})
    (('/protected/videos/', 'hls/'), ('/protected/', 'media/'))
    """
    if value is None:
        return DEFAULT_LOCATIONS
    if not isinstance(value, Mapping) or not value:
        raise _invalid(
            where,
            "LOCATIONS",
            "must be a non-empty dict of internal prefix -> path under BASE_URL, e.g. "
            "{'/protected/': 'media/'}.",
        )
    pairs = []
    for prefix, target in value.items():
        if not isinstance(prefix, str) or not prefix.startswith("/") or not prefix.endswith("/"):
            raise _invalid(
                where,
                "LOCATIONS",
                f"has the prefix {prefix!r}; a prefix starts and ends with '/' "
                f"(e.g. {'/' + str(prefix).strip('/') + '/'!r}) so that it matches whole "
                "path segments.",
            )
        if not isinstance(target, str) or (target and not target.endswith("/")):
            raise _invalid(
                where,
                "LOCATIONS",
                f"maps {prefix!r} to {target!r}; the target is a path under BASE_URL ending "
                "with '/' (e.g. 'media/'), or '' for BASE_URL itself.",
            )
        target = target.lstrip("/")
        segments = target.split("/")
        if "://" in target or any(c in target for c in "?#\\") or ".." in segments:
            raise _invalid(
                where,
                "LOCATIONS",
                f"maps {prefix!r} to {target!r}; the target must be a plain path under "
                "BASE_URL, not a URL and without '..', '?' or '#'.",
            )
        pairs.append((prefix, target))
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))


def parse_redirect_status(value: object, where: str = "FRONTGATE") -> int:
    """``REDIRECT_STATUS``: 302 (default), 303 or 307."""
    if value is None:
        return 302
    if isinstance(value, bool) or value not in REDIRECT_STATUSES:
        raise _invalid(where, "REDIRECT_STATUS", f"must be 302, 303 or 307, not {value!r}.")
    return int(value)


def parse_playlist_root(value: object, where: str = "FRONTGATE") -> str | None:
    """``PLAYLIST_ROOT``: an absolute directory path (str or ``os.PathLike``), or ``None``.

    Only its form is checked here; a directory that is missing or unreadable shows when a
    playlist is asked for (logged, answered 404/502), as with nginx's ``alias``.

    >>> parse_playlist_root("/srv/media/"), parse_playlist_root(None)
    ('/srv/media', None)
    """
    if value is None or value == "":
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not os.path.isabs(value) or "\0" in value:
        raise _invalid(
            where,
            "PLAYLIST_ROOT",
            f"must be an absolute directory path such as '/srv/media', not {value!r}; leave "
            "it out to fetch playlists through BASE_URL.",
        )
    return os.path.normpath(value)


def _check_keys(config: Mapping[Any, Any], where: str) -> None:
    for key in config:
        if key in KNOWN_KEYS:
            continue
        text = str(key)
        close = difflib.get_close_matches(text.upper(), KNOWN_KEYS, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise _invalid(
            where,
            text,
            f"is not a frontgate setting.{hint} Known settings: {', '.join(KNOWN_KEYS)}.",
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated configuration; ``Distribution.from_settings`` loads the key and builds
    the :class:`~frontgate.Distribution`. Secrets are kept out of ``repr``."""

    key_pair_id: str
    private_key: str | bytes = field(repr=False)
    base_url: str
    expires_in: int | float = 300
    hash_algorithm: HashName | None = None
    locations: tuple[tuple[str, str], ...] = DEFAULT_LOCATIONS
    redirect_status: int = 302
    cookie_domain: str | None = None
    cookie_path: str = "/"
    same_site: SameSite = "Lax"
    cache_window: int | float | None = None
    #: the local directory holding the playlists, or ``None`` to fetch them
    playlist_root: str | None = None
    passphrase: str | bytes | None = field(default=None, repr=False)
    #: how messages name the mapping, e.g. ``FRONTGATE`` or ``app.config['FRONTGATE']``
    where: str = field(default="FRONTGATE", compare=False)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any], *, where: str = "FRONTGATE") -> Settings:
        """Validate the mapping; every mistake is a ``ConfigError`` naming the key."""
        if not isinstance(config, Mapping):
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                f"{where} must be a dict of frontgate settings, not {type(config).__name__}.",
            )
        _check_keys(config, where)
        key_pair_id = config.get("KEY_PAIR_ID")
        if not key_pair_id:
            raise ConfigError(
                ErrorCode.CONFIG_MISSING,
                f"{_name(where, 'KEY_PAIR_ID')} is missing; set it to the CloudFront public "
                "key id (e.g. 'K2JCJMDEHXQW5F').",
            )
        from .keys import check_key_pair_id

        try:
            check_key_pair_id(key_pair_id)
        except FrontgateError as exc:
            raise _invalid(where, "KEY_PAIR_ID", f"is invalid: {exc.message}") from None
        private_key = config.get("PRIVATE_KEY")
        if not private_key:
            raise ConfigError(
                ErrorCode.CONFIG_MISSING,
                f"{_name(where, 'PRIVATE_KEY')} is missing; set it to a key source (a PEM "
                "file path, env:NAME, kms:..., secretsmanager:..., ssm:...) or the PEM text.",
            )
        if not isinstance(private_key, str | bytes):
            raise _invalid(
                where,
                "PRIVATE_KEY",
                f"must be a key source string or PEM text/bytes, not {type(private_key).__name__}.",
            )
        passphrase = config.get("PRIVATE_KEY_PASSPHRASE")
        if passphrase is not None and not isinstance(passphrase, str | bytes):
            raise _invalid(where, "PRIVATE_KEY_PASSPHRASE", "must be a str or bytes.")
        base_url = _base_url(where, config.get("BASE_URL"))
        expires_in = _seconds(where, "EXPIRES_IN", config.get("EXPIRES_IN", 300))
        hash_algorithm = _hash(where, config.get("HASH_ALGORITHM"), private_key)
        same_site = config.get("SAMESITE", "Lax")
        if same_site not in ("Lax", "Strict", "None"):
            raise _invalid(
                where, "SAMESITE", f"must be 'Lax', 'Strict' or 'None', not {same_site!r}."
            )
        if same_site == "None" and not base_url.startswith("https:"):
            raise ConfigError(
                ErrorCode.CONFIG_CONFLICT,
                f"{_name(where, 'SAMESITE')} 'None' needs Secure cookies, which an http:// "
                f"{_name(where, 'BASE_URL')} cannot have; use 'Lax'.",
            )
        cookie_domain = config.get("COOKIE_DOMAIN")
        if cookie_domain is not None and (
            not isinstance(cookie_domain, str)
            or not cookie_domain.strip(".")
            or any(c in cookie_domain for c in ";, \t\r\n*/:")
        ):
            raise _invalid(
                where,
                "COOKIE_DOMAIN",
                f"must be a domain like 'example.com', not {cookie_domain!r}.",
            )
        if cookie_domain is not None and cookie_domain.lstrip(".").lower() == "cloudfront.net":
            raise _invalid(
                where,
                "COOKIE_DOMAIN",
                "cannot be cloudfront.net (a public suffix); give the distribution an "
                "alternate domain such as cdn.example.com (R34, P9).",
            )
        cookie_path = config.get("COOKIE_PATH", "/")
        if (
            not isinstance(cookie_path, str)
            or not cookie_path.startswith("/")
            or any(c in cookie_path for c in ";*\r\n")
        ):
            raise _invalid(
                where, "COOKIE_PATH", f"must be a path starting with '/', not {cookie_path!r}."
            )
        window = config.get("CACHE_WINDOW")
        return cls(
            key_pair_id=key_pair_id,
            private_key=private_key,
            base_url=base_url,
            expires_in=expires_in,
            hash_algorithm=hash_algorithm,
            locations=parse_locations(config.get("LOCATIONS"), where),
            redirect_status=parse_redirect_status(config.get("REDIRECT_STATUS"), where),
            cookie_domain=cookie_domain,
            cookie_path=cookie_path,
            same_site=same_site,
            cache_window=None if window is None else _seconds(where, "CACHE_WINDOW", window),
            playlist_root=parse_playlist_root(config.get("PLAYLIST_ROOT"), where),
            passphrase=passphrase,
            where=where,
        )

    def signer(self) -> Signer:
        """Load the key (from its source) into a :class:`~frontgate.Signer`."""
        key = self.private_key
        try:
            if isinstance(key, bytes):
                return Signer.from_pem(
                    key,
                    self.key_pair_id,
                    hash_algorithm=self.hash_algorithm or "SHA1",
                    passphrase=self.passphrase,
                    cache_window=self.cache_window,
                )
            return Signer.from_source(
                key,
                self.key_pair_id,
                hash_algorithm=self.hash_algorithm,
                passphrase=self.passphrase,
                cache_window=self.cache_window,
            )
        except FrontgateError as exc:
            from .sources import source_label

            label = "<PEM bytes>" if isinstance(key, bytes) else source_label(key)
            raise ConfigError(
                exc.code, f"{_name(self.where, 'PRIVATE_KEY')} ({label}): {exc.message}"
            ) from None

    def invalid(self, key: str, text: str) -> ConfigError:
        """A ``ConfigError`` naming ``key`` the way these settings are named."""
        return _invalid(self.where, key, text)


def _hash(where: str, value: object, private_key: str | bytes) -> HashName | None:
    if value is None:
        return None
    if value not in ("SHA1", "SHA256"):
        raise _invalid(where, "HASH_ALGORITHM", f"must be 'SHA1' or 'SHA256', not {value!r}.")
    if (
        value == "SHA1"
        and isinstance(private_key, str)
        and private_key.startswith(_AWS_PREFIXES[0])
    ):
        raise ConfigError(
            ErrorCode.CONFIG_CONFLICT,
            f"{_name(where, 'HASH_ALGORITHM')} 'SHA1' cannot be used with a kms: "
            f"{_name(where, 'PRIVATE_KEY')}: KMS has no SHA-1 signing; use 'SHA256' or leave "
            "HASH_ALGORITHM out.",
        )
    return "SHA1" if value == "SHA1" else "SHA256"
