"""The edge as an ASGI application: one cache behaviour with trusted keys in front of a
directory (R49).

>>> import tempfile
>>> from frontgate.keys import generate_private_key, public_pem
>>> keys = {"K2JCJMDEHXQW5F": public_pem(generate_private_key("ecdsa"))}
>>> app = create_app(tempfile.mkdtemp(), keys)
>>> app.strict, len(app.verifier.keys)
(False, 1)

Per request, in this order: size limits (R43) and the ``Host`` header (400), the method
(R42), the request URL rebuilt from scheme, ``Host`` and the raw target (R26), the client
IP, the verifier (R38; refusals as R40/R41), and only then the file (404 ``NoSuchKey``,
OP18). A request allowed before is answered from a bounded memo of decisions, its
expiry, start time and client IP judged again (:meth:`EdgeApp.decide`); the verifier
keeps its own bounded cache of verified signatures. A ``GET`` carrying a body and a
target that is not a path are refused before the verifier. Every response is written to
the ``frontgate.edge`` logger as one line, without the query string or cookies.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from frontgate import responses
from frontgate.errors import ConfigError, ErrorCode
from frontgate.keys import KeyGroup
from frontgate.times import now_seconds
from frontgate.verify import Decision, Verifier, still_allowed

from . import files

if TYPE_CHECKING:
    from frontgate._types import PEMData
    from frontgate.keys import PrivateKey, PublicKey

__all__ = ["ACCESS_LOG", "EdgeApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: the access log: one line per request (``logging.getLogger(ACCESS_LOG)``)
ACCESS_LOG: Final = "frontgate.edge"
log = logging.getLogger(ACCESS_LOG)

#: R43: request line plus headers, and the URL
MAX_REQUEST_BYTES: Final = 20_480
MAX_URL_BYTES: Final = 8_192
#: bytes read from disk per body message: large enough for few writes, small enough that
#: 1,000 slow readers hold little memory (the server waits for the socket between messages)
CHUNK: Final = 256 * 1024
#: bodies up to this size are read here and sent with the head: cheaper than the server
#: opening the file again for pathsend
SMALL_BODY: Final = 64 * 1024
#: S3's response header overrides, honoured when present in the (signed) URL
_OVERRIDES: Final = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-content-language": "Content-Language",
    "response-content-encoding": "Content-Encoding",
    "response-cache-control": "Cache-Control",
    "response-expires": "Expires",
}
_HOST_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
#: decisions kept for requests seen before (url and cookies up to this many characters)
MEMO_ENTRIES: Final = 2048
MEMO_KEY_CHARS: Final = 4096
#: the headers of a served response that never change, ready for the server
_SERVER_S3: Final = (b"Server", b"AmazonS3")
_ACCEPT_RANGES: Final = (b"Accept-Ranges", b"bytes")
_X_CACHE_MISS: Final = (b"X-Cache", b"Miss from cloudfront")
_VIA: Final = (b"Via", responses.served_headers("-")[1][1].encode("latin-1"))
_EXPOSED: Final = "Content-Length, Content-Range, ETag, X-Amz-Cf-Id, X-Frontgate-Reason"


@lru_cache(maxsize=256)
def _valid_host(host: str) -> bool:
    # the Host is spliced into the URL the signature covers: a '/', '@', '?' or space in
    # it would let one signed URL name another file (R26), so only a hostname or an IP
    # literal with an optional port is accepted
    name, sep, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not sep:
        name = host
    elif not (port.isascii() and port.isdigit() and len(port) <= 5) or not name:
        return False
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return False
        return name.endswith("]")
    return bool(name) and all(c in _HOST_CHARS for c in name)


def _peer_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    if not client:
        return None
    ip = str(client[0])
    # dual-stack sockets report IPv4 viewers as ::ffff:a.b.c.d (R49 step 3, OP14)
    if ip.startswith("::ffff:") and "." in ip:
        return ip[7:]
    return ip


def _forwarded_ip(values: list[str], hops: int) -> str | None:
    entries = [e.strip() for v in values for e in v.split(",") if e.strip()]
    if not entries:
        return None
    # each trusted proxy appends the address it saw: the client is `hops` from the right
    ip = entries[-hops] if hops <= len(entries) else entries[0]
    if ip.startswith("::ffff:") and "." in ip:
        ip = ip[7:]
    return ip


def _encode(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class EdgeApp:
    """The edge: an ASGI 3 application serving ``origin`` to signed requests only.

    Build it with :func:`create_app`. Immutable after construction: one instance serves
    every connection.
    """

    __slots__ = (
        "_memo",
        "_refusals",
        "cors_origin",
        "memo_hits",
        "memo_misses",
        "origin",
        "scheme",
        "strict",
        "trust_forwarded_for",
        "verifier",
    )

    def __init__(
        self,
        origin: str,
        verifier: Verifier,
        *,
        strict: bool = False,
        trust_forwarded_for: int = 0,
        cors_origin: str | None = None,
        scheme: str = "http",
    ) -> None:
        self.origin = origin
        self.verifier = verifier
        self.strict = strict
        self.trust_forwarded_for = trust_forwarded_for
        self.cors_origin = cors_origin
        self.scheme = scheme
        # allowed decisions by (url, cookie headers): a repeated request costs a lookup
        # plus the checks that can change (expiry, start, IP), never a signature check
        self._memo: dict[tuple[str, tuple[str, ...]], Decision] = {}
        self.memo_hits = 0
        self.memo_misses = 0
        # the XML refusals (R40/R41) by code and reason, all but the request id encoded
        self._refusals: dict[tuple[str | None, str], tuple[list[tuple[bytes, bytes]], bytes]] = {}

    def decide(self, url: str, cookies: list[str], client_ip: str | None) -> Decision:
        """The verifier's decision on a request, from the memo when it still holds."""
        key = (url, tuple(cookies))
        known = self._memo.get(key)
        if known is not None and still_allowed(known, client_ip, now_seconds(None)):
            self.memo_hits += 1
            return known
        self.memo_misses += 1
        decision = self.verifier.verify_request(url, cookies, client_ip=client_ip)
        if decision.allowed and len(url) + sum(map(len, cookies)) <= MEMO_KEY_CHARS:
            memo = self._memo
            if len(memo) >= MEMO_ENTRIES:
                del memo[next(iter(memo))]  # the oldest goes first
            memo[key] = decision
        return decision

    def cache_report(self) -> str:
        """The caches' counters, as logged when the edge stops."""
        report = (
            f"decision memo {self.memo_hits} hits, {self.memo_misses} misses, "
            f"{len(self._memo)}/{MEMO_ENTRIES} entries"
        )
        info = self.verifier.cache_info()
        if info is not None:
            hits, misses, entries, capacity = info
            report += (
                f"; verified-signature cache {hits} hits, {misses} misses, "
                f"{entries}/{capacity} entries"
            )
        return report

    def refusal_head(self, decision: Decision) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The encoded headers (``X-Amz-Cf-Id`` left blank) and body of a refusal."""
        key = (decision.edge_code, decision.reason.value)
        found = self._refusals.get(key)
        if found is None:
            response = responses.refusal(decision, request_id="", strict=self.strict)
            found = (_encode(response.headers), response.body)
            self._refusals[key] = found
        return found

    def __repr__(self) -> str:
        return f"EdgeApp(origin={self.origin!r}, verifier={self.verifier!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await _Exchange(self, scope, receive, send).run()
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    log.info("edge stopping: %s", self.cache_report())
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        # websocket scopes are closed by the server when the app returns without accepting


class _Exchange:
    """One request and its response: per-request state lives here, never on the app."""

    __slots__ = (
        "app",
        "bytes_sent",
        "client_ip",
        "cors",
        "method",
        "raw_path",
        "reason",
        "receive",
        "request_id",
        "scope",
        "send",
        "started",
        "status",
    )

    def __init__(self, app: EdgeApp, scope: Scope, receive: Receive, send: Send) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self.send = send
        self.method: str = scope["method"]
        self.raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        self.request_id = responses.new_request_id()
        self.client_ip: str | None = None
        self.cors: list[tuple[str, str]] = []
        self.status = 0
        self.bytes_sent = 0
        self.reason = "-"
        self.started = time.time()

    # -- the R49 steps ----------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._handle()
        finally:
            self._log()

    async def _handle(self) -> None:
        app, scope = self.app, self.scope
        query: bytes = scope.get("query_string", b"")
        hosts: list[str] = []
        cookies: list[str] = []
        forwarded: list[str] = []
        wanted: dict[bytes, str] = {}
        # R43: the request line plus headers, as they came over the wire
        size = len(self.method) + len(self.raw_path) + len(query) + 14
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4
            if name == b"host":
                hosts.append(value.decode("latin-1"))
            elif name == b"cookie":
                cookies.append(value.decode("latin-1"))
            elif name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name in _WANTED:
                wanted[name] = value.decode("latin-1")
        self.client_ip = _peer_ip(scope)
        if app.cors_origin is not None and wanted.get(b"origin") == app.cors_origin:
            self.cors = [
                ("Access-Control-Allow-Origin", app.cors_origin),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Expose-Headers", _EXPOSED),
                ("Vary", "Origin"),
            ]
        if size > MAX_REQUEST_BYTES:
            return await self._answer(
                responses.request_too_large(request_id=self.request_id, strict=app.strict),
                "too-large",
            )
        if len(hosts) != 1:
            what = "no Host header" if not hosts else "more than one Host header"
            return await self._answer(
                responses.bad_request(
                    f"The request carries {what}; send exactly one.",
                    request_id=self.request_id,
                    strict=app.strict,
                ),
                "bad-request",
            )
        host = hosts[0].strip().lower()
        if not _valid_host(host):
            return await self._answer(
                responses.bad_request(
                    "The Host header is not a host name.",
                    request_id=self.request_id,
                    strict=app.strict,
                ),
                "bad-request",
            )
        if self.raw_path[:1] != b"/":
            # asterisk-form (``OPTIONS *``) or anything else that names no object
            return await self._answer(
                responses.bad_request(
                    "The request target is not a path.",
                    request_id=self.request_id,
                    strict=app.strict,
                ),
                "bad-request",
            )
        target = self.raw_path.decode("latin-1")
        if query:
            target += "?" + query.decode("latin-1")
        url = f"{app.scheme}://{host}{target}"
        if len(url) > MAX_URL_BYTES:
            return await self._answer(
                responses.request_too_large(
                    request_id=self.request_id, url=True, strict=app.strict
                ),
                "too-large",
            )
        # R42: the cache behaviour allows GET and HEAD; checked before any signature
        if self.method != "GET" and self.method != "HEAD":
            if (
                self.method == "OPTIONS"
                and self.cors
                and b"access-control-request-method" in wanted
            ):
                return await self._preflight(wanted)
            return await self._answer(
                responses.method_not_allowed(request_id=self.request_id), "method-not-allowed"
            )
        # CloudFront answers a GET (or HEAD) that carries a body with 403
        if b"transfer-encoding" in wanted or wanted.get(b"content-length", "").strip("0"):
            return await self._answer(
                responses.body_refused(request_id=self.request_id, strict=app.strict),
                "body-on-get",
            )
        if app.trust_forwarded_for and forwarded:
            self.client_ip = _forwarded_ip(forwarded, app.trust_forwarded_for) or self.client_ip
        decision = app.decide(url, cookies, self.client_ip)
        self.reason = decision.reason.value
        if not decision.allowed:
            return await self._refuse(decision)
        # authorised: only now does the file system get looked at (R49)
        found = files.lookup(app.origin, self.raw_path)
        if found == "bad-path":
            return await self._answer(
                responses.path_refused(request_id=self.request_id, strict=app.strict), "bad-path"
            )
        if isinstance(found, files.Missing):
            return await self._answer(
                responses.not_found(found.key, request_id=self.request_id), "no-such-key"
            )
        assert isinstance(found, files.FileInfo)
        await self._serve(found, query, wanted)

    # -- answers ----------------------------------------------------------------------

    async def _answer(self, response: responses.EdgeResponse, reason: str | None = None) -> None:
        if reason is not None:
            self.reason = reason
        self.status = response.status
        await self.send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": _encode([*response.headers, *self.cors]),
            }
        )
        body = b"" if self.method == "HEAD" else response.body
        self.bytes_sent = len(body)
        await self.send({"type": "http.response.body", "body": body})

    async def _refuse(self, decision: Decision) -> None:
        # R40/R41: the same bytes every time but for the request id
        headers, body = self.app.refusal_head(decision)
        headers = [*headers, *_encode(self.cors)] if self.cors else headers.copy()
        for i, (name, _) in enumerate(headers):
            if name == b"X-Amz-Cf-Id":
                headers[i] = (name, self.request_id.encode("ascii"))
                break
        self.status = 403
        await self.send({"type": "http.response.start", "status": 403, "headers": headers})
        if self.method == "HEAD":
            body = b""
        self.bytes_sent = len(body)
        await self.send({"type": "http.response.body", "body": body})

    async def _preflight(self, wanted: Mapping[bytes, str]) -> None:
        # a behaviour allowing GET, HEAD, OPTIONS with a CORS policy for --cors-origin
        self.status, self.reason = 204, "preflight"
        headers = [
            ("Server", "AmazonS3"),
            *self.cors,
            ("Access-Control-Allow-Methods", "GET, HEAD"),
            ("Access-Control-Max-Age", "600"),
            *responses.served_headers(self.request_id),
        ]
        asked = wanted.get(b"access-control-request-headers")
        if asked:
            headers.append(("Access-Control-Allow-Headers", asked))
        await self.send({"type": "http.response.start", "status": 204, "headers": _encode(headers)})
        await self.send({"type": "http.response.body", "body": b""})

    async def _serve(self, info: files.FileInfo, query: bytes, wanted: Mapping[bytes, str]) -> None:
        try:
            await self._serve_open(info, query, wanted)
        finally:
            os.close(info.fd)

    async def _serve_open(
        self, info: files.FileInfo, query: bytes, wanted: Mapping[bytes, str]
    ) -> None:
        validators = [
            (b"ETag", info.etag.encode("latin-1")),
            (b"Last-Modified", info.last_modified.encode("latin-1")),
        ]
        served = [_X_CACHE_MISS, _VIA, (b"X-Amz-Cf-Id", self.request_id.encode("ascii"))]
        if wanted and files.not_modified(
            info, wanted.get(b"if-none-match"), wanted.get(b"if-modified-since")
        ):
            self.status = 304
            await self._start(304, [_SERVER_S3, *validators, _ACCEPT_RANGES, *served])
            await self.send({"type": "http.response.body", "body": b""})
            return
        overrides = _overrides(query) if b"response-" in query else {}
        kind = overrides.pop("Content-Type", "") or files.content_type(info.path)
        headers = [_SERVER_S3, *validators, _ACCEPT_RANGES, (b"Content-Type", kind.encode())]
        if overrides:
            headers.extend(_encode(overrides.items()))
        span = (
            files.parse_range(
                wanted.get(b"range"), info.size, if_range=wanted.get(b"if-range"), info=info
            )
            if b"range" in wanted
            else None
        )
        if span == "unsatisfiable":
            refused = responses.range_not_satisfiable(info.size, request_id=self.request_id)
            refused.headers.extend((k.decode(), v.decode("latin-1")) for k, v in validators)
            return await self._answer(refused)
        if span is None:
            first, last, status = 0, info.size - 1, 200
        else:
            first, last = span
            status = 206
            headers.append((b"Content-Range", f"bytes {first}-{last}/{info.size}".encode()))
        length = last - first + 1
        headers.append((b"Content-Length", str(length).encode()))
        headers.extend(served)
        self.status = status
        await self._start(status, headers)
        if self.method == "HEAD" or length == 0:
            await self.send({"type": "http.response.body", "body": b""})
            return
        if (
            status == 200
            and length > SMALL_BODY
            and "http.response.pathsend" in (self.scope.get("extensions") or ())
        ):
            # zero-copy: the server sends the whole file itself (ASGI pathsend)
            self.bytes_sent = length
            await self.send({"type": "http.response.pathsend", "path": info.path})
            return
        await self._stream(info.fd, first, length)

    async def _start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        if self.cors:
            headers.extend(_encode(self.cors))
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def _stream(self, fd: int, offset: int, length: int) -> None:
        send = self.send
        if length <= CHUNK:
            body = os.pread(fd, length, offset)
            self.bytes_sent = len(body)
            # a file that shrank since the lookup ends the connection short, like nginx
            await send({"type": "http.response.body", "body": body})
            return
        # a long body: stop reading the disk as soon as the viewer goes away (a server
        # silently drops writes to a closed connection)
        gone = asyncio.ensure_future(_disconnected(self.receive))
        try:
            remaining = length
            while remaining > 0 and not gone.done():
                data = os.pread(fd, min(CHUNK, remaining), offset)
                if not data:
                    break
                offset += len(data)
                remaining -= len(data)
                self.bytes_sent += len(data)
                await send({"type": "http.response.body", "body": data, "more_body": remaining > 0})
        finally:
            gone.cancel()

    def _log(self) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        # never the query string (signatures) nor cookies: only the raw path
        log.info(
            '%s [%s] "%s %s" %d %d %s',
            self.client_ip or "-",
            time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.started)),
            self.method,
            self.raw_path.decode("latin-1"),
            self.status,
            self.bytes_sent,
            self.reason,
            extra={
                "client_ip": self.client_ip,
                "method": self.method,
                "path": self.raw_path.decode("latin-1"),
                "status": self.status,
                "bytes_sent": self.bytes_sent,
                "reason": self.reason,
                "request_id": self.request_id,
            },
        )


_WANTED: Final = frozenset(
    {
        b"range",
        b"if-range",
        b"if-none-match",
        b"if-modified-since",
        b"origin",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"content-length",
        b"transfer-encoding",
    }
)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _overrides(query: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for segment in query.decode("latin-1").split("&"):
        name, _, value = segment.partition("=")
        header = _OVERRIDES.get(name)
        if header is None or header in found:
            continue
        try:
            text = unquote(value, errors="strict") if "%" in value else value
        except UnicodeDecodeError:
            continue
        # a header value may not carry control characters; non-Latin-1 cannot be sent
        if text and text.isprintable() and all(ord(c) < 256 for c in text):
            found[header] = text
    return found


def create_app(
    origin: str | os.PathLike[str],
    keys: Mapping[str, PEMData | PublicKey | PrivateKey] | KeyGroup | Verifier,
    *,
    strict: bool = False,
    trust_forwarded_for: int = 0,
    cors_origin: str | None = None,
    scheme: str = "http",
    cache_size: int = 4096,
) -> EdgeApp:
    """The edge for the directory ``origin``, trusting ``keys`` (a key group, R22).

    ``strict`` leaves out ``X-Frontgate-Reason`` (exact mimicry, R40);
    ``trust_forwarded_for`` = N takes the client IP N hops from the right of
    ``X-Forwarded-For`` (0: the socket peer only); ``cors_origin`` allows credentialed
    requests from that web origin; ``scheme`` is ``https`` when TLS ends here. The
    verifier keeps ``cache_size`` verified signatures. A missing ``origin`` directory
    raises :class:`~frontgate.errors.ConfigError`.
    """
    root = os.path.realpath(os.fspath(origin))
    if not os.path.isdir(root):
        raise ConfigError(
            ErrorCode.CONFIG_INVALID, f"The origin {os.fspath(origin)!r} is not a directory."
        )
    if scheme not in ("http", "https"):
        raise ConfigError(
            ErrorCode.CONFIG_INVALID, f"scheme must be http or https, not {scheme!r}."
        )
    if isinstance(trust_forwarded_for, bool) or trust_forwarded_for < 0:
        raise ConfigError(
            ErrorCode.CONFIG_INVALID, "trust_forwarded_for is a number of proxy hops (0 or more)."
        )
    if cors_origin is not None and (cors_origin == "*" or "://" not in cors_origin):
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            f"cors_origin must be one web origin such as http://127.0.0.1:3000, not "
            f"{cors_origin!r} (credentialed requests cannot use *).",
        )
    verifier = keys if isinstance(keys, Verifier) else Verifier(keys, cache_size=cache_size)
    return EdgeApp(
        root,
        verifier,
        strict=strict,
        trust_forwarded_for=trust_forwarded_for,
        cors_origin=cors_origin.rstrip("/") if cors_origin else None,
        scheme=scheme,
    )
