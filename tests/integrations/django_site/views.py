"""Views the Django tests drive: the seed scenario's download view and its variants."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template import engines
from django_sendfile import sendfile

from frontgate.integrations.django import (
    asigned_playlist_response,
    set_signed_cookies,
    set_stream_cookies,
    signed_playlist_response,
    signed_redirect,
)


@login_required
def report(request: HttpRequest, name: str) -> HttpResponse:
    """The nginx-era view: decide, then hand the file to the front server."""
    response = HttpResponse(content_type="application/pdf")
    response["X-Accel-Redirect"] = f"/protected/{name}"
    response["Content-Disposition"] = f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
    response["Content-Length"] = "12345"
    response["X-Request-Note"] = "kept"
    response.set_cookie("seen", "1")
    return response


async def async_report(request: HttpRequest, name: str) -> HttpResponse:
    response = HttpResponse()
    response["X-Accel-Redirect"] = f"/protected/{name}"
    return response


def outside(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("secret internal path")
    response["X-Accel-Redirect"] = "/internal/secret.pdf"
    return response


def plain(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("hello", content_type="text/plain")
    response["X-Other"] = "1"
    return response


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def chunks() -> Iterator[bytes]:
        yield b"one,"
        yield b"two"

    return StreamingHttpResponse(chunks(), content_type="text/csv")


def streamed_accel(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iter([b"never sent"]))
    response["X-Accel-Redirect"] = "/protected/report.pdf"
    return response


def expires(request: HttpRequest) -> HttpResponse:
    response = HttpResponse()
    response["X-Accel-Redirect"] = "/protected/report.pdf"
    response["X-Accel-Expires"] = "60"
    response["X-Accel-Limit-Rate"] = "1024"
    return response


@login_required
def sendfile_view(request: HttpRequest, name: str) -> HttpResponse:
    response: HttpResponse = sendfile(
        request, f"/srv/private/{name}", attachment=True, attachment_filename=f"Copy of {name}"
    )
    return response


@login_required
def helper(request: HttpRequest, name: str) -> HttpResponse:
    return signed_redirect(request, f"media/{name}", filename=name, attachment=True)


@login_required
def videos(request: HttpRequest) -> HttpResponse:
    return set_signed_cookies(HttpResponse("<video>"), "hls/", expires_in=600)


@login_required
def videos_header(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<video>")
    response["X-Frontgate-Cookies"] = "/protected/videos/; expires_in=600"
    return response


def template(request: HttpRequest) -> HttpResponse:
    text = (
        '{% load frontgate %}<a href="{% signed_url "media/report.pdf" filename="r.pdf" '
        'attachment=True %}">r</a>{% signed_url "media/b.pdf" expires_in=60 as link %}'
        "<p>{{ link }}</p>"
    )
    return HttpResponse(engines["django"].from_string(text).render({}, request))


def playlist(request: HttpRequest, name: str) -> HttpResponse:
    """A playlist the nginx way: the middleware answers it signed for the viewer."""
    response = HttpResponse("never sent", content_type="text/plain")
    response["X-Accel-Redirect"] = f"/protected/{name}"
    response.set_cookie("seen", "1")
    return response


async def async_playlist(request: HttpRequest, name: str) -> HttpResponse:
    response = HttpResponse()
    response["X-Accel-Redirect"] = f"/protected/{name}"
    response.set_cookie("seen", "1")
    return response


def playlist_helper(request: HttpRequest, name: str) -> HttpResponse:
    return signed_playlist_response(request, f"media/{name}")


async def async_playlist_helper(request: HttpRequest, name: str) -> HttpResponse:
    return await asigned_playlist_response(request, f"media/{name}")


def stream_cookies(request: HttpRequest, name: str) -> HttpResponse:
    return set_stream_cookies(HttpResponse("<video>"), f"media/{name}")
