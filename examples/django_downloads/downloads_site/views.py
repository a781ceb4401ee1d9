"""The views, unchanged from the nginx days: decide, then answer X-Accel-Redirect."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from frontgate.integrations.django import get_distribution

#: slug -> (download name, path under the protected location)
REPORTS = {
    "q3-2026": ("Q3 2026 résumé.pdf", "reports/q3 2026.pdf"),
    "annual-2025": ("Annual report 2025.pdf", "reports/annual-2025.pdf"),
}
IMAGES = ["gallery/chart-1.svg", "gallery/chart-2.svg"]


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    return render(request, "reports.html", {"reports": REPORTS})


@login_required
def download(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in REPORTS:
        raise Http404(slug)
    name, path = REPORTS[slug]
    response = HttpResponse(content_type="application/pdf")
    response["X-Accel-Redirect"] = f"/protected/{path}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def gallery(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    base = settings.FRONTGATE["BASE_URL"]
    response = render(request, "gallery.html", {"images": [f"{base}/media/{i}" for i in IMAGES]})
    # many images on one page: one set of signed cookies instead of a signed URL each
    response["X-Frontgate-Cookies"] = "media/gallery/"
    return response


#: the stream under the protected location, as HLS and as DASH
VIDEO = "videos/demo/"
PLAYLISTS = {"hls": "hls/master.m3u8", "dash": "dash/manifest.mpd"}
#: the player scripts under PLAYERS_DIR (npm packages)
PLAYER_SCRIPTS = {
    "hls": "hls.js/dist/hls.min.js",
    "dash": "dashjs/dist/modern/umd/dash.all.min.js",
}


@login_required
def video(request: HttpRequest, kind: str, cookies: bool = False) -> HttpResponse:
    """The video page. By default the player asks this site for each playlist (``stream``
    below) and gets it signed; with ``cookies`` it asks the CDN directly, with signed
    cookies for the stream's folder set here."""
    if kind not in PLAYLISTS:
        raise Http404(kind)
    if cookies:
        source = get_distribution().resolve(f"media/{VIDEO}{PLAYLISTS[kind]}")
    else:
        source = f"/stream/{VIDEO}{PLAYLISTS[kind]}"
    player = {"kind": kind, "source": source, "credentials": cookies}
    context = {"player": player, "script": f"/players/{PLAYER_SCRIPTS[kind]}"}
    response = render(request, "video.html", context)
    if cookies:
        # one set of cookies for every file of this stream, and for nothing else
        response["X-Frontgate-Cookies"] = f"media/{VIDEO}; scope=folder"
    return response


@login_required
def stream(request: HttpRequest, path: str) -> HttpResponse:
    """A playlist: the middleware answers it signed for this viewer (nginx could only
    pass the file through; the segments it names would then need cookies)."""
    if not path.endswith((".m3u8", ".mpd")):
        raise Http404(path)
    response = HttpResponse()
    response["X-Accel-Redirect"] = f"/protected/videos/{path}"
    return response


def players(request: HttpRequest, path: str) -> HttpResponse:
    """hls.js and dash.js from npm (``make players``); public, like any script. (A real
    site serves them as static files.)"""
    if path not in PLAYER_SCRIPTS.values():
        raise Http404(path)
    try:
        script = (Path(settings.PLAYERS_DIR) / path).read_bytes()
    except FileNotFoundError:
        raise Http404(f"{path}: run `make players`") from None
    return HttpResponse(script, content_type="text/javascript")
