"""Settings of the example: an app that used nginx's X-Accel-Redirect, now on CloudFront.

run.py sets FG_DEMO_DIR (keys, database, the origin's files), FG_EDGE_URL (the local
`frontgate edge` standing in for CloudFront), FG_KEY_PAIR_ID and FG_PLAYERS_DIR.
"""

import os
from pathlib import Path

DEMO_DIR = Path(os.environ.get("FG_DEMO_DIR", Path(__file__).resolve().parent.parent / ".demo"))
SECRET_KEY = "example-only-not-secret"  # noqa: S105 - a local demo
DEBUG = os.environ.get("FG_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "frontgate.integrations.django",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # where nginx used to read X-Accel-Redirect: now a redirect to a signed URL
    "frontgate.integrations.django.AccelRedirectMiddleware",
]
ROOT_URLCONF = "downloads_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DEMO_DIR / "db.sqlite3"}}
USE_TZ = True
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

FRONTGATE = {
    "KEY_PAIR_ID": os.environ.get("FG_KEY_PAIR_ID", "KDEMO0000001"),
    "PRIVATE_KEY": str(DEMO_DIR / "private_key.pem"),
    "BASE_URL": os.environ.get("FG_EDGE_URL", "http://127.0.0.1:8080"),
    "EXPIRES_IN": 60,
    # nginx: location /protected/ { internal; alias /srv/media/; }
    "LOCATIONS": {"/protected/": "media/"},
    # the playlists (.m3u8/.mpd), under the same paths as under BASE_URL: the middleware
    # answers them signed for each viewer (without it, it fetches them through BASE_URL)
    "PLAYLIST_ROOT": os.environ.get("FG_PLAYLIST_ROOT", str(DEMO_DIR / "origin")),
}
#: hls.js and dash.js from npm (`make players`), served at /players/
PLAYERS_DIR = Path(os.environ.get("FG_PLAYERS_DIR", DEMO_DIR / "players"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"frontgate": {"handlers": ["console"], "level": "WARNING"}},
}
