"""HLS (hls.js) and DASH (dash.js) play in headless Chromium from a running ``frontgate
edge``, behind the Django example (``examples/django_downloads``), and are refused
without signatures.

The stream is made by ffmpeg once per session (``servers`` in conftest.py): a 5-second
H.264 test pattern as an HLS master with two renditions of 1-second segments (160x90
MPEG-TS encrypted with AES-128, so ``EXT-X-KEY``; 320x180 fragmented MP4, so
``EXT-X-MAP``) and as a DASH manifest of the same two sizes (``SegmentTemplate``).
Debian's Chromium decodes H.264 through Media Source Extensions (it is built with its
system ffmpeg's proprietary codecs; ``MediaSource.isTypeSupported`` is asserted below), so
no VP9/AV1 variant is needed.

Two ways to open a stream, each driven by the example's video page:

* signed playlists: the player asks the *site* for every playlist; the view answers
  ``X-Accel-Redirect`` and the middleware answers the playlist signed for this viewer
  (segment, key and init URIs absolute and signed for the edge; variant URIs relative,
  so the player comes back to the site for each). Master -> variant -> segments.
* signed cookies: the page sets cookies for the stream's folder only
  (``X-Frontgate-Cookies: media/videos/demo/; scope=folder``) and the player asks the
  edge directly, with credentials (the edge's ``--cors-origin`` is the site). The site
  and the edge are both 127.0.0.1 on different ports: cookies ignore ports, and the two
  origins are same-site, so ``SameSite=Lax`` cookies go along with the player's requests.

"Plays" means ``currentTime`` passes 2 s and every request to the edge was answered 200
or 206. Everything is polled with deadlines, never slept on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from frontgate import Signer
from frontgate.distribution import Distribution
from tests.browser import Browser, Page, require_ffmpeg, require_players
from tests.conftest import KEY_PAIR_ID

from .conftest import Servers, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STREAM = "media/videos/demo/"
PLAYS = "document.getElementById('video').currentTime > 2"
#: the page reports fatal player errors in window.player.errors
FAILED = "window.player.errors.length > 0"


@pytest.fixture(scope="module")
def site(servers: Servers) -> Servers:
    """The session's site, with the stream and the players there."""
    require_ffmpeg()
    require_players()
    assert servers.stream, "ffmpeg is installed but the example made no stream"
    return servers


@pytest.fixture(autouse=True)
def close_contexts(browser: Browser) -> Iterator[None]:
    """Players stop with their test: the contexts it opened are disposed afterwards, so
    no video or retry loop keeps the (shared, two-core) machine busy."""
    before = set(browser.call("Target.getBrowserContexts")["browserContextIds"])
    yield
    for context in browser.call("Target.getBrowserContexts")["browserContextIds"]:
        if context not in before:
            browser.call("Target.disposeBrowserContext", browserContextId=context)


def play(browser: Browser, site: Servers, path: str) -> Page:
    """A fresh browser (own cookie jar), logged in, on the video page at ``path``; returns
    once the video plays past 2 s (or fails the test with what the player said)."""
    page = browser.new_page(browser.new_context())
    log_in(page, site.site)
    page.navigate(f"{site.site}{path}")
    page.wait_until(f"!!window.player && ({PLAYS} || {FAILED})", timeout=30)
    state = page.evaluate(
        "(video => ({errors: window.player.errors, time: video.currentTime,"
        " width: video.videoWidth, frames: video.getVideoPlaybackQuality().totalVideoFrames})"
        ")(document.getElementById('video'))"
    )
    assert state["errors"] == [], (state, edge_answers(page, site))
    assert state["time"] > 2
    # decoded pictures, not only a clock: 24 frames a second, 160 or 320 pixels wide
    assert state["frames"] > 24
    assert state["width"] in (160, 320)
    return page


def responses(page: Page) -> list[dict[str, Any]]:
    return [event["response"] for event in page.network("Network.responseReceived")]


def edge_answers(page: Page, site: Servers) -> list[tuple[str, int]]:
    """(path and query under the edge, status) of every answer the page got from it."""
    return [
        (response["url"][len(site.edge) :], response["status"])
        for response in responses(page)
        if response["url"].startswith(f"{site.edge}/")
    ]


def failed_requests(page: Page, site: Servers) -> list[str]:
    """Requests to the edge that got no answer at all (CORS, network), cancels aside."""
    urls = {
        event["requestId"]: event["request"]["url"]
        for event in page.network("Network.requestWillBeSent")
    }
    return [
        urls.get(event["requestId"], "?")
        for event in page.network("Network.loadingFailed")
        if not event.get("canceled") and urls.get(event["requestId"], "").startswith(site.edge)
    ]


def assert_all_served(page: Page, site: Servers) -> list[str]:
    """Every request to the edge was answered 200/206; returns their paths."""
    answers = edge_answers(page, site)
    assert answers
    assert all(status in (200, 206) for _, status in answers), answers
    assert failed_requests(page, site) == []
    return [url.partition("?")[0] for url, _ in answers]


def test_chromium_plays_h264_through_media_source(browser: Browser, site: Servers) -> None:
    """The codecs of the test stream (H.264 baseline in MPEG-TS and in fragmented MP4)."""
    page = browser.new_page(browser.new_context())
    page.navigate(f"{site.site}/login/")
    page.wait_until("document.readyState === 'complete'")
    supported = page.evaluate(
        "['video/mp4; codecs=\"avc1.42c01e\"', 'video/mp2t; codecs=\"avc1.42c01e\"']"
        ".map(type => MediaSource.isTypeSupported(type))"
    )
    assert supported == [True, True]


@pytest.mark.parametrize(
    ("kind", "playlists", "media"),
    [
        (
            "hls",
            ["hls/master.m3u8", "hls/low/index.m3u8"],
            ["hls/low/key.bin", "hls/low/seg0.ts"],
        ),
        ("dash", ["dash/manifest.mpd"], ["dash/seg-0-1.m4s", "dash/seg-0-2.m4s"]),
    ],
    ids=["hls", "dash"],
)
def test_plays_with_playlists_signed_by_the_site(
    browser: Browser, site: Servers, kind: str, playlists: list[str], media: list[str]
) -> None:
    """The player gets every playlist from the site, signed for this viewer; segments,
    keys and init sections from the edge, each by a signed URL. No cookie is involved."""
    page = play(browser, site, f"/video/{kind}/")
    served = assert_all_served(page, site)
    # the CDN served media only: every playlist came from the site (master -> variant)
    assert not [path for path in served if path.endswith((".m3u8", ".mpd"))]
    for path in media:
        assert f"/{STREAM}{path}" in served
    from_site = {
        response["url"][len(site.site) :]: response
        for response in responses(page)
        if response["url"].startswith(f"{site.site}/stream/")
    }
    for path in playlists:
        answer = from_site[f"/stream/videos/demo/{path}"]
        assert answer["status"] == 200
        assert answer["headers"]["cache-control"].startswith("private, max-age=")
    signed = [
        response["url"]
        for response in responses(page)
        if response["url"].startswith(f"{site.edge}/")
    ]
    assert all("Policy=" in url and "Signature=" in url for url in signed)
    cookies = browser.call("Storage.getCookies", browserContextId=page.context)["cookies"]
    assert not [cookie for cookie in cookies if cookie["name"].startswith("CloudFront-")]


@pytest.mark.parametrize(
    ("kind", "media"),
    [
        ("hls", ["hls/master.m3u8", "hls/low/index.m3u8", "hls/low/key.bin", "hls/low/seg0.ts"]),
        ("dash", ["dash/manifest.mpd", "dash/init-0.m4s", "dash/seg-0-1.m4s"]),
    ],
    ids=["hls", "dash"],
)
def test_plays_with_stream_cookies_set_by_the_site(
    browser: Browser, site: Servers, kind: str, media: list[str]
) -> None:
    """The site (another port) sets cookies for the stream's folder; the player asks the
    edge for everything, playlists included, with credentials, and plain URLs. The
    cookies reach the edge because their Domain/Path match it (R34, R37)."""
    page = play(browser, site, f"/video/{kind}/cookies/")
    served = assert_all_served(page, site)
    for path in media:
        assert f"/{STREAM}{path}" in served
    assert not [url for url, _ in edge_answers(page, site) if "Signature=" in url]
    cookies = browser.call("Storage.getCookies", browserContextId=page.context)["cookies"]
    signed = [cookie for cookie in cookies if cookie["name"].startswith("CloudFront-")]
    assert {cookie["name"] for cookie in signed} == {
        "CloudFront-Policy",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
    }
    for cookie in signed:
        # scoped to the stream: sent for its files, not for the rest of the CDN
        assert cookie["path"] == f"/{STREAM}"
        assert cookie["domain"] == "127.0.0.1"
        assert cookie["sameSite"] == "Lax"
        assert cookie["httpOnly"] is True


#: builds a player on the current page (one of the site's, so the edge's CORS policy
#: applies) for a source the test chooses; errors land in window.player.errors
PLAYER = """
new Promise((done) => {
  window.player = {errors: []};
  const video = document.createElement("video");
  video.id = "video"; video.muted = true; video.autoplay = true;
  document.body.append(video);
  const script = document.createElement("script");
  script.src = %(script)s;
  script.onload = () => {
    const failed = (what) => window.player.errors.push(what);
    if (%(kind)s === "hls") {
      const hls = new Hls({xhrSetup: (xhr) => { xhr.withCredentials = true; }});
      hls.on(Hls.Events.ERROR, (event, data) => {
        if (data.fatal) failed(data.details + " " + (data.response ? data.response.code : ""));
      });
      hls.loadSource(%(source)s);
      hls.attachMedia(video);
    } else {
      const dash = dashjs.MediaPlayer().create();
      dash.setXHRWithCredentialsForType(undefined, true);
      dash.on(dashjs.MediaPlayer.events.ERROR, (event) => failed("dash " + event.error.code));
      dash.initialize(video, %(source)s, true);
    }
    done(true);
  };
  document.head.append(script);
})
"""
SCRIPTS = {
    "hls": "/players/hls.js/dist/hls.min.js",
    "dash": "/players/dashjs/dist/modern/umd/dash.all.min.js",
}


def refused(browser: Browser, site: Servers, kind: str, source: str) -> Page:
    """A player on a page of the site, logged in but without stream cookies, pointed
    at ``source``; returns once it has given up (a fatal error)."""
    page = browser.new_page(browser.new_context())
    log_in(page, site.site)
    values = {"script": SCRIPTS[kind], "kind": kind, "source": source}
    page.evaluate(PLAYER % {name: json.dumps(value) for name, value in values.items()})
    page.wait_until(FAILED, timeout=30)
    assert page.evaluate("document.getElementById('video').currentTime") == 0
    assert failed_requests(page, site) == []  # refusals are answers, not CORS failures
    return page


def signed_url(site: Servers, path: str) -> str:
    signer = Signer.from_file(site.directory / "private_key.pem", KEY_PAIR_ID)
    return Distribution(site.edge, signer).url(path)


def test_refused_without_cookies_or_signed_playlists(browser: Browser, site: Servers) -> None:
    """No cookies, and the master asked for unsigned: the edge refuses it (403
    ``MissingKey``, R38), the player stops there."""
    page = refused(browser, site, "hls", f"{site.edge}/{STREAM}hls/master.m3u8")
    assert edge_answers(page, site) == [(f"/{STREAM}hls/master.m3u8", 403)]
    assert page.evaluate("window.player.errors") == ["manifestLoadError 403"]


def test_refused_when_only_the_master_is_signed(browser: Browser, site: Servers) -> None:
    """One signed URL covers one file (a canned policy grants one URL, R4): the master's
    query is not inherited by the relative variant URIs in it, so the player is refused
    the variant (403 ``MissingKey``, R38)."""
    master = signed_url(site, f"{STREAM}hls/master.m3u8")
    page = refused(browser, site, "hls", master)
    answers = [(url.partition("?")[0], status) for url, status in edge_answers(page, site)]
    assert answers[0] == (f"/{STREAM}hls/master.m3u8", 200)
    assert (f"/{STREAM}hls/low/index.m3u8", 403) in answers
    assert all(status == 403 for _, status in answers[1:])
    assert page.evaluate("window.player.errors")[0].startswith("levelLoadError 403")


def test_dash_segments_refused_when_only_the_manifest_is_signed(
    browser: Browser, site: Servers
) -> None:
    """The manifest by a signed URL, its segments by plain ones: every segment 403."""
    page = refused(browser, site, "dash", signed_url(site, f"{STREAM}dash/manifest.mpd"))
    answers = [(url.partition("?")[0], status) for url, status in edge_answers(page, site)]
    assert answers[0] == (f"/{STREAM}dash/manifest.mpd", 200)
    media = answers[1:]
    assert media
    assert all(path.endswith(".m4s") and status == 403 for path, status in media)


def test_lax_stream_cookies_are_not_sent_from_another_site(browser: Browser, site: Servers) -> None:
    """SameSite=Lax, seen from both sides: the same cookies that went with the player's
    requests from the site (127.0.0.1, another port: same site) stay home when a page on
    ``localhost`` (another site) asks the edge with credentials. Chromium says why
    (R34: SameSite=Lax is frontgate's default)."""
    context = browser.new_context()
    home = browser.new_page(context)
    log_in(home, site.site)
    home.navigate(f"{site.site}/video/hls/cookies/")
    home.wait_until(PLAYS, timeout=30)
    master = f"{site.edge}/{STREAM}hls/master.m3u8"

    elsewhere = browser.new_page(context)
    elsewhere.navigate(site.site.replace("127.0.0.1", "localhost") + "/login/")
    elsewhere.wait_until("document.readyState === 'complete'")
    outcome = elsewhere.evaluate(
        f"fetch({json.dumps(master)}, {{credentials: 'include'}})"
        ".then(r => r.status, () => 'unreadable')"
    )
    assert outcome == "unreadable"  # nor may that origin read the answer (CORS)
    (request,) = [
        event["requestId"]
        for event in elsewhere.network("Network.requestWillBeSent")
        if event["request"]["url"] == master
    ]
    (sent,) = [
        event
        for event in elsewhere.network("Network.requestWillBeSentExtraInfo")
        if event["requestId"] == request
    ]
    (answered,) = [
        event
        for event in elsewhere.network("Network.responseReceivedExtraInfo")
        if event["requestId"] == request
    ]
    assert answered["statusCode"] == 403  # the edge saw no cookies: MissingKey
    blocked = {
        cookie["cookie"]["name"]: cookie["blockedReasons"]
        for cookie in sent["associatedCookies"]
        if cookie["cookie"]["name"].startswith("CloudFront-")
    }
    assert len(blocked) == 3
    # "SchemefulSameSiteLax"; Chromium adds "UserPreferences", its third-party cookie
    # blocking, which would stop SameSite=None cookies here just the same
    for reasons in blocked.values():
        assert any("SameSiteLax" in reason for reason in reasons), blocked
