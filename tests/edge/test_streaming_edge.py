"""Signed playlists against the real edge over HTTP (R11, R26, R49): every URI of a
signed playlist is served with its streaming content type, byte ranges included, and the
same URIs unsigned are refused."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from frontgate.edge.files import content_type

from .conftest import Edge

STREAM = "streams/42"
FILES = {
    "v360/index.m3u8": None,  # written by the test
    "v360/init.mp4": b"\x00\x00\x00\x18ftypiso6" + bytes(16),
    "v360/seg-00001.m4s": bytes(range(256)) * 4,
    "v360/seg-00002.m4s": bytes(range(255, -1, -1)) * 4,
    "v360/main.ts": b"\x47" + bytes(187) + b"\x47" + bytes(187),
    "keys/k0.key": bytes(range(16)),
    "subs/en.vtt": b"WEBVTT\n\n00:00.000 --> 00:02.000\nhello\n",
    "audio/en.aac": b"\xff\xf1" + bytes(30),
    "audio/en.m4a": b"\x00\x00\x00\x18ftypM4A " + bytes(16),
    "manifest.mpd": b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"/>\n',
}
MEDIA_PLAYLIST = """#EXTM3U\r
#EXT-X-VERSION:7\r
#EXT-X-TARGETDURATION:2\r
#EXT-X-MAP:URI="init.mp4"\r
#EXT-X-KEY:METHOD=AES-128,URI="../keys/k0.key",IV=0x01\r
#EXTINF:2.0,\r
seg-00001.m4s\r
#EXTINF:2.0,\r
seg-00002.m4s\r
#EXT-X-BYTERANGE:188@0\r
#EXTINF:2.0,\r
main.ts\r
#EXT-X-BYTERANGE:188@188\r
#EXTINF:2.0,\r
main.ts\r
#EXT-X-ENDLIST\r
"""


@pytest.fixture(scope="module")
def stream(origin: Path) -> Path:
    root = origin / STREAM
    for name, data in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(MEDIA_PLAYLIST.encode() if data is None else data)
    return root


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("v360/index.m3u8", "application/vnd.apple.mpegurl"),
        ("manifest.mpd", "application/dash+xml"),
        ("v360/main.ts", "video/mp2t"),
        ("v360/seg-00001.m4s", "video/iso.segment"),
        ("v360/init.mp4", "video/mp4"),
        ("audio/en.m4a", "audio/mp4"),
        ("audio/en.aac", "audio/aac"),
        ("subs/en.vtt", "text/vtt"),
        ("keys/k0.key", "application/octet-stream"),
    ],
)
def test_r49_streaming_content_types(
    edge: Edge, client: httpx.Client, stream: Path, name: str, expected: str
) -> None:
    assert content_type(name) == expected
    response = client.get(edge.signed(f"{STREAM}/{name}"))
    assert response.status_code == 200
    assert response.headers["content-type"] == expected


def test_r11_every_uri_of_a_signed_playlist_is_served(
    edge: Edge, client: httpx.Client, stream: Path
) -> None:
    path = f"{STREAM}/v360/index.m3u8"
    playlist = client.get(edge.signed(path))
    assert playlist.status_code == 200
    signed = edge.cdn.sign_playlist(path, playlist.text, expires_in=300)
    playlist_url = edge.cdn.resolve(path)
    lines = signed.split("\r\n")
    uris = [line for line in lines if line and not line.startswith("#")]
    uris += re.findall(r'URI="([^"]+)"', signed)
    assert len(uris) == 6
    for uri in uris:
        url = urljoin(playlist_url, uri)
        served = client.get(url)
        assert served.status_code == 200, (uri, served.headers.get("x-frontgate-reason"))
        name = url.split("?", 1)[0].split(f"{STREAM}/", 1)[1]
        assert served.content == (stream / name).read_bytes()
        # the same URI without the signing query is refused
        assert client.get(url.split("?", 1)[0]).status_code == 403


def test_byte_ranges_of_a_signed_segment(edge: Edge, client: httpx.Client, stream: Path) -> None:
    path = f"{STREAM}/v360/index.m3u8"
    signed = edge.cdn.sign_playlist(path, MEDIA_PLAYLIST, expires_in=300)
    main = next(line for line in signed.split("\r\n") if line.startswith("main.ts?"))
    url = urljoin(edge.cdn.resolve(path), main)
    second = client.get(url, headers={"Range": "bytes=188-375"})
    assert second.status_code == 206
    assert second.content == (stream / "v360/main.ts").read_bytes()[188:376]
