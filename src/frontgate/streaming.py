"""Signed HLS and DASH playlists: every URI signed by one custom policy (contract,
"Streaming").

A relative URI in a playlist does not inherit the playlist's query string, so each URI
the player fetches (segments, keys, init sections, variant playlists) gets the signing
query appended. One wildcard policy covers them all: one signature per playlist, then a
linear rewrite that touches only the bytes carrying a URI.

>>> from frontgate import Signer
>>> from frontgate.keys import generate_private_key
>>> signer = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
>>> text = "#EXTM3U\\n#EXT-X-TARGETDURATION:4\\n#EXTINF:4,\\nseg1.ts\\n#EXT-X-ENDLIST\\n"
>>> signed = sign_playlist(text, "https://d111111abcdef8.cloudfront.net/v/42/index.m3u8",
...                        signer, expires_in=3600)
>>> signed.splitlines()[3].startswith("seg1.ts?Policy=")
True

The parsers are linear scanners over the text: no regular expression that can
backtrack, no XML library (so no entity expansion: a DASH manifest with a DOCTYPE is
refused), and the input size is bounded (:data:`MAX_PLAYLIST_CHARS`).
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from itertools import accumulate, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, NoReturn

from ._types import Duration, When
from .errors import ErrorCode, FrontgateWarning, InputError
from .policy import MAX_URL_BYTES, literal_prefix, prepare_url, resource_matches

if TYPE_CHECKING:
    from .signer import Signer

__all__ = ["MAX_PLAYLIST_CHARS", "Nested", "playlist_kind", "sign_playlist"]

#: "sign": URIs of other playlists are signed like the rest; "keep": left as written
Nested = Literal["sign", "keep"]

#: the largest playlist accepted, in characters (a 10,000-segment playlist is ~0.5 MB)
MAX_PLAYLIST_CHARS: Final = 16 * 1024 * 1024
# the largest result written: many short URI lines would otherwise grow 300-fold
_MAX_RESULT_CHARS: Final = 8 * MAX_PLAYLIST_CHARS

_BOM: Final = "\ufeff"
_DASH_NS: Final = "urn:mpeg:dash:schema:mpd:2011"
_MAX_DEPTH: Final = 256
_NAMED_IN_WARNING: Final = 5

# A reference found in a playlist: (slot, start, end, uri, base, kind)
#   slot, start, end: where the URI's text is (HLS: line index and columns; DASH: -1 and
#     offsets into the text)
#   uri: the URI itself (XML references decoded)
#   base: what it resolves against
#   kind: _MEDIA, _PLAYLIST (an "other playlist") or _TEMPLATE (a DASH URL template)
_Ref = tuple[int, int, int, str, str, int]
_MEDIA: Final = 0
_PLAYLIST: Final = 1
_TEMPLATE: Final = 2

# A relative path the fast path resolves by concatenation: no scheme, query, fragment,
# dot segment, percent escape or quote (everything else goes through _join_reference)
_SIMPLE = re.compile(r"[A-Za-z0-9_~!$()*+,;=@\-][A-Za-z0-9_~!$()*+,;=@\-./]*")
_SIMPLE_CHARS: Final = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~!$()*+,;=@-./"
)
_SIMPLE_BYTES: Final = _SIMPLE_CHARS.encode("ascii")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# the start of an absolute URL in the form prepare_url returns: lower-case http(s) scheme
# and host, no port
_PLAIN_ORIGIN = re.compile(r"https?://[a-z0-9](?:[a-z0-9\-.]*[a-z0-9])?/")
_ENCODED_DOT = re.compile(r"%2[eE]")


def sign_playlist(
    text: str,
    url: str,
    signer: Signer,
    *,
    expires_in: Duration | None = None,
    expires_at: When | None = None,
    not_before: When | None = None,
    ip_address: str | None = None,
    now: When | None = None,
    resource: str | None = None,
    absolute: bool = False,
    nested: Nested = "sign",
    allow_any_resource: bool = False,
) -> str:
    """Sign every http(s) URI of an HLS or DASH playlist served at ``url``.

    Each URI the policy's resource covers gets ``Policy=…&Signature=…&Key-Pair-Id=…``
    after its own query; relative URIs stay relative (``absolute=True`` writes absolute
    URLs). The resource defaults to the deepest folder ``scheme://host/path/*`` holding the
    playlist and every URI on its host; URIs it does not cover stay unsigned, named in
    one :class:`FrontgateWarning`. ``nested="keep"`` leaves the URIs of other playlists
    as written. Anything else in ``text`` is returned byte for byte.

    Raises :class:`InputError` ``playlist-invalid`` for a text that is neither HLS nor
    DASH, is malformed, or would carry a signed URI longer than 8,192 bytes (R43).

    >>> from frontgate import Signer
    >>> from frontgate.keys import generate_private_key
    >>> signer = Signer(generate_private_key("ecdsa"), "K2JCJMDEHXQW5F")
    >>> master = "#EXTM3U\\n#EXT-X-STREAM-INF:BANDWIDTH=800000\\nlow/index.m3u8\\n"
    >>> sign_playlist(master, "https://d.example/v/master.m3u8", signer, expires_in=60,
    ...               nested="keep") == master
    True
    """
    if not isinstance(text, str):
        raise InputError(ErrorCode.PLAYLIST_INVALID, "The playlist must be text (str).")
    if nested not in ("sign", "keep"):
        raise InputError(
            ErrorCode.PLAYLIST_INVALID, f'nested must be "sign" or "keep", not {nested!r}.'
        )
    if len(text) > MAX_PLAYLIST_CHARS:
        raise InputError(
            ErrorCode.PLAYLIST_INVALID,
            f"The playlist is {len(text):,} characters; at most {MAX_PLAYLIST_CHARS:,} are "
            "accepted.",
        )
    base = prepare_url(url)
    kind = playlist_kind(text)
    if kind is None and text.lstrip(_BOM + " \t\r\n").startswith("<"):
        kind = "dash"  # XML of some kind: the scanner says what is wrong with it
    hls: _HlsScan | None = None
    dash: _DashScan | None = None
    if kind == "hls":
        hls = _HlsScan(text, base, nested == "keep")
        if hls.bulk and resource is not None:
            prefix = literal_prefix(resource)
            if prefix is None or not hls.within.startswith(prefix):
                hls.expand_bulk()  # the resource may admit only some segment lines
        job = _Job(text, base, hls.refs, nested == "keep", where=hls.where)
        if hls.bulk:
            job.folders.append(hls.within)
    elif kind == "dash":
        dash = _DashScan(text, base, nested == "keep")
        job = _Job(text, base, dash.refs, nested == "keep", where=dash.where)
        if dash.runs and not dash.runs_covered(job.origin, resource):
            dash = dash.without_runs()
            job = _Job(text, base, dash.refs, nested == "keep", where=dash.where)
        job.folders += dash.folders()
    else:
        raise InputError(
            ErrorCode.PLAYLIST_INVALID,
            "The text is neither an HLS playlist (first line #EXTM3U) nor a DASH manifest "
            "(an <MPD> document).",
        )
    job.classify(resource)
    policy = signer.policy(
        job.resource,
        expires_at=expires_at,
        expires_in=expires_in,
        not_before=not_before,
        ip_address=ip_address,
        allow_any_resource=allow_any_resource,
        now=now,
    )
    job.warn_unsigned()
    if not job.signed and not (hls is not None and hls.bulk) and not (dash and dash.runs):
        return text
    query = "&".join(f"{name}={value}" for name, value in signer.sign_policy(policy).items())
    # each signed URI grows by the query (and, written absolute, by about the base URL)
    scan = hls if hls is not None else dash
    assert scan is not None
    growth = (len(job.signed) + scan.bulk_count()) * (
        len(query) + 1 + (len(base) if absolute else 0)
    )
    if len(text) + growth > _MAX_RESULT_CHARS:
        raise InputError(
            ErrorCode.PLAYLIST_INVALID,
            f"The signed playlist would be about {len(text) + growth:,} characters; at most "
            f"{_MAX_RESULT_CHARS:,} are written (a query of {len(query) + 1} characters on "
            "each URI).",
        )
    if hls is not None:
        hls.check_bulk_lengths(len(query) + 1)
        job.check_lengths(len(query) + 1)
        return _write_hls(hls, job, query, absolute)
    assert dash is not None
    if not dash.runs_fit(len(query) + 1):
        dash = dash.without_runs()  # which names the first URI too long, as always
        job = _Job(text, base, dash.refs, nested == "keep", where=dash.where)
        job.classify(resource)
    job.check_lengths(len(query) + 1)
    return _write_dash(text, job, query, absolute, dash)


def playlist_kind(text: str) -> Literal["hls", "dash"] | None:
    """``"hls"``, ``"dash"`` or None, from the start of the text.

    >>> playlist_kind("#EXTM3U\\n"), playlist_kind('<?xml version="1.0"?><MPD/>'), playlist_kind("")
    ('hls', 'dash', None)
    """
    start = 1 if text.startswith(_BOM) else 0
    if text.startswith("#EXTM3U", start):
        after = text[start + 7 : start + 8]
        return "hls" if after in ("", "\r", "\n", " ", "\t") else None
    head = text[start : start + _DASH_HEAD].lstrip()
    if head.startswith("<"):
        return "dash" if _DASH_ROOT.search(head) is not None else None
    return None


# the root element, after any XML declaration, comments or doctype (which the scanner
# then refuses): the name MPD, with or without a prefix, within the first 64 KiB
_DASH_ROOT = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?MPD[\s/>]")
_DASH_HEAD: Final = 65536


# ---------------------------------------------------------------------------
# deciding what to sign (shared by both formats)

# where the warning about URIs left unsigned goes, when not to warnings.warn (a server
# logs it: warnings.catch_warnings is not safe across threads, a context variable is)
_unsigned_report: ContextVar[Callable[[str], None] | None] = ContextVar(
    "_unsigned_report", default=None
)


@contextmanager
def _reporting_unsigned(report: Callable[[str], None]) -> Iterator[None]:
    """Within the block, give the warning about URIs left unsigned to ``report``, e.g.
    ``with _reporting_unsigned(log.warning): sign_playlist(text, url, signer, ...)``."""
    token = _unsigned_report.set(report)
    try:
        yield
    finally:
        _unsigned_report.reset(token)


class _Job:
    """The references of one playlist, which of them get signed, and the resource."""

    __slots__ = (
        "base",
        "folders",
        "keep_nested",
        "origin",
        "refs",
        "resolved",
        "resource",
        "signed",
        "text",
        "unsigned",
        "where",
    )

    def __init__(
        self,
        text: str,
        base: str,
        refs: list[_Ref],
        keep_nested: bool,
        where: Callable[[_Ref], str],
    ) -> None:
        self.text = text
        self.base = base
        self.refs = refs
        self.keep_nested = keep_nested
        self.where = where
        self.origin = _origin(base)
        self.resource = ""
        #: indexes into refs of the URIs to sign, and their absolute URLs
        self.signed: list[int] = []
        self.resolved: dict[int, str] = {}
        self.unsigned: list[tuple[_Ref, str]] = []
        #: folders holding URIs signed outside the references (the bulk URI lines)
        self.folders: list[str] = []

    def classify(self, resource: str | None) -> None:
        """Resolve every reference and choose the resource and the URIs it covers."""
        candidates: list[tuple[int, str, str]] = []  # (index, absolute URL, literal prefix)
        base_dirs: dict[str, str] = {}
        for index, ref in enumerate(self.refs):
            uri, base, kind = ref[3], ref[4], ref[5]
            if kind == _PLAYLIST and self.keep_nested:
                continue
            joined = base_dir = None
            if base[:4] == "http":
                base_dir = base_dirs.get(base)
                if base_dir is None:
                    base_dir = base_dirs[base] = _directory(base)
                joined = _plain_join(base_dir, uri)
            if joined is not None:
                absolute = joined
            else:
                resolved = _resolve(uri, base, base_dir, ref, self.where)
                if resolved is None:
                    continue  # data:, skd: and other non-http URIs stay as written
                absolute = resolved
            literal = absolute
            if kind == _TEMPLATE and "$" in absolute:
                literal = absolute[: absolute.index("$")]
            candidates.append((index, absolute, literal))
        if resource is None:
            self._default_resource(candidates)
        else:
            self._given_resource(resource, candidates)

    def _default_resource(self, candidates: list[tuple[int, str, str]]) -> None:
        origin = self.origin
        literals = [self.base, *self.folders]
        signed = self.signed
        resolved = self.resolved
        for index, absolute, literal in candidates:
            if literal.startswith(origin):
                signed.append(index)
                resolved[index] = absolute
                literals.append(literal)
            else:
                self.unsigned.append((self.refs[index], absolute))
        # the deepest folder holding them all: every literal starts with the origin's "/"
        prefix = _common_prefix(min(literals), max(literals)).split("?", 1)[0]
        self.resource = prefix[: prefix.rindex("/") + 1] + "*"

    def _given_resource(self, resource: str, candidates: list[tuple[int, str, str]]) -> None:
        self.resource = resource
        covers = _coverage(resource)
        for index, absolute, literal in candidates:
            template = literal is not absolute
            if covers(literal, template):
                self.signed.append(index)
                self.resolved[index] = absolute
            else:
                self.unsigned.append((self.refs[index], absolute))

    def warn_unsigned(self) -> None:
        if not self.unsigned:
            return
        named = ", ".join(
            f"{self.where(ref)}: {absolute}" for ref, absolute in self.unsigned[:_NAMED_IN_WARNING]
        )
        more = len(self.unsigned) - _NAMED_IN_WARNING
        if more > 0:
            named += f" and {more} more"
        message = (
            f"{len(self.unsigned)} URI(s) of the playlist left unsigned, outside the "
            f"resource {self.resource} (other host or folder): {named}."
        )
        report = _unsigned_report.get()
        if report is None:
            warnings.warn(message, FrontgateWarning, stacklevel=3)
        else:
            report(message)

    def check_lengths(self, extra: int) -> None:
        """R43: every signed URI as the player will request it stays within 8,192 bytes."""
        limit = MAX_URL_BYTES - extra
        if max(map(len, self.resolved.values()), default=0) <= limit:
            return
        for index in self.signed:
            if len(self.resolved[index]) > limit:
                ref = self.refs[index]
                raise InputError(
                    ErrorCode.PLAYLIST_INVALID,
                    f"{self.where(ref)}: the signed URI would be "
                    f"{len(self.resolved[index]) + extra} bytes; CloudFront accepts at most "
                    f"{MAX_URL_BYTES} (R43).",
                )


def _common_prefix(low: str, high: str) -> str:
    """The longest common prefix of two strings (of a whole set: of its min and max).

    >>> _common_prefix("https://d.example/v/a.ts", "https://d.example/v/b/c.ts")
    'https://d.example/v/'
    """
    short, long = 0, min(len(low), len(high))
    while short < long:  # a binary search of C-level comparisons
        middle = (short + long + 1) // 2
        if high.startswith(low[:middle]):
            short = middle
        else:
            long = middle - 1
    return low[:short]


def _directory(base: str) -> str:
    """The URL up to the last ``/`` of its path: what a relative path is appended to."""
    path_end = base.find("?")
    if path_end == -1:
        path_end = len(base)
    return base[: base.rindex("/", 0, path_end) + 1]


def _origin(url: str) -> str:
    """``scheme://host/`` of an absolute URL with a path.

    >>> _origin("https://d.example/v/1/")
    'https://d.example/'
    """
    return url[: url.index("/", url.index("//") + 2) + 1]


def _plain_join(base_dir: str, uri: str) -> str | None:
    """The URL a plain reference names, resolved against a folder URL as RFC 3986 does;
    None for any other URI. Plain: ``_SIMPLE`` characters and no dot segment, relative
    (after any leading ``../``), from the root, or after an origin in the form
    :func:`prepare_url` returns (lower-case, no port).

    >>> _plain_join("https://d.example/v/1/", "../keys/a.key")
    'https://d.example/v/keys/a.key'
    >>> _plain_join("https://d.example/v/", "/w/a.ts"), _plain_join("https://d.example/v/", "a?x")
    ('https://d.example/w/a.ts', None)
    """
    ups = 0
    if uri[:1] == "/":
        base_dir, uri = _origin(base_dir), uri[1:]
    elif uri[:4] == "http" and (origin := _PLAIN_ORIGIN.match(uri)) is not None:
        base_dir, uri = origin.group(), uri[origin.end() :]
    else:
        while uri.startswith("../", 3 * ups):
            ups += 1
        uri = uri[3 * ups :]
    if _SIMPLE.fullmatch(uri) is None or "/." in uri:
        return None  # a dot segment, a query, another scheme, an escape...
    if ups:
        root = len(_origin(base_dir)) - 1  # where the path starts
        for _ in range(ups):
            parent = base_dir.rfind("/", root, len(base_dir) - 1)
            if parent == -1:
                break  # ".." above the root stays at the root (RFC 3986 5.2.4)
            base_dir = base_dir[: parent + 1]
    return base_dir + uri


def _bulk_form(joined: str, count: int, base_dir: str, keep_nested: bool) -> tuple[str, str] | None:
    """How ``count`` URI lines joined by newlines resolve, when all take one plain form
    (see :func:`_plain_join`; no ``../``), each or none with a query of ``_SIMPLE``
    characters, ``&`` and ``?`` that names no CloudFront parameter (R23): ``(lead,
    folder)``, each line resolving to ``lead + line`` inside ``folder``. None when they
    do not; with ``keep_nested``, also when one names a playlist.

    A few C-level passes over the joined lines decide, whatever their number.

    >>> _bulk_form("/v/1/a.ts\\n/v/2/b.ts", 2, "https://d.example/m/", False)
    ('https://d.example', 'https://d.example/v/')
    >>> _bulk_form("a.ts\\n../b.ts", 2, "https://d.example/m/", False) is None
    True
    """
    origin = _origin(base_dir)
    scheme = b""  # the one character outside _SIMPLE each line holds
    if joined[:1] == "/":  # paths from the root
        if joined[1:2] in ("/", ".") or _ROOT_LINE_START.search(joined) is not None:
            return None
        lead, known = origin[:-1], 1
    elif joined.startswith(origin):  # absolute URLs on the playlist's origin
        lead, known, scheme = "", len(origin), b":"
    else:  # relative paths
        if joined[:1] == "." or _BAD_LINE_START.search(joined) is not None:
            return None
        lead, known = base_dir, 0
    # the characters outside _SIMPLE and "&" (bytes: translate's fastest form; anything
    # not ASCII stays behind as UTF-8)
    remainder = joined.encode("utf-8", "surrogatepass").translate(None, _SIMPLE_BYTES + b"&")
    if joined[-1:] in ("", "\n"):
        return None
    if "?" in joined:  # queries: one on each line, not empty (prepare_url would drop "?")
        if b"\n" + remainder.replace(b"?", b"") != (b"\n" + scheme) * count:
            return None
        if (b"\n" + remainder).count(b"\n" + scheme + b"?") != count:
            return None
        if _EMPTY_QUERY.search(joined) is not None or any(map(joined.__contains__, _RESERVED)):
            return None
    elif remainder != (scheme + b"\n") * (count - 1) + scheme or "&" in joined:
        return None
    if "/" in joined and _SLASH_DOT.search(joined) is not None:
        return None
    if keep_nested and _PLAYLIST_LINE.search(joined) is not None:
        return None
    if not known:
        return lead, base_dir
    folder = _common_folder(joined, count, known)
    return None if folder is None else (lead, lead + folder)


def _common_folder(joined: str, count: int, known: int) -> str | None:
    """The longest folder (a prefix ending in ``/``) of the paths of each of ``count``
    lines joined by newlines, at least ``known`` characters long; None when they do not
    even share their first ``known`` characters. One C-level count for the usual case
    (the first line's folder), else a binary search for the longest common prefix.

    >>> _common_folder("a/b/c/x.ts\\na/b/y.ts\\na/b/c/z.ts", 3, 2)
    'a/b/'
    >>> _common_folder("/a/x.ts\\nb/y.ts", 2, 1) is None
    True
    """
    first = joined.partition("\n")[0].partition("?")[0]

    def shared(length: int) -> bool:
        return joined.count("\n" + first[:length]) == count - 1

    folder = first.rfind("/") + 1
    if shared(folder):
        return first[:folder]  # the usual case
    if not shared(known):
        return None
    low, high = known, folder - 1  # the first low characters are shared, high + 1 are not
    while low < high:
        middle = (low + high + 1) // 2
        if shared(middle):
            low = middle
        else:
            high = middle - 1
    return first[: first.rfind("/", 0, low) + 1]


def _resolve(
    uri: str, base: str, base_dir: str | None, ref: _Ref, where: Callable[[_Ref], str]
) -> str | None:
    """The absolute http(s) URL a reference names (RFC 3986 resolution), checked as a URL
    to sign (R44); None for other schemes. ``base_dir`` is the folder of an http(s)
    ``base``."""
    scheme = _SCHEME.match(uri)
    if scheme is not None and scheme.group(1).lower() not in ("http", "https"):
        return None
    uri, _, _fragment = uri.partition("#")  # never sent: the query goes before it
    path, mark, query = uri.partition("?")
    absolute = _plain_join(base_dir, path) if base_dir is not None and mark else None
    if absolute is not None:
        absolute += mark + query
    else:
        absolute = _join_reference(base, uri)
        if not absolute[:8].lower().startswith(("http://", "https://")):
            return None  # relative to a BaseURL of another scheme
    try:
        prepared = prepare_url(absolute)
    except InputError as exc:
        raise InputError(ErrorCode.PLAYLIST_INVALID, f"{where(ref)}: {exc.message}") from None
    if _ENCODED_DOT.search(prepared.split("?", 1)[0]) is not None:
        # browsers read %2e as a dot segment, CloudFront does not (R26, R27)
        raise InputError(
            ErrorCode.PLAYLIST_INVALID,
            f"{where(ref)}: the URI {uri!r} has an encoded dot (%2e); players and CloudFront "
            "would request different paths. Write it as a plain path.",
        )
    return prepared


# RFC 3986 appendix B: scheme, authority, path, query of a URI reference (the fragment
# is gone by then); the groups cannot overlap, so nothing backtracks
_REFERENCE = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?")


def _join_reference(base: str, reference: str) -> str:
    """The URI a reference (no fragment) names against an absolute base: RFC 3986 5.2,
    as players resolve it (``urllib.parse.urljoin`` drops the empty segment of ``a//b``,
    which names another object).

    >>> _join_reference("http://a/b/c/d;p?q", "../g"), _join_reference("http://a/b/c/", "g//h")
    ('http://a/b/g', 'http://a/b/c/g//h')
    """
    scheme, authority, path, query = _REFERENCE.match(reference).groups()  # type: ignore[union-attr]
    if scheme is None:
        base_scheme, base_authority, base_path, base_query = _REFERENCE.match(base).groups()  # type: ignore[union-attr]
        scheme = base_scheme
        if authority is None:
            authority = base_authority
            if not path:
                path = base_path
                if query is None:
                    query = base_query
            elif path[0] != "/":
                if base_authority is not None and not base_path:
                    path = "/" + path
                else:
                    path = base_path[: base_path.rfind("/") + 1] + path
    target = f"{scheme}:" if scheme is not None else ""
    if authority is not None:
        target += f"//{authority}"
    target += _remove_dot_segments(path)
    return target if query is None else f"{target}?{query}"


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, segment by segment.

    >>> _remove_dot_segments("/b/c/./../g/."), _remove_dot_segments("/../a//b/..")
    ('/b/g/', '/a//')
    """
    if "." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    floor = 1 if path[:1] == "/" else 0  # the empty segment before a leading "/" stays
    for segment in segments:
        if segment == "..":
            if len(kept) > floor:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")  # "a/." and "a/.." name the folder: "a/"
    return "/".join(kept)


def _coverage(resource: str) -> Callable[[str, bool], bool]:
    """A test: does ``resource`` admit a URL (or every URL starting with a template's
    literal prefix)? R11, with a plain prefix test for the usual ``literal*`` shape."""
    prefix = literal_prefix(resource)
    if prefix is not None:

        def by_prefix(url: str, template: bool) -> bool:
            return url.startswith(prefix)

        return by_prefix

    def by_pattern(url: str, template: bool) -> bool:
        # a template's substitutions are unknown: only a trailing * can be trusted to
        # admit them all
        if template:
            return False
        return resource_matches(resource, url)

    return by_pattern


# ---------------------------------------------------------------------------
# HLS

# tags carrying a URI= attribute, and whether that URI names another playlist
_HLS_URI_TAGS: Final = {
    "#EXT-X-KEY:": _MEDIA,
    "#EXT-X-MAP:": _MEDIA,
    "#EXT-X-MEDIA:": _PLAYLIST,
    "#EXT-X-I-FRAME-STREAM-INF:": _PLAYLIST,
    "#EXT-X-SESSION-KEY:": _MEDIA,
    "#EXT-X-SESSION-DATA:": _MEDIA,
    "#EXT-X-PART:": _MEDIA,
    "#EXT-X-PRELOAD-HINT:": _MEDIA,
    "#EXT-X-RENDITION-REPORT:": _PLAYLIST,
}
_STREAM_INF: Final = "#EXT-X-STREAM-INF:"
# a URI line (any non-blank line not starting with "#"), captured with the newline before
# it and any CR after it; and a tag line that carries a URI. Neither can backtrack:
# nothing follows the last repetition.
_HLS_URI_LINE = re.compile(r"(\n[^#\r\n][^\n]*)")
_HLS_TAG_LINE = re.compile(
    r"\n(#EXT-X-(?:KEY|MAP|MEDIA|I-FRAME-STREAM-INF|SESSION-KEY|SESSION-DATA|PART|"
    r"PRELOAD-HINT|RENDITION-REPORT|STREAM-INF):)[^\r\n]*"
)
# in URI lines joined by newlines, what keeps them off the bulk path: a line starting with
# a dot or a slash (a dot segment, a path from the root) or blank, or (among paths from
# the root) with "//", "/." or blank; a dot after a slash; a line naming a playlist (with
# nested="keep")
_BAD_LINE_START = re.compile(r"\n[./\n]")
_ROOT_LINE_START = re.compile(r"\n/[./\n]")
_SLASH_DOT = re.compile(r"/\.")
_PLAYLIST_LINE = re.compile(r"\.(?:m3u8|mpd)(?=[?\n]|\Z)", re.IGNORECASE)
_EMPTY_QUERY = re.compile(r"\?(?=\n|\Z)")
# the query parameters CloudFront reads (R23): a query naming one is not signed in bulk
_RESERVED: Final = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")
# in newline-led lines, one not starting with "#"
_NOT_A_TAG = re.compile(r"\n[^#]")
# the usual layout: at most this many closing lines, and lines per segment
_CLOSING_LINES: Final = 16
_MAX_STRIDE: Final = 8
# windows of at least this size are worth a find each (see _no_line_longer)
_WINDOW: Final = 64
# one attribute of an attribute list: NAME=value, value quoted or not (RFC 8216 4.2)
_HLS_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"\r\n]*"|[^",\r\n]*)')
_PLAYLIST_SUFFIXES: Final = (".m3u8", ".mpd")


def _names_playlist(uri: str) -> bool:
    """Tell whether a URI ends in ``.m3u8`` or ``.mpd`` before its query."""
    if "?" in uri or "#" in uri:
        uri = uri.split("?", 1)[0].split("#", 1)[0]
    return uri[-5:].lower().endswith(_PLAYLIST_SUFFIXES)


class _HlsScan:
    """Every URI of an HLS playlist.

    References are ``(part index, start, end, ...)``, offsets inside a part of
    :attr:`parts`, and ``"".join(parts)`` is the text. Segment lines are the bulk of a
    media playlist: when they all take one plain form (relative, from the root or on the
    playlist's origin; no dot segment, escape or space; each or none with a plain query,
    see :func:`_bulk_form`), each resolves to :attr:`lead` plus the line and they are
    checked and rewritten together (:attr:`bulk`); otherwise each becomes a reference of
    its own. The text is read in one of two ways:

    - the usual media playlist, a header of tags, then per segment the same number of tag
      lines and one URI line, then closing tags, is split at its line ends:
      :attr:`parts` is ``[head, body, closing]`` and :attr:`lines` the lines of the body,
      a URI line every :attr:`stride`-th;
    - any other playlist is split by a C-level regular expression: odd parts are the URI
      lines (each with the newline before it), even parts everything between them (tags,
      comments, blank lines).
    """

    __slots__ = (
        "base",
        "base_dir",
        "bulk",
        "crlf",
        "joined",
        "keep_nested",
        "lead",
        "lines",
        "longest",
        "parts",
        "refs",
        "separator",
        "stride",
        "text",
        "within",
    )

    def __init__(self, text: str, base: str, keep_nested: bool) -> None:
        self.text = text
        self.base = base
        self.base_dir = _directory(base)
        self.keep_nested = keep_nested
        if "\r" in text and text.count("\r") != text.count("\r\n"):
            bare = re.search(r"\r(?!\n)", text)
            raise self._invalid(bare.start() if bare is not None else 0, _BARE_CR)
        self.parts: list[str] = []
        self.refs: list[_Ref] = []
        #: True when the URI lines all take one plain form, handled together: each
        #: resolves to lead + line, inside the folder within
        self.bulk = False
        self.lead = self.within = ""
        #: what joins the signing query to each bulk URI line: "&" after their queries
        self.separator = "?"
        #: the URI lines end with CRLF
        self.crlf = False
        #: the usual layout: the lines of its body, a URI line every stride-th
        self.stride = 0
        self.lines: list[str] = []
        #: the URI lines of the usual layout, joined by newlines
        self.joined = ""
        #: split by the regular expression: the longest bulk URI line
        self.longest = 0
        if not self._periodic():
            self._split(list(_HLS_TAG_LINE.finditer(text)), bulk=True)

    def _line(self, offset: int) -> str:
        return f"line {self.text.count(chr(10), 0, offset) + 1}"

    def _invalid(self, offset: int, what: str) -> InputError:
        return InputError(ErrorCode.PLAYLIST_INVALID, f"{self._line(offset)}: {what}")

    def where(self, ref: _Ref) -> str:
        return self._line(sum(map(len, self.parts[: ref[0]])) + ref[1])

    def _periodic(self) -> bool:
        """Read the usual media playlist's layout (see the class), when the text has it
        and its URI lines are plain; else leave everything to :meth:`_split`."""
        text = self.text
        first = _HLS_URI_LINE.search(text)
        if first is None:
            return False
        start = first.start() + 1
        newline = "\n"
        if "\r" in text:
            if text.count("\n") != text.count("\r\n"):
                return False  # LF and CRLF lines mixed
            newline = "\r\n"
        # the last URI line: back over the closing tags and blank lines
        end = len(text)
        for _ in range(_CLOSING_LINES):
            before = text.rfind("\n", start, end)
            if before == -1:
                return False  # one URI line
            content = text[before + 1 : end].strip(" \t\r")
            if content and content[0] != "#":
                break
            end = before
        else:
            return False
        stop = end - 1 if text[end - 1] == "\r" else end
        body = text[start:stop]
        lines = body.split(newline)
        stride = 1
        while lines[stride][:1] == "#":
            stride += 1
            if stride > _MAX_STRIDE:
                return False
        if (len(lines) - 1) % stride:
            return False
        uris = lines[::stride]
        for offset in range(1, stride):  # between two URI lines: tags, none with a URI
            between = "\n" + "\n".join(lines[offset::stride])
            if _NOT_A_TAG.search(between) or _HLS_TAG_LINE.search(between):
                return False
        joined = "\n".join(uris)
        form = _bulk_form(joined, len(uris), self.base_dir, self.keep_nested)
        if form is None:
            return False
        tags = [*_HLS_TAG_LINE.finditer(text, 0, start), *_HLS_TAG_LINE.finditer(text, stop)]
        if any(tag.group(1) == _STREAM_INF for tag in tags):
            return False  # a master playlist
        self.parts = [text[:start], body, text[stop:]]
        self.lines, self.stride, self.joined = lines, stride, joined
        self.crlf = newline == "\r\n"
        self.bulk = True
        self.lead, self.within = form
        self.separator = "&" if "?" in joined else "?"
        for tag in tags:
            slot, shift = (0, 0) if tag.start() < start else (2, stop)
            self._tag_ref(tag, slot, tag.start() + 1 - shift)
        return True

    def _split(self, tags: list[re.Match[str]], bulk: bool) -> None:
        """Read any playlist: split by the URI lines (see the class)."""
        text = self.text
        self.parts = parts = _HLS_URI_LINE.split(text)
        starts: list[int] = []  # where each part starts in the text, when needed
        if tags and (len(parts) > 1 and tags[-1].start() >= len(parts[0])):
            starts = [0, *accumulate(map(len, parts))]
        variants: list[int] = []  # the offsets of #EXT-X-STREAM-INF lines
        for tag in tags:
            offset = tag.start() + 1
            if tag.group(1) == _STREAM_INF:
                variants.append(offset)
                continue
            index = bisect_right(starts, offset) - 1 if starts else 0
            self._tag_ref(tag, index, offset - (starts[index] if starts else 0))
        if variants or not bulk or not self._all_simple():
            if not starts and variants:
                starts = [0, *accumulate(map(len, parts))]
            self._uri_lines(variants, starts)

    def _tag_ref(self, tag: re.Match[str], slot: int, shift: int) -> None:
        """The reference of a tag line's URI= attribute, if it has one; ``shift`` is where
        the line starts in part ``slot``."""
        offset = tag.start() + 1
        line = tag.group(0)[1:]
        found = _hls_uri_attribute(line, partial(self._line, offset))
        if found is not None:
            start, end, tag_kind = found
            uri = line[start:end]
            kind = _PLAYLIST if tag_kind == _PLAYLIST or _names_playlist(uri) else _MEDIA
            self.refs.append((slot, shift + start, shift + end, uri, self.base, kind))

    def _all_simple(self) -> bool:
        """Tell whether the URI lines all take one plain form (see :func:`_bulk_form`), and
        if so take them as the bulk."""
        uris = self.parts[1::2]
        if not uris:
            return False
        joined = "".join(uris)  # each with its newline first
        if "\r" in joined:
            if joined.count("\r") != len(uris):  # a CR ends a line or is refused
                return False
            self.crlf = True
            joined = joined.replace("\r", "")
        form = _bulk_form(joined[1:], len(uris), self.base_dir, self.keep_nested)
        if form is None:
            return False
        # each line counts its newline (and CR)
        self.longest = max(map(len, uris)) - 1 - self.crlf
        self.bulk = True
        self.lead, self.within = form
        self.separator = "&" if "?" in joined else "?"
        return True

    def _uri_lines(self, variants: list[int], starts: list[int]) -> None:
        """One reference per URI line; the first URI line after #EXT-X-STREAM-INF names
        a variant playlist."""
        parts = self.parts
        append = self.refs.append
        base = self.base
        waiting = iter(variants)
        next_variant = next(waiting, -1)
        pending = -1  # an #EXT-X-STREAM-INF line still waiting for its URI line
        for index in range(1, len(parts), 2):
            while next_variant != -1 and next_variant < starts[index]:
                if pending != -1:
                    raise self._invalid(pending, _NO_VARIANT_URI)
                pending, next_variant = next_variant, next(waiting, -1)
            part = parts[index]
            start, end = 1, len(part) - 1 if part[-1] == "\r" else len(part)
            if part[1] in " \t" or part[end - 1] in " \t":
                content = part[1:end]
                stripped = content.strip(" \t")
                if not stripped or stripped[0] == "#":
                    continue  # a blank or indented comment line
                start = 1 + len(content) - len(content.lstrip(" \t"))
                end = start + len(stripped)
            uri = part[start:end]
            kind = _PLAYLIST if pending != -1 or _names_playlist(uri) else _MEDIA
            pending = -1
            append((index, start, end, uri, base, kind))
        if pending != -1:
            raise self._invalid(pending, _NO_VARIANT_URI)
        if next_variant != -1:
            raise self._invalid(next_variant, _NO_VARIANT_URI)
        self.refs.sort()

    def bulk_count(self) -> int:
        """How many URI lines are handled together."""
        if not self.bulk:
            return 0
        if self.stride:
            return (len(self.lines) - 1) // self.stride + 1
        return len(self.parts) // 2

    def expand_bulk(self) -> None:
        """Turn the bulk URI lines into references of their own."""
        if self.stride:
            self.stride, self.lines, self.joined, self.crlf = 0, [], "", False
            self.refs = []
            self._split(list(_HLS_TAG_LINE.finditer(self.text)), bulk=False)
        elif self.bulk:
            self._uri_lines([], [])
        self.bulk = False

    def check_bulk_lengths(self, extra: int) -> None:
        """R43 for the bulk URI lines: the longest one decides."""
        if not self.bulk:
            return
        limit = MAX_URL_BYTES - len(self.lead) - extra  # the longest line that fits
        if self.stride:
            if _no_line_longer(self.joined, limit):
                return
            lines, newline = self.lines, 1 + self.crlf
            for index in range(0, len(lines), self.stride):
                if len(lines[index]) > limit:
                    offset = sum(map(len, lines[:index])) + index * newline
                    self._too_long((1, offset, offset, "", "", 0), len(lines[index]), extra)
        elif self.longest > limit:
            for index in range(1, len(self.parts), 2):
                length = len(self.parts[index]) - 1 - self.crlf
                if length > limit:
                    self._too_long((index, 1, 1, "", "", 0), length, extra)

    def _too_long(self, ref: _Ref, length: int, extra: int) -> NoReturn:
        raise InputError(
            ErrorCode.PLAYLIST_INVALID,
            f"{self.where(ref)}: the signed URI would be {len(self.lead) + length + extra} "
            f"bytes; CloudFront accepts at most {MAX_URL_BYTES} (R43).",
        )


def _no_line_longer(joined: str, limit: int) -> bool:
    """Tell whether no line of ``joined`` is longer than ``limit``.

    A longer line would hold a whole window of half that size with no newline in it, so a
    few C-level finds, one per window, answer for the usual short lines.

    >>> _no_line_longer("a" * 100 + "\\n" + "b" * 300, 299), _no_line_longer("a\\nbb", 2)
    (False, True)
    """
    if len(joined) <= limit:
        return True
    half = (limit + 1) // 2
    if half >= _WINDOW and all(
        joined.find("\n", start, start + half) != -1
        for start in range(0, len(joined) - half + 1, half)
    ):
        return True
    return max(map(len, joined.split("\n"))) <= limit


_NO_VARIANT_URI: Final = "#EXT-X-STREAM-INF is not followed by the variant's URI line."
_BARE_CR: Final = "a carriage return that ends no line (lines end with LF or CRLF, RFC 8216)."


def _hls_uri_attribute(line: str, where: Callable[[], str]) -> tuple[int, int, int] | None:
    """(start, end, kind) of the URI= value of a tag line, or None when it has none."""
    colon = line.index(":")
    kind = _HLS_URI_TAGS[line[: colon + 1]]
    end = len(line)
    position = colon + 1
    found: tuple[int, int, int] | None = None
    while position < end:
        match = _HLS_ATTRIBUTE.match(line, position, end)
        if match is None:
            raise _bad_attributes(line, where, position)
        if match.group(1) == "URI":
            value_start, value_end = match.span(2)
            if value_end - value_start < 3 or line[value_start] != '"':  # URI= may end it
                raise InputError(
                    ErrorCode.PLAYLIST_INVALID,
                    f"{where()}: URI must be a non-empty quoted string (RFC 8216).",
                )
            if found is not None:
                raise InputError(
                    ErrorCode.PLAYLIST_INVALID, f"{where()}: the tag has two URI attributes."
                )
            found = (value_start + 1, value_end - 1, kind)
        position = match.end()
        if position < end:
            if line[position] != ",":
                raise _bad_attributes(line, where, position)
            position += 1
    return found


def _bad_attributes(line: str, where: Callable[[], str], position: int) -> InputError:
    tag = line.split(":", 1)[0]
    return InputError(
        ErrorCode.PLAYLIST_INVALID,
        f"{where()}: the attribute list of {tag} is malformed at column {position + 1}.",
    )


def _write_hls(scan: _HlsScan, job: _Job, query: str, absolute: bool) -> str:
    parts = scan.parts
    refs = job.refs
    resolved = job.resolved
    # back to front, so that several URIs in one part keep their offsets
    for index in reversed(job.signed):
        slot, start, end, uri, _base, _kind = refs[index]
        part = parts[slot]
        cut = end if "#" not in uri else start + uri.index("#")
        if absolute:
            new = resolved[index]
            parts[slot] = f"{part[:start]}{new}{_separator(new)}{query}{part[cut:]}"
        else:
            parts[slot] = f"{part[:cut]}{_separator(part[start:cut])}{query}{part[cut:]}"
    if not scan.bulk:
        return "".join(parts)
    tail = scan.separator + query
    # one join builds the result: a second string of its size would double the memory
    # the call touches
    if scan.stride:
        return "".join(_periodic_pieces(scan, tail, absolute))
    uris = parts[1::2]
    if scan.crlf:  # the query goes before the CR
        uris = list(map(itemgetter(slice(None, -1)), uris))
        tail += "\r"
    if absolute and scan.lead:
        uris = list(map(str.replace, uris, repeat("\n"), repeat("\n" + scan.lead), repeat(1)))
    # what lies between the URI lines, each URI line, and after each of them its query
    pieces = [tail] * (len(parts) + len(parts) // 2)
    pieces[0::3] = parts[0::2]
    pieces[1::3] = uris
    return "".join(pieces)


def _periodic_pieces(scan: _HlsScan, tail: str, absolute: bool) -> list[str]:
    """The pieces of the usual layout's result: the head; per segment (what makes its URI
    line absolute, when asked), its URI line, the query and its tag lines; the closing
    lines."""
    lines, stride = scan.lines, scan.stride
    newline = "\r\n" if scan.crlf else "\n"
    segments = (len(lines) - 1) // stride + 1
    lead = 1 if absolute and scan.lead else 0
    width = lead + 2 * stride  # per segment: [lead,] URI, query, then tag, newline, ...
    last = 1 + width * (segments - 1)  # where the last segment's pieces start
    pieces = [newline] * (last + lead + 3)
    pieces[0], pieces[-1] = scan.parts[0], scan.parts[2]
    if lead:
        pieces[1 : last + 1 : width] = repeat(scan.lead, segments)
    pieces[1 + lead : last + lead + 1 : width] = lines[::stride]
    pieces[2 + lead : last + lead + 2 : width] = repeat(tail + newline, segments)
    pieces[last + lead + 1] = tail
    for offset in range(1, stride):
        pieces[1 + lead + 2 * offset : last : width] = lines[offset::stride]
    return pieces


def _separator(uri: str) -> str:
    """What joins the signing query to a URI: ``&`` after its own query (even an empty
    one: ``a.ts?&Policy=…`` rebuilds as ``a.ts?``, R26), else ``?``."""
    return "&" if "?" in uri else "?"


# ---------------------------------------------------------------------------
# DASH

# the URI-carrying attributes of DASH elements, and the scope whose Representations they
# serve: 1 = the element's parent, 2 = its grandparent (SegmentURL sits in a SegmentList)
_DASH_ATTRIBUTES: Final = {
    "SegmentTemplate": (("media", "initialization", "index"), 1),
    "SegmentURL": (("media", "index"), 2),
    "Initialization": (("sourceURL",), 2),
    "RepresentationIndex": (("sourceURL",), 2),
}
_XML_NAME = re.compile(r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?")
_XML_SPACE = re.compile(r"[ \t\r\n]*")
_XML_ATTRIBUTE = re.compile(
    r"([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[ \t\r\n]*=[ \t\r\n]*([\"'])"
)
# the rest of a start tag up to its ">": no continuation after the star, so a match never
# backtracks; what follows is checked by hand
_XML_TAG_REST = re.compile(r"""(?:[^"'<>]|"[^"<]*"|'[^'<]*')*""")
_XML_END_TAG = re.compile(r"</([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[ \t\r\n]*>")
_XML_REFERENCE = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_XML_ENTITIES: Final = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_XML_ESCAPES: Final = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
)
# what ends each element of a run of SegmentURL elements, and the end tag after the run
# (see _DashScan._run; the regular expression finds it faster than str.find)
_RUN_END = re.compile(r"[ \t\r\n]*/>[ \t\r\n]*")
_END_TAG_START = re.compile("</")
#: the fewest SegmentURL elements read as a run
_DASH_RUN_MIN = 2


class _Frame:
    """An open element: its name, the base URL it inherits and the one its children use."""

    __slots__ = ("base", "deep", "has_base", "inherited", "local", "name", "offset")

    def __init__(self, name: str, local: str, inherited: str, offset: int) -> None:
        self.name = name
        #: the DASH element name, or "" for an element of another namespace
        self.local = local
        self.inherited = inherited
        self.base = inherited
        self.has_base = False
        #: a BaseURL below one of this element's children changes the base under it
        self.deep = False
        self.offset = offset


class _RunURIs(NamedTuple):
    """The values of one URI attribute across a run: each a plain URI of one form, all or
    none with a query (see :func:`_bulk_form`), resolving to ``lead + value`` inside
    ``folder``."""

    lead: str
    folder: str
    #: the values joined by newlines
    joined: str
    #: what joins the signing query to each value, as written in XML
    separator: str


class _DashRun:
    """SegmentURL elements that differ only in their attribute values: signed and
    rewritten together.

    The text from :attr:`start` to :attr:`end` is :attr:`values` (``width`` per element,
    in document order) each followed by the markup after it: ``glues[j]`` after the j-th
    value of an element (quotes included; the last one ends the element and starts the
    next). ``uris[j]`` describes the j-th attribute's values when it carries a URI.
    """

    __slots__ = ("end", "glues", "scope", "start", "uris", "values")

    def __init__(
        self,
        span: tuple[int, int],
        values: list[str],
        glues: list[str],
        uris: list[_RunURIs | None],
        scope: _Frame | None,
    ) -> None:
        self.start, self.end = span
        self.values = values
        self.glues = glues
        self.uris = uris
        #: the element whose Representations they serve (see _Frame.deep)
        self.scope = scope

    def columns(self) -> list[_RunURIs]:
        """The URI attributes' values."""
        return [uris for uris in self.uris if uris is not None]


class _DashScan:
    """Every URI of a DASH manifest, from one linear pass over the XML text.

    Not a general XML parser: enough XML to find elements, attributes and text safely.
    Document type declarations (and so entities) are refused; character references and
    the five predefined entities are decoded.

    A long SegmentList is mostly SegmentURL elements of one shape, each with plain URIs:
    such a run is checked with a few C-level passes and recorded as one
    :class:`_DashRun` (:attr:`runs`) rather than a reference per URI. ``bulk=False``
    reads every element on its own (the general path, with the same result).
    """

    def __init__(self, text: str, base: str, keep_nested: bool, *, bulk: bool = True) -> None:
        self.text = text
        self.base = base
        self.keep_nested = keep_nested
        self.refs: list[_Ref] = []
        #: per reference (by start offset): what names it, e.g. "<SegmentURL media>"
        self.labels: dict[int, str] = {}
        #: per reference (by start offset): the element whose Representations it serves
        self.scopes: dict[int, _Frame] = {}
        #: the runs of SegmentURL elements, in document order
        self.runs: list[_DashRun] = []
        #: no run is looked for before this offset (the end of the last one looked at)
        self._tried = 0 if bulk else len(text)
        self._scan(base)

    def bulk_count(self) -> int:
        """How many URIs are handled together, in runs."""
        return sum(len(run.values) // len(run.uris) * len(run.columns()) for run in self.runs)

    def folders(self) -> list[str]:
        """The folders holding the URIs of the runs."""
        return [uris.folder for run in self.runs for uris in run.columns()]

    def without_runs(self) -> _DashScan:
        """The same manifest read element by element."""
        return _DashScan(self.text, self.base, self.keep_nested, bulk=False)

    def runs_covered(self, origin: str, resource: str | None) -> bool:
        """Tell whether the resource will admit every URI of every run: the default one
        admits the playlist's ``origin``, a given one its literal prefix (else some URIs
        of a run may stay unsigned, and each needs a reference of its own)."""
        prefix = origin if resource is None else literal_prefix(resource)
        return prefix is not None and all(folder.startswith(prefix) for folder in self.folders())

    def runs_fit(self, extra: int) -> bool:
        """R43: tell whether every URI of every run stays within 8,192 bytes once signed
        (else the general path names the first one too long)."""
        return all(
            _no_line_longer(uris.joined, MAX_URL_BYTES - extra - len(uris.lead))
            for run in self.runs
            for uris in run.columns()
        )

    def where(self, ref: _Ref) -> str:
        line = self.text.count("\n", 0, ref[1]) + 1
        return f"line {line}, {self.labels.get(ref[1], 'element')}"

    def _error(self, offset: int, what: str) -> InputError:
        line = self.text.count("\n", 0, offset) + 1
        return InputError(ErrorCode.PLAYLIST_INVALID, f"line {line}: {what}")

    def _scan(self, base: str) -> None:
        text = self.text
        position = 1 if text.startswith(_BOM) else 0
        stack: list[_Frame] = []
        dash_prefixes: frozenset[str] = frozenset()
        root_done = False
        content_start = -1  # inside a BaseURL: where its text starts
        while True:
            lt = text.find("<", position)
            if lt == -1:
                break
            after = text[lt + 1 : lt + 2]
            if content_start != -1 and after != "/":
                raise self._error(lt, "a BaseURL element must hold only its URL.")
            if after == "!":
                if text.startswith("<!--", lt):
                    position = self._past(lt, "-->", "comment")
                    continue
                if text.startswith("<![CDATA[", lt) and stack:
                    position = self._past(lt, "]]>", "CDATA section")
                    continue
                raise self._error(
                    lt,
                    "document type declarations and entities are not accepted in a DASH "
                    "manifest (they allow entity-expansion attacks).",
                )
            if after == "?":
                position = self._past(lt, "?>", "processing instruction")
                continue
            if after == "/":
                match = _XML_END_TAG.match(text, lt)
                if match is None or not stack or match.group(1) != stack[-1].name:
                    expected = f"</{stack[-1].name}>" if stack else "no end tag"
                    raise self._error(lt, f"malformed or unexpected end tag (expected {expected}).")
                stack.pop()
                if content_start != -1:
                    self._base_url(content_start, lt, stack)
                    content_start = -1
                position = match.end()
                root_done = not stack
                continue
            match = _XML_NAME.match(text, lt + 1)
            if match is None:
                raise self._error(lt, "a '<' that starts no element.")
            if root_done:
                raise self._error(lt, "an element after the end of the root element.")
            name = match.group(0)
            prefix, _, local = name.rpartition(":")
            if (
                local == "SegmentURL"
                and lt >= self._tried
                and stack
                and len(stack) < _MAX_DEPTH
                and prefix in dash_prefixes
            ):
                close = self._run(lt, match.end(), stack)
                if close != -1:
                    position = close
                    continue
            if stack and local not in _DASH_ATTRIBUTES:
                # most elements (S of a SegmentTimeline...) carry no URI: skip to their end
                attributes: dict[str, tuple[int, int]] = {}
                position, empty = self._skip_attributes(match.end(), lt)
            else:
                attributes, position, empty = self._attributes(match.end(), lt)
            if not stack:
                dash_prefixes = _dash_prefixes(attributes, text)
                if local != "MPD" or prefix not in dash_prefixes:
                    raise InputError(
                        ErrorCode.PLAYLIST_INVALID,
                        f"The root element is <{name}>: the text is neither an HLS playlist "
                        "(#EXTM3U) nor a DASH manifest (<MPD>).",
                    )
            elif len(stack) >= _MAX_DEPTH:
                raise self._error(lt, f"elements nested more than {_MAX_DEPTH} deep.")
            if prefix not in dash_prefixes:
                local = ""  # an element of another namespace
            inherited = stack[-1].base if stack else base
            uri_attributes = _DASH_ATTRIBUTES.get(local)
            if uri_attributes is not None:
                names, up = uri_attributes
                scope = stack[-up] if len(stack) >= up else None
                # in document order: the rewrite splices front to back
                found = [(attributes[a], a) for a in names if a in attributes]
                if len(found) > 1:
                    found.sort()
                for span, attribute in found:
                    self._attribute_ref(name, local, inherited, attribute, span, scope)
            if not empty:
                if local == "BaseURL":
                    content_start = position
                stack.append(_Frame(name, local, inherited, lt))
            elif not stack:
                root_done = True
        if stack:
            frame = stack[-1]
            raise self._error(frame.offset, f"<{frame.name}> is never closed.")
        if not root_done:
            raise InputError(ErrorCode.PLAYLIST_INVALID, "The DASH manifest has no <MPD> element.")

    def _run(self, lt: int, name_end: int, stack: list[_Frame]) -> int:
        """Read the SegmentURL elements from ``lt`` to the next ``</`` as a run, when they
        are all empty elements written alike but for their attribute values, and the
        values of each URI attribute take one plain form: the offset of that ``</``,
        else -1.

        The first element is read as any other. Split at its quote, the stretch then
        alternates markup and values, and the markup repeats with the period of one
        element: the piece after the j-th value of each element is the same, the piece
        after its last value ends it and starts the next one as the first one starts.
        Anything else (an element of another shape, a comment, a character reference, an
        empty URI) is read element by element; either way no element is read twice.
        """
        text = self.text
        end_tag = _END_TAG_START.search(text, lt)
        close = self._tried = len(text) if end_tag is None else end_tag.start()
        if end_tag is None:
            return -1
        attributes, tag_end, empty = self._attributes(name_end, lt)
        if not empty or tag_end > close or not attributes:
            return -1
        spans = sorted(attributes.values())  # in document order
        quote = text[spans[0][0] - 1]
        if any(text[value_start - 1] != quote for value_start, _ in spans):
            return -1
        parts = text[lt:close].split(quote)
        width = len(spans)
        count = (len(parts) - 1) // (2 * width)  # elements
        if count < _DASH_RUN_MIN or (len(parts) - 1) % (2 * width):
            return -1
        glues = []
        for j in range(2, 2 * width + 1, 2):
            pieces = set(parts[j : len(parts) - 1 : 2 * width])
            if len(pieces) != 1:
                return -1
            glues.append(quote + pieces.pop() + quote)
        head = parts[0]  # "<SegmentURL media="
        between = glues[-1][1:-1]
        if (
            not between.endswith(head)
            or _RUN_END.fullmatch(between, 0, len(between) - len(head)) is None
            or _RUN_END.fullmatch(parts[-1]) is None
        ):
            return -1
        values = parts[1::2]
        columns: list[_RunURIs | None] = []
        for j, name in enumerate(sorted(attributes, key=attributes.__getitem__)):
            uris = None
            if name in _DASH_ATTRIBUTES["SegmentURL"][0]:
                uris = self._run_uris(values[j::width], stack[-1].base)
                if uris is None:
                    return -1
            elif "<" in "".join(values[j::width]):
                return -1  # refused in any value (URIs: _bulk_form refuses it)
            columns.append(uris)
        if any(uris is not None for uris in columns):  # else nothing in it to sign
            span = (lt + len(head) + 1, close - len(parts[-1]) - 1)
            scope = stack[-2] if len(stack) >= 2 else None
            self.runs.append(_DashRun(span, values, glues, columns, scope))
        return close

    def _run_uris(self, values: list[str], base: str) -> _RunURIs | None:
        """How the values of one URI attribute across a run resolve, when they all take
        one plain form."""
        if not values[0] or _PLAIN_ORIGIN.match(base) is None:
            return None  # an empty value names nothing (the later ones _bulk_form refuses)
        joined = "\n".join(values)
        if "&" in joined:
            return None  # a character reference: the URI is not the text
        form = _bulk_form(joined, len(values), _directory(base), self.keep_nested)
        if form is None:
            return None
        lead, folder = form
        if folder == lead:  # relative paths: the deepest folder holding them all
            folder += _common_folder(joined, len(values), 0) or ""
        return _RunURIs(lead, folder, joined, "&amp;" if "?" in joined else "?")

    def _past(self, start: int, terminator: str, what: str) -> int:
        end = self.text.find(terminator, start + 2)
        if end == -1:
            raise self._error(start, f"an unterminated {what}.")
        return end + len(terminator)

    def _skip_attributes(self, position: int, lt: int) -> tuple[int, bool]:
        """The offset after a start tag whose attributes do not matter, and whether it is
        an empty-element tag."""
        text = self.text
        end = _XML_TAG_REST.match(text, position).end()  # type: ignore[union-attr]
        if text.startswith(">", end):
            return end + 1, text[end - 1] == "/"
        raise self._error(lt, "a malformed start tag.")

    def _attributes(self, position: int, lt: int) -> tuple[dict[str, tuple[int, int]], int, bool]:
        """The attributes of a start tag (name -> value span), the offset after the tag,
        and whether it is an empty-element tag."""
        text = self.text
        attributes: dict[str, tuple[int, int]] = {}
        while True:
            position = _XML_SPACE.match(text, position).end()  # type: ignore[union-attr]
            if text.startswith(">", position):
                return attributes, position + 1, False
            if text.startswith("/>", position):
                return attributes, position + 2, True
            match = _XML_ATTRIBUTE.match(text, position)
            if match is None:
                raise self._error(lt, "a malformed start tag.")
            quote = match.group(2)
            value_start = match.end()
            value_end = text.find(quote, value_start)
            if value_end == -1 or text.find("<", value_start, value_end) != -1:
                raise self._error(lt, f"the value of {match.group(1)} is not closed.")
            if match.group(1) in attributes:
                raise self._error(lt, f"the attribute {match.group(1)} appears twice.")
            attributes[match.group(1)] = (value_start, value_end)
            position = value_end + 1

    def _attribute_ref(
        self,
        name: str,
        local: str,
        inherited: str,
        attribute: str,
        span: tuple[int, int],
        scope: _Frame | None,
    ) -> None:
        start, end = span
        label = f"<{name} {attribute}>"
        uri = self._decode(start, end, label)
        if not uri:
            return
        if local == "SegmentTemplate" and "$" in uri:
            kind = _TEMPLATE
        else:
            kind = _PLAYLIST if _names_playlist(uri) else _MEDIA
        self.refs.append((-1, start, end, uri, inherited, kind))
        self.labels[start] = label
        if scope is not None:
            self.scopes[start] = scope

    def _base_url(self, start: int, end: int, stack: list[_Frame]) -> None:
        """Record a BaseURL's text and make it the base of its parent's children."""
        raw = self.text[start:end]
        stripped = raw.strip(" \t\r\n")
        if not stripped:
            return
        start += len(raw) - len(raw.lstrip(" \t\r\n"))
        end = start + len(stripped)
        uri = self._decode(start, end, "<BaseURL>")
        parent = stack[-1]
        kind = _PLAYLIST if _names_playlist(uri) else _MEDIA
        self.refs.append((-1, start, end, uri, parent.inherited, kind))
        self.labels[start] = "<BaseURL>"
        for ancestor in stack[:-1]:
            ancestor.deep = True
        if not parent.has_base:  # later BaseURLs are alternatives (DASH 5.6.5)
            parent.has_base = True
            try:
                parent.base = prepare_url(_join_reference(parent.inherited, uri))
            except InputError:
                parent.base = uri  # reported when the BaseURL itself is signed

    def _decode(self, start: int, end: int, label: str) -> str:
        raw = self.text[start:end]
        if "&" not in raw:
            return raw
        expected = raw.count("&")
        decoded, count = _XML_REFERENCE.subn(_xml_character, raw)
        if count != expected or "\x00" in decoded:
            raise self._error(
                start, f"{label}: an '&' that starts no character reference (write &amp;)."
            )
        return decoded


def _xml_character(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return _XML_ENTITIES[match.group(1)]
    code = int(match.group(2)) if match.group(2) is not None else int(match.group(3), 16)
    return chr(code) if 0 < code <= 0x10FFFF else "\x00"


def _dash_prefixes(attributes: dict[str, tuple[int, int]], text: str) -> frozenset[str]:
    """The element prefixes naming the DASH namespace, from the root's declarations ("" is
    the unprefixed name, which counts when there is no default namespace)."""
    prefixes = set()
    default = attributes.get("xmlns")
    # early packagers wrote urn:mpeg:DASH:schema:MPD:2011, which players accept
    if default is None or text[default[0] : default[1]].lower() == _DASH_NS:
        prefixes.add("")
    for name, (start, end) in attributes.items():
        if name.startswith("xmlns:") and text[start:end].lower() == _DASH_NS:
            prefixes.add(name[6:])
    return frozenset(prefixes)


def _write_dash(text: str, job: _Job, query: str, absolute: bool, scan: _DashScan) -> str:
    xml_query = query.replace("&", "&amp;")
    pieces: list[str] = []
    position = 0
    runs = iter(scan.runs)
    run = next(runs, None)
    for index in job.signed:
        _slot, start, end, uri, _base, _kind = job.refs[index]
        while run is not None and run.start < start:
            position = _run_pieces(pieces, text, position, run, xml_query, absolute)
            run = next(runs, None)
        pieces.append(text[position:start])
        position = end
        uri, hash_mark, fragment = uri.partition("#")
        scope = scan.scopes.get(start)
        if absolute and (scope is None or not scope.deep):
            # with a deeper BaseURL the URI resolves differently per Representation: it
            # stays relative, and those BaseURLs are written absolute instead
            uri = job.resolved[index]
        separator = _separator(uri)
        if uri is job.refs[index][3] and not hash_mark:
            # as written (character references included), then the query
            pieces.append(f"{text[start:end]}{separator.replace('&', '&amp;')}{xml_query}")
        else:
            pieces.append(f"{uri}{separator}{query}{hash_mark}{fragment}".translate(_XML_ESCAPES))
    while run is not None:
        position = _run_pieces(pieces, text, position, run, xml_query, absolute)
        run = next(runs, None)
    pieces.append(text[position:])
    # one join builds the result: a second string of its size would double the memory
    # the call touches
    return "".join(pieces)


def _run_pieces(
    pieces: list[str], text: str, position: int, run: _DashRun, xml_query: str, absolute: bool
) -> int:
    """Add the pieces of the text from ``position`` to the end of a run, signed, as the
    general path writes each of its elements; return where the run ends."""
    deep = run.scope is not None and run.scope.deep
    leads = [uris.lead if uris is not None and absolute and not deep else "" for uris in run.uris]
    # after a URI its query (plain URIs: nothing else to escape)
    tails = [uris.separator + xml_query if uris is not None else "" for uris in run.uris]
    width = len(run.uris)
    elements = len(run.values) // width
    signed = [""] * (2 * len(run.values) - 1)
    signed[::2] = run.values
    for j in range(width):  # after the j-th value of each element (but the last)
        after = tails[j] + run.glues[j] + leads[(j + 1) % width]
        signed[1 + 2 * j :: 2 * width] = repeat(after, elements - (j == width - 1))
    pieces += (text[position : run.start], leads[0])
    pieces += signed
    pieces.append(tails[-1])
    return run.end
