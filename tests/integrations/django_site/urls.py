"""URLs of the Django test site."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("report/<path:name>", views.report),
    path("async-report/<path:name>", views.async_report),
    path("outside", views.outside),
    path("plain", views.plain),
    path("stream", views.stream),
    path("streamed-accel", views.streamed_accel),
    path("expires", views.expires),
    path("sendfile/<path:name>", views.sendfile_view),
    path("helper/<path:name>", views.helper),
    path("videos", views.videos),
    path("videos-header", views.videos_header),
    path("template", views.template),
    path("playlist/<path:name>", views.playlist),
    path("async-playlist/<path:name>", views.async_playlist),
    path("playlist-helper/<path:name>", views.playlist_helper),
    path("async-playlist-helper/<path:name>", views.async_playlist_helper),
    path("stream-cookies/<path:name>", views.stream_cookies),
]
