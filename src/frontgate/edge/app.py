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
OP18). Every response is written to the ``frontgate.edge`` logger as one line, without
the query string or cookies.
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
from frontgate.verify import Verifier

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
#: 1,000 slow readers hold little memory (uvicorn waits for the socket between messages)
CHUNK: Final = 256 * 1024
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

    __slots__ = ("cors_origin", "origin", "scheme", "strict", "trust_forwarded_for", "verifier")

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
        if app.trust_forwarded_for and forwarded:
            self.client_ip = _forwarded_ip(forwarded, app.trust_forwarded_for) or self.client_ip
        decision = app.verifier.verify_request(url, cookies, client_ip=self.client_ip)
        self.reason = decision.reason.value
        if not decision.allowed:
            return await self._answer(
                responses.refusal(decision, request_id=self.request_id, strict=app.strict)
            )
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

    async def _preflight(self, wanted: Mapping[bytes, str]) -> None:
        # a behaviour allowing GET, HEAD, OPTIONS with a CORS policy for --cors-origin
        self.status, self.reason = 204, "preflight"
        headers = [
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
        headers = [
            ("Server", "AmazonS3"),
            ("ETag", info.etag),
            ("Last-Modified", info.last_modified),
            ("Accept-Ranges", "bytes"),
        ]
        validators = len(headers)
        if files.not_modified(info, wanted.get(b"if-none-match"), wanted.get(b"if-modified-since")):
            self.status = 304
            await self._start(304, [*headers, *responses.served_headers(self.request_id)])
            await self.send({"type": "http.response.body", "body": b""})
            return
        overrides = _overrides(query) if query else {}
        headers.append(
            ("Content-Type", overrides.pop("Content-Type", "") or files.content_type(info.path))
        )
        headers.extend(overrides.items())
        span = files.parse_range(
            wanted.get(b"range"), info.size, if_range=wanted.get(b"if-range"), info=info
        )
        if span == "unsatisfiable":
            refused = responses.range_not_satisfiable(info.size, request_id=self.request_id)
            refused.headers.extend(headers[1:validators])
            return await self._answer(refused)
        if span is None:
            first, last, status = 0, info.size - 1, 200
        else:
            first, last = span
            status = 206
            headers.append(("Content-Range", f"bytes {first}-{last}/{info.size}"))
        length = last - first + 1
        headers.append(("Content-Length", str(length)))
        headers.extend(responses.served_headers(self.request_id))
        self.status = status
        await self._start(status, headers)
        if self.method == "HEAD" or length == 0:
            await self.send({"type": "http.response.body", "body": b""})
            return
        extensions = self.scope.get("extensions")
        if extensions:
            # zero-copy: the server sends the file itself (ASGI zerocopy, or pathsend for
            # whole files); the open descriptor is what was checked, not the path again
            if "http.response.zerocopy" in extensions:
                self.bytes_sent = length
                await self.send(
                    {
                        "type": "http.response.zerocopy",
                        "file": info.fd,
                        "offset": first,
                        "count": length,
                    }
                )
                return
            if status == 200 and "http.response.pathsend" in extensions:
                self.bytes_sent = length
                await self.send({"type": "http.response.pathsend", "path": info.path})
                return
        await self._stream(info.fd, first, length)

    async def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        await self.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": _encode([*headers, *self.cors]),
            }
        )

    async def _stream(self, fd: int, offset: int, length: int) -> None:
        send = self.send
        if length <= CHUNK:
            body = os.pread(fd, length, offset)
            self.bytes_sent = len(body)
            # a file that shrank since the lookup ends the connection short, like nginx
            await send({"type": "http.response.body", "body": body})
            return
        # a long body: stop reading the disk as soon as the viewer goes away (uvicorn
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
