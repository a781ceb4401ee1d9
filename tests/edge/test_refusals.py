"""The edge's refusals over real HTTP: R38 reasons, R40/R41 bodies and headers, R42
methods, R43 limits, R49 steps 1-4 (Host, client IP, authorisation before lookup)."""

from __future__ import annotations

import logging
import re
import time
import warnings
from pathlib import Path

import httpx
import pytest

from frontgate.distribution import Distribution
from frontgate.edge.server import running
from frontgate.signer import Signer

from .conftest import Edge, cookie_header, edge_app, get_raw, raw_request

XML = '<?xml version="1.0" encoding="UTF-8"?>'
BODIES = {
    "MissingKey": f"{XML}<Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query "
    "parameter or cookie value</Message></Error>",
    "InvalidKey": f"{XML}<Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>",
    "MalformedPolicy": f"{XML}<Error><Code>MalformedPolicy</Code><Message>Malformed Policy"
    "</Message></Error>",
    "AccessDenied": f"{XML}<Error><Code>AccessDenied</Code><Message>Access denied</Message>"
    "</Error>",
}
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{54}==")
VIA = re.compile(r"1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)")


def assert_cloudfront_403(response: httpx.Response, code: str, reason: str | None) -> None:
    """R40: status, exact body, and CloudFront's headers (plus the reason unless strict)."""
    body = BODIES[code].encode()
    assert response.status_code == 403
    if response.request.method == "HEAD":
        assert response.content == b""
    else:
        assert response.content == body
    headers = response.headers
    assert headers["server"] == "CloudFront"
    assert headers["content-type"] == "text/xml"
    assert headers["content-length"] == str(len(body))
    assert headers["x-cache"] == "Error from cloudfront"
    assert VIA.fullmatch(headers["via"])
    assert REQUEST_ID.fullmatch(headers["x-amz-cf-id"])
    assert headers.get("x-frontgate-reason") == reason


def _expired(edge: Edge, path: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # signing a past expiry warns (R45): wanted here
        return edge.signed(path, expires_at=int(time.time()) - 5)


def _swap(url: str, name: str, value: str) -> str:
    return re.sub(rf"([?&]){name}=[^&]*", rf"\g<1>{name}={value}", url)


def test_r40_access_denied_body_is_110_bytes() -> None:
    assert len(BODIES["AccessDenied"]) == 110


def test_r38_missing_key_unsigned(edge: Edge, client: httpx.Client) -> None:
    assert_cloudfront_403(client.get(f"{edge.url}/hello.txt"), "MissingKey", "missing-key")


def test_r38_missing_key_empty_key_pair_id(edge: Edge, client: httpx.Client) -> None:
    url = _swap(edge.signed("hello.txt"), "Key-Pair-Id", "")
    assert_cloudfront_403(client.get(url), "MissingKey", "missing-key")


def test_r38_unknown_key_invalid_key(
    edge: Edge, client: httpx.Client, untrusted_signer: Signer
) -> None:
    url = Distribution(edge.url, untrusted_signer).url("hello.txt")
    assert_cloudfront_403(client.get(url), "InvalidKey", "unknown-key")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("Expires", "1767290400000", id="R5-milliseconds"),
        pytest.param("Expires", "soon", id="R5-not-digits"),
    ],
)
def test_r38_malformed_policy(edge: Edge, client: httpx.Client, name: str, value: str) -> None:
    url = _swap(edge.signed("hello.txt"), name, value)
    assert_cloudfront_403(client.get(url), "MalformedPolicy", "malformed-policy")


def test_r38_malformed_policy_undecodable(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt", ip_address="127.0.0.1")
    assert "Policy=" in url
    assert_cloudfront_403(
        client.get(_swap(url, "Policy", "e30-garbage")), "MalformedPolicy", "malformed-policy"
    )


def test_r38_bad_signature_tampered(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt")
    signature = url.split("Signature=")[1].split("&")[0]
    tampered = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert_cloudfront_403(
        client.get(url.replace(signature, tampered)), "AccessDenied", "bad-signature"
    )


def test_r38_bad_signature_other_path(edge: Edge, client: httpx.Client) -> None:
    query = edge.signed("hello.txt").split("?", 1)[1]
    response = client.get(f"{edge.url}/data.json?{query}")
    assert_cloudfront_403(response, "AccessDenied", "bad-signature")


def test_r38_expired(edge: Edge, client: httpx.Client) -> None:
    assert_cloudfront_403(client.get(_expired(edge, "hello.txt")), "AccessDenied", "expired")


def test_r38_resource_mismatch(edge: Edge, client: httpx.Client, trusted_signer: Signer) -> None:
    url = trusted_signer.sign_url(
        f"{edge.url}/docs/index.html", expires_in=60, resource=f"{edge.url}/docs/*"
    )
    assert client.get(url).status_code == 200
    moved = f"{edge.url}/data.json?{url.split('?', 1)[1]}"
    assert_cloudfront_403(client.get(moved), "AccessDenied", "resource-mismatch")


def test_r38_missing_signature(edge: Edge, client: httpx.Client) -> None:
    url = _swap(edge.signed("hello.txt"), "Signature", "")
    assert_cloudfront_403(client.get(url), "AccessDenied", "missing-signature")


def test_r38_malformed_request_repeated_parameter(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt") + "&Expires=1"
    assert_cloudfront_403(client.get(url), "AccessDenied", "malformed-request")


def test_r38_unsupported_hash_algorithm(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt") + "&Hash-Algorithm=MD5"
    assert_cloudfront_403(client.get(url), "AccessDenied", "unsupported-hash-algorithm")


def test_r38_ip_mismatch_peer_address(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt", ip_address="203.0.113.0/24")
    assert_cloudfront_403(client.get(url), "AccessDenied", "ip-mismatch")
    allowed = edge.signed("hello.txt", ip_address="127.0.0.1")
    assert client.get(allowed).status_code == 200


def test_r49_x_forwarded_for_ignored_unless_trusted(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt", ip_address="203.0.113.0/24")
    response = client.get(url, headers={"X-Forwarded-For": "203.0.113.7"})
    assert_cloudfront_403(response, "AccessDenied", "ip-mismatch")


def test_r49_trust_forwarded_for_hops(origin: Path, trusted_signer: Signer) -> None:
    with running(edge_app(origin, trust_forwarded_for=2)) as url, httpx.Client() as client:
        cdn = Distribution(url, trusted_signer)
        signed = cdn.url("hello.txt", ip_address="203.0.113.0/24")
        # two trusted proxies: the client is the second entry from the right
        ok = client.get(signed, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.1"})
        assert ok.status_code == 200
        spoofed = client.get(signed, headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.2, 10.0.0.1"})
        assert spoofed.status_code == 403
        assert spoofed.headers["x-frontgate-reason"] == "ip-mismatch"


def test_r40_head_refusal_has_headers_and_no_body(edge: Edge, client: httpx.Client) -> None:
    assert_cloudfront_403(client.head(f"{edge.url}/hello.txt"), "MissingKey", "missing-key")


def test_r40_strict_mode_has_no_reason_header(origin: Path) -> None:
    with running(edge_app(origin, strict=True)) as url:
        response = httpx.get(f"{url}/hello.txt")
    assert_cloudfront_403(response, "MissingKey", None)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_r42_other_methods_refused_before_signature(
    edge: Edge, client: httpx.Client, method: str
) -> None:
    response = client.request(method, edge.signed("hello.txt"), content=b"x")
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/html"
    assert response.headers["server"] == "CloudFront"
    assert (
        b"This distribution is not configured to allow the HTTP request method" in response.content
    )
    assert "x-frontgate-reason" not in response.headers


def test_r49_authorisation_before_lookup(edge: Edge, client: httpx.Client) -> None:
    unsigned = client.get(f"{edge.url}/no-such-file.txt")
    assert_cloudfront_403(unsigned, "MissingKey", "missing-key")
    signed = client.get(edge.signed("no-such-file.txt"))
    assert signed.status_code == 404
    assert (
        signed.content
        == (
            f"{XML}<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
            "</Message><Key>no-such-file.txt</Key></Error>"
        ).encode()
    )
    assert signed.headers["content-type"] == "application/xml"
    assert signed.headers["x-cache"] == "Error from cloudfront"


def test_r49_missing_host_is_400(edge: Edge) -> None:
    status, _, _ = raw_request(edge, b"GET /hello.txt HTTP/1.0\r\n\r\n")
    assert status == 400


def test_r49_two_host_headers_refused(edge: Edge) -> None:
    url = edge.signed("hello.txt")
    target = url.removeprefix(edge.url)
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {edge.host}\r\nHost: {edge.host}\r\n"
        "Connection: close\r\n\r\n"
    )
    status, head, _ = raw_request(edge, request.encode())
    assert status == 400
    assert b"x-frontgate-reason: bad-request" in head.lower()


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}/docs", "user@127.0.0.1:{port}", "127.0.0.1:{port}?x", "a b"]
)
def test_r26_host_that_is_not_a_host_refused(edge: Edge, host: str) -> None:
    # a '/' in Host would let the signature for /docs/x cover /x (R26)
    status, _, _ = get_raw(edge, "/hello.txt", {"Host": host.format(port=edge.port)})
    assert status == 400


def test_r49_host_lower_cased_and_port_kept(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt")
    target = url.removeprefix(edge.url)
    status, _, body = get_raw(edge, target, {"Host": edge.host.upper()})
    assert (status, body) == (200, b"Hello, signed world.\n")
    # signed for another port: a different URL, so a different signature (R26)
    other = Distribution(f"http://127.0.0.1:{edge.port + 1}", edge.cdn.signer).url("hello.txt")
    response = client.get(f"{edge.url}{other.split(str(edge.port + 1), 1)[1]}")
    assert_cloudfront_403(response, "AccessDenied", "bad-signature")


def test_r43_headers_over_limit_never_served(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt")
    assert client.get(url, headers={"X-Pad": "a" * 19_000}).status_code == 200
    response = client.get(url, headers={"X-Pad": "a" * 20_500})
    assert response.status_code in (400, 431)
    assert response.content != b"Hello, signed world.\n"


def test_r43_url_over_limit_never_served(edge: Edge, client: httpx.Client) -> None:
    url = edge.signed("hello.txt") + "&pad=" + "a" * 8_200
    response = client.get(url)
    assert response.status_code == 414
    assert response.headers["x-frontgate-reason"] == "too-large"


def test_r29_url_signature_wins_over_cookies(edge: Edge, client: httpx.Client) -> None:
    cookies = cookie_header(edge.cdn.cookies(""))
    assert client.get(f"{edge.url}/hello.txt", headers={"Cookie": cookies}).status_code == 200
    bad = _swap(edge.signed("hello.txt"), "Signature", "AAAA")
    response = client.get(bad, headers={"Cookie": cookies})
    assert_cloudfront_403(response, "AccessDenied", "bad-signature")


def test_r38_cookie_refusals(edge: Edge, client: httpx.Client, untrusted_signer: Signer) -> None:
    foreign = Distribution(edge.url, untrusted_signer).cookies("")
    response = client.get(f"{edge.url}/hello.txt", headers={"Cookie": cookie_header(foreign)})
    assert_cloudfront_403(response, "InvalidKey", "unknown-key")
    docs_only = edge.cdn.cookies("docs/")
    response = client.get(f"{edge.url}/hello.txt", headers={"Cookie": cookie_header(docs_only)})
    assert_cloudfront_403(response, "AccessDenied", "resource-mismatch")


def test_access_log_line_without_signature_or_cookies(
    edge: Edge, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    url = edge.signed("hello.txt")
    cookies = edge.cdn.cookies("")
    with caplog.at_level(logging.INFO, logger="frontgate.edge"):
        client.get(url)
        client.get(f"{edge.url}/data.json", headers={"Cookie": cookie_header(cookies)})
        client.get(f"{edge.url}/hello.txt?Key-Pair-Id=KX")
        deadline = time.monotonic() + 2
        while len(caplog.records) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = [r.getMessage() for r in caplog.records if r.name == "frontgate.edge"]
    assert len(lines) == 3
    assert re.fullmatch(
        r'127\.0\.0\.1 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /hello\.txt" 200 21 ok',
        lines[0],
    )
    assert lines[1].endswith('"GET /data.json" 200 9 ok')
    assert lines[2].endswith('"GET /hello.txt" 403 106 unknown-key')
    signature = url.split("Signature=")[1].split("&")[0]
    for line in lines:
        assert "Signature" not in line
        assert signature not in line
        assert all(value not in line for value in cookies.values())
    record = caplog.records[0]
    assert (record.client_ip, record.status, record.reason) == ("127.0.0.1", 200, "ok")  # type: ignore[attr-defined]
