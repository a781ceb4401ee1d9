"""boto3 clients made in one place, and AWS failures turned into frontgate errors.

>>> aws = AwsSession(region="eu-west-1", endpoint_url="http://127.0.0.1:5000")
>>> aws
AwsSession(region='eu-west-1', endpoint_url='http://127.0.0.1:5000')
>>> with aws_errors("reading the key"):   # a ClientError becomes one BackendError
...     pass

Credentials, profiles and ``AWS_ENDPOINT_URL`` follow boto3's usual lookup; nothing
here reads or prints a secret.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)

from frontgate.errors import BackendError, ConfigError, ErrorCode

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient

__all__ = [
    "READ_ONLY_PREFIXES",
    "AwsSession",
    "aws_errors",
    "error_code",
    "marker_arg",
    "region_from_arn",
]

#: operations a dry run may call: they read and never change anything
READ_ONLY_PREFIXES: Final = ("Get", "List", "Head", "Describe")


def region_from_arn(resource: str) -> str | None:
    """The region an ARN names, if ``resource`` is one (``arn:aws:kms:eu-west-1:...``).

    >>> region_from_arn("arn:aws:kms:eu-west-1:111122223333:key/1234"), region_from_arn("alias/x")
    ('eu-west-1', None)
    """
    parts = resource.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return None


def marker_arg(marker: str) -> dict[str, str]:
    """``{"Marker": marker}`` for a next page, ``{}`` for the first (an empty Marker is
    refused by some endpoints)."""
    return {"Marker": marker} if marker else {}


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError (e.g. ``NoSuchBucket``)."""
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


@contextmanager
def aws_errors(action: str, *, code: ErrorCode = ErrorCode.AWS_FAILED) -> Iterator[None]:
    """Turn any boto3/botocore failure inside the block into one FrontgateError.

    ``action`` says what was being done ("reading secret db-key"); the message adds the
    AWS operation and error code, never a request or response body.
    """
    try:
        yield
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message") or "").strip().rstrip(".")
        detail = f": {message}" if message else ""
        raise BackendError(
            code,
            f"AWS refused {exc.operation_name} while {action} ({error_code(exc)}){detail}.",
        ) from exc
    except NoRegionError as exc:
        raise ConfigError(
            ErrorCode.CONFIG_MISSING,
            f"No AWS region while {action}; set AWS_REGION or pass --region.",
        ) from exc
    except NoCredentialsError as exc:
        raise ConfigError(
            ErrorCode.CONFIG_MISSING,
            f"No AWS credentials while {action}; set a profile (AWS_PROFILE, --profile) or "
            "the usual AWS environment.",
        ) from exc
    except ProfileNotFound as exc:
        raise ConfigError(ErrorCode.CONFIG_INVALID, f"{exc} (while {action}).") from exc
    except BotoCoreError as exc:
        raise BackendError(code, f"AWS call failed while {action}: {exc}.") from exc


class AwsSession:
    """boto3 clients for one profile, region and endpoint, made once and shared.

    boto3 clients are safe to share between threads; this object is too.
    ``read_only=True`` (``--dry-run``) makes every client refuse any operation that is not
    a Get/List/Head/Describe before it leaves the process. ``clients`` supplies ready-made
    clients by service name (used as given, without that guard).
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        read_only: bool = False,
        max_pool_connections: int = 10,
        clients: dict[str, Any] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.read_only = read_only
        # AWS_REGION as the AWS CLI v2 reads it (botocore itself only reads AWS_DEFAULT_REGION)
        self._region = region or os.environ.get("AWS_REGION") or None
        self._profile = profile
        self._config = Config(
            max_pool_connections=max_pool_connections,
            retries={"mode": "standard", "max_attempts": 3},
        )
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = dict(clients or {})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AwsSession(region={self._region!r}, endpoint_url={self.endpoint_url!r})"

    @property
    def region(self) -> str | None:
        """The region given, else AWS_REGION, else the one boto3 finds (AWS_DEFAULT_REGION,
        the profile)."""
        if self._region:
            return self._region
        with aws_errors("reading the AWS configuration"):
            return self._boto_session().region_name

    def for_region(self, region: str) -> AwsSession:
        """A session like this one (profile, endpoint, read-only) for another region.

        >>> AwsSession(region="us-east-1").for_region("eu-west-1")
        AwsSession(region='eu-west-1', endpoint_url=None)
        """
        return AwsSession(
            region=region,
            endpoint_url=self.endpoint_url,
            profile=self._profile,
            read_only=self.read_only,
        )

    def _boto_session(self) -> boto3.Session:
        if self._session is None:
            with aws_errors("opening the AWS profile"):
                self._session = boto3.Session(profile_name=self._profile)
        return self._session

    def temporary_credentials(self) -> bool:
        """The credentials in use carry a session token (they expire)."""
        with aws_errors("reading the AWS credentials"):
            credentials = self._boto_session().get_credentials()
        return bool(credentials is not None and credentials.token)

    def client(self, service: str) -> Any:
        """The (cached) boto3 client for ``service``."""
        with self._lock:
            found = self._clients.get(service)
            if found is not None:
                return found
            session = self._boto_session()
            config = self._config
            if service == "s3":
                # presigned URLs must be SigV4 (the default SigV2 fallback is retired)
                config = config.merge(Config(signature_version="s3v4"))
            region = self._region
            if service == "cloudfront" and not (region or session.region_name):
                region = "us-east-1"  # a global service: the region only signs requests
            with aws_errors(f"creating the {service} client"):
                made = session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    endpoint_url=self.endpoint_url,
                    config=config,
                )
            if self.read_only:
                made.meta.events.register("before-call", _refuse_writes)
            self._clients[service] = made
            return made

    @property
    def cloudfront(self) -> CloudFrontClient:
        """The CloudFront client (a global service; the region only signs requests)."""
        client: CloudFrontClient = self.client("cloudfront")
        return client

    @property
    def s3(self) -> S3Client:
        client: S3Client = self.client("s3")
        return client

    @property
    def kms(self) -> KMSClient:
        client: KMSClient = self.client("kms")
        return client

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        client: SecretsManagerClient = self.client("secretsmanager")
        return client

    @property
    def ssm(self) -> SSMClient:
        client: SSMClient = self.client("ssm")
        return client


def _refuse_writes(model: Any, **_: Any) -> None:
    name = str(getattr(model, "name", ""))
    if not name.startswith(READ_ONLY_PREFIXES):
        raise BackendError(
            ErrorCode.AWS_FAILED,
            f"Refusing {name} in a dry run: a dry run only reads (a frontgate bug; report it).",
        )
