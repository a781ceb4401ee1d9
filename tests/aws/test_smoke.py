"""Opt-in smoke test against a real AWS account: read-only, skipped by default.

Run it with a profile allowed to read CloudFront and S3::

    FRONTGATE_AWS_SMOKE_PROFILE=myprofile [FRONTGATE_AWS_SMOKE_BUCKET=my-bucket] \\
        .venv/bin/python -m pytest tests/aws/test_smoke.py

It lists the account's CloudFront public keys and prints the plan of
``frontgate aws setup --dry-run`` (for FRONTGATE_AWS_SMOKE_BUCKET, or for a bucket name
that does not exist, with --create-bucket). The session is read-only, so nothing in
the account can change.
"""

from __future__ import annotations

import os
import uuid

import pytest

from frontgate.aws.session import AwsSession
from frontgate.aws.setup import Setup
from frontgate.keys import generate_private_key

PROFILE = os.environ.get("FRONTGATE_AWS_SMOKE_PROFILE")

pytestmark = pytest.mark.skipif(
    not PROFILE, reason="set FRONTGATE_AWS_SMOKE_PROFILE to an AWS profile to run"
)


@pytest.fixture
def real_aws(monkeypatch: pytest.MonkeyPatch) -> AwsSession:
    # undo the moto settings of conftest.py: this test talks to AWS itself
    for name in ("AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    region = os.environ.get("FRONTGATE_AWS_SMOKE_REGION")
    return AwsSession(profile=PROFILE, region=region, read_only=True)


def test_smoke_dry_run_against_a_real_account(real_aws: AwsSession) -> None:
    listing = real_aws.cloudfront.list_public_keys()["PublicKeyList"]
    assert listing["Quantity"] >= 0
    bucket = os.environ.get("FRONTGATE_AWS_SMOKE_BUCKET") or f"frontgate-smoke-{uuid.uuid4().hex}"
    setup = Setup(
        real_aws,
        bucket=bucket,
        public_key=generate_private_key("ecdsa").public_key(),
        name=f"frontgate-smoke-{uuid.uuid4().hex[:12]}",
        create_bucket=True,
    )
    result = setup.run()
    assert result.dry_run
    assert [o.title for o in result.outcomes][-1] == "bucket policy"
    for outcome in result.outcomes:
        print(f"{outcome.title:<24} {outcome.action:<13} {outcome.explain}")
