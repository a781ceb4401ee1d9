"""Django: the middleware, helpers, sendfile backend, template tag, checks and command,
driven through Django's test client."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import AsyncClient, Client, override_settings

from frontgate import ConfigError, Verifier
from frontgate.integrations.django import get_distribution
from tests.conftest import KEY_PAIR_ID

from .conftest import BASE_URL, FRONTGATE, FRONTGATE_MIDDLEWARE, PRIVATE_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client: Client, django_user_model: type[User]) -> Client:
    user = django_user_model.objects.create_user("ada", password="pw")
    client.force_login(user)
    return client


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_anonymous_user_is_sent_to_login_never_to_the_cdn(client: Client) -> None:
    response = client.get("/report/report.pdf")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert BASE_URL not in response["Location"]


def test_accel_redirect_becomes_a_signed_redirect(user_client: Client, verifier: Verifier) -> None:
    response = user_client.get("/report/report.pdf")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{BASE_URL}/media/report.pdf?")
    assert verifier.verify_url(location).allowed
    params = query(location)
    assert params["response-content-disposition"] == 'attachment; filename="report.pdf"'
    assert params["response-content-type"] == "application/pdf"
    # kept: other headers and cookies; dropped: internal header, type, length, disposition
    assert response["X-Request-Note"] == "kept"
    assert response.cookies["seen"].value == "1"
    assert "X-Accel-Redirect" not in response
    assert "Content-Type" not in response
    assert "Content-Disposition" not in response
    assert response["Content-Length"] == "0"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == b""


def test_names_with_spaces_and_non_ascii_are_encoded_once(
    user_client: Client, verifier: Verifier
) -> None:
    response = user_client.get("/report/q3 2026/résumé.pdf")
    location = response["Location"]
    assert location.startswith(f"{BASE_URL}/media/q3%202026/r%C3%A9sum%C3%A9.pdf?")
    assert verifier.verify_url(location).allowed
    encoded = user_client.get("/report/a%2520b.pdf")["Location"]
    assert encoded.startswith(f"{BASE_URL}/media/a%20b.pdf?")


def test_longest_locations_prefix_wins(user_client: Client, verifier: Verifier) -> None:
    location = user_client.get("/report/videos/seg0.ts")["Location"]
    assert location.startswith(f"{BASE_URL}/hls/seg0.ts?")
    assert verifier.verify_url(location).allowed


def test_outside_locations_is_a_500_naming_locations(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="frontgate.integrations"):
        response = client.get("/outside")
    assert response.status_code == 500
    assert "Location" not in response
    assert b"/internal/" not in response.content
    assert b"secret" not in response.content
    assert "LOCATIONS" in caplog.text
    assert "/internal/secret.pdf" in caplog.text


def test_responses_without_the_header_pass_untouched(client: Client) -> None:
    plain = client.get("/plain")
    assert (plain.status_code, plain.content, plain["X-Other"]) == (200, b"hello", "1")
    assert "Cache-Control" not in plain
    streamed = client.get("/stream")
    assert streamed.streaming
    assert b"".join(streamed.streaming_content) == b"one,two"  # type: ignore[attr-defined]


def test_streaming_response_with_the_header_is_redirected(
    client: Client, verifier: Verifier
) -> None:
    response = client.get("/streamed-accel")
    assert response.status_code == 302
    assert verifier.verify_url(response["Location"]).allowed
    assert b"".join(response.streaming_content) == b""  # type: ignore[attr-defined]


def test_async_stack_redirects_too(verifier: Verifier) -> None:
    async def fetch() -> Any:
        return await AsyncClient().get("/async-report/report.pdf")

    response = asyncio.run(fetch())
    assert response.status_code == 302
    assert verifier.verify_url(response["Location"]).allowed


def test_x_accel_expires_and_limit_rate_are_ignored_with_a_warning(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="frontgate.integrations"):
        response = client.get("/expires")
        client.get("/expires")
    assert response.status_code == 302
    assert "X-Accel-Expires" not in response
    assert "X-Accel-Limit-Rate" not in response
    if caplog.records:  # once per process: an earlier test may have seen it first
        assert len([r for r in caplog.records if "X-Accel-Expires" in r.message]) <= 1


def test_sendfile_backend_with_filesystem_prefix(user_client: Client, verifier: Verifier) -> None:
    response = user_client.get("/sendfile/report.pdf")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{BASE_URL}/files/report.pdf?")
    assert verifier.verify_url(location).allowed
    params = query(location)
    assert params["response-content-disposition"] == 'attachment; filename="Copy of report.pdf"'
    assert params["response-content-type"] == "application/pdf"


@override_settings(SENDFILE_URL="/protected/")
def test_sendfile_backend_with_sendfile_url(user_client: Client, verifier: Verifier) -> None:
    location = user_client.get("/sendfile/q3 2026.pdf")["Location"]
    assert location.startswith(f"{BASE_URL}/media/q3%202026.pdf?")
    assert verifier.verify_url(location).allowed


def test_signed_redirect_helper(user_client: Client, verifier: Verifier) -> None:
    response = user_client.get("/helper/report.pdf")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert verifier.verify_url(response["Location"]).allowed


def test_override_settings_changes_the_configuration(user_client: Client) -> None:
    changed = {**FRONTGATE, "BASE_URL": "https://media.example.org", "REDIRECT_STATUS": 303}
    with override_settings(FRONTGATE=changed):
        response = user_client.get("/report/report.pdf")
        assert response.status_code == 303
        assert response["Location"].startswith("https://media.example.org/media/report.pdf?")
    assert get_distribution().base_url == BASE_URL


def test_set_signed_cookies_helper(user_client: Client, verifier: Verifier) -> None:
    response = user_client.get("/videos")
    assert response.content == b"<video>"
    cookies = {name: morsel.value for name, morsel in response.cookies.items()}
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    morsel = response.cookies["CloudFront-Policy"]
    assert (morsel["path"], morsel["secure"], morsel["httponly"]) == ("/", True, True)
    assert verifier.verify_cookies(f"{BASE_URL}/hls/seg0.ts", cookies).allowed
    assert not verifier.verify_cookies(f"{BASE_URL}/media/report.pdf", cookies).allowed


def test_cookie_mode_header_sets_cookies_and_keeps_the_page(
    user_client: Client, verifier: Verifier
) -> None:
    response = user_client.get("/videos-header")
    assert (response.status_code, response.content) == (200, b"<video>")
    assert "X-Frontgate-Cookies" not in response
    cookies = {name: morsel.value for name, morsel in response.cookies.items()}
    assert verifier.verify_cookies(f"{BASE_URL}/hls/index.m3u8", cookies).allowed


def test_template_tag(client: Client, verifier: Verifier) -> None:
    page = client.get("/template").content.decode()
    href = html.unescape(re.search(r'href="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    assert verifier.verify_url(href).allowed
    assert "response-content-disposition" in href
    link = html.unescape(re.search(r"<p>([^<]+)</p>", page).group(1))  # type: ignore[union-attr]
    assert link.startswith(f"{BASE_URL}/media/b.pdf?")
    assert verifier.verify_url(link).allowed


def test_django_storages_fallback_settings(user_client: Client, verifier: Verifier) -> None:
    for key in (PRIVATE_KEY.read_bytes(), PRIVATE_KEY.read_text()):
        with override_settings(
            FRONTGATE={"BASE_URL": BASE_URL, "LOCATIONS": {"/protected/": "media/"}},
            AWS_CLOUDFRONT_KEY=key,
            AWS_CLOUDFRONT_KEY_ID=KEY_PAIR_ID,
        ):
            location = user_client.get("/report/report.pdf")["Location"]
            assert verifier.verify_url(location).allowed


def test_django_storages_fallback_mistake_names_that_setting() -> None:
    with (
        override_settings(
            FRONTGATE=None,
            AWS_CLOUDFRONT_KEY=b"junk",
            AWS_CLOUDFRONT_KEY_ID="K1",
            AWS_S3_CUSTOM_DOMAIN="cdn.example.com",
        ),
        pytest.raises(ConfigError, match="AWS_CLOUDFRONT_KEY"),
    ):
        get_distribution()


def test_checks_pass_with_a_good_configuration() -> None:
    assert run_checks(tags=["frontgate"]) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param({"BASE_URL": "http://cdn.example.com"}, "BASE_URL", id="http-base-url"),
        pytest.param({"PRIVATE_KEY": "/nonexistent.pem"}, "PRIVATE_KEY", id="missing-key-file"),
        pytest.param({"LOCATIONS": {"/protected": "media/"}}, "LOCATIONS", id="no-slash"),
        pytest.param({"BASE_URLS": "x"}, "BASE_URL", id="typo-hint"),
    ],
)
def test_checks_report_configuration_mistakes(change: dict[str, Any], named: str) -> None:
    with override_settings(FRONTGATE={**FRONTGATE, **change}):
        errors = run_checks(tags=["frontgate"])
    assert [e.id for e in errors] == ["frontgate.E001"]
    assert named in errors[0].msg


def test_check_sendfile_backend_needs_the_middleware() -> None:
    with override_settings(MIDDLEWARE=[]):
        errors = run_checks(tags=["frontgate"])
    assert [e.id for e in errors] == ["frontgate.E003"]
    with override_settings(
        SENDFILE_URL="/elsewhere/", FRONTGATE={**FRONTGATE, "LOCATIONS": {"/protected/": "media/"}}
    ):
        errors = run_checks(tags=["frontgate"])
    assert [e.id for e in errors] == ["frontgate.E003"]


def test_bad_configuration_fails_when_the_middleware_loads() -> None:
    with (
        override_settings(FRONTGATE={**FRONTGATE, "REDIRECT_STATUS": 301}),
        pytest.raises(ConfigError, match="REDIRECT_STATUS"),
    ):
        Client().get("/plain")


def test_management_command_prints_a_signed_url(verifier: Verifier) -> None:
    out = StringIO()
    call_command(
        "frontgate_url",
        "media/q3 2026.pdf",
        "--expires-in",
        "60",
        "--filename",
        "Q3.pdf",
        "--attachment",
        stdout=out,
    )
    url = out.getvalue().strip()
    assert url.startswith(f"{BASE_URL}/media/q3%202026.pdf?")
    assert verifier.verify_url(url).allowed
    out = StringIO()
    call_command("frontgate_url", "hls/", "--cookies", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert all("; Secure; HttpOnly" in line for line in lines)


def test_management_command_reports_config_errors() -> None:
    with (
        override_settings(FRONTGATE={**FRONTGATE, "KEY_PAIR_ID": ""}),
        pytest.raises(CommandError, match="KEY_PAIR_ID"),
    ):
        call_command("frontgate_url", "media/a.pdf", stdout=StringIO())


def test_middleware_is_listed_in_settings() -> None:
    from django.conf import settings

    assert FRONTGATE_MIDDLEWARE in settings.MIDDLEWARE
    assert unquote("%20") == " "
