"""A real headless Chromium against the Django example (``examples/django_downloads``)
and a running ``frontgate edge``, both on 127.0.0.1.

The browser logs in through the site's form, clicks a report: the view answers
``X-Accel-Redirect``, the middleware turns it into a 302 to a signed URL, and the
browser downloads the file from the edge under its ``Content-Disposition`` name. An
anonymous browser is sent to the login page and never to the edge. The gallery page sets
signed cookies (no ``Secure`` on http loopback) and its ``<img>`` elements load from the
edge; a browser without those cookies is refused.

Each scenario runs in its own browser context (its own cookie jar, like a fresh
profile); what the browser did is read from DevTools Network and download events. The
servers and the browser are the session's (``servers`` and ``browser`` in conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import Browser, DevToolsError
from tests.conftest import KEY_PAIR_ID

from .conftest import Servers, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: the report the browser downloads: the view's slug, its file and its download name
SLUG = "q3-2026"
REPORT = "media/reports/q3 2026.pdf"
DOWNLOAD_NAME = "Q3 2026 résumé.pdf"


def headers(response: dict[str, object]) -> dict[str, str]:
    raw = response["headers"]
    assert isinstance(raw, dict)
    return {str(name).lower(): str(value) for name, value in raw.items()}


def test_browser_download_follows_signed_redirect_to_the_edge(
    browser: Browser, servers: Servers, tmp_path: Path
) -> None:
    """Logged in, a click on a report ends at the edge's signed URL with the file's bytes
    under its download name (the X-Accel-Redirect flow, seen from a browser)."""
    context = browser.new_context()
    browser.call(
        "Browser.setDownloadBehavior",
        behavior="allowAndName",
        downloadPath=str(tmp_path),
        browserContextId=context,
        eventsEnabled=True,
    )
    page = browser.new_page(context)
    log_in(page, servers.site)
    assert page.evaluate("document.body.textContent").count(DOWNLOAD_NAME) == 1

    page.evaluate(f"document.getElementById('{SLUG}').click()")
    try:
        began = browser.wait_event(
            "Browser.downloadWillBegin", lambda event: event["frameId"] == page.target
        )
    except DevToolsError as error:  # say where the browser went instead
        answers = [
            (event["response"]["url"], event["response"]["status"])
            for event in page.network("Network.responseReceived")
        ]
        pytest.fail(f"{error}; the page is at {page.evaluate('location.href')}; {answers}")
    done = browser.wait_event(
        "Browser.downloadProgress",
        lambda event: event["guid"] == began["guid"] and event["state"] != "inProgress",
        timeout=15,
    )
    assert done["state"] == "completed"

    # the browser ended at the edge's signed URL, and named the file from the edge's header
    signed = began["url"]
    assert signed.startswith(f"{servers.edge}/media/reports/q3%202026.pdf?")
    query = parse_qs(urlsplit(signed).query)
    assert {"Expires", "Signature", "Key-Pair-Id", "response-content-disposition"} <= set(query)
    assert query["Key-Pair-Id"] == [KEY_PAIR_ID]
    assert began["suggestedFilename"] == DOWNLOAD_NAME
    assert (tmp_path / began["guid"]).read_bytes() == servers.files[REPORT]

    # the site answered the click with a private 302 to that URL, the edge with the file
    sent = page.network("Network.requestWillBeSent")
    (hop,) = [event for event in sent if event["request"]["url"] == signed]
    redirect = hop["redirectResponse"]
    assert redirect["url"] == f"{servers.site}/download/{SLUG}"
    assert redirect["status"] == 302
    assert headers(redirect)["location"] == signed
    assert headers(redirect)["cache-control"] == "private, no-store"
    (served,) = [
        event["response"]
        for event in page.network("Network.responseReceived")
        if event["response"]["url"] == signed
    ]
    assert served["status"] == 200
    disposition = headers(served)["content-disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''Q3%202026%20r%C3%A9sum%C3%A9.pdf" in disposition
    # a download does not replace the page
    assert page.evaluate("location.href") == f"{servers.site}/"


def test_browser_anonymous_download_goes_to_login_never_to_the_edge(
    browser: Browser, servers: Servers
) -> None:
    page = browser.new_page(browser.new_context())
    page.navigate(f"{servers.site}/download/{SLUG}")
    page.wait_until("location.pathname === '/login/' && !!document.forms[0]")
    assert page.evaluate("location.search") == f"?next=/download/{SLUG}"
    requested = [event["request"]["url"] for event in page.network("Network.requestWillBeSent")]
    assert requested[0] == f"{servers.site}/download/{SLUG}"
    assert not [url for url in requested if url.startswith(servers.edge)]
    downloads = browser.events_of("Browser.downloadWillBegin")
    assert not [event for event in downloads if event["frameId"] == page.target]


def test_browser_gallery_images_load_with_signed_cookies_only(
    browser: Browser, servers: Servers
) -> None:
    """The gallery's signed cookies reach the edge (same host, another port); a browser
    without them gets 403 for the same images."""
    context = browser.new_context()
    page = browser.new_page(context)
    log_in(page, servers.site)
    page.navigate(f"{servers.site}/gallery/")
    page.wait_until(
        "document.images.length === 2 && [...document.images].every(image => image.complete)"
    )
    images = page.evaluate(
        "[...document.images].map(image => [image.currentSrc, image.naturalWidth])"
    )
    sources = [f"{servers.edge}/media/gallery/chart-{n}.svg" for n in (1, 2)]
    assert images == [[source, 120] for source in sources]
    statuses = {
        event["response"]["url"]: event["response"]["status"]
        for event in page.network("Network.responseReceived")
    }
    assert [statuses[source] for source in sources] == [200, 200]

    cookies = browser.call("Storage.getCookies", browserContextId=context)["cookies"]
    signed = {cookie["name"]: cookie for cookie in cookies if cookie["name"].startswith("Cloud")}
    assert set(signed) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    for cookie in signed.values():
        assert cookie["domain"] == "127.0.0.1"
        assert cookie["secure"] is False  # a Secure cookie would not be stored from http
        assert cookie["httpOnly"] is True
    assert signed["CloudFront-Key-Pair-Id"]["value"] == KEY_PAIR_ID

    # a fresh cookie jar: the image itself, and the same image in an <img>, are refused
    stranger = browser.new_page(browser.new_context())
    stranger.navigate(sources[0])
    stranger.wait_until("document.readyState === 'complete'")
    (refused,) = [
        event["response"]
        for event in stranger.network("Network.responseReceived")
        if event["response"]["url"] == sources[0]
    ]
    assert refused["status"] == 403
    assert "MissingKey" in stranger.evaluate("document.documentElement.outerHTML")
    outcome = stranger.evaluate(
        "new Promise(done => { const image = new Image();"
        " image.onload = () => done('loaded ' + image.naturalWidth);"
        " image.onerror = () => done('error');"
        f" image.src = {json.dumps(sources[1])}; }})"
    )
    assert outcome == "error"
