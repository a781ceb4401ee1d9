"""The integrations' header reading (gate.py): ``Content-Disposition``, and
``X-Accel-Redirect`` / ``X-Sendfile`` / ``X-Frontgate-Cookies`` values turned into
signed answers. Either a Rewrite whose Location stays under BASE_URL, or None."""

from __future__ import annotations

import logging
from functools import cache

from frontgate.distribution import Distribution
from frontgate.integrations.gate import Gate, Rewrite, parse_content_disposition
from fuzz._common import RSA_ID, D, Meter, fields, signers

BUDGET_BASE = 8000
BUDGET_PER_BYTE = 20  # each byte to escape costs a few calls, twice (path, then URL)
HEADERS = ("X-Accel-Redirect", "X-Sendfile", "X-Frontgate-Cookies")


@cache
def gate() -> Gate:
    logging.getLogger("frontgate.integrations").setLevel(logging.CRITICAL)  # refusals log
    cdn = Distribution(D, signers()[RSA_ID])
    return Gate(cdn, locations={"/protected/": "media/", "/srv/files/": "files/"})


def header_text(value: bytes) -> str:
    """As the ASGI and WSGI adapters read a header: UTF-8, else Latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def test_one_input(data: bytes) -> None:
    selector, value_bytes, disposition_bytes, content_type = fields(data, 4)
    value, disposition = header_text(value_bytes), header_text(disposition_bytes)
    header = HEADERS[selector[0] % 3] if selector else HEADERS[0]
    headers = [(header, value)]
    if disposition:
        headers.append(("Content-Disposition", disposition))
    if content_type:
        headers.append(("Content-Type", header_text(content_type)))
    with Meter(BUDGET_BASE + BUDGET_PER_BYTE * len(data)):
        attachment, filename = parse_content_disposition(disposition)
        assert isinstance(attachment, bool) and (filename is None or isinstance(filename, str))
        rewrite = gate().rewrite(200, headers)
    if rewrite is None:
        return
    assert isinstance(rewrite, Rewrite)
    location = dict(rewrite.headers).get("Location")
    if location is not None:
        assert location.startswith(D + "/files/") or location.startswith(D + "/media/"), location
        assert "/../" not in location
