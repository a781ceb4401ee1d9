"""The shared configuration: each mistake is a ConfigError naming the setting to fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from frontgate import ConfigError, Distribution, ErrorCode
from frontgate.config import Settings
from frontgate.integrations.asgi import AccelRedirectMiddleware as AsgiMiddleware
from frontgate.integrations.gate import Gate
from frontgate.integrations.wsgi import AccelRedirectMiddleware as WsgiMiddleware
from tests.conftest import KEY_PAIR_ID, KEYS_DIR

from .conftest import FRONTGATE, PRIVATE_KEY

GOOD: dict[str, Any] = {**FRONTGATE}


def test_good_configuration_builds_a_distribution() -> None:
    cdn = Distribution.from_config(GOOD)
    assert cdn.base_url == "https://cdn.example.com"
    assert cdn.expires_in == 300
    assert cdn.signer.hash_algorithm == "SHA1"
    assert Distribution.from_config(GOOD).base_url == cdn.base_url


def test_settings_defaults_and_repr_hide_the_key() -> None:
    pem = PRIVATE_KEY.read_text()
    settings = Settings.from_mapping({**GOOD, "PRIVATE_KEY": pem})
    assert settings.redirect_status == 302
    assert settings.locations[0] == ("/protected/videos/", "hls/")
    assert "BEGIN" not in repr(settings)
    assert "PRIVATE KEY" not in repr(settings)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(PRIVATE_KEY.read_bytes(), id="pem-bytes"),
        pytest.param(PRIVATE_KEY.read_text(), id="pem-text"),
        pytest.param(f"file://{PRIVATE_KEY}", id="file-url"),
        pytest.param("env:FG_INTEGRATION_KEY", id="env"),
    ],
)
def test_private_key_sources(source: str | bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FG_INTEGRATION_KEY", PRIVATE_KEY.read_text())
    cdn = Distribution.from_config({**GOOD, "PRIVATE_KEY": source, "HASH_ALGORITHM": "SHA256"})
    assert cdn.signer.hash_algorithm == "SHA256"


MISTAKES = [
    pytest.param({"KEY_PAIR_ID": None}, "KEY_PAIR_ID", ErrorCode.CONFIG_MISSING, id="no-key-id"),
    pytest.param({"KEY_PAIR_ID": "K-1 x"}, "KEY_PAIR_ID", ErrorCode.CONFIG_INVALID, id="bad-id"),
    pytest.param({"PRIVATE_KEY": None}, "PRIVATE_KEY", ErrorCode.CONFIG_MISSING, id="no-key"),
    pytest.param({"PRIVATE_KEY": 42}, "PRIVATE_KEY", ErrorCode.CONFIG_INVALID, id="key-type"),
    pytest.param(
        {"PRIVATE_KEY": "/no/such.pem"}, "PRIVATE_KEY", ErrorCode.SOURCE_UNREADABLE, id="unreadable"
    ),
    pytest.param(
        {"PRIVATE_KEY": str(KEYS_DIR / "rsa1024.pem")},
        "PRIVATE_KEY",
        ErrorCode.KEY_UNSUPPORTED,
        id="rsa-1024",
    ),
    pytest.param(
        {"PRIVATE_KEY": str(KEYS_DIR / "rsa2048_public.pem")},
        "PRIVATE_KEY",
        ErrorCode.KEY_IS_PUBLIC,
        id="public-key",
    ),
    pytest.param(
        {"PRIVATE_KEY": "env:FG_UNSET_VARIABLE"},
        "PRIVATE_KEY",
        ErrorCode.SOURCE_UNREADABLE,
        id="env-unset",
    ),
    pytest.param({"BASE_URL": None}, "BASE_URL", ErrorCode.CONFIG_MISSING, id="no-base-url"),
    pytest.param(
        {"BASE_URL": "http://cdn.example.com"}, "BASE_URL", ErrorCode.CONFIG_INVALID, id="http"
    ),
    pytest.param({"BASE_URL": "cdn.example.com"}, "BASE_URL", ErrorCode.CONFIG_INVALID, id="bare"),
    pytest.param(
        {"BASE_URL": "https://cdn.example.com/?a=1"},
        "BASE_URL",
        ErrorCode.CONFIG_INVALID,
        id="query",
    ),
    pytest.param({"EXPIRES_IN": 0}, "EXPIRES_IN", ErrorCode.CONFIG_INVALID, id="expires-zero"),
    pytest.param({"EXPIRES_IN": "300"}, "EXPIRES_IN", ErrorCode.CONFIG_INVALID, id="expires-str"),
    pytest.param({"HASH_ALGORITHM": "MD5"}, "HASH_ALGORITHM", ErrorCode.CONFIG_INVALID, id="md5"),
    pytest.param(
        {"PRIVATE_KEY": "kms:alias/cf", "HASH_ALGORITHM": "SHA1"},
        "HASH_ALGORITHM",
        ErrorCode.CONFIG_CONFLICT,
        id="kms-sha1",
    ),
    pytest.param(
        {"LOCATIONS": {"/protected": "media/"}}, "LOCATIONS", ErrorCode.CONFIG_INVALID, id="slash"
    ),
    pytest.param(
        {"LOCATIONS": {"protected/": "media/"}}, "LOCATIONS", ErrorCode.CONFIG_INVALID, id="lead"
    ),
    pytest.param(
        {"LOCATIONS": {"/p/": "media"}}, "LOCATIONS", ErrorCode.CONFIG_INVALID, id="target-slash"
    ),
    pytest.param(
        {"LOCATIONS": {"/p/": "../etc/"}}, "LOCATIONS", ErrorCode.CONFIG_INVALID, id="target-dots"
    ),
    pytest.param(
        {"LOCATIONS": {"/p/": "https://x/"}}, "LOCATIONS", ErrorCode.CONFIG_INVALID, id="url"
    ),
    pytest.param({"LOCATIONS": {}}, "LOCATIONS", ErrorCode.CONFIG_INVALID, id="empty"),
    pytest.param({"REDIRECT_STATUS": 301}, "REDIRECT_STATUS", ErrorCode.CONFIG_INVALID, id="301"),
    pytest.param({"SAMESITE": "lax"}, "SAMESITE", ErrorCode.CONFIG_INVALID, id="samesite"),
    pytest.param(
        {"COOKIE_DOMAIN": ".cloudfront.net"}, "COOKIE_DOMAIN", ErrorCode.CONFIG_INVALID, id="psl"
    ),
    pytest.param({"COOKIE_PATH": "media/"}, "COOKIE_PATH", ErrorCode.CONFIG_INVALID, id="path"),
]


@pytest.mark.parametrize(("change", "key", "code"), MISTAKES)
def test_each_mistake_names_its_setting(change: dict[str, Any], key: str, code: ErrorCode) -> None:
    config = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        Distribution.from_config(config)
    assert f"FRONTGATE['{key}']" in caught.value.message
    assert caught.value.code == code
    assert "BEGIN" not in caught.value.message


@pytest.mark.parametrize(
    ("key", "hint"),
    [("BASEURL", "BASE_URL"), ("locations", "LOCATIONS"), ("EXPIRE_IN", "EXPIRES_IN")],
)
def test_unknown_keys_are_refused_with_a_hint(key: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=f"Did you mean '{hint}'"):
        Distribution.from_config({**GOOD, key: 1})


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="must be a dict"):
        Distribution.from_config(["KEY_PAIR_ID"])  # type: ignore[arg-type]


def test_loopback_http_base_url_for_a_local_edge() -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:9000/", "http://[::1]:81"):
        assert Distribution.from_config({**GOOD, "BASE_URL": url}).base_url.startswith("http://")


def test_timedelta_expiry() -> None:
    assert Distribution.from_config({**GOOD, "EXPIRES_IN": timedelta(minutes=2)}).expires_in == 120


@pytest.mark.parametrize("middleware", [WsgiMiddleware, AsgiMiddleware], ids=["wsgi", "asgi"])
def test_middleware_config_forms(middleware: Any) -> None:
    cdn = Distribution.from_config(GOOD)
    by_mapping = middleware(None, GOOD)
    by_keywords = middleware(None, **GOOD)
    by_lower_keywords = middleware(None, **{k.lower(): v for k, v in GOOD.items()})
    by_distribution = middleware(None, cdn, LOCATIONS={"/protected/": "media/"})
    bare_distribution = middleware(None, cdn)
    for made in (by_mapping, by_keywords, by_lower_keywords):
        assert made.gate.locations == Gate.from_config(GOOD).locations
    assert by_distribution.gate.distribution is cdn
    assert bare_distribution.gate.locations == (("/", ""),)


@pytest.mark.parametrize("middleware", [WsgiMiddleware, AsgiMiddleware], ids=["wsgi", "asgi"])
def test_middleware_mistakes_fail_at_construction(middleware: Any) -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        middleware(None, {**GOOD, "BASE_URL": "http://cdn.example.com"})
    with pytest.raises(ConfigError, match="not set"):
        middleware(None)
    with pytest.raises(ConfigError, match="only LOCATIONS, REDIRECT_STATUS and PLAYLIST_ROOT"):
        middleware(None, Distribution.from_config(GOOD), BASE_URL="https://x")
    assert KEY_PAIR_ID
