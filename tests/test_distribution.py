"""Distribution: sign paths, not URLs (contract "Distribution", R34, R44)."""

from __future__ import annotations

import logging
from urllib.parse import unquote

import pytest

from frontgate.distribution import Distribution, content_disposition, quote_path
from frontgate.encoding import cf_b64decode
from frontgate.errors import InputError
from frontgate.policy import Policy
from frontgate.signer import Signer
from tests.conftest import NOW

D = "https://d111111abcdef8.cloudfront.net"


@pytest.fixture
def cdn(rsa_signer: Signer) -> Distribution:
    return Distribution(D + "/", rsa_signer, expires_in=300)


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        pytest.param("media/q3 2026.pdf", "media/q3%202026.pdf", id="space-once"),
        pytest.param("media/q3%202026.pdf", "media/q3%202026.pdf", id="escape-kept"),
        pytest.param("media/100%.pdf", "media/100%25.pdf", id="lone-percent-encoded"),
        pytest.param("é/ß.txt", "%C3%A9/%C3%9F.txt", id="non-ascii-utf8"),
        pytest.param("a-b_c.d~e/f", "a-b_c.d~e/f", id="unreserved-kept"),
        pytest.param("it's (1).pdf", "it%27s%20%281%29.pdf", id="quote-and-parens"),
        pytest.param("a+b&c=d.pdf", "a%2Bb%26c%3Dd.pdf", id="sub-delims-in-path"),
        pytest.param("a.pdf?v=1&n=x y", "a.pdf?v=1&n=x%20y", id="query-encoded-once"),
        pytest.param('a"<>\\^`{|}.txt', "a%22%3C%3E%5C%5E%60%7B%7C%7D.txt", id="R44-chars"),
    ],
)
def test_path_encoded_once(path: str, encoded: str) -> None:
    assert quote_path(path) == encoded
    assert quote_path(encoded) == encoded  # idempotent: never double-encoded


def test_url_signs_the_encoded_path(cdn: Distribution) -> None:
    url = cdn.url("/media/q3 2026.pdf", now=NOW)
    assert url.startswith(f"{D}/media/q3%202026.pdf?Expires={NOW + 300}&Signature=")
    assert cdn.resolve("media/é.pdf") == f"{D}/media/%C3%A9.pdf"


def test_content_disposition_travels_signed(cdn: Distribution) -> None:
    url = cdn.url("media/r.pdf", filename="résumé 2026.pdf", attachment=True, now=NOW)
    query = url.split("?", 1)[1]
    name, value = query.split("&")[0].split("=", 1)
    assert name == "response-content-disposition"
    assert unquote(value) == (
        "attachment; filename=\"resume 2026.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf"
    )
    assert "&Expires=" in url  # signed after the parameter: it is part of the resource


def test_content_type_and_inline(cdn: Distribution) -> None:
    url = cdn.url("a.bin", filename="a.bin", content_type="application/pdf", now=NOW)
    assert "response-content-disposition=inline%3B%20filename%3D%22a.bin%22&" in url
    assert "&response-content-type=application%2Fpdf&Expires=" in url


@pytest.mark.parametrize(
    ("filename", "attachment", "value"),
    [
        (None, False, "inline"),
        (None, True, "attachment"),
        ("report.pdf", True, 'attachment; filename="report.pdf"'),
        ('a"b\\c.txt', False, "inline; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b_c.txt"),
        (
            "../etc/passwd",
            True,
            'attachment; filename=".._etc_passwd"',
        ),
        (
            "日本.txt",
            True,
            "attachment; filename=\".txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
        ),
    ],
)
def test_content_disposition_values(filename: str | None, attachment: bool, value: str) -> None:
    assert content_disposition(filename, attachment=attachment) == value


def test_r32_cookies_for_a_prefix(cdn: Distribution) -> None:
    cookies = cdn.cookies("media/videos/", now=NOW)
    policy = Policy.from_json(cf_b64decode(cookies["CloudFront-Policy"]))
    assert policy == Policy(f"{D}/media/videos/*", NOW + 300)
    assert cdn.resource_for("/media/my videos/") == f"{D}/media/my%20videos/*"


def test_r34_set_cookie_headers_https(cdn: Distribution) -> None:
    lines = cdn.set_cookie_headers("media/", now=NOW, max_age=True)
    assert len(lines) == 3
    for line in lines:
        assert line.endswith("; Path=/; Max-Age=300; Secure; HttpOnly; SameSite=Lax")
    custom = cdn.set_cookie_headers("media/", now=NOW, domain="example.com", path="/media/")
    assert all("; Path=/media/; Domain=example.com; Secure;" in line for line in custom)


def test_r34_secure_dropped_only_for_http_loopback(
    rsa_signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    local = Distribution("http://127.0.0.1:8080", rsa_signer)
    with caplog.at_level(logging.WARNING, logger="frontgate"):
        lines = local.set_cookie_headers("media/", now=NOW)
        local.set_cookie_headers("media/", now=NOW)
    assert all("Secure" not in line for line in lines)
    assert all(line.endswith("; Path=/; HttpOnly; SameSite=Lax") for line in lines)
    assert len([r for r in caplog.records if "without Secure" in r.getMessage()]) <= 1
    assert local.url("a.txt", now=NOW).startswith("http://127.0.0.1:8080/a.txt?Expires=")
    for base in ("http://localhost:8080", "http://[::1]:9000"):
        assert Distribution(base, rsa_signer).base_url == base


@pytest.mark.parametrize(
    "base",
    [
        pytest.param("http://d111111abcdef8.cloudfront.net", id="http-public-host"),
        pytest.param("ftp://d111111abcdef8.cloudfront.net", id="ftp"),
        pytest.param(f"{D}/?x=1", id="query"),
        pytest.param("d111111abcdef8.cloudfront.net", id="no-scheme"),
    ],
)
def test_base_url_must_be_https(rsa_signer: Signer, base: str) -> None:
    with pytest.raises(InputError):
        Distribution(base, rsa_signer)


def test_base_url_normalised_and_repr(rsa_signer: Signer) -> None:
    cdn = Distribution("HTTPS://D111111ABCDEF8.cloudfront.net:443/prefix/", rsa_signer)
    assert cdn.base_url == f"{D}/prefix"
    assert cdn.resolve("a b") == f"{D}/prefix/a%20b"
    assert repr(cdn) == f"Distribution('{D}/prefix', {rsa_signer!r})"
    assert "BEGIN" not in repr(cdn)


def test_expiry_options(cdn: Distribution) -> None:
    assert f"Expires={NOW + 60}&" in cdn.url("a", expires_in=60, now=NOW)
    assert f"Expires={NOW + 10}&" in cdn.url("a", expires_at=NOW + 10, now=NOW)
    custom = cdn.url("a", ip_address="192.0.2.1", now=NOW)
    assert "?Policy=" in custom
