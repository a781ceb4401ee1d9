"""The I/O-free decision every middleware shares: which responses become signed redirects.

>>> from frontgate import Distribution, Signer
>>> from frontgate.keys import generate_private_key
>>> signer = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
>>> cdn = Distribution("https://cdn.example.com", signer)
>>> gate = Gate(cdn, locations={"/protected/": "media/"})
>>> rewrite = gate.rewrite(200, [("X-Accel-Redirect", "/protected/q3 2026.pdf"),
...                              ("Content-Disposition", 'attachment; filename="q3.pdf"')])
>>> rewrite.status, dict(rewrite.headers)["Location"].split("&Expires")[0]
(302, 'https://cdn.example.com/media/q3%202026.pdf?response-content-disposition=attachment%3B%20filename%3D%22q3.pdf%22')
>>> gate.rewrite(200, [("Content-Type", "text/html")]) is None
True

The WSGI, ASGI and Django adapters only translate their response objects to
``(status, [(name, value), ...])`` and apply the :class:`Rewrite` they get back.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

from ..config import Settings, parse_locations, parse_redirect_status
from ..distribution import Distribution, quote_path
from ..errors import ConfigError, ErrorCode, FrontgateError

__all__ = [
    "ACCEL_REDIRECT",
    "COOKIES_HEADER",
    "SENDFILE",
    "Gate",
    "Rewrite",
    "parse_content_disposition",
]

log = logging.getLogger("frontgate.integrations")

ACCEL_REDIRECT: Final = "x-accel-redirect"
SENDFILE: Final = "x-sendfile"
#: cookie mode: ``X-Frontgate-Cookies: media/videos/`` (optionally ``; expires_in=3600``)
#: sets signed cookies for that prefix under BASE_URL and lets the response through
COOKIES_HEADER: Final = "x-frontgate-cookies"
TRIGGERS: Final = frozenset((ACCEL_REDIRECT, SENDFILE, COOKIES_HEADER))
TRIGGERS_BYTES: Final = frozenset(name.encode() for name in TRIGGERS)
NO_STORE: Final = "private, no-store"
# what travels in the signed URL, or means nothing once the body is gone
_DROPPED: Final = frozenset(
    (
        "content-type",
        "content-length",
        "content-disposition",
        "content-encoding",
        "transfer-encoding",
        "location",
        "cache-control",
    )
)
_IGNORED_ONCE: Final = ("x-accel-expires", "x-accel-limit-rate")
_warned: set[str] = set()
_ERROR_BODY: Final = b"Internal Server Error\n"
# possessive (*+): the two alternatives never start alike, and nothing is ever given back
_PARAM = re.compile(
    r';\s*+([!#$%&\'*+.^_`|~0-9A-Za-z-]++)\s*+=\s*+("(?:[^"\\]|\\.)*+"|[^;]*+)', re.ASCII
)


@dataclass(frozen=True, slots=True)
class Rewrite:
    """What to answer instead of the app's response."""

    #: the status to send
    status: int
    #: headers to send (str pairs; ``Set-Cookie`` values are in :attr:`set_cookies`)
    headers: list[tuple[str, str]]
    #: ``Set-Cookie`` values to add (cookie mode)
    set_cookies: list[str]
    #: the body to send instead of the app's, or ``None`` to keep the app's body
    body: bytes | None


def parse_content_disposition(value: str) -> tuple[bool, str | None]:
    """``(attachment, filename)`` from a ``Content-Disposition`` value; RFC 6266
    ``filename*`` wins over ``filename``.

    >>> parse_content_disposition("attachment; filename=\\"a.pdf\\"; filename*=UTF-8''%C3%A9.pdf")
    (True, 'é.pdf')
    """
    kind = value.split(";", 1)[0].strip().lower()
    plain = extended = None
    for match in _PARAM.finditer(value):
        name, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if name == "filename*":
            charset, _, rest = raw.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                extended = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                extended = None
        elif name == "filename":
            plain = raw
    return kind == "attachment", extended or plain or None


def _dot_segments(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


class Gate:
    """A distribution plus ``LOCATIONS`` and ``REDIRECT_STATUS``: turns responses carrying
    ``X-Accel-Redirect`` / ``X-Sendfile`` / ``X-Frontgate-Cookies`` into their signed
    answer. Immutable; one instance serves every thread."""

    __slots__ = ("_accel", "_files", "distribution", "locations", "redirect_status", "where")

    def __init__(
        self,
        distribution: Distribution,
        *,
        locations: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        redirect_status: int = 302,
        where: str = "FRONTGATE",
    ) -> None:
        if not isinstance(distribution, Distribution):
            raise ConfigError(ErrorCode.CONFIG_INVALID, "Gate needs a frontgate Distribution.")
        if locations is not None and not isinstance(locations, Mapping):
            locations = dict(locations)
        self.distribution = distribution
        self.where = where
        self.locations = parse_locations(locations, where)
        self.redirect_status = parse_redirect_status(redirect_status, where)
        # X-Accel-Redirect values are matched encoded once, as CloudFront will see them
        self._accel = tuple((quote_path(prefix), target) for prefix, target in self.locations)
        self._files = self.locations

    def __repr__(self) -> str:
        return f"Gate({self.distribution!r}, locations={dict(self.locations)!r})"

    @classmethod
    def from_config(
        cls,
        config: Gate | Distribution | Settings | Mapping[str, Any] | None = None,
        /,
        *,
        where: str = "FRONTGATE",
        **settings: Any,
    ) -> Gate:
        """A gate from the configuration mapping, keyword settings (``LOCATIONS=...``), a
        :class:`Settings`, or a ready :class:`~frontgate.Distribution` (plus ``LOCATIONS``
        / ``REDIRECT_STATUS`` keywords). Mistakes raise ``ConfigError`` naming the key."""
        settings = {key.upper(): value for key, value in settings.items()}
        if isinstance(config, Gate):
            if settings:
                raise ConfigError(ErrorCode.CONFIG_CONFLICT, "Give a Gate or settings, not both.")
            return config
        if isinstance(config, Distribution):
            unknown = set(settings) - {"LOCATIONS", "REDIRECT_STATUS"}
            if unknown:
                raise ConfigError(
                    ErrorCode.CONFIG_CONFLICT,
                    f"With a Distribution, only LOCATIONS and REDIRECT_STATUS may be given, "
                    f"not {', '.join(sorted(unknown))}.",
                )
            return cls(
                config,
                locations=settings.get("LOCATIONS"),
                redirect_status=settings.get("REDIRECT_STATUS") or 302,
                where=where,
            )
        if isinstance(config, Settings):
            parsed = config
        else:
            if config is None and not settings:
                raise ConfigError(
                    ErrorCode.CONFIG_MISSING,
                    f"{where} is not set; give KEY_PAIR_ID, PRIVATE_KEY and BASE_URL.",
                )
            mapping = dict(config or {})
            mapping.update(settings)
            parsed = Settings.from_mapping(mapping, where=where)
        return cls(
            Distribution.from_settings(parsed),
            locations=parsed.locations,
            redirect_status=parsed.redirect_status,
            where=parsed.where,
        )

    # -- mapping -------------------------------------------------------------------------

    def target(self, header: str, value: str) -> str | None:
        """The path under ``BASE_URL`` for an internal header value, or ``None`` when it is
        outside every ``LOCATIONS`` prefix (or climbs out of one with ``..``).

        ``X-Accel-Redirect`` is a URI path, maybe with a query, encoded as written;
        ``X-Sendfile`` is a filesystem path, every character of it literal.
        """
        if header == SENDFILE:
            if not value.startswith("/") or value.endswith("/"):
                return None
            path = posixpath.normpath(value)
            for prefix, target in self._files:
                if path.startswith(prefix):
                    return target + quote(path[len(prefix) :], safe="/")
            return None
        path, sep, query = value.partition("?")
        path = quote_path(path)
        for prefix, target in self._accel:
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                if _dot_segments(rest):
                    return None
                return target + rest + (sep + query if query else "")
        return None

    def signed_location(
        self,
        header: str,
        value: str,
        *,
        content_disposition: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        """The signed URL answering an internal header, or ``None`` (logged) when it cannot
        be signed: outside ``LOCATIONS``, or a path CloudFront would not accept."""
        target = self.target(header, value)
        if target is None:
            log.error(
                "%s %r is outside every %s['LOCATIONS'] prefix (%s); add its prefix to "
                "LOCATIONS. Answered 500.",
                _title(header),
                value,
                self.where,
                ", ".join(prefix for prefix, _ in self.locations),
            )
            return None
        attachment, filename = (
            parse_content_disposition(content_disposition) if content_disposition else (False, None)
        )
        # text/html is what frameworks put on any response; only a chosen type travels
        if content_type is not None and content_type.lower().startswith("text/html"):
            content_type = None
        try:
            return self.distribution.url(
                target, filename=filename, attachment=attachment, content_type=content_type
            )
        except FrontgateError as exc:
            log.error("%s %r cannot be signed: %s Answered 500.", _title(header), value, exc)
            return None

    def cookies_for(self, value: str) -> list[str] | None:
        """``Set-Cookie`` values for an ``X-Frontgate-Cookies`` value (a path under
        ``BASE_URL``, or an internal ``LOCATIONS`` prefix), or ``None`` (logged)."""
        prefix, _, options = value.partition(";")
        prefix = prefix.strip()
        expires_in: int | None = None
        name, _, number = options.partition("=")
        number = number.strip()
        if (
            name.strip().lower() in ("expires_in", "max-age")
            and number.isascii()
            and number.isdigit()
        ):
            # int() only on a few digits: any longer lifetime is past R5's last second,
            # and the signer refuses it as it refuses 10**13
            expires_in = int(number) if len(number) <= 12 else 10**13
        if prefix.startswith("/"):
            target = self.target(ACCEL_REDIRECT, prefix)
            if target is None:
                log.error(
                    "X-Frontgate-Cookies %r is outside every %s['LOCATIONS'] prefix; give a "
                    "path under BASE_URL (e.g. 'media/videos/'). Answered 500.",
                    value,
                    self.where,
                )
                return None
            prefix = target
        try:
            return self.distribution.set_cookie_headers(prefix, expires_in=expires_in)
        except FrontgateError as exc:
            log.error("X-Frontgate-Cookies %r cannot be signed: %s Answered 500.", value, exc)
            return None

    # -- the decision --------------------------------------------------------------------

    def rewrite(self, status: int, headers: Iterable[tuple[str, str]]) -> Rewrite | None:
        """What to answer for a response, or ``None`` to pass it through untouched.

        Header values must be text with real characters (adapters decode UTF-8 bytes).
        """
        internal: tuple[str, str] | None = None
        cookies_value: str | None = None
        disposition = content_type = None
        kept: list[tuple[str, str]] = []
        seen = False
        for name, value in headers:
            lower = name.lower()
            if lower in TRIGGERS:
                seen = True
                if lower == COOKIES_HEADER:
                    cookies_value = value
                elif internal is None or lower == ACCEL_REDIRECT:
                    internal = (lower, value)
                continue
            if lower == "content-disposition":
                disposition = value
            elif lower == "content-type":
                content_type = value
            elif lower.startswith("x-accel-"):
                if lower in _IGNORED_ONCE and lower not in _warned:
                    _warned.add(lower)
                    log.warning(
                        "%s is ignored: CloudFront has no per-response equivalent (set the "
                        "cache or rate limits on the distribution).",
                        _title(lower),
                    )
                continue
            kept.append((name, value))
        if not seen:
            return None
        set_cookies: list[str] = []
        if cookies_value is not None:
            made = self.cookies_for(cookies_value)
            if made is None:
                return _server_error()
            set_cookies = made
        if internal is None:
            # cookie mode alone: the response goes through with the cookies added
            headers_out = [pair for pair in kept if pair[0].lower() != "cache-control"]
            headers_out.append(("Cache-Control", NO_STORE))
            return Rewrite(status, headers_out, set_cookies, None)
        location = self.signed_location(
            internal[0], internal[1], content_disposition=disposition, content_type=content_type
        )
        if location is None:
            return _server_error()
        out = [pair for pair in kept if pair[0].lower() not in _DROPPED]
        out += [("Location", location), ("Cache-Control", NO_STORE), ("Content-Length", "0")]
        return Rewrite(self.redirect_status, out, set_cookies, b"")


def _server_error() -> Rewrite:
    return Rewrite(
        500,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(_ERROR_BODY))),
            ("Cache-Control", NO_STORE),
        ],
        [],
        _ERROR_BODY,
    )


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))
