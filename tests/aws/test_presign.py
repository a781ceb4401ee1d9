"""frontgate aws presign: S3 SigV4 presigned URLs (cloudfront.md, "S3 presigned URLs")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from frontgate.aws.presign import MAX_EXPIRES_IN, parse_s3_url, presign
from frontgate.aws.session import AwsSession
from frontgate.errors import ErrorCode, InputError

from .conftest import client, run_cli, run_subprocess


def put_object(moto_url: str) -> None:
    s3 = client(moto_url, "s3")
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="reports/q3 2026.pdf", Body=b"%PDF-1.7 report")


def test_presign_url_shape_and_s3_serves_it(moto_url: str, subprocess_env: dict[str, str]) -> None:
    put_object(moto_url)
    argv = ["aws", "presign", "s3://media/reports/q3 2026.pdf", "--expires-in", "600"]
    argv += ["--download-name", "Q3 résumé.pdf", "--endpoint-url", moto_url]
    done = run_subprocess(argv, subprocess_env)
    assert done.returncode == 0, done.stderr
    assert "S3 presigned URL" in done.stderr
    assert "not a CloudFront signed URL" in done.stderr
    url = done.stdout.strip()
    assert "\n" not in url
    parts = urlsplit(url)
    assert parts.path == "/media/reports/q3%202026.pdf"
    query = parse_qs(parts.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Credential"][0].endswith("/us-east-1/s3/aws4_request")
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert len(query["X-Amz-Signature"][0]) == 64
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''Q3%20r%C3%A9sum%C3%A9.pdf" in disposition
    # none of CloudFront's parameters (R6): this is S3's mechanism
    assert not {"Expires", "Signature", "Key-Pair-Id", "Policy"} & set(query)
    answer = httpx.get(url)
    assert answer.status_code == 200
    assert answer.content == b"%PDF-1.7 report"
    assert answer.headers["content-disposition"] == disposition


def test_presign_api(moto_url: str) -> None:
    put_object(moto_url)
    made = presign(
        AwsSession(endpoint_url=moto_url), "s3://media/reports/q3 2026.pdf", expires_in=60
    )
    assert made.expires_in == 60
    assert made.temporary_credentials is False
    assert "response-content-disposition" not in made.url
    assert httpx.get(made.url).status_code == 200


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [(MAX_EXPIRES_IN, True), (MAX_EXPIRES_IN + 1, False), (0, False)],
    ids=["seven-days", "over-seven-days", "zero"],
)
def test_presign_expiry_limits(
    moto_url: str, seconds: int, ok: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["aws", "presign", "s3://media/a.pdf", "--expires-in", str(seconds)]
    code, out, err = run_cli([*argv, "--endpoint-url", moto_url], capsys)
    if ok:
        assert code == 0, err
        assert f"X-Amz-Expires={seconds}" in out
    else:
        assert (code, out) == (2, "")
        assert err.startswith("frontgate: time-invalid: --expires-in must be 1 to 604800")


@pytest.mark.parametrize("text", ["s3://media", "s3://media/", "https://media/a.pdf", "media/a"])
def test_presign_needs_an_object_url(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_s3_url(text)
    assert caught.value.code is ErrorCode.URL_INVALID


def test_presign_signs_for_the_buckets_own_region(
    moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """GetBucketLocation decides the region: a SigV4 URL for another one is refused by S3."""
    s3 = client(moto_url, "s3")
    s3.create_bucket(Bucket="paris", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    s3.put_object(Bucket="paris", Key="a.pdf", Body=b"%PDF")
    argv = ["aws", "presign", "s3://paris/a.pdf", "--expires-in", "60"]
    code, out, err = run_cli([*argv, "--region", "us-east-1", "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    assert "the bucket paris is in eu-west-3, not us-east-1 (--region)" in err
    query = parse_qs(urlsplit(out.strip()).query)
    assert query["X-Amz-Credential"][0].endswith("/eu-west-3/s3/aws4_request")
    assert httpx.get(out.strip()).status_code == 200
    # the right region: nothing to say
    code, out, err = run_cli([*argv, "--region", "eu-west-3", "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    assert "not eu-west-3" not in err
    assert "%2Feu-west-3%2Fs3%2Faws4_request" in out
    # no such bucket: S3 will not say, so --region it is, and that is said
    argv = ["aws", "presign", "s3://nowhere/a.pdf", "--expires-in", "60", "--region", "eu-west-1"]
    code, out, err = run_cli([*argv, "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    assert "could not read the region of the bucket nowhere (NoSuchBucket)" in err
    assert "%2Feu-west-1%2Fs3%2Faws4_request" in out
