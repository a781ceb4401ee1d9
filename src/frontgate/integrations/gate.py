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
``(status, [(name, value), ...])`` and apply the :class:`Rewrite` they get back. A
target ending in ``.m3u8`` or ``.mpd`` comes back as a :class:`Playlist` to load (the
adapter's I/O, :mod:`.playlists`), then :meth:`Gate.playlist_answer` signs it:

>>> pending = gate.rewrite(200, [("X-Accel-Redirect", "/protected/v/42/master.m3u8")])
>>> pending.playlist.url, pending.playlist.fetch_url.split("?")[0]
('https://cdn.example.com/media/v/42/master.m3u8', 'https://cdn.example.com/media/v/42/master.m3u8')
>>> master = b"#EXTM3U\\n#EXT-X-STREAM-INF:BANDWIDTH=150000\\nlow/index.m3u8\\n"
>>> answer = gate.playlist_answer(pending, master)
>>> answer.status, answer.body == master, dict(answer.headers)["Content-Type"]
(200, True, 'application/vnd.apple.mpegurl')
"""

from __future__ import annotations

import logging
import math
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from ..config import Settings, parse_locations, parse_playlist_root, parse_redirect_status
from ..distribution import Distribution, quote_path
from ..errors import ConfigError, ErrorCode, FrontgateError, InputError
from ..streaming import _reporting_unsigned, sign_playlist
from ..times import now_seconds

__all__ = [
    "ACCEL_REDIRECT",
    "COOKIES_HEADER",
    "PLAYLIST_TYPES",
    "SENDFILE",
    "Failure",
    "Gate",
    "Playlist",
    "Rewrite",
    "parse_content_disposition",
    "playlist_type",
    "stream_cookie_headers",
    "stream_folder",
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
_BODIES: Final = {
    404: b"Not Found\n",
    500: _ERROR_BODY,
    502: b"Bad Gateway\n",
}
#: what a redirect target ending in one of these is answered with: the signed playlist
PLAYLIST_TYPES: Final = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
}
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
    #: a playlist to answer signed: the adapter loads it (:mod:`.playlists`) and asks
    #: :meth:`Gate.playlist_answer` for the final answer; until then nothing is sent
    playlist: Playlist | None = None


@dataclass(frozen=True, slots=True)
class Playlist:
    """A playlist the middleware answers itself: where to read it, and as what URL to sign
    it. Made by the gate (no I/O); loaded by the adapter."""

    #: the playlist's path under ``BASE_URL``, encoded once (named in log lines)
    target: str
    #: its URL under ``BASE_URL``: what relative URIs in it resolve against
    url: str
    #: ``PLAYLIST_ROOT``, or ``None`` to fetch it
    root: str | None
    #: the file under ``PLAYLIST_ROOT`` holding it, or ``None`` to fetch it
    file: str | None
    #: the signed URL to fetch it through ``BASE_URL`` (``None`` with ``PLAYLIST_ROOT``)
    fetch_url: str | None
    #: ``application/vnd.apple.mpegurl`` or ``application/dash+xml``
    content_type: str
    #: the app's response headers kept in the answer (``Set-Cookie``, ``Vary``, ...)
    headers: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Failure:
    """A playlist that could not be loaded: the status to answer, and why (logged)."""

    status: int
    reason: str


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


def playlist_type(target: str) -> str | None:
    """The content type of a playlist path (its query aside), or ``None`` for other files.

    >>> playlist_type("media/v/master.m3u8?lang=en"), playlist_type("media/v/seg1.ts")
    ('application/vnd.apple.mpegurl', None)
    """
    path = target.partition("?")[0].lower()
    for suffix, content_type in PLAYLIST_TYPES.items():
        if path.endswith(suffix):
            return content_type
    return None


def _dot_segments(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


class Gate:
    """A distribution plus ``LOCATIONS`` and ``REDIRECT_STATUS``: turns responses carrying
    ``X-Accel-Redirect`` / ``X-Sendfile`` / ``X-Frontgate-Cookies`` into their signed
    answer. Immutable; one instance serves every thread."""

    __slots__ = (
        "_accel",
        "_files",
        "distribution",
        "locations",
        "playlist_root",
        "redirect_status",
        "where",
    )

    def __init__(
        self,
        distribution: Distribution,
        *,
        locations: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        redirect_status: int = 302,
        playlist_root: str | os.PathLike[str] | None = None,
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
        #: where playlists are read from, or ``None`` to fetch them through ``BASE_URL``
        self.playlist_root = parse_playlist_root(playlist_root, where)
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
            unknown = set(settings) - {"LOCATIONS", "REDIRECT_STATUS", "PLAYLIST_ROOT"}
            if unknown:
                raise ConfigError(
                    ErrorCode.CONFIG_CONFLICT,
                    f"With a Distribution, only LOCATIONS, REDIRECT_STATUS and PLAYLIST_ROOT "
                    f"may be given, not {', '.join(sorted(unknown))}.",
                )
            return cls(
                config,
                locations=settings.get("LOCATIONS"),
                redirect_status=settings.get("REDIRECT_STATUS") or 302,
                playlist_root=settings.get("PLAYLIST_ROOT"),
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
            playlist_root=parsed.playlist_root,
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

    def _mapped(self, header: str, value: str) -> str | None:
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
        return target

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
        target = self._mapped(header, value)
        if target is None:
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
        ``BASE_URL``, or an internal ``LOCATIONS`` prefix), or ``None`` (logged).

        Options follow ``;``: ``expires_in=3600``, and ``scope=folder`` for a stream's
        cookies (:func:`stream_cookie_headers`: ``Path`` is the folder, not ``/``)."""
        prefix, *options = value.split(";")
        prefix = prefix.strip()
        expires_in: int | None = None
        folder = False
        for option in options:
            name, _, raw = option.partition("=")
            name, raw = name.strip().lower(), raw.strip()
            if name in ("expires_in", "max-age") and raw.isascii() and raw.isdigit():
                # int() only on a few digits: any longer lifetime is past R5's last
                # second, and the signer refuses it as it refuses 10**13
                expires_in = int(raw) if len(raw) <= 12 else 10**13
            elif name == "scope" and raw.lower() == "folder":
                folder = True
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
            if folder:
                return stream_cookie_headers(self.distribution, prefix, expires_in=expires_in)
            return self.distribution.set_cookie_headers(prefix, expires_in=expires_in)
        except FrontgateError as exc:
            log.error("X-Frontgate-Cookies %r cannot be signed: %s Answered 500.", value, exc)
            return None

    # -- playlists -----------------------------------------------------------------------

    def playlist(
        self, target: str, content_type: str, headers: list[tuple[str, str]] | None = None
    ) -> Playlist:
        """Where to load the playlist at ``target`` (a path under ``BASE_URL``): its file
        under ``PLAYLIST_ROOT``, or else a signed URL to fetch it through ``BASE_URL``."""
        url = self.distribution.resolve(target)
        path = url[len(self.distribution.base_url) + 1 :].partition("?")[0]
        if self.playlist_root is not None:
            name = os.path.join(self.playlist_root, *unquote(path).split("/"))
            root = self.playlist_root
            return Playlist(path, url, root, name, None, content_type, headers or [])
        fetch_url = self.distribution.url(target)
        return Playlist(path, url, None, None, fetch_url, content_type, headers or [])

    def playlist_request(self, path: str) -> Rewrite:
        """For the view helpers: the pending answer for the playlist at ``path`` under
        ``BASE_URL`` (load it, then :meth:`playlist_answer`), or a 404 answer (logged)
        for a path with ``.``/``..`` segments, which views may build from request data.
        Raises ``InputError`` for a path that is not a playlist (a mistake in the view)."""
        kind = playlist_type(path)
        if kind is None:
            raise InputError(
                ErrorCode.URL_INVALID,
                f"{path!r} is not a playlist; a signed playlist ends in .m3u8 or .mpd.",
            )
        path = path.lstrip("/")
        if _dot_segments(path.partition("?")[0]):
            log.error("Playlist %r has dot segments. Answered 404.", path)
            return _server_error(404)
        return Rewrite(200, [], [], None, self.playlist(path, kind))

    def playlist_answer(
        self,
        rewrite: Rewrite,
        loaded: bytes | Failure,
        *,
        expires_in: int | float | None = None,
        now: float | None = None,
    ) -> Rewrite:
        """The answer for a :attr:`Rewrite.playlist` once the adapter has loaded it: the
        playlist signed for this viewer (200, ``Cache-Control: private, max-age=N``, N no
        longer than its signatures live), or the failure's status with a log line."""
        playlist = rewrite.playlist
        assert playlist is not None
        if isinstance(loaded, Failure):
            log.error(
                "Playlist %s: %s. Answered %d.", playlist.target, loaded.reason, loaded.status
            )
            return _server_error(loaded.status)
        try:
            body, max_age = self.sign_playlist(playlist.url, loaded, expires_in=expires_in, now=now)
        except FrontgateError as exc:
            log.error("Playlist %s cannot be signed: %s Answered 502.", playlist.target, exc)
            return _server_error(502)
        headers = [
            *playlist.headers,
            ("Content-Type", playlist.content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", f"private, max-age={max_age}"),
        ]
        return Rewrite(200, headers, rewrite.set_cookies, body)

    def sign_playlist(
        self,
        url: str,
        data: bytes,
        *,
        expires_in: int | float | None = None,
        now: float | None = None,
    ) -> tuple[bytes, int]:
        """A playlist (UTF-8 bytes) as answered at the app's URL: media URIs absolute and
        signed under ``BASE_URL``, other playlists' URIs kept so the player comes back for
        them; with the ``max-age`` it may be cached for. Raises ``InputError``."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                ErrorCode.PLAYLIST_INVALID,
                f"The playlist is not UTF-8 (byte {exc.start}).",
            ) from None
        signer = self.distribution.signer
        now_s = now_seconds(now, signer.clock)
        expires = signer.expiry(expires_in=expires_in or self.distribution.expires_in, now=now_s)
        # URIs left unsigned (another host) are a log line, as every answer's trouble is
        with _reporting_unsigned(partial(log.warning, "Playlist %s: %s", url)):
            signed = sign_playlist(
                text, url, signer, expires_at=expires, now=now_s, absolute=True, nested="keep"
            )
        return signed.encode("utf-8"), max(0, expires - math.ceil(now_s))

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
        out = [pair for pair in kept if pair[0].lower() not in _DROPPED]
        kind = playlist_type(internal[1])
        if kind is not None:
            target = self._mapped(*internal)
            if target is None:
                return _server_error()
            try:
                playlist = self.playlist(target, kind, out)
            except FrontgateError as exc:
                log.error(
                    "%s %r cannot be signed: %s Answered 500.",
                    _title(internal[0]),
                    internal[1],
                    exc,
                )
                return _server_error()
            return Rewrite(200, [], set_cookies, None, playlist)
        location = self.signed_location(
            internal[0], internal[1], content_disposition=disposition, content_type=content_type
        )
        if location is None:
            return _server_error()
        out += [("Location", location), ("Cache-Control", NO_STORE), ("Content-Length", "0")]
        return Rewrite(self.redirect_status, out, set_cookies, b"")


def stream_folder(path: str) -> str:
    """The folder of a stream, from the folder itself or a playlist in it.

    >>> stream_folder("media/videos/42/master.m3u8"), stream_folder("media/videos/42/")
    ('media/videos/42/', 'media/videos/42/')
    """
    return path if path.endswith("/") else path.rpartition("/")[0] + "/"


def stream_cookie_headers(
    distribution: Distribution, path: str, *, expires_in: int | float | None = None
) -> list[str]:
    """``Set-Cookie`` values opening one stream to the viewer: the resource is the
    stream's folder (``BASE_URL/media/videos/42/*``), and so is the cookies' ``Path``, so
    they reach the CDN only for that stream's files and never shadow another stream's.

    ``path`` is the folder (ending in ``/``) or a playlist in it. Other attributes follow
    the distribution (``COOKIE_DOMAIN``, ``SAMESITE``; no ``Secure`` on an http loopback).
    """
    folder = stream_folder(path.lstrip("/"))
    if folder == "/":
        folder = ""
    base_path = urlsplit(distribution.base_url).path
    cookie_path = f"{base_path}/{quote_path(folder)}"
    return distribution.set_cookie_headers(folder, expires_in=expires_in, path=cookie_path)


def _server_error(status: int = 500) -> Rewrite:
    body = _BODIES[status]
    return Rewrite(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", NO_STORE),
        ],
        [],
        body,
    )


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))
