"""Numbers and dates of any length in request headers, through a real edge over HTTP: the
answer is what S3 behind CloudFront gives (416 ``InvalidRange``, or the header ignored),
never a 500 (R16, R49). The raw-socket limits of the server itself are tested elsewhere.
"""

from __future__ import annotations

import httpx
import pytest

from tests.edge.conftest import HELLO, Edge

THOUSANDS = "9" * 5000
WHOLE = bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("range_header", "status", "content_range"),
    [
        pytest.param(f"bytes={THOUSANDS}-", 416, "bytes */1024", id="R16-start-beyond-416"),
        pytest.param(f"bytes={THOUSANDS}-{THOUSANDS}", 416, "bytes */1024", id="R16-both-416"),
        pytest.param(f"bytes=0-{THOUSANDS}", 206, "bytes 0-1023/1024", id="R16-end-clamped"),
        pytest.param(f"bytes=-{THOUSANDS}", 206, "bytes 0-1023/1024", id="R16-suffix-whole"),
        pytest.param(f"bytes={'0' * 5000}1-2", 206, "bytes 1-2/1024", id="R16-leading-zeros"),
        pytest.param("bytes=\u00b2-", 200, None, id="R16-superscript-digit-ignored"),
        pytest.param("bytes=1-\u00b9", 200, None, id="R16-superscript-end-ignored"),
    ],
)
def test_r16_range_with_numbers_of_any_length_is_416_or_served(
    edge: Edge, client: httpx.Client, range_header: str, status: int, content_range: str | None
) -> None:
    response = client.get(
        edge.signed("digits.bin"), headers={b"Range": range_header.encode("latin-1")}
    )
    assert response.status_code == status
    assert response.headers.get("content-range") == content_range
    if status == 416:
        assert b"<Code>InvalidRange</Code>" in response.content
    elif status == 200:
        assert response.content == WHOLE
    else:
        assert content_range is not None
        first, last = (int(n) for n in content_range.split(" ")[1].split("/")[0].split("-"))
        assert response.content == WHOLE[first : last + 1]


@pytest.mark.parametrize(
    "since",
    [
        "Mon, 01 Jan 2020 00:00:00 +99999999999999999999",
        "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",
        "Mon, 01 Jan 2020 99999999999999999999:00:00 GMT",
        f"Mon, 01 Jan 2020 00:00:00 GMT {THOUSANDS}",
        THOUSANDS,
    ],
    ids=["offset", "year", "hour", "trailing-digits", "digits-only"],
)
def test_r49_if_modified_since_out_of_range_is_ignored(
    edge: Edge, client: httpx.Client, since: str
) -> None:
    """email.utils raised OverflowError on these (a 500); a bad date is no condition."""
    response = client.get(edge.signed("hello.txt"), headers={"If-Modified-Since": since})
    assert response.status_code == 200
    assert response.content == HELLO


@pytest.mark.parametrize(
    "port", [THOUSANDS, "\u00b2", "123456"], ids=["digits", "superscript", "six-digits"]
)
def test_r49_host_port_of_any_length_is_400(edge: Edge, client: httpx.Client, port: str) -> None:
    response = client.get(
        edge.signed("hello.txt"), headers={b"Host": f"127.0.0.1:{port}".encode("latin-1")}
    )
    assert response.status_code == 400
