"""``frontgate edge``: a local CloudFront-compatible edge in front of a directory (R49).

>>> import tempfile
>>> from frontgate.edge import create_app
>>> from frontgate.keys import generate_private_key, public_pem
>>> keys = {"K2JCJMDEHXQW5F": public_pem(generate_private_key("rsa"))}
>>> app = create_app(tempfile.mkdtemp(), keys)

``app`` is a plain ASGI application; :mod:`frontgate.edge.server` runs it under granian
(the ``frontgate[edge]`` extra), as ``frontgate edge`` does.
"""

from __future__ import annotations

from .app import ACCESS_LOG, EdgeApp, create_app

__all__ = ["ACCESS_LOG", "EdgeApp", "create_app"]
