"""boto3 loads only inside frontgate.aws, and its absence is a clear ConfigError."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_and_core_do_not_import_boto3() -> None:
    done = run_python(
        "import sys, frontgate, frontgate.signer, frontgate.sources, frontgate.cli\n"
        "frontgate.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "code",
    [
        "import frontgate.aws",
        "from frontgate.sources import load_signing_key; load_signing_key('kms:alias/x')",
    ],
    ids=["import", "key-source"],
)
def test_without_boto3_the_error_says_what_to_install(code: str) -> None:
    done = run_python(
        "import sys\nsys.modules['boto3'] = None\n"
        "from frontgate.errors import ConfigError\n"
        f"try:\n    {code}\nexcept ConfigError as exc:\n    print(exc.code, exc.message)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("extra-missing ")
    assert "pip install 'frontgate[aws]'" in done.stdout


def test_cli_without_boto3_is_one_line_exit_2() -> None:
    done = run_python(
        "import sys\nsys.modules['boto3'] = None\nfrom frontgate.cli import main\n"
        "sys.exit(main(['aws', 'presign', 's3://b/k', '--expires-in', '60']))"
    )
    assert done.returncode == 2
    assert done.stderr.startswith("frontgate: extra-missing:")
    assert done.stderr.count("\n") == 1
