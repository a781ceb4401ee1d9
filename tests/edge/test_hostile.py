"""Hostile HTTP at a real edge over raw sockets: each request is answered as CloudFront
would (R40-R43, R49) or refused by the server before the app, and the edge goes on
serving other viewers meanwhile."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontgate.distribution import Distribution
from frontgate.edge.server import MAX_HEAD_BYTES, MAX_HEADERS, running
from frontgate.signer import Signer

from .conftest import HELLO, Edge, cookie_header, edge_app, raw_request

CLOUDFRONT_PAGE = b"<!DOCTYPE HTML PUBLIC"


@pytest.fixture(autouse=True)
def still_serving(edge: Edge) -> Iterator[None]:
    """After every hostile request, a signed one on a new connection is still served."""
    yield
    response = httpx.get(edge.signed("hello.txt"), timeout=5)
    assert response.status_code == 200
    assert response.content == HELLO


def head_of(edge: Edge, lines: list[str], body: bytes = b"") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def signed_target(edge: Edge, path: str = "hello.txt") -> str:
    return edge.signed(path).removeprefix(edge.url)


def received_all(sock: socket.socket, seconds: float = 5) -> bytes:
    sock.settimeout(seconds)
    data = b""
    while True:
        try:
            piece = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not piece:
            break
        data += piece
    return data


def test_header_read_timeout_drops_slow_headers(origin: Path, trusted_signer: Signer) -> None:
    """Headers that never finish hold a connection for the header-read timeout only."""
    with running(edge_app(origin), header_seconds=1) as url:
        port = int(url.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        try:
            for sock in slow:
                sock.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            cdn = Distribution(url, trusted_signer)
            assert httpx.get(cdn.url("hello.txt"), timeout=5).content == HELLO
            started = time.monotonic()
            for sock in slow:
                sock.sendall(b"b")  # a byte now and then does not reset the clock
            assert all(received_all(sock) == b"" for sock in slow)  # closed, no answer
            assert time.monotonic() - started < 4
        finally:
            for sock in slow:
                sock.close()


def test_idle_keep_alive_connection_closed(origin: Path) -> None:
    with running(edge_app(origin), header_seconds=1) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.monotonic()
            assert received_all(sock) == b""
            assert time.monotonic() - started < 4


def test_r43_request_line_over_url_limit_is_414(edge: Edge) -> None:
    status, _, body = raw_request(
        edge, head_of(edge, [f"GET /{'a' * 9000} HTTP/1.1", f"Host: {edge.host}"])
    )
    assert status == 414
    assert body.startswith(CLOUDFRONT_PAGE)


def test_r43_head_over_limit_is_cloudfront_400_before_any_lookup(edge: Edge) -> None:
    target = signed_target(edge)
    lines = [f"GET {target} HTTP/1.1", f"Host: {edge.host}", f"X-Pad: {'p' * 21_000}"]
    status, head, body = raw_request(edge, head_of(edge, lines))
    assert status == 400
    assert b"x-frontgate-reason: too-large" in head.lower()
    assert body.startswith(CLOUDFRONT_PAGE)


def test_head_over_server_cap_refused_before_the_app(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    """Well above MAX_HEAD_BYTES (its read buffer may take one more read) the server
    answers 431 itself: the app never sees the request."""
    pad = "p" * 2 * MAX_HEAD_BYTES
    lines = ["GET /never-logged HTTP/1.1", f"Host: {edge.host}", f"X-Pad: {pad}"]
    with caplog.at_level(logging.INFO, logger="frontgate.edge"):
        status, _, _ = raw_request(edge, head_of(edge, lines))
    assert status == 431
    assert not [r for r in caplog.records if "/never-logged" in r.getMessage()]


def test_header_count_limit(edge: Edge) -> None:
    many = [f"X-H{i}: 1" for i in range(MAX_HEADERS + 10)]
    status, _, _ = raw_request(
        edge, head_of(edge, ["GET /hello.txt HTTP/1.1", f"Host: {edge.host}", *many])
    )
    assert status == 431
    fewer = [f"X-H{i}: 1" for i in range(MAX_HEADERS - 10)]
    status, _, _ = raw_request(
        edge,
        head_of(edge, [f"GET {signed_target(edge)} HTTP/1.1", f"Host: {edge.host}", *fewer]),
    )
    assert status == 200


def test_r43_ten_thousand_tiny_cookies_is_cloudfront_400(edge: Edge) -> None:
    cookies = "; ".join(f"c{i}=1" for i in range(10_000))
    lines = ["GET /hello.txt HTTP/1.1", f"Host: {edge.host}", f"Cookie: {cookies}"]
    status, _, body = raw_request(edge, head_of(edge, lines))
    assert status == 400
    assert body.startswith(CLOUDFRONT_PAGE)


def test_r33_two_thousand_tiny_cookies_beside_signed_ones_served(edge: Edge) -> None:
    noise = "; ".join(f"c{i}=1" for i in range(2_000))
    signed = cookie_header(edge.cdn.cookies("hello.txt"))
    lines = ["GET /hello.txt HTTP/1.1", f"Host: {edge.host}", f"Cookie: {noise}; {signed}"]
    status, _, body = raw_request(edge, head_of(edge, lines))
    assert (status, body) == (200, HELLO)


def test_r33_repeated_cookie_headers_joined_first_occurrence_wins(
    edge: Edge, untrusted_signer: Signer
) -> None:
    good = edge.cdn.cookies("hello.txt")
    bad = Distribution(edge.url, untrusted_signer).cookies("hello.txt")
    lines = ["GET /hello.txt HTTP/1.1", f"Host: {edge.host}"]
    split = [f"Cookie: {k}={v}" for k, v in good.items()]
    assert raw_request(edge, head_of(edge, [*lines, *split]))[0] == 200
    first_wins = [f"Cookie: {cookie_header(bad)}", f"Cookie: {cookie_header(good)}"]
    status, head, _ = raw_request(edge, head_of(edge, [*lines, *first_wins]))
    assert status == 403
    assert b"x-frontgate-reason: unknown-key" in head.lower()


def test_pipelined_garbage_after_a_request(edge: Edge) -> None:
    request = head_of(edge, [f"GET {signed_target(edge)} HTTP/1.1", f"Host: {edge.host}"])
    with socket.create_connection(("127.0.0.1", edge.port)) as sock:
        sock.sendall(request + b"\x16\x03\x01\x00\xffGARBAGE \x00\x01 HTTP/9.9\r\n\r\n")
        data = received_all(sock)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert HELLO in data
    assert data.count(b"HTTP/1.1 400 ") == 1  # then the garbage, and the connection ends


def test_garbage_instead_of_a_request_is_400(edge: Edge) -> None:
    assert raw_request(edge, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")[0] == 400


def test_absolute_form_target_judged_with_the_host_header(edge: Edge) -> None:
    """The authority of an absolute-form target is not what the signature covers: the
    Host header is (R26), so a signed URL works the same in either form."""
    target = signed_target(edge)
    for authority in (edge.host, "other.example"):
        lines = [f"GET http://{authority}{target} HTTP/1.1", f"Host: {edge.host}"]
        status, _, body = raw_request(edge, head_of(edge, lines))
        assert (status, body) == (200, HELLO)
    lines = [f"GET http://{edge.host}/hello.txt HTTP/1.1", f"Host: {edge.host}"]
    assert raw_request(edge, head_of(edge, lines))[0] == 403


@pytest.mark.parametrize("method", ["OPTIONS", "GET"])
def test_asterisk_form_target_is_400(edge: Edge, method: str) -> None:
    status, head, body = raw_request(
        edge, head_of(edge, [f"{method} * HTTP/1.1", f"Host: {edge.host}"])
    )
    assert status == 400
    assert b"x-frontgate-reason: bad-request" in head.lower()
    assert body.startswith(CLOUDFRONT_PAGE)


@pytest.mark.parametrize(
    ("framing", "body"),
    [
        (["Content-Length: 5"], b"hello"),
        (["Transfer-Encoding: chunked"], b"5\r\nhello\r\n0\r\n\r\n"),
        (["Content-Length: 5", "Transfer-Encoding: chunked"], b"0\r\n\r\n"),
    ],
    ids=["content-length", "chunked", "both"],
)
def test_get_with_a_body_is_403(edge: Edge, framing: list[str], body: bytes) -> None:
    """CloudFront refuses a GET that carries a body with 403, signed or not."""
    lines = [f"GET {signed_target(edge)} HTTP/1.1", f"Host: {edge.host}", *framing]
    status, head, answer = raw_request(edge, head_of(edge, lines, body))
    assert status == 403
    assert b"x-frontgate-reason: body-on-get" in head.lower()
    assert answer.startswith(CLOUDFRONT_PAGE)


def test_get_with_content_length_zero_served(edge: Edge) -> None:
    lines = [f"GET {signed_target(edge)} HTTP/1.1", f"Host: {edge.host}", "Content-Length: 0"]
    assert raw_request(edge, head_of(edge, lines))[0] == 200


def test_r49_http_1_0_without_host_is_400(edge: Edge) -> None:
    status, _, body = raw_request(edge, f"GET {signed_target(edge)} HTTP/1.0\r\n\r\n".encode())
    assert status == 400
    assert body.startswith(CLOUDFRONT_PAGE)


def test_http_1_0_with_host_served(edge: Edge) -> None:
    request = f"GET {signed_target(edge)} HTTP/1.0\r\nHost: {edge.host}\r\n\r\n".encode()
    status, _, body = raw_request(edge, request)
    assert (status, body) == (200, HELLO)


@pytest.mark.parametrize(
    "header",
    [b"X-A: a\x00b", b"X-\x00A: ab", b"X-\xe9: 1", b"X-A : 1", b"X-A: a\r\n folded"],
    ids=["nul-in-value", "nul-in-name", "non-ascii-name", "space-before-colon", "obs-fold"],
)
def test_malformed_header_refused_before_the_app(edge: Edge, header: bytes) -> None:
    target = signed_target(edge).encode()
    request = b"GET " + target + b" HTTP/1.1\r\nHost: " + edge.host.encode() + b"\r\n"
    assert raw_request(edge, request + header + b"\r\n\r\n")[0] == 400


def test_non_ascii_header_value_is_just_a_value(edge: Edge) -> None:
    target = signed_target(edge).encode()
    request = b"GET " + target + b" HTTP/1.1\r\nHost: " + edge.host.encode()
    status, _, body = raw_request(edge, request + b"\r\nX-Name: caf\xe9 \xff\r\n\r\n")
    assert (status, body) == (200, HELLO)


def test_non_ascii_host_is_400(edge: Edge) -> None:
    request = f"GET {signed_target(edge)} HTTP/1.1\r\nHost: h\xe9st\r\n\r\n"
    assert raw_request(edge, request.encode("latin-1"))[0] == 400
