"""S3 presigned URLs (AWS SigV4): the fallback for buckets served without CloudFront.

>>> aws = AwsSession(region="eu-west-1")                                     # doctest: +SKIP
>>> presign(aws, "s3://media/q3.pdf", expires_in=600, download_name="q3.pdf").url  # doctest: +SKIP
'https://media.s3.eu-west-1.amazonaws.com/q3.pdf?response-content-disposition=...&X-Amz-...'

This is S3's own mechanism, not CloudFront's: an HMAC made with the caller's AWS
credentials and checked by S3, for one object and one method, at most 7 days, never
longer than the credentials that made it. botocore makes the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from frontgate.distribution import content_disposition
from frontgate.errors import ErrorCode, InputError

from .session import AwsSession, aws_errors, error_code

__all__ = ["MAX_EXPIRES_IN", "Presigned", "parse_s3_url", "presign"]

#: S3's limit for a SigV4 presigned URL: 7 days
MAX_EXPIRES_IN: Final = 604800


@dataclass(frozen=True, slots=True)
class Presigned:
    """An S3 presigned GET URL and what limits it."""

    url: str
    expires_in: int
    #: made with temporary credentials: the URL dies with them, maybe sooner than expires_in
    temporary_credentials: bool
    #: the region the URL is signed for (the bucket's, when S3 said)
    region: str | None = None
    #: why that is not the region asked for (the bucket is elsewhere, or S3 would not say)
    region_note: str | None = None


def parse_s3_url(text: str) -> tuple[str, str]:
    """``(bucket, key)`` of ``s3://BUCKET/KEY``.

    >>> parse_s3_url("s3://media/reports/q3 2026.pdf")
    ('media', 'reports/q3 2026.pdf')
    """
    parts = urlsplit(text)
    key = text.split("/", 3)[3] if text.count("/") >= 3 else ""
    if parts.scheme != "s3" or not parts.netloc or not key:
        raise InputError(
            ErrorCode.URL_INVALID,
            f"Expected s3://BUCKET/KEY (an object, not a prefix), not {text!r}.",
        )
    return parts.netloc, key


def presign(
    aws: AwsSession,
    s3_url: str,
    *,
    expires_in: int,
    download_name: str | None = None,
) -> Presigned:
    """A SigV4 presigned GET URL for ``s3://BUCKET/KEY``, valid ``expires_in`` seconds.

    ``download_name`` makes S3 answer ``Content-Disposition: attachment`` with that name.
    """
    bucket, key = parse_s3_url(s3_url)
    if isinstance(expires_in, bool) or not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise InputError(
            ErrorCode.TIME_INVALID,
            f"--expires-in must be 1 to {MAX_EXPIRES_IN} seconds (7 days, S3's limit for "
            f"presigned URLs), not {expires_in}.",
        )
    params = {"Bucket": bucket, "Key": key}
    if download_name:
        params["ResponseContentDisposition"] = content_disposition(download_name, attachment=True)
    asked = aws.region
    where, note = _bucket_region(aws, bucket, asked)
    if where != asked:
        aws = aws.for_region(where)
    with aws_errors(f"presigning s3://{bucket}/{key}"):
        url = aws.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
    return Presigned(url, expires_in, aws.temporary_credentials(), where, note)


def _bucket_region(aws: AwsSession, bucket: str, asked: str | None) -> tuple[str, str | None]:
    """The bucket's region (GetBucketLocation), and a note when it is not ``asked``.

    A SigV4 URL is only good for the bucket's own region: S3 refuses another one.
    """
    fallback = asked or "us-east-1"
    try:
        where = aws.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except ClientError as exc:
        return fallback, (
            f"could not read the region of the bucket {bucket} ({error_code(exc)}); the URL is "
            f"signed for {fallback}"
        )
    except BotoCoreError as exc:
        with aws_errors(f"reading the region of the bucket {bucket}"):
            raise exc from None
    # no constraint is us-east-1; "EU" is how the oldest eu-west-1 buckets answer
    region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(where, where) or fallback
    if asked is None or region == asked:
        return region, None
    return region, (
        f"the bucket {bucket} is in {region}, not {asked} (--region): the URL is signed "
        f"for {region}"
    )
