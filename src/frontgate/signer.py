"""Signed URLs and signed cookies (R1-R6, R18-R24, R31-R34, R43-R47).

>>> from frontgate import Signer
>>> from frontgate.keys import generate_private_key, private_pem
>>> signer = Signer.from_pem(private_pem(generate_private_key("rsa")), key_pair_id="K2JCJMDEHXQW5F")
>>> url = signer.sign_url("https://d111111abcdef8.cloudfront.net/video.mp4", now=1767290000,
...                       expires_at=1767290400)
>>> url.split("&")[0], url.endswith("Key-Pair-Id=K2JCJMDEHXQW5F")
('https://d111111abcdef8.cloudfront.net/video.mp4?Expires=1767290400', True)

A :class:`Signer` parses its key once and never changes afterwards: build one per key
and share it between threads.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from binascii import b2a_base64
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from os import PathLike
from typing import Final, Literal

from ._types import Duration, HashName, PEMData, When
from .encoding import TO_CF as _TO_CF
from .encoding import cf_b64encode
from .errors import ErrorCode, FrontgateWarning, InputError
from .keys import (
    LocalKey,
    PrivateKey,
    PublicKey,
    SigningKey,
    check_hash_algorithm,
    check_key_pair_id,
    load_private_key,
)
from .policy import (
    COOKIE_EXPIRES,
    COOKIE_HASH_ALGORITHM,
    COOKIE_KEY_PAIR_ID,
    COOKIE_POLICY,
    COOKIE_SIGNATURE,
    MAX_COOKIE_BYTES,
    MAX_URL_BYTES,
    Policy,
    check_resource,
    normalize_ip,
    prepare_url,
    resource_covers,
    resource_warnings,
)
from .times import MAX_EPOCH, duration_seconds, expiry_epoch, now_seconds, start_epoch

__all__ = ["SameSite", "Signer", "cookie_headers"]

SameSite = Literal["Lax", "Strict", "None"]

_YEAR: Final = 365 * 86400
_CACHE_SIZE: Final = 4096
# R3/R9: the policy template around the resource and the epochs, in botocore's member
# order (the tests hold it to policy_json and to botocore)
_HEAD: Final = '{"Statement":[{"Resource":"'
_MIDDLE: Final = '","Condition":{"DateLessThan":{"AWS:EpochTime":'
_START: Final = ',"DateGreaterThan":{"AWS:EpochTime":'
_CANNED_TAIL: Final = "}}}]}"
_CUSTOM_TAIL: Final = "}}]}"
# what JSON must escape inside a string (RFC 8259 section 7)
_JSON_ESCAPED: Final = re.compile(r'["\\\x00-\x1f]')


class Signer:
    """Signs CloudFront URLs and cookies with one private key.

    ``cache_window`` (seconds) makes ``expires_in`` expiries round *up* to a multiple of
    the window, so one object yields one URL for the whole window (browsers can cache
    it) and a repeated signature is served from a small cache. The link then lives
    between ``expires_in`` and ``expires_in + cache_window`` seconds.

    >>> from frontgate.keys import generate_private_key
    >>> Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F", hash_algorithm="SHA256")
    Signer(key_pair_id='K2JCJMDEHXQW5F', key=ECDSA P-256, hash_algorithm='SHA256')
    """

    __slots__ = (
        "_cache",
        "_clock",
        "_hash_suffix",
        "_key",
        "_sign",
        "_url_tail",
        "_window",
        "hash_algorithm",
        "key_pair_id",
    )

    def __init__(
        self,
        key: PrivateKey | SigningKey,
        key_pair_id: str,
        *,
        hash_algorithm: HashName = "SHA1",
        cache_window: Duration | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key_pair_id: str = check_key_pair_id(key_pair_id)
        if len(COOKIE_KEY_PAIR_ID) + len(self.key_pair_id) > MAX_COOKIE_BYTES:
            raise InputError(
                ErrorCode.KEY_PAIR_ID_INVALID,
                f"key_pair_id is {len(self.key_pair_id)} characters; no cookie can carry it (R43).",
            )
        self.hash_algorithm: HashName = check_hash_algorithm(hash_algorithm)
        self._key: SigningKey = key if isinstance(key, SigningKey) else LocalKey(key)
        self._sign = self._key.signer_for(self.hash_algorithm)
        self._clock = clock
        self._window = (
            None if cache_window is None else duration_seconds(cache_window, "cache_window")
        )
        self._cache: dict[tuple[object, ...], str] | None = {} if self._window is not None else None
        # R6, R20: Hash-Algorithm travels only for SHA-256, so SHA-1 output is unchanged
        self._hash_suffix = "&Hash-Algorithm=SHA256" if self.hash_algorithm == "SHA256" else ""
        self._url_tail = f"&Key-Pair-Id={self.key_pair_id}{self._hash_suffix}"

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_pem(
        cls,
        pem: PEMData,
        key_pair_id: str,
        *,
        hash_algorithm: HashName = "SHA1",
        passphrase: str | bytes | None = None,
        cache_window: Duration | None = None,
    ) -> Signer:
        """A signer from private key PEM text or bytes (PKCS#1, PKCS#8, SEC1; R48)."""
        return cls(
            load_private_key(pem, passphrase),
            key_pair_id,
            hash_algorithm=hash_algorithm,
            cache_window=cache_window,
        )

    @classmethod
    def from_file(
        cls,
        path: str | PathLike[str],
        key_pair_id: str,
        *,
        hash_algorithm: HashName = "SHA1",
        passphrase: str | bytes | None = None,
        cache_window: Duration | None = None,
    ) -> Signer:
        """A signer from a PEM file (``file://`` paths too)."""
        from .sources import read_key_file

        return cls.from_pem(
            read_key_file(path),
            key_pair_id,
            hash_algorithm=hash_algorithm,
            passphrase=passphrase,
            cache_window=cache_window,
        )

    @classmethod
    def from_source(
        cls,
        source: str,
        key_pair_id: str,
        *,
        hash_algorithm: HashName | None = None,
        passphrase: str | bytes | None = None,
        cache_window: Duration | None = None,
    ) -> Signer:
        """A signer from a key source: a path, ``file://``, ``env:NAME``, ``kms:``,
        ``secretsmanager:`` or ``ssm:`` (the last three need ``frontgate[aws]``).

        ``hash_algorithm`` defaults to SHA1, or SHA256 for ``kms:`` (KMS has no SHA-1).
        """
        from .sources import load_signing_key

        key, default_hash = load_signing_key(
            source, passphrase=passphrase, hash_algorithm=hash_algorithm
        )
        return cls(
            key,
            key_pair_id,
            hash_algorithm=hash_algorithm or default_hash,
            cache_window=cache_window,
        )

    def __repr__(self) -> str:
        return (
            f"Signer(key_pair_id={self.key_pair_id!r}, key={self._key.description}, "
            f"hash_algorithm={self.hash_algorithm!r})"
        )

    @property
    def clock(self) -> Callable[[], float]:
        """The clock read when ``now`` is not given (epoch seconds)."""
        return self._clock

    @property
    def key_description(self) -> str:
        """The key's type and size, e.g. ``'RSA-2048'``."""
        return self._key.description

    def public_key(self) -> PublicKey:
        """The public key to upload to CloudFront (and to give a :class:`Verifier`)."""
        return self._key.public_key()

    # -- signing -----------------------------------------------------------------------

    def sign(self, data: bytes) -> bytes:
        """The raw signature of ``data`` with this key and hash (R18, R19)."""
        return self._sign(data)

    def sign_url(
        self,
        url: str,
        *,
        expires_at: When | None = None,
        expires_in: Duration | None = None,
        not_before: When | None = None,
        ip_address: str | None = None,
        resource: str | None = None,
        allow_any_resource: bool = False,
        now: When | None = None,
    ) -> str:
        """Sign a URL: canned policy when only an expiry is given, custom otherwise.

        ``resource`` (a pattern that must cover ``url``), ``not_before`` and
        ``ip_address`` switch to a custom policy (R7). Raises :class:`InputError` for a
        URL CloudFront or browsers would alter (R44), a bad time (R45), resource (R46)
        or IP (R47), or a result over 8,192 bytes (R43).

        >>> from frontgate.keys import generate_private_key
        >>> s = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
        >>> u = s.sign_url("https://d.example/a.jpg?w=1", expires_in=60, ip_address="192.0.2.1",
        ...                now=1767290400)
        >>> u.split("&")[0:2][0], u.split("&")[1][:7]
        ('https://d.example/a.jpg?w=1', 'Policy=')
        """
        base = prepare_url(url)
        now_s = self._clock() if now is None else now_seconds(now, self._clock)
        expires = self._expiry(expires_at, expires_in, now_s)
        cache = self._cache
        if not_before is None and ip_address is None and resource is None:
            if cache is not None:
                key: tuple[object, ...] = (base, expires)
                cached = cache.get(key)
                if cached is not None:
                    return cached
            # R3: the canned policy, the URL spliced into the template
            data = f"{_HEAD}{base}{_MIDDLE}{expires}{_CANNED_TAIL}".encode()
            signed = (
                f"{base}{'&' if '?' in base else '?'}Expires={expires}&Signature="
                f"{b2a_base64(self._sign(data), newline=False).translate(_TO_CF).decode()}"
                f"{self._url_tail}"
            )
        else:
            if resource is None:
                pattern, notes = base, _NO_NOTES  # R11: the URL itself, exactly
            else:
                pattern, notes = _resource(resource, allow_any_resource)
                if not resource_covers(pattern, base):
                    raise InputError(
                        ErrorCode.RESOURCE_INVALID,
                        f"The resource {pattern!r} does not cover the URL {base!r}, so "
                        "CloudFront would refuse it (R11).",
                    )
            ip, ip_part = (None, "") if ip_address is None else _ip_condition(ip_address)
            for note in notes:
                warnings.warn(note, FrontgateWarning, stacklevel=2)
            start = None if not_before is None else self._start(not_before, expires)
            if cache is not None:
                key = (base, expires, pattern, start, ip)
                cached = cache.get(key)
                if cached is not None:
                    return cached
            data = _custom_policy(pattern, expires, ip_part, start)
            signed = (
                f"{base}{'&' if '?' in base else '?'}Policy="
                f"{b2a_base64(data, newline=False).translate(_TO_CF).decode()}&Signature="
                f"{b2a_base64(self._sign(data), newline=False).translate(_TO_CF).decode()}"
                f"{self._url_tail}"
            )
        if len(signed) > MAX_URL_BYTES:
            raise InputError(
                ErrorCode.TOO_LONG,
                f"The signed URL would be {len(signed)} bytes; CloudFront accepts at most "
                f"{MAX_URL_BYTES} (R43). Shorten the URL or use a wildcard resource.",
            )
        if cache is not None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[key] = signed
        return signed

    def sign_cookies(
        self,
        resource: str,
        *,
        expires_at: When | None = None,
        expires_in: Duration | None = None,
        not_before: When | None = None,
        ip_address: str | None = None,
        allow_any_resource: bool = False,
        now: When | None = None,
    ) -> dict[str, str]:
        """Signed cookies for a resource: ``{cookie name: value}`` (R31, R32).

        Canned cookies are used only for one exact URL with no start time and no IP
        condition; a wildcard resource always gets a custom policy (R32).

        >>> from frontgate.keys import generate_private_key
        >>> s = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
        >>> sorted(s.sign_cookies("https://d.example/videos/*", expires_in=60))
        ['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']
        """
        now_s = self._clock() if now is None else now_seconds(now, self._clock)
        expires = self._expiry(expires_at, expires_in, now_s)
        canned = (
            isinstance(resource, str)
            and "*" not in resource
            and not_before is None
            and ip_address is None
        )
        if canned:
            base = prepare_url(resource)
            data = f"{_HEAD}{base}{_MIDDLE}{expires}{_CANNED_TAIL}".encode()
            name, value = COOKIE_EXPIRES, str(expires)
        else:
            if resource is None:
                raise InputError(ErrorCode.RESOURCE_INVALID, "Give the resource to sign for.")
            pattern, notes = _resource(resource, allow_any_resource)
            ip_part = "" if ip_address is None else _ip_condition(ip_address)[1]
            for note in notes:
                warnings.warn(note, FrontgateWarning, stacklevel=2)
            start = None if not_before is None else self._start(not_before, expires)
            data = _custom_policy(pattern, expires, ip_part, start)
            name = COOKIE_POLICY
            value = b2a_base64(data, newline=False).translate(_TO_CF).decode()
            # R43: only the policy grows with the resource; the signature is at most 344
            # characters and the key pair id was checked when the signer was made
            if len(COOKIE_POLICY) + len(value) > MAX_COOKIE_BYTES:
                raise InputError(
                    ErrorCode.TOO_LONG,
                    f"Cookie {COOKIE_POLICY} would be {len(COOKIE_POLICY) + len(value)} "
                    f"bytes; browsers keep cookies up to {MAX_COOKIE_BYTES} (R43). Use a "
                    "shorter resource.",
                )
        signature = b2a_base64(self._sign(data), newline=False).translate(_TO_CF).decode()
        cookies = {name: value, COOKIE_SIGNATURE: signature, COOKIE_KEY_PAIR_ID: self.key_pair_id}
        if self._hash_suffix:
            cookies[COOKIE_HASH_ALGORITHM] = "SHA256"
        return cookies

    def policy(
        self,
        resource: str,
        *,
        expires_at: When | None = None,
        expires_in: Duration | None = None,
        not_before: When | None = None,
        ip_address: str | None = None,
        allow_any_resource: bool = False,
        now: When | None = None,
    ) -> Policy:
        """The checked policy :meth:`sign_cookies` would sign for ``resource`` (R7,
        R45-R47), with the same warnings; sign it with :meth:`sign_policy`.

        >>> from frontgate.keys import generate_private_key
        >>> s = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
        >>> s.policy("https://d.example/videos/*", expires_in=60, now=100)
        Policy(resource='https://d.example/videos/*', expires=160, not_before=None, ip_address=None)
        """
        now_s = now_seconds(now, self._clock)
        expires = self._expiry(expires_at, expires_in, now_s)
        if resource is None:
            raise InputError(ErrorCode.RESOURCE_INVALID, "Give the resource to sign for.")
        pattern, notes = _resource(resource, allow_any_resource)
        ip = None if ip_address is None else _ip_condition(ip_address)[0]
        for note in notes:
            warnings.warn(note, FrontgateWarning, stacklevel=2)
        start = None if not_before is None else self._start(not_before, expires)
        return Policy(pattern, expires, start, ip)

    def sign_policy(self, policy: Policy) -> dict[str, str]:
        """Sign a ready-made :class:`Policy`: the query parameters, in R24's order.

        A canned-compatible policy gives ``Expires``; any other gives ``Policy``. A resource
        holding ``"``, ``\\`` or a control character is refused: the policy bytes carry it
        verbatim (R3), so they would not be the JSON meant (R44: percent-encode them).
        """
        resource = policy.resource
        if resource is not None and _JSON_ESCAPED.search(resource):
            raise InputError(
                ErrorCode.RESOURCE_INVALID,
                "The resource contains a quote, a backslash or a control character, which the "
                "policy would carry unescaped; percent-encode it as browsers send it (R3, R44).",
            )
        data = policy.to_bytes()
        params: dict[str, str] = (
            {"Expires": str(policy.expires)} if policy.is_canned else {"Policy": cf_b64encode(data)}
        )
        params["Signature"] = cf_b64encode(self._sign(data))
        params["Key-Pair-Id"] = self.key_pair_id
        if self.hash_algorithm == "SHA256":
            params["Hash-Algorithm"] = "SHA256"
        return params

    # -- helpers -----------------------------------------------------------------------

    def expiry(
        self,
        *,
        expires_at: When | None = None,
        expires_in: Duration | None = None,
        now: When | None = None,
    ) -> int:
        """The ``DateLessThan`` a signature made now would carry (R45 rounding, the
        ``cache_window``), in epoch seconds.

        >>> from frontgate.keys import generate_private_key
        >>> Signer(generate_private_key("ecdsa"), "K1").expiry(expires_in=60.9, now=100)
        160
        """
        return self._resolve_expiry(expires_at, expires_in, now_seconds(now, self._clock))

    def _expiry(self, expires_at: When | None, expires_in: Duration | None, now: float) -> int:
        # the two common cases first: epoch seconds, or whole seconds from now (R45)
        if expires_in is None and type(expires_at) is int and 0 <= expires_at <= MAX_EPOCH:
            expires = expires_at
        elif (
            expires_at is None
            and type(expires_in) is int
            and expires_in > 0
            and self._window is None
            and 0 <= now <= MAX_EPOCH - expires_in
        ):
            expires = int(now) + expires_in
        else:
            expires = self._resolve_expiry(expires_at, expires_in, now)
        if expires <= now:
            warnings.warn(
                f"The expiry {expires} is already past; CloudFront will refuse the link (R13).",
                FrontgateWarning,
                stacklevel=3,
            )
        elif expires > now + _YEAR:
            warnings.warn(
                "The link lives more than a year; shared links stay usable that long (P2).",
                FrontgateWarning,
                stacklevel=3,
            )
        return expires

    def _resolve_expiry(
        self, expires_at: When | None, expires_in: Duration | None, now: float
    ) -> int:
        if expires_at is not None:
            if expires_in is not None:
                raise InputError(ErrorCode.TIME_INVALID, "Give expires_at or expires_in, not both.")
            # plain epoch seconds skip the general conversion (the common case)
            if type(expires_at) is int and 0 <= expires_at <= MAX_EPOCH:
                expires = expires_at
            else:
                expires = expiry_epoch(expires_at)
        elif expires_in is not None:
            window = self._window
            if type(expires_in) is int and expires_in > 0 and window is None and now >= 0:
                # whole seconds from now, rounded down (R45): the common case
                expires = int(now) + expires_in
                if expires > MAX_EPOCH:
                    expires = expiry_epoch(expires)  # refuses, with the reason
            else:
                moment = now + duration_seconds(expires_in)
                if window is not None:
                    moment = math.ceil(moment / window) * window
                expires = expiry_epoch(moment)
        else:
            raise InputError(
                ErrorCode.TIME_INVALID,
                "Give expires_at (a time) or expires_in (seconds or a timedelta).",
            )
        return expires

    @staticmethod
    def _start(not_before: When, expires: int) -> int:
        start = (
            not_before
            if type(not_before) is int and 0 <= not_before <= MAX_EPOCH
            else start_epoch(not_before)
        )
        if start >= expires:
            raise InputError(
                ErrorCode.TIME_INVALID,
                f"not_before ({start}) must be earlier than the expiry ({expires}).",
            )
        return start


# The usual resource: a lower-case http(s) host and a path of RFC 3986 characters with *
# wildcards, no query, no escapes. check_resource returns it unchanged (R46) and
# resource_warnings finds nothing unless it names an S3 endpoint, so it needs neither
# (the tests hold this regex to both).
_PLAIN_RESOURCE: Final = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9\-.]*[a-z0-9])?/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*"
)
_NO_NOTES: Final[tuple[str, ...]] = ()


def _resource(resource: str, allow_any_resource: bool) -> tuple[str, tuple[str, ...]]:
    """The checked resource pattern of a custom policy and its warnings (R46)."""
    if (
        type(resource) is str
        and _PLAIN_RESOURCE.fullmatch(resource) is not None
        and "amazonaws" not in resource
    ):
        return resource, _NO_NOTES
    return _checked_resource(resource, allow_any_resource)


@lru_cache(maxsize=_CACHE_SIZE)
def _checked_resource(resource: str, allow_any_resource: bool) -> tuple[str, tuple[str, ...]]:
    pattern = check_resource(resource, allow_any_resource)
    found = resource_warnings(pattern)
    if not found:
        return pattern, _NO_NOTES
    return pattern, tuple(t for t in found if "every" not in t or not allow_any_resource)


@lru_cache(maxsize=1024)
def _ip_condition(ip_address: str) -> tuple[str, str]:
    """The CIDR of an IP condition (R47) and its policy text, in R9's member order."""
    ip = normalize_ip(ip_address)
    return ip, f',"IpAddress":{{"AWS:SourceIp":"{ip}"}}'


def _custom_policy(pattern: str, expires: int, ip_part: str, start: int | None) -> bytes:
    """The custom policy bytes (R9): the template with the resource and epochs spliced in."""
    start_part = "" if start is None else f"{_START}{start:d}}}"
    return f"{_HEAD}{pattern}{_MIDDLE}{expires}}}{ip_part}{start_part}{_CUSTOM_TAIL}".encode()


def cookie_headers(
    cookies: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    path: str = "/",
    domain: str | None = None,
    secure: bool = True,
    http_only: bool = True,
    same_site: SameSite | None = "Lax",
    max_age: int | None = None,
    expires: int | None = None,
) -> list[str]:
    """``Set-Cookie`` header values for signed cookies (R34).

    Defaults follow R34/R35: ``Path=/``, host-only (no ``Domain``), ``Secure``,
    ``HttpOnly``, ``SameSite=Lax``, and a session cookie (no ``Max-Age``/``Expires``).

    >>> cookie_headers({"CloudFront-Key-Pair-Id": "K2JCJMDEHXQW5F"})
    ['CloudFront-Key-Pair-Id=K2JCJMDEHXQW5F; Path=/; Secure; HttpOnly; SameSite=Lax']
    """
    if domain is not None:
        bare = domain.lstrip(".").lower()
        if bare == "cloudfront.net":
            raise InputError(
                ErrorCode.CONFIG_INVALID,
                "Cookies cannot be set for cloudfront.net (a public suffix); give the "
                "distribution an alternate domain such as cdn.example.com (R34, P9).",
            )
        if any(c in domain for c in ";, \t\r\n*"):
            raise InputError(ErrorCode.CONFIG_INVALID, f"Invalid cookie domain {domain!r}.")
    # P9: AWS's example Path=/images/* only matches paths that literally contain "*"
    if not path.startswith("/") or any(c in path for c in ";*\r\n"):
        raise InputError(
            ErrorCode.CONFIG_INVALID,
            f"Cookie path {path!r} must start with / and is a plain prefix, no wildcards (R34).",
        )
    attributes = f"; Path={path}"
    if domain is not None:
        attributes += f"; Domain={domain}"
    if max_age is not None:
        attributes += f"; Max-Age={max(0, int(max_age))}"
    if expires is not None:
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=expires)
        attributes += f"; Expires={when.strftime('%a, %d %b %Y %H:%M:%S GMT')}"
    if secure:
        attributes += "; Secure"
    if http_only:
        attributes += "; HttpOnly"
    if same_site is not None:
        if same_site not in ("Lax", "Strict", "None"):
            raise InputError(
                ErrorCode.CONFIG_INVALID,
                f"SameSite must be Lax, Strict or None, not {same_site!r}.",
            )
        if same_site == "None" and not secure:
            raise InputError(
                ErrorCode.CONFIG_INVALID, "Browsers drop SameSite=None cookies without Secure."
            )
        attributes += f"; SameSite={same_site}"
    items = cookies.items() if isinstance(cookies, Mapping) else cookies
    return [f"{name}={value}{attributes}" for name, value in items]
