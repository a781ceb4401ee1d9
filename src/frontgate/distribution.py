"""A CloudFront distribution: a base URL and a signer, so apps sign paths, not URLs.

>>> from frontgate import Signer
>>> from frontgate.keys import generate_private_key
>>> signer = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
>>> cdn = Distribution("https://d111111abcdef8.cloudfront.net", signer, expires_in=300)
>>> cdn.url("media/q3 2026.pdf", filename="q3.pdf", attachment=True).split("&Expires")[0]
'https://d111111abcdef8.cloudfront.net/media/q3%202026.pdf?response-content-disposition=attachment%3B%20filename%3D%22q3.pdf%22'
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._types import Duration, When
from .config import Settings
from .errors import ErrorCode, FrontgateError, InputError
from .policy import is_loopback_host, prepare_url
from .signer import SameSite, Signer, cookie_headers
from .times import duration_seconds, now_seconds

if TYPE_CHECKING:
    from .streaming import Nested

__all__ = ["Distribution", "content_disposition", "is_loopback_host", "quote_path"]

log = logging.getLogger("frontgate")

_PATH_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~/]")
_QUERY_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&()*+,;=:@/?]")
_FILENAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')


def _escape(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) == 3 and text[0] == "%":
        return text  # already encoded: kept as is
    return quote(text, safe="")


@lru_cache(maxsize=4096)
def quote_path(path: str) -> str:
    """Percent-encode a path once: UTF-8, unreserved characters and ``/`` kept, an
    existing ``%HH`` kept (contract, "Distribution").

    A ``?`` starts a query, whose raw spaces, quotes and non-ASCII are encoded too.

    >>> quote_path("media/q3 2026/é.pdf"), quote_path("a%20b.pdf?v=1&n=x y")
    ('media/q3%202026/%C3%A9.pdf', 'a%20b.pdf?v=1&n=x%20y')
    """
    path_part, sep, query = path.partition("?")
    encoded = _PATH_ESCAPE.sub(_escape, path_part)
    if sep and query:
        encoded += "?" + _QUERY_ESCAPE.sub(_escape, query)
    return encoded


def content_disposition(filename: str | None, *, attachment: bool = False) -> str:
    """A ``Content-Disposition`` value with an ASCII ``filename=`` and, for non-ASCII names,
    RFC 6266's ``filename*=UTF-8''...``.

    >>> content_disposition("résumé.pdf", attachment=True)
    'attachment; filename="resume.pdf"; filename*=UTF-8\\'\\'r%C3%A9sum%C3%A9.pdf'
    """
    kind = "attachment" if attachment else "inline"
    if not filename:
        return kind
    name = filename.replace("/", "_").replace("\\", "_")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _FILENAME_UNSAFE.sub("_", ascii_name).strip() or "download"
    value = f'{kind}; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


class Distribution:
    """A distribution's base URL plus a :class:`Signer`.

    ``base_url`` must be https; ``http://`` is accepted only for a loopback host (a local
    ``frontgate edge``), and cookies are then sent without ``Secure``.
    """

    __slots__ = (
        "_secure",
        "base_url",
        "cookie_domain",
        "cookie_path",
        "expires_in",
        "same_site",
        "signer",
    )

    def __init__(
        self,
        base_url: str,
        signer: Signer,
        *,
        expires_in: Duration = 300,
        cookie_domain: str | None = None,
        cookie_path: str = "/",
        same_site: SameSite = "Lax",
    ) -> None:
        if not isinstance(signer, Signer):
            raise InputError(ErrorCode.CONFIG_INVALID, "Distribution needs a frontgate Signer.")
        normalised = prepare_url(base_url.rstrip("/") + "/")
        scheme, _, rest = normalised.partition("://")
        host = rest.split("/", 1)[0]
        if "?" in normalised or rest.count("/") < 1:
            raise InputError(
                ErrorCode.URL_INVALID, f"The base URL {base_url!r} must not carry a query."
            )
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if scheme != "https" and not is_loopback_host(hostname):
            raise InputError(
                ErrorCode.URL_INVALID,
                f"The base URL {base_url!r} must be https (http:// only for a loopback "
                "frontgate edge).",
            )
        self.base_url = normalised.rstrip("/")
        self.signer = signer
        self.expires_in = duration_seconds(expires_in)
        self.cookie_domain = cookie_domain
        self.cookie_path = cookie_path
        self.same_site: SameSite = same_site
        self._secure = scheme == "https"

    def __repr__(self) -> str:
        return f"Distribution({self.base_url!r}, {self.signer!r})"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, where: str = "FRONTGATE") -> Distribution:
        """A distribution from the integrations' configuration mapping (``KEY_PAIR_ID``,
        ``PRIVATE_KEY``, ``BASE_URL``, ...); mistakes raise ``ConfigError`` naming the key."""
        return cls.from_settings(Settings.from_mapping(config, where=where))

    @classmethod
    def from_settings(cls, settings: Settings) -> Distribution:
        """A distribution from validated :class:`~frontgate.config.Settings` (loads the key)."""
        signer = settings.signer()
        try:
            return cls(
                settings.base_url,
                signer,
                expires_in=settings.expires_in,
                cookie_domain=settings.cookie_domain,
                cookie_path=settings.cookie_path,
                same_site=settings.same_site,
            )
        except FrontgateError as exc:
            raise settings.invalid("BASE_URL", f"is not usable: {exc.message}") from None

    def resolve(self, path: str) -> str:
        """The full URL for a path under the base URL, encoded once (not signed)."""
        return f"{self.base_url}/{quote_path(path.lstrip('/'))}"

    def url(
        self,
        path: str,
        *,
        filename: str | None = None,
        attachment: bool = False,
        content_type: str | None = None,
        expires_in: Duration | None = None,
        expires_at: When | None = None,
        ip_address: str | None = None,
        now: When | None = None,
    ) -> str:
        """A signed URL for ``path``; ``filename``/``attachment``/``content_type`` travel as
        signed ``response-content-disposition``/``response-content-type`` parameters."""
        url = self.resolve(path)
        extra = []
        if filename is not None or attachment:
            disposition = content_disposition(filename, attachment=attachment)
            extra.append(f"response-content-disposition={quote(disposition, safe='')}")
        if content_type is not None:
            extra.append(f"response-content-type={quote(content_type, safe='')}")
        if extra:
            url += ("&" if "?" in url else "?") + "&".join(extra)
        if expires_at is None and expires_in is None:
            expires_in = self.expires_in
        return self.signer.sign_url(
            url, expires_at=expires_at, expires_in=expires_in, ip_address=ip_address, now=now
        )

    def sign_playlist(
        self,
        path: str,
        text: str,
        *,
        expires_in: Duration | None = None,
        expires_at: When | None = None,
        not_before: When | None = None,
        ip_address: str | None = None,
        resource: str | None = None,
        absolute: bool = False,
        nested: Nested = "sign",
        now: When | None = None,
    ) -> str:
        """The HLS or DASH playlist served at ``path`` with every URI signed (see
        :func:`frontgate.streaming.sign_playlist`), by default for :attr:`expires_in`.

        >>> from frontgate import Signer
        >>> from frontgate.keys import generate_private_key
        >>> cdn = Distribution("https://d.example", Signer(generate_private_key("ecdsa"), "K1"))
        >>> cdn.sign_playlist("v/index.m3u8", "#EXTM3U\\n#EXTINF:4,\\ns1.ts\\n").split()[2][:16]
        's1.ts?Policy=eyJ'
        """
        from .streaming import sign_playlist

        if expires_at is None and expires_in is None:
            expires_in = self.expires_in
        return sign_playlist(
            text,
            self.resolve(path),
            self.signer,
            expires_in=expires_in,
            expires_at=expires_at,
            not_before=not_before,
            ip_address=ip_address,
            now=now,
            resource=resource,
            absolute=absolute,
            nested=nested,
        )

    def resource_for(self, prefix: str) -> str:
        """The wildcard resource for a path prefix: ``BASE_URL/prefix*``."""
        return f"{self.base_url}/{quote_path(prefix.lstrip('/'))}*"

    def cookies(
        self,
        prefix: str,
        *,
        expires_in: Duration | None = None,
        expires_at: When | None = None,
        ip_address: str | None = None,
        now: When | None = None,
    ) -> dict[str, str]:
        """Signed cookies ``{name: value}`` for every file under ``prefix`` (R32)."""
        if expires_at is None and expires_in is None:
            expires_in = self.expires_in
        return self.signer.sign_cookies(
            self.resource_for(prefix),
            expires_in=expires_in,
            expires_at=expires_at,
            ip_address=ip_address,
            now=now,
        )

    def set_cookie_headers(
        self,
        prefix: str,
        *,
        expires_in: Duration | None = None,
        expires_at: When | None = None,
        ip_address: str | None = None,
        domain: str | None = None,
        path: str | None = None,
        same_site: SameSite | None = None,
        max_age: bool = False,
        now: When | None = None,
    ) -> list[str]:
        """``Set-Cookie`` values for :meth:`cookies` with R34's attributes.

        ``max_age=True`` adds ``Max-Age`` equal to the policy's remaining lifetime.
        """
        now_s = now_seconds(now, self.signer.clock)
        if expires_at is None and expires_in is None:
            expires_in = self.expires_in
        # resolved once: the cookies carry exactly this expiry, and Max-Age counts to it
        expires = self.signer.expiry(expires_at=expires_at, expires_in=expires_in, now=now_s)
        cookies = self.cookies(prefix, expires_at=expires, ip_address=ip_address, now=now_s)
        if not self._secure:
            _warn_insecure_once(self.base_url)
        remaining = expires - int(now_s) if max_age else None
        return cookie_headers(
            cookies,
            path=path or self.cookie_path,
            domain=domain or self.cookie_domain,
            secure=self._secure,
            same_site=same_site or self.same_site,
            max_age=remaining,
        )


_warned: set[str] = set()


def _warn_insecure_once(base_url: str) -> None:
    if base_url not in _warned:
        _warned.add(base_url)
        log.warning(
            "Signed cookies for %s are sent without Secure because the base URL is http:// "
            "(a local edge); use https in production.",
            base_url,
        )
