"""A django-sendfile2 backend: ``SENDFILE_BACKEND = "frontgate.integrations.django.sendfile"``.

``sendfile(request, path, attachment=True, attachment_filename=...)`` then answers with a
redirect to a signed URL: the file's path relative to ``SENDFILE_ROOT``, under
``LOCATIONS[SENDFILE_URL]`` (or, without ``SENDFILE_URL``, the filesystem path matched
against ``LOCATIONS``' filesystem prefixes). The download name, set by django-sendfile2,
travels in the signed URL. Needs ``AccelRedirectMiddleware`` (checked by ``manage.py
check``, ``frontgate.E003``).

>>> sendfile.__name__
'sendfile'
"""

from __future__ import annotations

from os import PathLike, fspath
from pathlib import PurePosixPath
from posixpath import normpath
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse

__all__ = ["sendfile"]


def sendfile(request: HttpRequest, filename: str | PathLike[str], **kwargs: Any) -> HttpResponse:
    """The backend function django-sendfile2 calls with the absolute file path."""
    del request, kwargs
    from django.conf import settings

    response = HttpResponse()
    path = PurePosixPath(fspath(filename))
    url_root = getattr(settings, "SENDFILE_URL", None)
    if url_root:
        relative = path.relative_to(PurePosixPath(fspath(settings.SENDFILE_ROOT)))
        response["X-Accel-Redirect"] = quote(normpath(f"{url_root}/{relative}"))
    else:
        response["X-Sendfile"] = str(path)
    return response
