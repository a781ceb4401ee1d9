"""Web framework integrations: the app decides, CloudFront serves.

A response carrying ``X-Accel-Redirect`` (or ``X-Sendfile``) becomes a redirect to a
short-lived signed URL for the mapped ``LOCATIONS`` prefix, as nginx's ``internal``
locations did. Modules: :mod:`.wsgi`, :mod:`.asgi` (no framework needed), :mod:`.django`,
:mod:`.flask`, :mod:`.fastapi` (each needs its extra, e.g. ``pip install 'frontgate[django]'``).

>>> from frontgate.integrations.gate import Gate
>>> Gate.__name__
'Gate'
"""
