"""``{% load frontgate %}{% signed_url "media/report.pdf" %}``.

Takes :meth:`~frontgate.Distribution.url`'s keywords and ``as``::

    {% signed_url "media/report.pdf" filename="Q3 report.pdf" attachment=True as link %}
    <a href="{{ link }}">Download</a>

>>> register.tags["signed_url"].__name__
'signed_url'
"""

from __future__ import annotations

from django import template

from ..helpers import signed_url as _signed_url

register = template.Library()


@register.simple_tag(name="signed_url")
def signed_url(
    path: str,
    filename: str | None = None,
    attachment: bool = False,
    content_type: str | None = None,
    expires_in: int | float | None = None,
) -> str:
    """A signed URL for ``path`` under ``BASE_URL`` (autoescaped in HTML: ``&amp;``)."""
    return _signed_url(
        path,
        filename=filename,
        attachment=attachment,
        content_type=content_type,
        expires_in=expires_in,
    )
