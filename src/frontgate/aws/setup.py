"""``frontgate aws setup``: everything CloudFront private content needs, as a plan.

>>> aws = AwsSession(region="eu-west-1", read_only=True)                  # doctest: +SKIP
>>> result = Setup(aws, bucket="media-bucket", public_key=public).run()   # doctest: +SKIP
>>> [(o.title, o.action) for o in result.outcomes][:2]                    # doctest: +SKIP
[('bucket', 'exists'), ('public key', 'would create')]

Each :class:`Step` knows how to find what already exists (reads only) and how to make
it. Every resource is named ``name`` (the distribution carries it as its comment), so a
second run finds everything and creates nothing. With a read-only session (a dry run)
nothing is made: the plan says what would be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.exceptions import ClientError

from frontgate.errors import ConfigError, ErrorCode
from frontgate.keys import PublicKey, public_key_fingerprint

from . import listing
from .keygroups import (
    check_name,
    create_key_group,
    find_key_group,
    find_public_key,
    group_fingerprints,
    upload_public_key,
)
from .session import AwsSession, aws_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudfront.type_defs import (
        DistributionConfigTypeDef,
        QueryStringNamesTypeDef,
    )

__all__ = [
    "FORWARDED_QUERY_STRINGS",
    "POLICY_SID",
    "Outcome",
    "Setup",
    "SetupResult",
    "Step",
    "default_name",
    "merge_bucket_policy",
]

#: the Sid of the bucket policy statement setup owns
POLICY_SID: Final = "frontgate-cloudfront-read"
#: the query strings S3 turns into response headers (Distribution.url's filename=/content_type=)
FORWARDED_QUERY_STRINGS: Final = ("response-content-disposition", "response-content-type")

Action = Literal["exists", "would create", "would update", "created", "updated"]


def default_name(bucket: str) -> str:
    """``frontgate-BUCKET`` with the characters CloudFront names refuse made hyphens.

    >>> default_name("media.example.com")
    'frontgate-media-example-com'
    """
    return check_name(f"frontgate-{re.sub(r'[^A-Za-z0-9_-]', '-', bucket)}"[:128])


@dataclass(frozen=True, slots=True)
class Step:
    """One piece of the setup: how to find it (reads only) and how to make it."""

    #: what it is ("key group")
    title: str
    #: the field of the result its id fills
    output: str
    #: what making it does, in words (the dry-run plan)
    explain: str
    #: the id of what exists, or None; may refuse with a ConfigError
    find: Callable[[], str | None]
    #: make it (create or update); returns its id
    make: Callable[[], str]
    #: "create", or "update" for a change to something that exists (the bucket policy)
    verb: Callable[[], Literal["create", "update"]] = lambda: "create"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one step found or did."""

    title: str
    action: Action
    resource_id: str | None
    explain: str


@dataclass(frozen=True, slots=True)
class SetupResult:
    """The outcome of every step, and the ids (None where a dry run would create)."""

    name: str
    bucket: str
    dry_run: bool
    outcomes: list[Outcome]
    ids: dict[str, str | None] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Something was (or, in a dry run, would be) created or updated."""
        return any(o.action != "exists" for o in self.outcomes)

    def to_json(self) -> dict[str, object]:
        """The ``--json`` shape (contract): the six ids, plus what changed."""
        keys = (
            "public_key_id",
            "key_group_id",
            "origin_access_control_id",
            "distribution_id",
            "distribution_domain",
        )
        data: dict[str, object] = {key: self.ids.get(key) for key in keys}
        data["bucket"] = self.bucket
        data["name"] = self.name
        data["cache_policy_id"] = self.ids.get("cache_policy_id")
        data["origin_request_policy_id"] = self.ids.get("origin_request_policy_id")
        data["dry_run"] = self.dry_run
        data["changed"] = [o.title for o in self.outcomes if o.action != "exists"]
        return data


def _query_strings() -> QueryStringNamesTypeDef:
    return {"Quantity": len(FORWARDED_QUERY_STRINGS), "Items": list(FORWARDED_QUERY_STRINGS)}


def merge_bucket_policy(
    policy: dict[str, Any] | None, bucket: str, source_arn: str
) -> dict[str, Any]:
    """``policy`` with the statement letting CloudFront distribution ``source_arn`` read
    ``bucket``; every other statement is kept as it is.

    A statement with :data:`POLICY_SID` already there keeps the distributions it names.

    >>> arn = "arn:aws:cloudfront::111122223333:distribution/E1"
    >>> merged = merge_bucket_policy(None, "media", arn)
    >>> merged["Statement"][0]["Condition"]
    {'StringEquals': {'AWS:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1'}}
    """
    document: dict[str, Any] = dict(policy or {"Version": "2012-10-17"})
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else list(statements)
    arns: list[str] = []
    kept = []
    for statement in statements:
        if isinstance(statement, dict) and statement.get("Sid") == POLICY_SID:
            found = statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn")
            arns += [found] if isinstance(found, str) else list(found or [])
        else:
            kept.append(statement)
    if source_arn not in arns:
        arns.append(source_arn)
    partition = source_arn.split(":")[1] if source_arn.count(":") >= 2 else "aws"
    kept.append(
        {
            "Sid": POLICY_SID,
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/*",
            # only this account's distribution(s) may read: the OAC confused-deputy guard
            "Condition": {"StringEquals": {"AWS:SourceArn": arns[0] if len(arns) == 1 else arns}},
        }
    )
    document["Statement"] = kept
    return document


class Setup:
    """The setup procedure for one bucket and one public key, as a list of :class:`Step`.

    ``aws.read_only`` makes :meth:`run` a dry run: every step looks, none makes.
    """

    def __init__(
        self,
        aws: AwsSession,
        *,
        bucket: str,
        public_key: PublicKey,
        name: str | None = None,
        create_bucket: bool = False,
    ) -> None:
        self.aws = aws
        self.bucket = bucket
        self.public_key = public_key
        self.name = check_name(name) if name else default_name(bucket)
        self.create_bucket = create_bucket
        self.ids: dict[str, str | None] = {}
        self._distribution_arn: str | None = None
        self._bucket_region: str | None = None
        self._bucket_policy: dict[str, Any] | None = None

    # -- the plan ----------------------------------------------------------------------

    def steps(self) -> list[Step]:
        """The steps in the order they run; later ones use the ids of earlier ones."""
        n, b = self.name, self.bucket
        return [
            Step(
                "bucket",
                "bucket",
                f"create the S3 bucket {b}",
                self._find_bucket,
                self._make_bucket,
            ),
            Step(
                "public key",
                "public_key_id",
                f"upload the public key as {n}",
                self._find_public_key,
                lambda: upload_public_key(self.aws, name=n, public_key=self.public_key)[0],
            ),
            Step(
                "key group",
                "key_group_id",
                f"create the key group {n} trusting the public key",
                lambda: (found := find_key_group(self.aws, n)) and found[0],
                lambda: create_key_group(self.aws, name=n, key_ids=[self._id("public_key_id")])[0],
            ),
            Step(
                "origin access control",
                "origin_access_control_id",
                f"create the origin access control {n} (SigV4-signed requests to S3)",
                self._find_oac,
                self._make_oac,
            ),
            Step(
                "origin request policy",
                "origin_request_policy_id",
                f"create the origin request policy {n} forwarding "
                + " and ".join(FORWARDED_QUERY_STRINGS),
                self._find_origin_request_policy,
                self._make_origin_request_policy,
            ),
            Step(
                "cache policy",
                "cache_policy_id",
                f"create the cache policy {n} keyed on " + " and ".join(FORWARDED_QUERY_STRINGS),
                self._find_cache_policy,
                self._make_cache_policy,
            ),
            Step(
                "distribution",
                "distribution_id",
                f"create a distribution (comment {n}) serving {b} through the origin access "
                "control, its default behaviour requiring the key group and redirecting "
                "http to https",
                self._find_distribution,
                self._make_distribution,
            ),
            Step(
                "bucket policy",
                "bucket_policy",
                f"merge statement {POLICY_SID} into the policy of {b}: only the distribution "
                "may s3:GetObject",
                self._find_bucket_policy,
                self._make_bucket_policy,
                lambda: "update" if self._bucket_policy else "create",
            ),
        ]

    def run(self) -> SetupResult:
        """Find or make each step in turn (a dry run when the session is read-only)."""
        dry_run = self.aws.read_only
        outcomes = []
        for step in self.steps():
            found = step.find()
            if found is not None:
                self.ids[step.output] = found
                outcomes.append(Outcome(step.title, "exists", found, step.explain))
                continue
            verb = step.verb()
            if dry_run:
                self.ids[step.output] = None
                action: Action = "would create" if verb == "create" else "would update"
                outcomes.append(Outcome(step.title, action, None, step.explain))
                continue
            made = step.make()
            self.ids[step.output] = made
            outcomes.append(
                Outcome(
                    step.title, "created" if verb == "create" else "updated", made, step.explain
                )
            )
        self.ids.pop("bucket_policy", None)
        self.ids.pop("bucket", None)
        return SetupResult(self.name, self.bucket, dry_run, outcomes, dict(self.ids))

    def _id(self, output: str) -> str:
        value = self.ids.get(output)
        if value is None:  # pragma: no cover - steps run in order, a dry run never makes
            raise ConfigError(ErrorCode.CONFIG_MISSING, f"setup: {output} is not known yet.")
        return value

    # -- bucket ------------------------------------------------------------------------

    def _find_bucket(self) -> str | None:
        try:
            self.aws.s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                with aws_errors(f"looking for the bucket {self.bucket}"):
                    raise
            if not self.create_bucket:
                raise ConfigError(
                    ErrorCode.CONFIG_MISSING,
                    f"The bucket {self.bucket} does not exist; pass --create-bucket to create "
                    "it (or check the name and --region).",
                ) from None
            return None
        with aws_errors(f"reading the region of the bucket {self.bucket}"):
            where = self.aws.s3.get_bucket_location(Bucket=self.bucket).get("LocationConstraint")
        self._bucket_region = str(where) if where else "us-east-1"
        return self.bucket

    def _make_bucket(self) -> str:
        region = self.aws.region or "us-east-1"
        with aws_errors(f"creating the bucket {self.bucket}"):
            if region == "us-east-1":
                self.aws.s3.create_bucket(Bucket=self.bucket)
            else:
                self.aws.s3.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
        self._bucket_region = region
        return self.bucket

    # -- keys --------------------------------------------------------------------------

    def _find_public_key(self) -> str | None:
        wanted = public_key_fingerprint(self.public_key)
        group = find_key_group(self.aws, self.name)
        if group is not None:
            group_id, key_ids = group
            for key_id, fingerprint in group_fingerprints(self.aws, key_ids).items():
                if fingerprint == wanted:
                    return key_id
            raise ConfigError(
                ErrorCode.CONFIG_CONFLICT,
                f"The key group {self.name} ({group_id}) trusts {', '.join(key_ids)}, not "
                "this public key; setup never replaces keys: add it with 'frontgate aws "
                f"rotate --key-group {group_id} --public-key PATH'.",
            )
        found = find_public_key(self.aws, self.name)
        if found is None:
            return None
        key_id, fingerprint = found
        if fingerprint == wanted:
            return key_id
        raise ConfigError(
            ErrorCode.CONFIG_CONFLICT,
            f"A different public key is uploaded as {self.name} ({key_id}); setup never "
            "replaces keys: pass that key, choose another --name, or rotate keys with "
            "'frontgate aws rotate'.",
        )

    # -- origin access control and policies --------------------------------------------

    def _find_oac(self) -> str | None:
        return next(
            (o["Id"] for o in listing.origin_access_controls(self.aws) if o["Name"] == self.name),
            None,
        )

    def _make_oac(self) -> str:
        with aws_errors(f"creating the origin access control {self.name}"):
            answer = self.aws.cloudfront.create_origin_access_control(
                OriginAccessControlConfig={
                    "Name": self.name,
                    "Description": f"frontgate: CloudFront reads s3://{self.bucket}",
                    "SigningProtocol": "sigv4",
                    "SigningBehavior": "always",
                    "OriginAccessControlOriginType": "s3",
                }
            )
        return answer["OriginAccessControl"]["Id"]

    def _find_origin_request_policy(self) -> str | None:
        for item in listing.origin_request_policies(self.aws):
            policy = item["OriginRequestPolicy"]
            if policy["OriginRequestPolicyConfig"]["Name"] == self.name:
                return str(policy["Id"])
        return None

    def _make_origin_request_policy(self) -> str:
        with aws_errors(f"creating the origin request policy {self.name}"):
            answer = self.aws.cloudfront.create_origin_request_policy(
                OriginRequestPolicyConfig={
                    "Name": self.name,
                    "Comment": "frontgate: S3 response-* overrides travel to the origin",
                    "HeadersConfig": {"HeaderBehavior": "none"},
                    "CookiesConfig": {"CookieBehavior": "none"},
                    "QueryStringsConfig": {
                        "QueryStringBehavior": "whitelist",
                        "QueryStrings": _query_strings(),
                    },
                }
            )
        return answer["OriginRequestPolicy"]["Id"]

    def _find_cache_policy(self) -> str | None:
        for item in listing.cache_policies(self.aws):
            policy = item["CachePolicy"]
            if policy["CachePolicyConfig"]["Name"] == self.name:
                return str(policy["Id"])
        return None

    def _make_cache_policy(self) -> str:
        with aws_errors(f"creating the cache policy {self.name}"):
            answer = self.aws.cloudfront.create_cache_policy(
                CachePolicyConfig={
                    "Name": self.name,
                    "Comment": "frontgate: one cached copy per download name and type",
                    "MinTTL": 0,
                    "DefaultTTL": 86400,
                    "MaxTTL": 31536000,
                    "ParametersInCacheKeyAndForwardedToOrigin": {
                        "EnableAcceptEncodingGzip": True,
                        "EnableAcceptEncodingBrotli": True,
                        "HeadersConfig": {"HeaderBehavior": "none"},
                        "CookiesConfig": {"CookieBehavior": "none"},
                        "QueryStringsConfig": {
                            "QueryStringBehavior": "whitelist",
                            "QueryStrings": _query_strings(),
                        },
                    },
                }
            )
        return answer["CachePolicy"]["Id"]

    # -- distribution and bucket policy ------------------------------------------------

    def _find_distribution(self) -> str | None:
        for item in listing.distributions(self.aws):
            if item.get("Comment") != self.name:
                continue
            trusted = item["DefaultCacheBehavior"].get("TrustedKeyGroups")
            groups = (trusted.get("Items") or []) if trusted else []
            group_id = self.ids.get("key_group_id")
            if group_id and group_id not in groups:
                raise ConfigError(
                    ErrorCode.CONFIG_CONFLICT,
                    f"The distribution {item['Id']} (comment {self.name}) exists but its "
                    f"default behaviour does not require the key group {group_id}; "
                    "setup never edits a distribution: fix it in CloudFront or choose "
                    "another --name.",
                )
            self.ids["distribution_domain"] = item["DomainName"]
            self._distribution_arn = item["ARN"]
            return str(item["Id"])
        return None

    def distribution_config(self) -> DistributionConfigTypeDef:
        """The configuration of the distribution setup creates."""
        origin_id = f"s3-{self.bucket}"
        region = self._bucket_region or self.aws.region or "us-east-1"
        return {
            "CallerReference": self.name,
            "Comment": self.name,
            "Enabled": True,
            "HttpVersion": "http2and3",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": origin_id,
                        "DomainName": f"{self.bucket}.s3.{region}.amazonaws.com",
                        "OriginAccessControlId": self._id("origin_access_control_id"),
                        # with an OAC the legacy identity stays empty
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": origin_id,
                "ViewerProtocolPolicy": "redirect-to-https",
                "TrustedKeyGroups": {
                    "Enabled": True,
                    "Quantity": 1,
                    "Items": [self._id("key_group_id")],
                },
                "CachePolicyId": self._id("cache_policy_id"),
                "OriginRequestPolicyId": self._id("origin_request_policy_id"),
                "Compress": True,
                "AllowedMethods": {
                    "Quantity": 2,
                    "Items": ["GET", "HEAD"],
                    "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
                },
            },
        }

    def _make_distribution(self) -> str:
        with aws_errors(f"creating the distribution {self.name}"):
            answer = self.aws.cloudfront.create_distribution(
                DistributionConfig=self.distribution_config()
            )
        made = answer["Distribution"]
        self.ids["distribution_domain"] = made["DomainName"]
        self._distribution_arn = made["ARN"]
        return made["Id"]

    def _find_bucket_policy(self) -> str | None:
        if self.ids.get("bucket") is None:
            return None
        try:
            text = self.aws.s3.get_bucket_policy(Bucket=self.bucket)["Policy"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                with aws_errors(f"reading the policy of the bucket {self.bucket}"):
                    raise
            self._bucket_policy = None
            return None
        try:
            self._bucket_policy = json.loads(text)
        except ValueError:  # pragma: no cover - S3 stores only valid JSON
            self._bucket_policy = None
            return None
        arn = self._distribution_arn
        if arn is None:
            return None
        if merge_bucket_policy(self._bucket_policy, self.bucket, arn) == self._bucket_policy:
            return POLICY_SID
        return None

    def _make_bucket_policy(self) -> str:
        arn = self._distribution_arn
        if arn is None:  # pragma: no cover - the distribution step ran first
            raise ConfigError(ErrorCode.CONFIG_MISSING, "setup: the distribution is not known.")
        document = merge_bucket_policy(self._bucket_policy, self.bucket, arn)
        with aws_errors(f"writing the policy of the bucket {self.bucket}"):
            self.aws.s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(document))
        return POLICY_SID
