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

from frontgate.distribution import content_disposition
from frontgate.errors import ErrorCode, InputError

from .session import AwsSession, aws_errors

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
    client = aws.s3
    with aws_errors(f"presigning s3://{bucket}/{key}"):
        url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
    return Presigned(url, expires_in, aws.temporary_credentials())
