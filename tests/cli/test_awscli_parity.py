"""`frontgate sign` against AWS's own `aws cloudfront sign`, byte for byte (R3, R9, R18).

The AWS CLI is not a dependency of frontgate; this runs where the `aws` command exists
(it is part of the machine image here) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import KEY_PAIR_ID, key_path

AWS = shutil.which("aws")
URL = "https://d111111abcdef8.cloudfront.net/private/a.html?x=1&y=%20z"

pytestmark = pytest.mark.skipif(AWS is None, reason="the aws command is not installed")


def _run(command: list[str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(["--date-less-than", "2030-01-01"], id="R3-canned-date"),
        pytest.param(["--date-less-than", "1893456000"], id="R5-canned-epoch"),
        pytest.param(
            ["--date-less-than", "2030-01-01T10:00:00+02:00", "--date-greater-than", "2029-12-01"],
            id="R9-custom-window-offset",
        ),
        pytest.param(
            ["--date-less-than", "2030-01-01", "--ip-address", "192.0.2.0/24"], id="R9-custom-cidr"
        ),
        pytest.param(
            ["--date-less-than", "2030-01-01", "--ip-address", "192.0.2.7"], id="R47-bare-ip"
        ),
    ],
)
def test_r18_frontgate_sign_equals_aws_cloudfront_sign(when: list[str]) -> None:
    assert AWS is not None
    key = f"file://{key_path('rsa2048_pkcs1.pem')}"
    common = ["--url", URL, "--key-pair-id", KEY_PAIR_ID, "--private-key", key, *when]
    theirs = _run([AWS, "cloudfront", "sign", *common])
    ours = _run([sys.executable, "-m", "frontgate", "sign", *common])
    assert ours == theirs
