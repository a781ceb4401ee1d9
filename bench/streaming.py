"""Signing playlists, as the cost of one raw ``cryptography`` RSA-2048 sign in this process.

Target from issue 11: a 1,000-segment HLS media playlist costs at most 2x one raw RSA
sign (its one signature plus a linear rewrite); a DASH manifest listing 1,000
SegmentURLs, at most 3x. Each call signs a different playlist with a different expiry,
so no cache can answer; the raw sign likewise signs varied bytes.
Each figure is the median of three interleaved runs.

Run: ``python -m bench streaming``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from frontgate.keys import generate_private_key
from frontgate.policy import Policy
from frontgate.signer import Signer
from frontgate.streaming import sign_playlist

from ._harness import Row, compare

__all__ = ["run"]

KEY_PAIR_ID = "K2JCJMDEHXQW5F"
D = "https://d111111abcdef8.cloudfront.net"
NOW = 1767290400
VARIANTS = 8  # distinct playlists cycled through


def media_playlist(segments: int, variant: int, folder: str = "") -> str:
    """An fMP4 VOD media playlist as packagers write it: init section, key, segments
    (each URI line after ``folder``: "" for relative paths)."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f'#EXT-X-MAP:URI="init-{variant}.mp4"',
        f'#EXT-X-KEY:METHOD=AES-128,URI="../keys/{variant}.key",IV=0x{variant:032x}',
    ]
    for n in range(segments):
        lines += [f"#EXTINF:{3.9 + n % 3 / 10:.3f},", f"{folder}segment-{variant}-{n:05d}.m4s"]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist(variant: int) -> str:
    """A master playlist: six renditions, two audio groups, subtitles, I-frame playlists."""
    lines = [
        "#EXTM3U",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="en",DEFAULT=YES,URI="audio/en-{variant}.m3u8"',
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="fr",URI="audio/fr-{variant}.m3u8"',
        f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="en",URI="subs/en-{variant}.m3u8"',
    ]
    for height, bandwidth in ((240, 4), (360, 8), (480, 14), (720, 28), (1080, 50), (2160, 90)):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth}00000,RESOLUTION={height * 16 // 9}x"
            f'{height},CODECS="avc1.640028,mp4a.40.2",AUDIO="aac",SUBTITLES="subs"'
        )
        lines.append(f"v{height}/index-{variant}.m3u8")
    lines.append(f'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI="v360/iframes-{variant}.m3u8"')
    return "\n".join(lines) + "\n"


def dash_segment_list(segments: int, variant: int) -> str:
    """A DASH manifest listing its segments one SegmentURL each (the heaviest DASH form)."""
    urls = "".join(
        f'          <SegmentURL media="seg-{variant}-{n:05d}.m4s"/>\n' for n in range(segments)
    )
    return (
        '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">\n'
        '  <Period><AdaptationSet mimeType="video/mp4">\n'
        '    <Representation id="v" bandwidth="2800000"><SegmentList duration="4">\n'
        f'          <Initialization sourceURL="init-{variant}.mp4"/>\n{urls}'
        "    </SegmentList></Representation>\n  </AdaptationSet></Period>\n</MPD>\n"
    )


def _cycling(
    make: Callable[[int], str], url: str, signer: Signer, **options: object
) -> Callable[[], str]:
    texts = [make(v) for v in range(VARIANTS)]
    counter = itertools.count()

    def sign() -> str:
        n = next(counter)
        return sign_playlist(
            texts[n % VARIANTS],
            url,
            signer,
            expires_in=3600 + n,  # the default clock
            **options,  # type: ignore[arg-type]
        )

    return sign


def run() -> list[Row]:
    """The playlist figures."""
    key = generate_private_key("rsa")
    assert isinstance(key, rsa.RSAPrivateKey)
    signer = Signer(key, KEY_PAIR_ID)
    pkcs1, sha1 = padding.PKCS1v15(), hashes.SHA1()
    policies = [Policy(f"{D}/videos/{n}/*", NOW + 3600 + n).to_bytes() for n in range(VARIANTS)]
    raw_counter = itertools.count()

    def raw() -> bytes:
        return key.sign(policies[next(raw_counter) % VARIANTS], pkcs1, sha1)

    media_url = f"{D}/videos/42/v720/index.m3u8"
    cases = [
        (
            "sign_playlist, 1,000-segment media playlist",
            _cycling(lambda v: media_playlist(1000, v), media_url, signer),
            2.0,
        ),
        (
            "  the same, absolute=True (app-served)",
            _cycling(lambda v: media_playlist(1000, v), media_url, signer, absolute=True),
            None,
        ),
        (
            "  the same, absolute segment URLs",
            _cycling(lambda v: media_playlist(1000, v, f"{D}/videos/42/v720/"), media_url, signer),
            None,
        ),
        (
            "sign_playlist, 10,000-segment media playlist",
            _cycling(lambda v: media_playlist(10_000, v), media_url, signer),
            None,
        ),
        (
            "sign_playlist, DASH, 1,000 SegmentURLs",
            _cycling(lambda v: dash_segment_list(1000, v), f"{D}/videos/42/m.mpd", signer),
            3.0,
        ),
        (
            "sign_playlist, 6-rendition master playlist",
            _cycling(master_playlist, f"{D}/videos/42/master.m3u8", signer),
            1.5,
        ),
    ]
    rows = []
    for name, fn, target in cases:
        # the rewrite is memory-bound, the sign is not: load from elsewhere on the machine
        # moves the ratio, so each figure is the median of three interleaved runs
        runs = sorted((compare(fn, raw) for _ in range(3)), key=lambda r: r[1] / r[0])
        ours, base = runs[1]
        rows.append(
            Row(
                name,
                ours,
                "ops/s",
                base / ours,  # the time of one call, in raw signs
                target,
                lower_is_better=True,
                baseline=f"time in raw RSA-2048 signs ({base:,.0f}/s)",
            )
        )
    return rows
