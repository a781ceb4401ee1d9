from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.reports, name="reports"),
    path("download/<slug:slug>", views.download, name="download"),
    path("gallery/", views.gallery, name="gallery"),
    path("video/<slug:kind>/", views.video, name="video"),
    path("video/<slug:kind>/cookies/", views.video, {"cookies": True}, name="video-cookies"),
    path("stream/videos/<path:path>", views.stream, name="stream"),
    path("players/<path:path>", views.players, name="players"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
]
