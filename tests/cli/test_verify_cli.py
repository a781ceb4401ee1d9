"""`frontgate verify` and `frontgate inspect` as real processes: the report, --json (R39),
cookies, client IP, clock, exit codes 0/1/2 and one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.verify.conftest import (
    EC_ID,
    NOW,
    R39_FIELDS,
    REFUSED_PUBLIC,
    RSA_ID,
    D,
    canned_url,
    cookie_header,
    custom_cookies,
    custom_url,
    data_path,
    policy_doc,
)

_SCRIPT = Path(sys.executable).parent / "frontgate"
FRONTGATE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "frontgate"]
ERROR_LINE = re.compile(r"frontgate: [a-z0-9-]+: [^\n]+\n")
URL = f"{D}/videos/a.ts"
RSA_KEY = f"{RSA_ID}={data_path('rsa_public.pem')}"
EC_KEY = f"{EC_ID}={data_path('ec_public.pem')}"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTGATE_")}
    return subprocess.run(
        [*FRONTGATE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def verify(
    *args: str, keys: tuple[str, ...] = (RSA_KEY, EC_KEY)
) -> subprocess.CompletedProcess[str]:
    key_args = [part for key in keys for part in ("--public-key", key)]
    return run("verify", *key_args, "--now", str(NOW), *args)


# -- verify: the report ---------------------------------------------------------------------


def test_verify_allowed_exit_0() -> None:
    done = verify("--url", canned_url(URL, by="ec"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("✔ allowed: CloudFront would serve this")
    assert "✘" not in done.stdout
    assert "    ✔ the signature matches the policy" in done.stdout
    assert f"  key pair id     {EC_ID}" in done.stdout
    assert "2026-01-01T19:00:00Z  (in 1 h)" in done.stdout


def test_verify_refused_exit_1_names_the_reason() -> None:
    done = verify("--url", canned_url(URL, NOW - 180))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("✘ refused (expired): The link expired 3 minutes ago")
    assert lines[1] == "  CloudFront would answer 403 AccessDenied: Access denied"
    assert "    ✘ not expired" in lines
    assert "(3 min ago)" in done.stdout


def test_verify_unknown_key_lists_trusted_ids() -> None:
    done = verify("--url", canned_url(URL, key_pair_id="KOTHER"))
    assert done.returncode == 1
    assert "✘ refused (unknown-key)" in done.stdout
    assert "403 InvalidKey: Unknown Key" in done.stdout
    assert f"trusted keys    {RSA_ID}, {EC_ID}" in done.stdout


def test_verify_unsigned_url_is_missing_key() -> None:
    done = verify("--url", URL)
    assert done.returncode == 1
    assert done.stdout.startswith("✘ refused (missing-key)")
    assert "MissingKey: Missing Key-Pair-Id query parameter or cookie value" in done.stdout


def test_verify_bad_signature_shows_the_rebuilt_url() -> None:
    done = verify("--url", canned_url(URL, resource=f"{D}/videos/b.ts"))
    assert done.returncode == 1
    assert "✘ refused (bad-signature)" in done.stdout
    assert f"request URL     {URL}" in done.stdout


@pytest.mark.parametrize(
    ("tamper", "cause"),
    [
        (lambda url: url + "&Hash-Algorithm=SHA256", "made with SHA1"),
        (lambda url: url.replace("https://", "http://"), "signed for https, requested over http"),
    ],
)
def test_verify_tells_why_an_ecdsa_signature_was_refused(tamper: Any, cause: str) -> None:
    # a serving Verifier lists the usual causes (each test is an ECDSA verification);
    # the command, run once by a person, tests them
    done = verify("--url", tamper(canned_url(URL, by="ec")))
    assert done.returncode == 1
    assert "✘ refused (bad-signature)" in done.stdout
    assert cause in done.stdout


def test_verify_warnings_for_an_all_resources_policy() -> None:
    done = verify("--url", custom_url(policy_doc(None), URL))
    assert done.returncode == 0
    assert "warning: The policy admits every file" in done.stdout


# -- verify --json --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code", "reason"),
    [
        (canned_url(URL), 0, "ok"),
        (canned_url(URL, NOW), 1, "expired"),
        (URL, 1, "missing-key"),
        (canned_url(URL).replace("Expires=", "Expires=0"), 1, "malformed-policy"),
    ],
)
def test_verify_json_schema(url: str, code: int, reason: str) -> None:
    done = verify("--url", url, "--json")
    assert done.returncode == code
    data = json.loads(done.stdout)
    assert set(data) >= R39_FIELDS
    assert data["reason"] == reason
    assert data["allowed"] is (code == 0)
    assert isinstance(data["message"], str)
    assert isinstance(data["warnings"], list)
    if code == 0:
        assert data["edge"] is None
        assert (data["policy"], data["key_pair_id"], data["hash_algorithm"]) == (
            "canned",
            RSA_ID,
            "SHA1",
        )
        assert (data["resource"], data["expires"]) == (URL, NOW + 3600)
    else:
        assert data["edge"]["status"] == 403
        assert data["edge"]["code"] in {"AccessDenied", "MissingKey", "MalformedPolicy"}


def test_verify_json_custom_policy_facts() -> None:
    url = custom_url(
        policy_doc(f"{D}/videos/*", NOW + 60, not_before=NOW - 60, ip="192.0.2.0/24"), URL
    )
    data = json.loads(verify("--url", url, "--json", "--client-ip", "192.0.2.9").stdout)
    assert (data["allowed"], data["policy"], data["policy_resource"]) == (
        True,
        "custom",
        f"{D}/videos/*",
    )
    assert (data["expires"], data["not_before"], data["ip_address"]) == (
        NOW + 60,
        NOW - 60,
        "192.0.2.0/24",
    )


# -- verify: cookies, client IP, clock ------------------------------------------------------


def test_verify_repeated_cookie_options() -> None:
    cookies = custom_cookies(policy_doc(f"{D}/videos/*"), by="ec", hash_algorithm="SHA256")
    args = [part for k, v in cookies.items() for part in ("--cookie", f"{k}={v}")]
    done = verify("--url", URL, *args, "--json")
    assert done.returncode == 0, done.stdout
    data = json.loads(done.stdout)
    assert (data["source"], data["hash_algorithm"]) == ("cookies", "SHA256")
    missing = verify("--url", URL, *args[:-2])  # without the last cookie
    assert missing.returncode == 1


def test_verify_cookie_with_signed_url_judges_the_url() -> None:
    cookies = custom_cookies(policy_doc(f"{D}/videos/*"))
    args = [part for k, v in cookies.items() for part in ("--cookie", f"{k}={v}")]
    done = verify("--url", f"{URL}?Expires=1", *args, "--json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert (data["source"], data["reason"]) == ("url", "missing-key")


def test_verify_client_ip() -> None:
    url = custom_url(policy_doc(ip="203.0.113.0/24"), URL)
    assert verify("--url", url, "--client-ip", "203.0.113.255").returncode == 0
    outside = verify("--url", url, "--client-ip", "203.0.114.0")
    assert (outside.returncode, "(ip-mismatch)" in outside.stdout) == (1, True)
    unknown = verify("--url", url)
    assert (unknown.returncode, "(client-ip-required)" in unknown.stdout) == (1, True)


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (str(NOW + 3599), 0),
        (str(NOW + 3600), 1),
        ("2026-01-01T18:59:59Z", 0),
        ("2026-01-01T20:00:00+01:00", 1),
    ],
)
def test_verify_now(now: str, code: int) -> None:
    done = run("verify", "--public-key", RSA_KEY, "--url", canned_url(URL), "--now", now)
    assert done.returncode == code, done.stdout


# -- verify: exit 2 -------------------------------------------------------------------------


def assert_one_error(done: subprocess.CompletedProcess[str], code: str) -> None:
    assert done.returncode == 2
    assert done.stdout == ""
    assert ERROR_LINE.fullmatch(done.stderr), done.stderr
    assert done.stderr.startswith(f"frontgate: {code}: ")


def test_verify_bad_key_path_exit_2(tmp_path: Path) -> None:
    done = verify("--url", URL, keys=(f"{RSA_ID}={tmp_path / 'missing.pem'}",))
    assert done.returncode == 2
    assert done.stdout == ""
    assert ERROR_LINE.fullmatch(done.stderr), done.stderr
    assert "missing.pem" in done.stderr


def test_verify_unreadable_key_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    assert_one_error(verify("--url", URL, keys=(f"{RSA_ID}={bad}",)), "key-unreadable")


@pytest.mark.parametrize("name", sorted(REFUSED_PUBLIC))
def test_verify_refused_key_type_exit_2(name: str) -> None:
    key = f"{RSA_ID}={data_path(REFUSED_PUBLIC[name])}"
    assert_one_error(verify("--url", URL, keys=(key,)), "key-unsupported")


def test_verify_same_id_twice_exit_2() -> None:
    key = f"{RSA_ID}={data_path('ec_public.pem')}"
    assert_one_error(verify("--url", URL, keys=(RSA_KEY, key)), "config-conflict")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["verify", "--url", URL], id="no-public-key"),
        pytest.param(["verify", "--public-key", RSA_KEY], id="no-url"),
        pytest.param(["verify", "--url", URL, "--public-key", "no-equals"], id="bad-key-arg"),
        pytest.param(
            ["verify", "--url", URL, "--public-key", RSA_KEY, "--now", "soon"], id="bad-now"
        ),
    ],
)
def test_verify_usage_errors_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("frontgate: usage: ")
    assert done.stderr.count("\n") == 1


def test_verify_url_starting_with_a_dash_is_judged() -> None:
    done = verify("--url", "-rf", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["reason"] == "malformed-request"


# -- inspect ----------------------------------------------------------------------------------


def test_inspect_url() -> None:
    url = custom_url(policy_doc(f"{D}/videos/*", NOW + 60, ip="192.0.2.0/24"), URL)
    done = run("inspect", url, "--now", str(NOW))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("The signature was NOT checked")
    assert f"{D}/videos/*" in done.stdout
    assert "192.0.2.0/24" in done.stdout
    assert "2026-01-01T18:01:00Z  (in 1 min)" in done.stdout
    assert '"DateLessThan"' in done.stdout  # the decoded policy document


def test_inspect_json() -> None:
    done = run("inspect", canned_url(URL, by="ec", hash_algorithm="SHA256"), "--json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert data["signature_checked"] is False
    assert (data["source"], data["policy"], data["key_pair_id"], data["hash_algorithm"]) == (
        "url",
        "canned",
        EC_ID,
        "SHA256",
    )
    assert data["policy_resource"] == URL
    assert data["expires"] == NOW + 3600


def test_inspect_cookie_header() -> None:
    header = cookie_header(custom_cookies(policy_doc(f"{D}/videos/*")))
    done = run("inspect", f"session=1; {header}", "--json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert (data["source"], data["policy"], data["policy_resource"]) == (
        "cookies",
        "custom",
        f"{D}/videos/*",
    )
    assert data["signature_checked"] is False


def test_inspect_sign_cookies_output() -> None:
    signed = run(
        "sign-cookies",
        "--resource",
        f"{D}/videos/*",
        "--key-pair-id",
        EC_ID,
        "--private-key",
        str(data_path("ec.pem")),
        "--date-less-than",
        str(NOW + 600),
        "--now",
        str(NOW),
    )
    assert signed.returncode == 0, signed.stderr
    done = run("inspect", signed.stdout, "--now", str(NOW))
    assert done.returncode == 0, done.stderr
    assert "NOT checked" in done.stdout
    assert EC_ID in done.stdout
    assert "(in 10 min)" in done.stdout


def test_inspect_reports_problems_without_failing() -> None:
    url = canned_url(URL).replace("Expires=", "Expires=soon")
    done = run("inspect", url)
    assert done.returncode == 0
    assert "problem: Expires" in done.stdout


@pytest.mark.parametrize("value", ["hello", "{not json", "[1, 2]"])
def test_inspect_nothing_to_decode_exit_2(value: str) -> None:
    done = run("inspect", value)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("frontgate: usage: ")
