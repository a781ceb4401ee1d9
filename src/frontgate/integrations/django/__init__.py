"""Django integration: an installable app, the X-Accel-Redirect middleware and helpers.

::

    INSTALLED_APPS = [..., "frontgate.integrations.django"]
    MIDDLEWARE = [..., "frontgate.integrations.django.AccelRedirectMiddleware"]
    FRONTGATE = {"KEY_PAIR_ID": "K2JCJMDEHXQW5F", "PRIVATE_KEY": "env:CLOUDFRONT_KEY",
                 "BASE_URL": "https://cdn.example.com", "LOCATIONS": {"/protected/": "media/"}}

    from frontgate.integrations.django import signed_redirect
    def report(request, name):
        return signed_redirect(request, f"media/{name}", filename=name, attachment=True)

``settings.FRONTGATE`` is read at first use and again whenever a test changes it
(``override_settings``); without ``PRIVATE_KEY``/``KEY_PAIR_ID`` it falls back to
django-storages' ``AWS_CLOUDFRONT_KEY``/``AWS_CLOUDFRONT_KEY_ID``.
"""

from __future__ import annotations

from ...errors import extra_missing

try:
    import django  # noqa: F401 - fail here, with the install line, when the extra is missing
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise extra_missing("frontgate's Django integration needs Django", "django") from exc

from .conf import get_distribution as get_distribution
from .conf import get_gate as get_gate
from .helpers import asigned_playlist_response as asigned_playlist_response
from .helpers import set_signed_cookies as set_signed_cookies
from .helpers import set_stream_cookies as set_stream_cookies
from .helpers import signed_playlist_response as signed_playlist_response
from .helpers import signed_redirect as signed_redirect
from .helpers import signed_url as signed_url
from .middleware import AccelRedirectMiddleware as AccelRedirectMiddleware

__all__ = [
    "AccelRedirectMiddleware",
    "asigned_playlist_response",
    "get_distribution",
    "get_gate",
    "set_signed_cookies",
    "set_stream_cookies",
    "signed_playlist_response",
    "signed_redirect",
    "signed_url",
]
