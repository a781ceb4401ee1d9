"""`frontgate sign-playlist` run as a real process: the playlist in (file or stdin), the
signed playlist out byte for byte, warnings on stderr, one-line errors and exit 2."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import pytest

from frontgate import Verifier
from tests.cli.test_sign_cli import ERROR_LINE, FRONTGATE, RSA_KEY
from tests.conftest import KEY_PAIR_ID, NOW, public_pem
from tests.test_streaming import FIXTURES, PLAYLISTS, SIGNING_QUERY, policy_of, unsign, uris_of

D = "https://d111111abcdef8.cloudfront.net"
MEDIA = PLAYLISTS / "media_aes_byterange.m3u8"  # BOM, CRLF, UTF-8 titles, another host
MEDIA_URL = FIXTURES["media_aes_byterange.m3u8"][0]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTGATE_")}
    return subprocess.run(
        [*FRONTGATE, "sign-playlist", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def signing(*extra: str, url: str = MEDIA_URL) -> list[str]:
    return [
        "--url",
        url,
        "--key-pair-id",
        KEY_PAIR_ID,
        "--private-key",
        RSA_KEY,
        "--now",
        str(NOW),
        *extra,
    ]


def verifies(signed: str, url: str) -> int:
    verifier = Verifier({KEY_PAIR_ID: public_pem("rsa")})
    count = 0
    for uri in uris_of(signed, url):
        if "Signature=" in uri:
            assert verifier.verify_url(uri, now=NOW + 1).allowed, uri
            count += 1
    return count


def test_stdin_to_stdout_byte_for_byte() -> None:
    done = run(*signing("--expires-in", "3600"), stdin=MEDIA.read_bytes())
    assert done.returncode == 0, done.stderr
    signed = done.stdout.decode("utf-8")
    assert signed.encode("utf-8").startswith(b"\xef\xbb\xbf#EXTM3U\r\n")
    assert unsign(signed) == MEDIA.read_bytes().decode("utf-8")
    assert verifies(signed, MEDIA_URL) == 7
    assert policy_of(signed).expires == NOW + 3600
    # the ad on another host: one warning line naming it
    assert done.stderr.decode() == (
        "frontgate: warning: 1 URI(s) of the playlist left unsigned, outside the resource "
        f"{D}/videos/* (other host or folder): line 25: "
        "https://ads.example.net/slate/black-3s.ts.\n"
    )


@pytest.mark.parametrize("name", ["master.m3u8", "dash_number.mpd", "dash_segment_list.mpd"])
def test_input_file(name: str) -> None:
    url, count, resource = FIXTURES[name]
    done = run(
        *signing("--date-less-than", str(NOW + 600), url=url),
        "--input",
        str(PLAYLISTS / name),
    )
    assert done.returncode == 0, done.stderr
    signed = done.stdout.decode()
    assert unsign(signed) == (PLAYLISTS / name).read_text(encoding="utf-8")
    assert policy_of(signed).resource == resource
    assert verifies(signed, url) == count


def test_absolute_nested_keep_resource_ip_and_sha256() -> None:
    url = FIXTURES["master.m3u8"][0]
    done = run(
        *signing("--expires-in", "60", url=url),
        "--input",
        str(PLAYLISTS / "master.m3u8"),
        "--absolute",
        "--nested",
        "keep",
        "--policy-resource",
        f"{D}/*",
        "--ip-address",
        "203.0.113.0/24",
        "--hash-algorithm",
        "SHA256",
    )
    assert done.returncode == 0, done.stderr
    signed = done.stdout.decode()
    assert "\nv240/index.m3u8\n" in signed  # another playlist: as written
    assert f'URI="{D}/videos/42/meta/chapters.json?Policy=' in signed
    assert all(q.endswith("&Hash-Algorithm=SHA256") for q in SIGNING_QUERY.findall(signed))
    policy = policy_of(signed)
    assert (policy.resource, policy.ip_address) == (f"{D}/*", "203.0.113.0/24")


def test_help_lists_the_contract_flags() -> None:
    done = run("--help")
    assert done.returncode == 0
    for flag in (
        "--url",
        "--input",
        "--key-pair-id",
        "--private-key",
        "--expires-in",
        "--date-less-than",
        "--policy-resource",
        "--ip-address",
        "--hash-algorithm",
        "--absolute",
        "--nested",
    ):
        assert flag in done.stdout.decode()


def assert_one_error(done: subprocess.CompletedProcess[bytes], code: str) -> str:
    assert done.returncode == 2
    assert done.stdout == b""
    stderr = done.stderr.decode()
    assert ERROR_LINE.fullmatch(stderr), stderr
    assert stderr.startswith(f"frontgate: {code}: ")
    return stderr


@pytest.mark.parametrize(
    ("stdin", "code", "says"),
    [
        (b"<html></html>", "playlist-invalid", "neither an HLS playlist"),
        (b"#EXTM3U\n#EXTINF:4,\nseg 1.ts\n", "playlist-invalid", "line 3:"),
        (b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", "playlist-invalid", "line 2:"),
        (b"#EXTM3U\n\xff\xfe\n", "playlist-invalid", "not UTF-8"),
        (
            b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><!DOCTYPE x></MPD>',
            "playlist-invalid",
            "line 1:",
        ),
    ],
)
def test_bad_playlists(stdin: bytes, code: str, says: str) -> None:
    assert says in assert_one_error(run(*signing("--expires-in", "60"), stdin=stdin), code)


def test_usage_errors(tmp_path: Path) -> None:
    playlist = MEDIA.read_bytes()
    done = run(*signing(), stdin=playlist)
    assert re.fullmatch(r"frontgate: usage: .*--expires-in.*\n", done.stderr.decode())
    assert done.returncode == 2
    missing = tmp_path / "missing.m3u8"
    assert "missing.m3u8" in assert_one_error(
        run(*signing("--expires-in", "60"), "--input", str(missing)), "source-unreadable"
    )
    assert_one_error(
        run(*signing("--expires-in", "60", url="ftp://d.example/a.m3u8"), stdin=playlist),
        "url-invalid",
    )
    assert_one_error(
        run(*signing("--expires-in", "60"), "--policy-resource", "*", stdin=playlist),
        "resource-invalid",
    )
    done = run(*signing("--expires-in", "60"), "--nested", "maybe", stdin=playlist)
    assert done.returncode == 2
    assert done.stderr.startswith(b"frontgate: usage:")


def test_relative_uris_resolve_against_the_url_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.m3u8"
    path.write_bytes(b"#EXTM3U\n#EXTINF:4,\n../seg.ts\n")
    url = f"{D}/a/b/index.m3u8"
    done = run(*signing("--expires-in", "60", url=url), "--input", str(path))
    signed = done.stdout.decode()
    assert policy_of(signed).resource == f"{D}/a/*"
    assert urljoin(url, signed.split("\n")[2]).startswith(f"{D}/a/seg.ts?Policy=")
