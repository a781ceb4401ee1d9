"""What the edge serves once a request is allowed (R49 step 5, R16, R30, OP18, OP21):
files, HEAD, ranges, validators, safe paths, response overrides, CORS."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontgate.distribution import Distribution
from frontgate.edge.server import running
from frontgate.signer import Signer

from .conftest import BIG, HELLO, Edge, cookie_header, edge_app, get_raw, png


def test_r49_signed_url_served_with_cloudfront_headers(edge: Edge, client: httpx.Client) -> None:
    response = client.get(edge.signed("hello.txt"))
    assert response.status_code == 200
    assert response.content == HELLO
    headers = response.headers
    assert headers["content-type"] == "text/plain"
    assert headers["content-length"] == str(len(HELLO))
    assert headers["x-cache"] == "Miss from cloudfront"
    assert headers["via"].endswith(".cloudfront.net (CloudFront)")
    assert len(headers["x-amz-cf-id"]) == 56
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"].startswith('"')
    assert headers["last-modified"].endswith(" GMT")
    assert "x-frontgate-reason" not in headers


def test_r22_key_group_ecdsa_sha256(edge: Edge, client: httpx.Client, ecdsa_signer: Signer) -> None:
    url = Distribution(edge.url, ecdsa_signer).url("hello.txt")
    assert "Hash-Algorithm=SHA256" in url
    assert client.get(url).content == HELLO


def test_r49_head_served_without_body(edge: Edge, client: httpx.Client) -> None:
    response = client.head(edge.signed("hello.txt"))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(HELLO))
    assert response.content == b""


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("data.json", "application/json"),
        ("pixel.png", "image/png"),
        ("docs/index.html", "text/html"),
        ("digits.bin", "application/octet-stream"),
    ],
)
def test_r49_content_type_from_name(
    edge: Edge, client: httpx.Client, path: str, content_type: str
) -> None:
    assert client.get(edge.signed(path)).headers["content-type"] == content_type


def test_r49_directory_serves_index_html(edge: Edge, client: httpx.Client) -> None:
    for path in ("docs/", "docs"):
        response = client.get(edge.signed(path))
        assert (response.status_code, response.content) == (200, b"<h1>docs</h1>\n")
    missing = client.get(edge.signed("empty-dir/"))
    assert missing.status_code == 404
    assert b"<Key>empty-dir/index.html</Key>" in missing.content


def test_r49_root_without_index_is_404(edge: Edge, client: httpx.Client) -> None:
    assert client.get(edge.signed("")).status_code == 404


def test_r49_percent_decoded_utf8_path(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("a b é.txt")
    assert "/a%20b%20%C3%A9.txt?" in url
    assert client.get(url).content == b"spaces and accents\n"


def test_r49_empty_file(edge: Edge, client: httpx.Client) -> None:
    response = client.get(edge.signed("empty.txt"))
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "0"


def test_r30_reserved_and_app_parameters_do_not_change_lookup(
    edge: Edge, client: httpx.Client
) -> None:
    assert client.get(edge.signed("hello.txt?v=3&lang=en")).content == HELLO


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "body"),
    [
        pytest.param("bytes=0-9", 206, "bytes 0-9/1024", bytes(range(10)), id="R16-first-bytes"),
        pytest.param(
            "bytes=1020-", 206, "bytes 1020-1023/1024", bytes([252, 253, 254, 255]), id="open-end"
        ),
        pytest.param("bytes=-2", 206, "bytes 1022-1023/1024", bytes([254, 255]), id="suffix"),
        pytest.param(
            "bytes=1000-5000", 206, "bytes 1000-1023/1024", bytes(range(232, 256)), id="clamped"
        ),
        pytest.param("bytes=0-1,5-6", 200, None, (bytes(range(256)) * 4), id="multi-range-whole"),
        pytest.param("lines=1-2", 200, None, (bytes(range(256)) * 4), id="other-unit-whole"),
    ],
)
def test_r16_range(
    edge: Edge,
    client: httpx.Client,
    range_header: str,
    status: int,
    content_range: str | None,
    body: bytes,
) -> None:
    response = client.get(edge.signed("digits.bin"), headers={"Range": range_header})
    assert response.status_code == status
    assert response.headers.get("content-range") == content_range
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [
        pytest.param(None, 0, len(BIG) - 1, id="whole"),
        pytest.param("bytes=100000-200000", 100000, 200000, id="middle"),
        pytest.param("bytes=-70000", len(BIG) - 70000, len(BIG) - 1, id="suffix"),
        pytest.param("bytes=1-", 1, len(BIG) - 1, id="open-end"),
    ],
)
def test_r16_large_file_bodies_and_ranges_over_http(
    edge: Edge, client: httpx.Client, range_header: str | None, first: int, last: int
) -> None:
    # big.bin is above the small-body limit, so these take the zero-copy path; two
    # requests in a row also reuse the connection after a sendfile body
    headers = {"Range": range_header} if range_header else {}
    for _ in range(2):
        response = client.get(edge.signed("big.bin"), headers=headers)
        assert response.status_code == (206 if range_header else 200)
        assert response.content == BIG[first : last + 1]
        assert response.headers["content-length"] == str(last - first + 1)
        if range_header:
            assert response.headers["content-range"] == f"bytes {first}-{last}/{len(BIG)}"


def test_r16_unsatisfiable_range_416(edge: Edge, client: httpx.Client) -> None:
    response = client.get(edge.signed("digits.bin"), headers={"Range": "bytes=1024-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */1024"
    assert b"<Code>InvalidRange</Code>" in response.content


def test_r16_range_is_verified_like_any_request(edge: Edge, client: httpx.Client) -> None:
    response = client.get(f"{edge.url}/digits.bin", headers={"Range": "bytes=0-9"})
    assert response.status_code == 403


def test_conditional_requests_304(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt")
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": old}).status_code == 200
    # a conditional request still needs a signature
    assert client.get(f"{edge.url}/hello.txt", headers={"If-None-Match": etag}).status_code == 403


def test_if_range_stale_sends_whole_file(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("digits.bin")
    etag = client.head(url).headers["etag"]
    fresh = client.get(url, headers={"Range": "bytes=0-0", "If-Range": etag})
    assert fresh.status_code == 206
    stale = client.get(url, headers={"Range": "bytes=0-0", "If-Range": '"stale"'})
    assert (stale.status_code, len(stale.content)) == (200, 1024)


def test_response_content_disposition_and_type_honoured(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed(
        "data.json", filename="résumé.json", attachment=True, content_type="text/plain"
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"resume.json\"; filename*=UTF-8''r%C3%A9sum%C3%A9.json"
    )
    assert response.headers["content-type"] == "text/plain"


def test_response_parameters_are_signed(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("data.json") + "&response-content-type=text%2Fhtml"
    assert client.get(url).status_code == 403


def test_r33_signed_cookies_served(edge: Edge, client: httpx.Client) -> None:
    cookies = edge.cdn.cookies("docs/")
    response = client.get(f"{edge.url}/docs/index.html", headers={"Cookie": cookie_header(cookies)})
    assert response.status_code == 200
    # the cookies with other, unrelated cookies around them
    mixed = f"session=abc; {cookie_header(cookies)}; theme=dark"
    assert client.get(f"{edge.url}/docs/", headers={"Cookie": mixed}).status_code == 200


# -- paths that are never served (R49 step 5) ---------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("/../outside.txt", id="dotdot"),
        pytest.param("/docs/../../outside.txt", id="dotdot-nested"),
        pytest.param("/%2e%2e/outside.txt", id="encoded-dotdot"),
        pytest.param("/docs/%2E%2E/%2e%2E/outside.txt", id="encoded-dotdot-upper"),
        pytest.param("/docs/..%2f..%2foutside.txt", id="encoded-slash"),
        pytest.param("/..%5coutside.txt", id="backslash-encoded"),
        pytest.param("/docs\\..\\..\\outside.txt", id="backslash"),
        pytest.param("/hello.txt%00.png", id="nul"),
        pytest.param("/link-out.txt", id="symlink-out"),
        pytest.param("/dir-out/outside.txt", id="symlink-dir-out"),
        pytest.param("/%ff%fe.txt", id="not-utf8"),
    ],
)
def test_r49_path_refused(edge: Edge, target: str) -> None:
    # signed cookies for every path: the signature is fine, the path is not
    cookies = cookie_header(edge.cdn.cookies(""))
    status, head, body = get_raw(edge, target, {"Cookie": cookies})
    assert status == 403, (status, body)
    assert b"<Code>AccessDenied</Code>" in body
    assert b"x-frontgate-reason: bad-path" in head.lower()
    assert b"outside the origin" not in body


def test_r49_symlink_inside_origin_served(edge: Edge, client: httpx.Client) -> None:
    assert client.get(edge.signed("link-in.txt")).content == HELLO


def test_r49_unsigned_traversal_refused_as_missing_key(edge: Edge) -> None:
    status, head, _ = get_raw(edge, "/../outside.txt")
    assert status == 403
    assert b"x-frontgate-reason: missing-key" in head.lower()


# -- CORS and the ASGI interface -------------------------------------------------------


def test_cors_for_credentialed_requests(origin: Path, trusted_signer: Signer) -> None:
    site = "http://127.0.0.1:3000"
    with running(edge_app(origin, cors_origin=site)) as url, httpx.Client() as client:
        cdn = Distribution(url, trusted_signer)
        headers = {"Origin": site, "Cookie": cookie_header(cdn.cookies(""))}
        served = client.get(f"{url}/hello.txt", headers=headers)
        assert served.status_code == 200
        assert served.headers["access-control-allow-origin"] == site
        assert served.headers["access-control-allow-credentials"] == "true"
        refused = client.get(f"{url}/hello.txt", headers={"Origin": site})
        assert refused.status_code == 403
        assert refused.headers["access-control-allow-origin"] == site
        assert "X-Frontgate-Reason" in refused.headers["access-control-expose-headers"]
        other = client.get(f"{url}/hello.txt", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            f"{url}/hello.txt",
            headers={
                "Origin": site,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "range",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-headers"] == "range"
        # every answer names its server as CloudFront's would, never the local one
        assert [r.headers.get_list("server") for r in (served, refused, preflight)] == [
            ["AmazonS3"],
            ["CloudFront"],
            ["AmazonS3"],
        ]
        # without a matching origin, OPTIONS is a method the behaviour does not allow (R42)
        assert client.options(f"{url}/hello.txt").status_code == 403


def test_asgi_pathsend_extension_used_when_offered(edge: Edge, origin: Path) -> None:
    """Files over SMALL_BODY go out through the server (pathsend); smaller ones are read
    and sent with the head."""
    app = edge_app(origin)
    url = edge.signed("big.bin")
    target = url.removeprefix(edge.url)
    path, _, query = target.partition("?")
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", edge.host.encode())],
        "client": ("127.0.0.1", 50000),
        "extensions": {"http.response.pathsend": {}},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200
    assert sent[1] == {"type": "http.response.pathsend", "path": str(origin / "big.bin")}
    small = edge.signed("hello.txt").removeprefix(edge.url)
    path, _, query = small.partition("?")
    sent.clear()
    scope.update(path=path, raw_path=path.encode(), query_string=query.encode())
    asyncio.run(app(scope, receive, send))
    assert sent[1] == {"type": "http.response.body", "body": HELLO}


def test_png_fixture_is_valid() -> None:
    data = png(3, 2)
    assert data.startswith(b"\x89PNG")
    assert int.from_bytes(data[16:20], "big") == 3
