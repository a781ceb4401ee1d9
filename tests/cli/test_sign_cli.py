"""`frontgate sign`, `sign-cookies` and `keygen`, run as real processes: output, exit codes,
one-line errors with an empty stdout."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from frontgate.encoding import cf_b64decode
from frontgate.keys import load_private_key, public_pem
from frontgate.policy import Policy
from tests.conftest import (
    KEY_PAIR_ID,
    NOW,
    PASSPHRASE,
    REFUSED_KEYS,
    key_bytes,
    key_path,
    pem_body_lines,
)
from tests.test_signer import RSA_SHA1_EXAMPLE, RSA_SHA256_EXAMPLE

D = "https://d111111abcdef8.cloudfront.net"
EXAMPLE = f"{D}/image.jpg?color=red&size=medium"
_SCRIPT = Path(sys.executable).parent / "frontgate"
FRONTGATE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "frontgate"]
ERROR_LINE = re.compile(r"frontgate: [a-z0-9-]+: [^\n]+\n")
RSA_KEY = str(key_path("rsa2048_pkcs1.pem"))
EC_KEY = str(key_path("p256_sec1.pem"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTGATE_")}
    full_env.update(env or {})
    return subprocess.run(
        [*FRONTGATE, *args], capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


def sign_args(*extra: str, key: str = RSA_KEY, url: str = EXAMPLE) -> list[str]:
    return [
        "sign",
        "--url",
        url,
        "--key-pair-id",
        KEY_PAIR_ID,
        "--private-key",
        key,
        "--now",
        str(NOW - 3600),
        *extra,
    ]


def assert_one_error(done: subprocess.CompletedProcess[str], code: str) -> str:
    assert done.returncode == 2
    assert done.stdout == ""
    assert ERROR_LINE.fullmatch(done.stderr), done.stderr
    assert done.stderr.startswith(f"frontgate: {code}: ")
    return done.stderr


# -- sign -----------------------------------------------------------------------------------


def test_sign_prints_the_exact_url() -> None:
    done = run(*sign_args("--date-less-than", "2026-01-01T18:00:00Z"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == RSA_SHA1_EXAMPLE + "\n"
    assert done.stderr == ""


@pytest.mark.parametrize("when", ["1767290400", "2026-01-01T18:00:00", "2026-01-01T19:00:00+01:00"])
def test_sign_when_forms(when: str) -> None:
    done = run(*sign_args("--date-less-than", when))
    assert done.stdout == RSA_SHA1_EXAMPLE + "\n"


def test_sign_expires_in_from_now() -> None:
    done = run(*sign_args("--expires-in", "3600"))
    assert done.stdout == RSA_SHA1_EXAMPLE + "\n"


def test_r20_sign_sha256() -> None:
    done = run(*sign_args("--date-less-than", str(NOW), "--hash-algorithm", "SHA256"))
    assert done.stdout == RSA_SHA256_EXAMPLE + "\n"


@pytest.mark.parametrize("prefix", ["file://", ""])
def test_sign_key_from_file(prefix: str) -> None:
    done = run(
        *sign_args("--date-less-than", str(NOW), key=prefix + str(key_path("rsa2048_pkcs8.pem")))
    )
    assert done.stdout == RSA_SHA1_EXAMPLE + "\n"


def test_p4_sign_key_from_env_with_literal_newlines() -> None:
    pem = key_bytes("rsa2048_pkcs1.pem").decode().strip().replace("\n", "\\n")
    done = run(*sign_args("--date-less-than", str(NOW), key="env:FG_KEY"), env={"FG_KEY": pem})
    assert done.returncode == 0, done.stderr
    assert done.stdout == RSA_SHA1_EXAMPLE + "\n"


def test_r48_sign_encrypted_key_with_passphrase_env() -> None:
    key = str(key_path("rsa2048_pkcs8_encrypted.pem"))
    args = sign_args("--date-less-than", str(NOW), "--passphrase-env", "FG_PASS", key=key)
    done = run(*args, env={"FG_PASS": PASSPHRASE})
    assert done.stdout == RSA_SHA1_EXAMPLE + "\n"
    assert_one_error(run(*args, env={"FG_PASS": "wrong"}), "key-bad-password")
    assert_one_error(run(*args), "config-missing")
    assert_one_error(run(*sign_args("--date-less-than", str(NOW), key=key)), "key-encrypted")


def test_r45_sign_custom_policy_rounds_start_up() -> None:
    done = run(
        *sign_args(
            "--date-less-than",
            "2026-01-01T18:00:00Z",
            "--date-greater-than",
            "2026-01-01T16:00:00.250Z",
            "--ip-address",
            "192.0.2.10/24",
            "--policy-resource",
            f"{D}/image.jpg?*",
        )
    )
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith(f"{EXAMPLE}&Policy=")
    encoded = url.split("&Policy=")[1].split("&")[0]
    policy = Policy.from_json(cf_b64decode(encoded))
    assert policy == Policy(f"{D}/image.jpg?*", NOW, NOW - 7200 + 1, "192.0.2.0/24")


def test_r45_sign_warns_on_stderr_when_past() -> None:
    done = run(*sign_args("--date-less-than", str(NOW - 7200)))
    assert done.returncode == 0
    assert done.stdout.startswith(EXAMPLE)
    assert done.stderr.startswith("frontgate: warning: The expiry")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("name", "code"), list(REFUSED_KEYS.values()), ids=[f"R48-{k}" for k in REFUSED_KEYS]
)
def test_r48_sign_refused_keys(name: str, code: str) -> None:
    stderr = assert_one_error(run(*sign_args("--expires-in", "60", key=str(key_path(name)))), code)
    for line in pem_body_lines(key_bytes(name)):
        assert line[:16] not in stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(
            sign_args("--expires-in", "60", url=f"{D}/a b"), "url-invalid", id="R44-space"
        ),
        pytest.param(
            sign_args("--expires-in", "60", url=RSA_SHA1_EXAMPLE), "url-invalid", id="R44-signed"
        ),
        pytest.param(
            sign_args("--date-less-than", str(NOW * 1000)), "time-invalid", id="R45-milliseconds"
        ),
        pytest.param(
            sign_args("--expires-in", "60", "--ip-address", "2001:db8::1"),
            "ip-invalid",
            id="R47-ipv6",
        ),
        pytest.param(
            sign_args("--expires-in", "60", "--policy-resource", "*"),
            "resource-invalid",
            id="R46-star",
        ),
        pytest.param(
            sign_args("--expires-in", "60", "--policy-resource", f"{D}/other/*"),
            "resource-invalid",
            id="R11-not-covered",
        ),
        pytest.param(
            sign_args("--expires-in", "60", key="/nonexistent/key.pem"),
            "source-unreadable",
            id="missing-file",
        ),
        pytest.param(
            sign_args("--expires-in", "60", key="env:FG_NOT_SET_ANYWHERE"),
            "source-unreadable",
            id="missing-env",
        ),
        pytest.param(
            [*sign_args("--expires-in", "60")[:4], "bad id", *sign_args()[5:]],
            "key-pair-id-invalid",
            id="R21-key-pair-id",
        ),
    ],
)
def test_sign_bad_input_one_line_exit_2(args: list[str], code: str) -> None:
    assert_one_error(run(*args), code)


def test_r46_allow_any_resource() -> None:
    done = run(*sign_args("--expires-in", "60", "--policy-resource", "*", "--allow-any-resource"))
    assert done.returncode == 0, done.stderr
    assert "&Policy=" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["sign", "--url", EXAMPLE], id="missing-options"),
        pytest.param(sign_args(), id="no-expiry"),
        pytest.param(sign_args("--date-less-than", str(NOW), "--expires-in", "5"), id="both"),
        pytest.param(sign_args("--date-less-than", "tomorrow"), id="bad-when"),
        pytest.param(sign_args("--expires-in", "60", "--hash-algorithm", "MD5"), id="bad-hash"),
        pytest.param(["sign", "--no-such-flag"], id="unknown-flag"),
    ],
)
def test_usage_errors_one_line_exit_2(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("frontgate: usage: ")
    assert done.stderr.count("\n") == 1


# -- sign-cookies ---------------------------------------------------------------------------


def cookie_args(*extra: str, resource: str = f"{D}/videos/*", key: str = EC_KEY) -> list[str]:
    return [
        "sign-cookies",
        "--resource",
        resource,
        "--key-pair-id",
        KEY_PAIR_ID,
        "--private-key",
        key,
        "--date-less-than",
        str(NOW),
        "--now",
        str(NOW - 3600),
        *extra,
    ]


def test_r32_sign_cookies_json() -> None:
    done = run(*cookie_args("--hash-algorithm", "SHA256"))
    assert done.returncode == 0, done.stderr
    cookies = json.loads(done.stdout)
    assert list(cookies) == [
        "CloudFront-Policy",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
        "CloudFront-Hash-Algorithm",
    ]
    assert Policy.from_json(cf_b64decode(cookies["CloudFront-Policy"])) == Policy(
        f"{D}/videos/*", NOW
    )


def test_r32_sign_cookies_canned_for_exact_url() -> None:
    done = run(*cookie_args(resource=EXAMPLE, key=RSA_KEY))
    cookies = json.loads(done.stdout)
    assert cookies["CloudFront-Expires"] == str(NOW)
    assert cookies["CloudFront-Signature"] == RSA_SHA1_EXAMPLE.split("Signature=")[1].split("&")[0]


def test_r34_sign_cookies_set_cookie_lines() -> None:
    done = run(*cookie_args("--set-cookie", "--domain", "example.com", "--path", "/videos/"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split("=")[0] for line in lines] == [
        "CloudFront-Policy",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
    ]
    for line in lines:
        assert line.endswith("; Path=/videos/; Domain=example.com; Secure; HttpOnly; SameSite=Lax")
    insecure = run(*cookie_args("--set-cookie", "--insecure"))
    assert "Secure" not in insecure.stdout
    assert "; Path=/; HttpOnly; SameSite=Lax" in insecure.stdout


def test_sign_cookies_bad_input() -> None:
    assert_one_error(run(*cookie_args(resource="https://*")), "resource-invalid")
    assert_one_error(run(*cookie_args("--set-cookie", "--path", "/v/*")), "config-invalid")


# -- keygen ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "described"), [("rsa", "RSA-2048"), ("ecdsa", "ECDSA P-256")])
def test_r48_keygen(tmp_path: Path, kind: str, described: str) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    done = run("keygen", "--type", kind, "--private-out", str(private), "--public-out", str(public))
    assert done.returncode == 0, done.stderr
    assert described in done.stdout
    assert "upload" in done.stdout.lower()
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    key = load_private_key(private.read_bytes())
    assert public_pem(key) == public.read_bytes()
    assert "-----BEGIN" not in done.stdout


def test_keygen_refuses_overwrite_without_force(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    public.write_text("keep me")
    args = ["keygen", "--private-out", str(private), "--public-out", str(public)]
    stderr = assert_one_error(run(*args), "config-conflict")
    assert "--force" in stderr
    assert public.read_text() == "keep me"
    assert not private.exists()  # no lone private key left behind
    private.write_text("old")
    assert run(*args, "--force").returncode == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_private_key(private.read_bytes())


def test_keygen_passphrase_env(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    done = run(
        "keygen",
        "--type",
        "ecdsa",
        "--private-out",
        str(private),
        "--public-out",
        str(public),
        "--passphrase-env",
        "FG_PASS",
        env={"FG_PASS": "s3cret"},
    )
    assert done.returncode == 0, done.stderr
    assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    assert load_private_key(private.read_bytes(), "s3cret")
    assert "s3cret" not in done.stdout + done.stderr


def test_keygen_usage_error(tmp_path: Path) -> None:
    done = run("keygen", "--type", "dsa", "--private-out", "a", "--public-out", "b")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("frontgate: usage: ")
