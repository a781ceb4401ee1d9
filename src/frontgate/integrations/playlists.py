"""Loading the playlists the middlewares answer signed: the I/O the gate leaves out.

>>> from frontgate.integrations.gate import Playlist
>>> playlist = Playlist("media/v/none.m3u8", "https://cdn.example.com/media/v/none.m3u8",
...                     "/nonexistent", "/nonexistent/media/v/none.m3u8", None,
...                     "application/vnd.apple.mpegurl", [])
>>> load(playlist)
Failure(status=404, reason='no file /nonexistent/media/v/none.m3u8 under PLAYLIST_ROOT')

A playlist is read from its file under ``PLAYLIST_ROOT`` or fetched through ``BASE_URL``
with a signed request (:attr:`Playlist.fetch_url`). Either way a failure is a
:class:`~frontgate.integrations.gate.Failure` (404 for a missing file, 502 for anything
else), never an exception and never the unsigned playlist. :func:`aload` runs the same in
a worker thread so an event loop never waits on a disk or a CDN.
"""

from __future__ import annotations

import asyncio
import errno
import os
import urllib.error
import urllib.request
from typing import Final

from .gate import Failure, Playlist

__all__ = ["FETCH_TIMEOUT", "MAX_PLAYLIST_BYTES", "aload", "load"]

#: a playlist larger than this is refused (502): 16 MiB is ~150,000 signed segment lines
MAX_PLAYLIST_BYTES: Final = 16 * 1024 * 1024
#: seconds to wait for the CDN when fetching a playlist
FETCH_TIMEOUT: Final = 10.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would leave the signed URL behind."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def load(playlist: Playlist) -> bytes | Failure:
    """The playlist's bytes, from its file (which must stay inside ``PLAYLIST_ROOT``,
    symbolic links resolved) or fetched with its signed URL."""
    if playlist.file is not None:
        return _read(playlist.file, playlist.root)
    assert playlist.fetch_url is not None
    return _fetch(playlist.fetch_url)


async def aload(playlist: Playlist) -> bytes | Failure:
    """:func:`load` in a worker thread: the event loop goes on serving meanwhile."""
    return await asyncio.to_thread(load, playlist)


def _read(name: str, root: str | None) -> bytes | Failure:
    try:
        real = os.path.realpath(name)
        if root is not None:
            top = os.path.realpath(root)
            if os.path.commonpath((real, top)) != top:
                return Failure(404, f"{name} leads outside PLAYLIST_ROOT")
        with open(real, "rb") as file:
            data = file.read(MAX_PLAYLIST_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return Failure(404, f"no file {name} under PLAYLIST_ROOT")
    except (OSError, ValueError) as exc:
        what = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else str(exc)
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            return Failure(404, f"no file {name[:200]}... under PLAYLIST_ROOT")
        return Failure(502, f"cannot read {name}: {what}")
    if len(data) > MAX_PLAYLIST_BYTES:
        return Failure(502, f"{name} is larger than {MAX_PLAYLIST_BYTES} bytes")
    return data


def _fetch(url: str) -> bytes | Failure:
    shown = url.partition("?")[0]  # the signature stays out of the logs
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})  # noqa: S310 - an http(s) BASE_URL
    try:
        with _opener.open(request, timeout=FETCH_TIMEOUT) as response:
            status: int = response.status
            data: bytes = response.read(MAX_PLAYLIST_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        return Failure(502, f"fetching {shown} through BASE_URL was answered {exc.code}")
    except (OSError, ValueError) as exc:
        return Failure(502, f"fetching {shown} through BASE_URL failed: {exc}")
    if status != 200:
        return Failure(502, f"fetching {shown} through BASE_URL was answered {status}")
    if len(data) > MAX_PLAYLIST_BYTES:
        return Failure(502, f"{shown} is larger than {MAX_PLAYLIST_BYTES} bytes")
    return data
