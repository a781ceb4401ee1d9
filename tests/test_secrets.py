"""Key material never reaches an error, a repr or the CLI's output (R48).

Every broken key is fed through the API and the CLI; each output is searched for PEM
markers and for every base64 body line of every test key.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from frontgate.errors import FrontgateError
from frontgate.signer import Signer
from frontgate.sources import load_signing_key
from tests.conftest import KEY_PAIR_ID, KEYS_DIR, PASSPHRASE, key_bytes, pem_body_lines

ALL_PEMS = [path.read_bytes() for path in sorted(KEYS_DIR.glob("*.pem"))]
_SCRIPT = Path(sys.executable).parent / "frontgate"
FRONTGATE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "frontgate"]


def _mangled(name: str) -> list[tuple[str, bytes]]:
    pem = key_bytes(name)
    lines = pem.splitlines(keepends=True)
    return [
        (f"{name}-truncated", b"".join(lines[: len(lines) // 2])),
        (f"{name}-bad-body", pem.replace(b"A", b"*", 3)),
        (f"{name}-no-end", pem.rsplit(b"-----END", 1)[0]),
        (f"{name}-swapped-labels", pem.replace(b"PRIVATE KEY", b"PUBLIC KEY")),
        (f"{name}-one-byte-off", pem[:100] + b"!" + pem[101:]),
    ]


BROKEN = [
    *_mangled("rsa2048_pkcs1.pem"),
    *_mangled("p256_pkcs8.pem"),
    *_mangled("rsa2048_pkcs8_encrypted.pem"),
    *[(path.name, path.read_bytes()) for path in sorted(KEYS_DIR.glob("*.pem"))],
]


def assert_clean(text: str, pem: bytes) -> None:
    assert "-----BEGIN" not in text
    for line in pem_body_lines(pem, *ALL_PEMS):
        if len(line) >= 16:
            assert line[:16] not in text


@pytest.mark.parametrize(("label", "pem"), BROKEN, ids=[b[0] for b in BROKEN])
def test_r48_api_errors_never_show_key_material(label: str, pem: bytes) -> None:
    for passphrase in (None, PASSPHRASE, "wrong"):
        try:
            Signer.from_pem(pem, KEY_PAIR_ID, passphrase=passphrase)
        except FrontgateError as exc:
            assert_clean(str(exc), pem)
            assert_clean(repr(exc), pem)
            cause = exc.__cause__
            assert cause is None or isinstance(cause, FrontgateError)


def test_r48_env_source_errors_never_show_key_material(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "".join(pem_body_lines(key_bytes("rsa2048_pkcs1.pem")))
    with pytest.raises(FrontgateError) as info:  # a key body pasted without its PEM lines
        load_signing_key(body)
    assert_clean(str(info.value), key_bytes("rsa2048_pkcs1.pem"))
    for _label, pem in BROKEN:
        monkeypatch.setenv("FG_SECRET_KEY", pem.decode("ascii", "replace"))
        try:
            load_signing_key("env:FG_SECRET_KEY")
        except FrontgateError as exc:
            assert_clean(str(exc), pem)
        # a PEM given where a source name is expected is not echoed either
        try:
            load_signing_key(pem.decode("ascii", "replace") + "x")
        except FrontgateError as exc:
            assert_clean(str(exc), pem)


@pytest.mark.parametrize(
    ("label", "pem"),
    [b for b in BROKEN if "truncated" in b[0] or "bad-body" in b[0] or b[0].endswith(".pem")],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_r48_cli_output_never_shows_key_material(tmp_path: Path, label: str, pem: bytes) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(pem)
    for source, env in ((str(path), {}), ("env:FG_SECRET_KEY", {"FG_SECRET_KEY": pem.decode()})):
        done = subprocess.run(
            [
                *FRONTGATE,
                "sign",
                "--url",
                "https://d111111abcdef8.cloudfront.net/a",
                "--key-pair-id",
                KEY_PAIR_ID,
                "--private-key",
                source,
                "--expires-in",
                "60",
            ],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", **env},
            check=False,
        )
        assert_clean(done.stderr, pem)
        if done.returncode != 0:
            assert done.stdout == ""
            assert done.stderr.count("\n") == 1
