"""The origin directory: safe path mapping, file metadata, ranges and validators (R49).

Pure functions over the file system, no HTTP: :mod:`frontgate.edge.app` turns their
answers into responses.

>>> import os, tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "a b.txt").write_bytes(b"hello")
>>> found = lookup(str(root), b"/a%20b.txt")
>>> found.size, found.key, lookup(str(root), b"/x/../a.txt")
(5, 'a b.txt', 'bad-path')
>>> os.close(found.fd)
"""

from __future__ import annotations

import mimetypes
import os
import stat
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from typing import Final, Literal
from urllib.parse import unquote_to_bytes

__all__ = [
    "FileInfo",
    "Missing",
    "content_type",
    "http_date",
    "lookup",
    "not_modified",
    "parse_range",
]

#: the file a directory request serves (R49)
INDEX: Final = "index.html"

mimetypes.init()


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A regular file inside the origin, ready to serve."""

    #: the real path (symlinks resolved, inside the origin)
    path: str
    #: the S3-style key: the decoded request path without its leading ``/``
    key: str
    #: the open file (read-only); whoever got this FileInfo closes it
    fd: int
    size: int
    mtime: float
    #: strong validator from modification time and size, like nginx's
    etag: str
    last_modified: str


@dataclass(frozen=True, slots=True)
class Missing:
    """No file at that key (404 ``NoSuchKey``, OP18)."""

    key: str


#: why a path is refused before any lookup
BadPath = Literal["bad-path"]


def lookup(root: str, raw_path: bytes) -> FileInfo | Missing | BadPath:
    """Map a raw request path (still percent-encoded) to an open file under ``root`` (R49
    step 5); the caller closes :attr:`FileInfo.fd`.

    ``root`` must be a real path (:func:`os.path.realpath`). Refuses (``"bad-path"``)
    paths that do not decode as UTF-8 or carry a ``..`` segment (also encoded as
    ``%2e%2e``), a NUL or a backslash, and symlinks leading out of ``root``. A directory
    serves its ``index.html``; anything else that is not a regular file is missing.
    """
    mapped = _MAPPED.get((root, raw_path))
    if mapped is None:
        mapped = _map(root, raw_path)
        if len(raw_path) <= _MAPPED_PATH_BYTES:
            if len(_MAPPED) >= _MAPPED_ENTRIES:
                del _MAPPED[next(iter(_MAPPED))]
            _MAPPED[root, raw_path] = mapped
    if mapped == "bad-path":
        return mapped
    candidate, key = mapped
    opened = _open_inside(root, candidate)
    if opened is None or isinstance(opened, str):
        return opened or Missing(key)
    fd, st, real = opened
    if stat.S_ISDIR(st.st_mode):
        os.close(fd)
        key = f"{key.rstrip('/')}/{INDEX}".lstrip("/")
        opened = _open_inside(root, os.path.join(real, INDEX))
        if opened is None or isinstance(opened, str):
            return opened or Missing(key)
        fd, st, real = opened
    # FIFOs, sockets and devices are never served (opened non-blocking, so never waited on)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return Missing(key)
    return FileInfo(
        path=real,
        key=key,
        fd=fd,
        size=st.st_size,
        mtime=st.st_mtime,
        etag=f'"{st.st_mtime_ns:x}-{st.st_size:x}"',
        last_modified=http_date(st.st_mtime),
    )


#: request paths already mapped: (root, raw path) -> (file path, key) or "bad-path"
_MAPPED: dict[tuple[str, bytes], tuple[str, str] | BadPath] = {}
_MAPPED_ENTRIES: Final = 4096
_MAPPED_PATH_BYTES: Final = 1024


def _map(root: str, raw_path: bytes) -> tuple[str, str] | BadPath:
    """The file path under ``root`` and the S3 key for a raw request path (no I/O)."""
    try:
        path = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return "bad-path"
    if "\x00" in path or "\\" in path:
        return "bad-path"
    segments = [s for s in path.split("/") if s and s != "."]
    if ".." in segments:
        return "bad-path"
    return os.path.join(root, *segments), path.lstrip("/")


_PROC_FD: Final = os.path.isdir("/proc/self/fd")
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


#: files found inside an origin: (root, path asked) -> (device, inode, real path)
_INSIDE: dict[tuple[str, str], tuple[int, int, str]] = {}
_INSIDE_ENTRIES: Final = 4096


def _open_inside(root: str, candidate: str) -> tuple[int, os.stat_result, str] | BadPath | None:
    try:
        fd = os.open(candidate, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        # the same file (device and inode) that this path led to inside the origin
        # before needs no second resolution
        known = _INSIDE.get((root, candidate))
        if known is not None and known[0] == st.st_dev and known[1] == st.st_ino:
            return fd, st, known[2]
        # where the open file really is, symlinks resolved: one readlink on Linux
        # instead of an lstat per path component (os.path.realpath)
        real = os.readlink(f"/proc/self/fd/{fd}") if _PROC_FD else os.path.realpath(candidate)
        # symlinks may point anywhere inside the origin, never outside
        if real != root and not real.startswith(root.rstrip("/") + "/"):
            os.close(fd)
            return "bad-path"
        if len(_INSIDE) >= _INSIDE_ENTRIES:
            del _INSIDE[next(iter(_INSIDE))]
        _INSIDE[root, candidate] = (st.st_dev, st.st_ino, real)
        return fd, st, real
    except OSError:
        os.close(fd)
        return None


@lru_cache(maxsize=4096)
def http_date(timestamp: float) -> str:
    """An IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return formatdate(timestamp, usegmt=True)


@lru_cache(maxsize=1024)
def content_type(path: str) -> str:
    """The media type for a file name (``application/octet-stream`` when unknown)."""
    return _content_type(os.path.splitext(path)[1].lower())


#: streaming types as players expect them, whatever the host's mime.types says
_STREAMING_TYPES: Final = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt",
    ".key": "application/octet-stream",
}


@lru_cache(maxsize=512)
def _content_type(suffix: str) -> str:
    fixed = _STREAMING_TYPES.get(suffix)
    if fixed is not None:
        return fixed
    guessed, encoding = mimetypes.guess_type(f"file{suffix}", strict=False)
    if guessed is None or encoding is not None:
        # a .gz/.br file is served as the bytes it is, not as its decoded type
        return "application/octet-stream"
    return guessed


#: longer than any date format RFC 9110 section 5.6.7 lets a recipient accept
_MAX_DATE: Final = 64


def _etag_list(value: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()]


def not_modified(info: FileInfo, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """True when a conditional GET/HEAD should get 304 (RFC 9110 section 13.2.2).

    ``If-None-Match`` wins over ``If-Modified-Since``; the weak comparison applies.
    """
    if if_none_match is not None:
        tags = _etag_list(if_none_match)
        return "*" in tags or info.etag in tags
    if if_modified_since is not None:
        # an HTTP-date has 29 characters; email.utils reads any run of digits as a number,
        # and too large a year or offset raises OverflowError
        if len(if_modified_since) > _MAX_DATE:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(info.mtime) <= since
    return False


Unsatisfiable = Literal["unsatisfiable"]


def parse_range(
    value: str | None, size: int, *, if_range: str | None = None, info: FileInfo | None = None
) -> tuple[int, int] | Unsatisfiable | None:
    """The one byte range ``(first, last)`` asked for, ``"unsatisfiable"`` (416), or None
    (serve the whole file: no ``Range``, several ranges, a syntax error, or a stale
    ``If-Range``).

    >>> parse_range("bytes=0-99", 1000), parse_range("bytes=-10", 1000)
    ((0, 99), (990, 999))
    >>> parse_range("bytes=1000-", 1000), parse_range("bytes=0-1,5-6", 1000)
    ('unsatisfiable', None)
    """
    if value is None:
        return None
    if if_range is not None and info is not None:
        wanted = if_range.strip()
        if wanted not in (info.etag, info.last_modified):
            return None
    unit, sep, spec = value.partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    # ASCII digits only: "²".isdigit() is true, but int() refuses it
    if not dash or not (_digits(first_text) or _digits(last_text)):
        return None
    if (first_text and not _digits(first_text)) or (last_text and not _digits(last_text)):
        return None
    if not first_text:  # suffix range: the last N bytes
        suffix = _number(last_text)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    first = _number(first_text)
    if first >= size:
        return "unsatisfiable"
    last = _number(last_text) if last_text else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)


#: more digits than any file size has; a longer number is read as "beyond every file"
_MAX_DIGITS: Final = 19


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _number(digits: str) -> int:
    """ASCII digits as an int, without int() on a number of thousands of digits (which is
    quadratic and then refused): one past any file size stands for anything longer.

    >>> _number("0042"), _number("9" * 5000) == 10**_MAX_DIGITS
    (42, True)
    """
    digits = digits.lstrip("0") or "0"
    return 10**_MAX_DIGITS if len(digits) > _MAX_DIGITS else int(digits)
