"""Run the Django downloads example: throwaway keys, a local `frontgate edge` standing in for
CloudFront, and the Django site served by uvicorn, all on 127.0.0.1. With ffmpeg installed
(`make sysdeps`) it also makes a short HLS and DASH stream for the video page, whose players
come from npm (`make players`).

    python examples/django_downloads/run.py            # prints what to open; Ctrl-C stops
    python examples/django_downloads/run.py --check    # runs the scenario once, exit 0/1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterable
from http.cookiejar import CookieJar
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
KEY_PAIR_ID = "KDEMO0000001"
FILES = {
    "media/reports/q3 2026.pdf": b"%PDF-1.4\n% Q3 2026 report (example)\n",
    "media/reports/annual-2025.pdf": b"%PDF-1.4\n% Annual report 2025 (example)\n",
    "media/gallery/chart-1.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="120" '
    b'height="80"><rect width="120" height="80" fill="#3a7"/></svg>',
    "media/gallery/chart-2.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="120" '
    b'height="80"><rect width="120" height="80" fill="#37a"/></svg>',
}


#: where the stream lives under the origin (and under BASE_URL)
STREAM = "media/videos/demo/"
#: the npm players (``make players``), served by the site at /players/
PLAYERS = HERE.parents[1] / "players" / "node_modules"
#: H.264 constrained baseline, level 3.0: what ``codecs`` in the manifests says it is
CODECS = "avc1.42c01e"
#: (name, width, height, bits per second); the first is AES-128 encrypted MPEG-TS, the
#: second fragmented MP4 with an init section (EXT-X-MAP)
RENDITIONS = (("low", 160, 90, 150_000), ("high", 320, 180, 400_000))
SECONDS = 5


def make_stream(folder: Path, ffmpeg: str = "ffmpeg") -> None:
    """A 5-second test pattern as HLS (a master, two renditions of 1-second segments, one
    encrypted with AES-128) and as DASH (one MPD, the same two sizes), into ``folder``:
    ``hls/master.m3u8``, ``hls/low/``, ``hls/high/``, ``dash/manifest.mpd``. Takes well
    under a second; needs ffmpeg (libx264)."""
    source = [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=320x180:rate=24:duration={SECONDS}",
    ]
    # a key frame every second so that every segment is one second and starts cleanly
    video = [
        *("-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline"),
        *("-level", "3.0", "-pix_fmt", "yuv420p", "-g", "24", "-keyint_min", "24"),
        *("-sc_threshold", "0"),
    ]
    quiet = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    hls = folder / "hls"
    low, high = (hls / name for name, *_ in RENDITIONS)
    for directory in (low, high, folder / "dash"):
        directory.mkdir(parents=True, exist_ok=True)
    (low / "key.bin").write_bytes(os.urandom(16))
    key_info = folder / "key-info.txt"  # URI as written in the playlist, then the key file
    key_info.write_text(f"key.bin\n{low / 'key.bin'}\n")
    hls_options = ["-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod"]
    commands = [
        [
            *quiet,
            *source,
            *("-vf", "scale=160:90", *video, "-b:v", "150k", *hls_options),
            *("-hls_key_info_file", str(key_info)),
            *("-hls_segment_filename", str(low / "seg%d.ts"), str(low / "index.m3u8")),
        ],
        [
            *quiet,
            *source,
            *(*video, "-b:v", "400k", *hls_options, "-hls_segment_type", "fmp4"),
            *("-hls_fmp4_init_filename", "init.mp4"),
            *("-hls_segment_filename", str(high / "seg%d.m4s"), str(high / "index.m3u8")),
        ],
        [
            *quiet,
            *source,
            *("-filter_complex", "[0:v]split=2[a][b];[b]scale=160:90[c]"),
            *("-map", "[a]", "-map", "[c]", *video, "-b:v:0", "400k", "-b:v:1", "150k"),
            *("-f", "dash", "-seg_duration", "1", "-use_template", "1", "-use_timeline", "0"),
            *("-init_seg_name", "init-$RepresentationID$.m4s"),
            *("-media_seg_name", "seg-$RepresentationID$-$Number$.m4s"),
            *("-adaptation_sets", "id=0,streams=v", str(folder / "dash" / "manifest.mpd")),
        ],
    ]
    processes = [subprocess.Popen(command, cwd=folder) for command in commands]
    if any(process.wait() != 0 for process in processes):
        raise RuntimeError(f"ffmpeg could not make the test stream in {folder}")
    key_info.unlink()
    master = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name, width, height, bandwidth in RENDITIONS:
        master.append(
            f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height},CODECS="{CODECS}"'
        )
        master.append(f"{name}/index.m3u8")
    (hls / "master.m3u8").write_text("\n".join(master) + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(directory: Path, stream: Path | None = None) -> bool:
    """Keys and the origin's files (what the S3 bucket would hold); the video stream is
    copied from ``stream`` or made with ffmpeg. Tells whether there is a stream."""
    from frontgate.keys import generate_private_key, private_pem, public_pem

    key = generate_private_key("rsa")
    (directory / "private_key.pem").write_bytes(private_pem(key))
    (directory / "public_key.pem").write_bytes(public_pem(key))
    for name, data in FILES.items():
        path = directory / "origin" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    folder = directory / "origin" / STREAM
    if stream is not None:
        shutil.copytree(stream, folder)
        return True
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    make_stream(folder, ffmpeg)
    return True


def start_edge(
    directory: Path, echo: bool, cors_origin: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``frontgate edge`` for the origin; ``cors_origin`` lets the site's players read
    from it (CloudFront: a response headers policy allowing that origin, credentials)."""
    cors = ["--cors-origin", cors_origin] if cors_origin else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontgate",
            "edge",
            "--origin",
            str(directory / "origin"),
            "--public-key",
            f"{KEY_PAIR_ID}={directory / 'public_key.pem'}",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *cors,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.match(r"frontgate edge listening on (\S+)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"frontgate edge did not start: {line!r}")
    # the edge's access log: shown when interactive, and read so the pipe never fills
    threading.Thread(target=_relay, args=(proc.stdout, echo), daemon=True).start()
    return proc, match.group(1)


def _relay(stream: IO[str], echo: bool) -> None:
    for text in stream:
        if echo:
            print(f"edge: {text}", end="", flush=True)


def django_env(directory: Path, edge_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "downloads_site.settings",
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "FG_DEMO_DIR": str(directory),
        "FG_EDGE_URL": edge_url,
        "FG_KEY_PAIR_ID": KEY_PAIR_ID,
        "FG_PLAYERS_DIR": str(PLAYERS),
        "PYTHONUNBUFFERED": "1",
    }


def start_django(env: dict[str, str], port: int, server: str) -> subprocess.Popen[bytes]:
    manage = [sys.executable, str(HERE / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=HERE)
    subprocess.run(
        [*manage, "createsuperuser", "--noinput", "--username", "demo", "--email", "d@x.test"],
        env={**env, "DJANGO_SUPERUSER_PASSWORD": "demo"},
        check=True,
        cwd=HERE,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([*manage, "check", "--fail-level", "ERROR"], env=env, check=True, cwd=HERE)
    if server == "runserver":
        command = [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "downloads_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
    proc = subprocess.Popen(command, env=env, cwd=HERE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the Django server did not start")


Getter = Callable[..., tuple[int, dict[str, str], bytes]]


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def check(site: str, edge: str, directory: Path, *, stream: bool = True) -> list[str]:
    """The scenario, once; returns the failures (empty when all is well)."""
    failures: list[str] = []
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    def get(url: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 - http on loopback
        if data is not None:
            request.add_header("Referer", url)
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, _lower(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers.items()), error.read()

    def expect(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    status, headers, _ = get(f"{site}/download/q3-2026")
    where = headers.get("location", "")
    expect(status == 302 and where.startswith("/login/"), "anonymous download -> login page")
    expect(not where.startswith(edge), "anonymous user never sent to the CDN")

    _, _, page = get(f"{site}/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    form = {"username": "demo", "password": "demo", "csrfmiddlewaretoken": ""}
    form["csrfmiddlewaretoken"] = token.group(1).decode() if token else ""
    status, _, _ = get(f"{site}/login/", form)
    expect(status == 302, "log in as demo/demo")
    status, _, page = get(f"{site}/")
    expect(status == 200 and "Q3 2026 résumé.pdf".encode() in page, "reports page lists reports")

    status, headers, _ = get(f"{site}/download/q3-2026")
    signed = headers.get("location", "")
    expect(
        status == 302 and signed.startswith(f"{edge}/media/reports/q3%202026.pdf?"),
        "download -> 302 to a signed URL",
    )
    expect(headers.get("cache-control") == "private, no-store", "redirect is never cached")
    status, headers, data = get(signed)
    expect(status == 200 and data == FILES["media/reports/q3 2026.pdf"], "edge serves the file")
    disposition = headers.get("content-disposition", "")
    expect(
        "r%C3%A9sum%C3%A9.pdf" in disposition and "attachment" in disposition,
        f"download name kept ({disposition})",
    )

    cut = signed.index("Signature=") + len("Signature=")
    tampered = signed[:cut] + ("A" if signed[cut] != "A" else "B") + signed[cut + 1 :]
    expect(get(tampered)[0] == 403, "tampered link refused (403)")

    from frontgate import Signer

    signer = Signer.from_file(directory / "private_key.pem", KEY_PAIR_ID)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "already past" is the point here
        expired = signer.sign_url(
            f"{edge}/media/reports/q3%202026.pdf", expires_at=int(time.time()) - 60
        )
    expect(get(expired)[0] == 403, "expired link refused (403)")
    expect(get(f"{edge}/media/reports/q3%202026.pdf")[0] == 403, "unsigned link refused (403)")

    status, headers, page = get(f"{site}/gallery/")
    expect(status == 200 and b"chart-1.svg" in page, "gallery page served")
    status, _, data = get(f"{edge}/media/gallery/chart-1.svg")
    expect(status == 200 and data.startswith(b"<svg"), "cookie-protected image served")
    jar.clear()
    expect(get(f"{edge}/media/gallery/chart-1.svg")[0] == 403, "image refused without cookies")
    if stream:
        check_video(get, expect, site, edge)
    else:
        print("skip  video (no ffmpeg to make the stream)")
    return failures


def check_video(get: Getter, expect: Callable[[bool, str], None], site: str, edge: str) -> None:
    """The video page's two ways: playlists signed per viewer, and cookies for the
    stream's folder. (A browser plays them in tests/integrations/test_streaming_browser.py.)"""
    stream = f"{edge}/{STREAM}"
    status, _, _ = get(f"{site}/stream/videos/demo/hls/master.m3u8")
    expect(status == 302, "anonymous playlist -> login page")
    _, _, page = get(f"{site}/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    form = {"username": "demo", "password": "demo"}
    form["csrfmiddlewaretoken"] = token.group(1).decode() if token else ""
    get(f"{site}/login/", form)
    status, _, page = get(f"{site}/video/hls/")
    expect(status == 200 and b"/stream/videos/demo/hls/master.m3u8" in page, "video page")

    status, headers, master = get(f"{site}/stream/videos/demo/hls/master.m3u8")
    expect(
        status == 200 and headers.get("content-type") == "application/vnd.apple.mpegurl",
        "master playlist answered by the site, as HLS",
    )
    expect(b"\nlow/index.m3u8\n" in master, "variant URIs kept relative (back to the site)")
    cache = headers.get("cache-control", "")
    expect(re.fullmatch(r"private, max-age=\d+", cache) is not None, f"private ({cache})")
    status, _, variant = get(f"{site}/stream/videos/demo/hls/low/index.m3u8")
    lines = variant.decode().splitlines()
    segment = next((line for line in lines if line.startswith(f"{stream}hls/low/seg")), "")
    expect(status == 200 and "Signature=" in segment, "segments absolute and signed")
    expect(f'URI="{stream}hls/low/key.bin?Policy=' in variant.decode(), "AES-128 key URI signed")
    status, headers, data = get(segment)
    expect(status == 200 and headers.get("content-type") == "video/mp2t", "edge serves segment")
    expect(get(segment.partition("?")[0])[0] == 403, "segment refused unsigned (403)")
    status, headers, manifest = get(f"{site}/stream/videos/demo/dash/manifest.mpd")
    expect(
        status == 200
        and headers.get("content-type") == "application/dash+xml"
        and f'media="{stream}dash/seg-$RepresentationID$-$Number$.m4s?Policy='.encode() in manifest,
        "DASH manifest signed (templates kept)",
    )

    master_url = f"{stream}hls/master.m3u8"
    expect(get(master_url)[0] == 403, "CDN master refused without cookies")
    status, headers, page = get(f"{site}/video/hls/cookies/")
    expect(status == 200 and master_url.encode() in page, "cookie video page")
    status, headers, data = get(master_url)
    expect(status == 200 and data.startswith(b"#EXTM3U"), "master served with stream cookies")
    status, _, data = get(f"{edge}/media/gallery/chart-1.svg")
    expect(status == 403, "stream cookies open nothing outside the stream's folder")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="run the scenario once, exit 0/1")
    parser.add_argument("--port", type=int, default=0, help="Django's port (default: free)")
    parser.add_argument("--server", choices=("uvicorn", "runserver"), default="uvicorn")
    parser.add_argument("--json", action="store_true", help="with --check: print the URLs")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="frontgate-django-"))
    procs: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = []
    try:
        has_stream = prepare(directory)
        port = args.port or free_port()
        site = f"http://127.0.0.1:{port}"
        edge_proc, edge = start_edge(directory, echo=not args.check, cors_origin=site)
        procs.append(edge_proc)
        procs.append(start_django(django_env(directory, edge), port, args.server))
        if args.json:
            print(json.dumps({"site": site, "edge": edge}))
        if args.check:
            failures = check(site, edge, directory, stream=has_stream)
            print("all good" if not failures else f"{len(failures)} check(s) failed")
            return 1 if failures else 0
        print(f"\nfrontgate edge (standing in for CloudFront): {edge}")
        print(f"Django site: {site}/   log in as demo / demo, then download a report")
        print(f"Cookie-protected images: {site}/gallery/")
        if has_stream:
            print(f"Video, signed playlists: {site}/video/hls/ and {site}/video/dash/")
            print(f"Video, signed cookies:   {site}/video/hls/cookies/ and .../dash/cookies/")
            if not (PLAYERS / ".installed").exists():
                print("  (the players come from npm: run `make players` first)")
        else:
            print("No video: ffmpeg is not installed (make sysdeps, or apt-get install ffmpeg)")
        print("Ctrl-C stops both.")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
