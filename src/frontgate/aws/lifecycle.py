"""After ``setup``: what exists under a name, waiting for CloudFront, and taking it down.

>>> aws = AwsSession(region="us-east-1")                               # doctest: +SKIP
>>> found = find_resources(aws, "frontgate-media")                      # doctest: +SKIP
>>> found.distribution.status, found.distribution.domain                # doctest: +SKIP
('InProgress', 'd111111abcdef8.cloudfront.net')
>>> wait_deployed(aws, found.distribution.id, timeout=1800)             # doctest: +SKIP
>>> Teardown(aws, "frontgate-media").run()                              # doctest: +SKIP

Everything is found by the name ``setup`` gave it (the distribution by its comment), so
nothing else in the account is ever touched.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from frontgate.errors import BackendError, ConfigError, ErrorCode

from . import listing
from .keygroups import check_name
from .session import AwsSession, aws_errors, error_code
from .setup import POLICY_SID

if TYPE_CHECKING:
    from mypy_boto3_cloudfront.type_defs import DistributionSummaryTypeDef

__all__ = [
    "DEFAULT_TIMEOUT",
    "POLL_ENV",
    "DistributionInfo",
    "Inventory",
    "Teardown",
    "TeardownStep",
    "find_resources",
    "poll_delays",
    "remove_from_bucket_policy",
    "wait_deployed",
]

#: seconds ``--wait`` waits by default (CloudFront usually deploys in 5-15 minutes)
DEFAULT_TIMEOUT: Final = 1800
#: the first seconds between two polls; later ones grow by half up to six times that
POLL_SECONDS: Final = 5.0
#: environment variable overriding :data:`POLL_SECONDS` (tests, impatient people)
POLL_ENV: Final = "FRONTGATE_AWS_POLL_SECONDS"

_S3_ORIGIN: Final = re.compile(r"(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3[.-]")
_OAC_BUCKET: Final = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")


# ---------------------------------------------------------------------------
# what exists


@dataclass(frozen=True, slots=True)
class DistributionInfo:
    """A distribution as its summary shows it."""

    id: str
    arn: str
    comment: str
    #: ``InProgress`` or ``Deployed``
    status: str
    domain: str
    aliases: tuple[str, ...]
    enabled: bool
    #: the S3 bucket of its first S3 origin, if any
    bucket: str | None
    key_group_ids: frozenset[str]
    origin_access_control_ids: frozenset[str]
    cache_policy_ids: frozenset[str]
    origin_request_policy_ids: frozenset[str]

    @classmethod
    def from_summary(cls, item: DistributionSummaryTypeDef) -> DistributionInfo:
        behaviours: list[Any] = [item["DefaultCacheBehavior"]]
        behaviours += list(item.get("CacheBehaviors", {}).get("Items") or [])
        groups: set[str] = set()
        for behaviour in behaviours:
            trusted = behaviour.get("TrustedKeyGroups") or {}
            if trusted.get("Enabled"):
                groups.update(trusted.get("Items") or [])
        origins = list(item["Origins"].get("Items") or [])
        bucket = None
        for origin in origins:
            found = _S3_ORIGIN.match(origin["DomainName"])
            if found and origin["DomainName"].endswith(".amazonaws.com"):
                bucket = found["bucket"]
                break
        return cls(
            id=item["Id"],
            arn=item["ARN"],
            comment=item.get("Comment", ""),
            status=item["Status"],
            domain=item["DomainName"],
            aliases=tuple(item.get("Aliases", {}).get("Items") or []),
            enabled=bool(item["Enabled"]),
            bucket=bucket,
            key_group_ids=frozenset(groups),
            origin_access_control_ids=frozenset(
                o["OriginAccessControlId"] for o in origins if o.get("OriginAccessControlId")
            ),
            cache_policy_ids=frozenset(
                b["CachePolicyId"] for b in behaviours if b.get("CachePolicyId")
            ),
            origin_request_policy_ids=frozenset(
                b["OriginRequestPolicyId"] for b in behaviours if b.get("OriginRequestPolicyId")
            ),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "status": self.status,
            "domain": self.domain,
            "aliases": list(self.aliases),
            "enabled": self.enabled,
        }


@dataclass(frozen=True, slots=True)
class Inventory:
    """Every resource ``setup`` (and ``rotate``) made under one name, as found now."""

    name: str
    #: ``(id, name)`` of the public keys named by setup (NAME) or rotate (NAME-xxxxxxxx)
    public_keys: tuple[tuple[str, str], ...] = ()
    #: ``(id, key ids)`` of the key group NAME
    key_group: tuple[str, tuple[str, ...]] | None = None
    origin_access_control: str | None = None
    cache_policy: str | None = None
    origin_request_policy: str | None = None
    distribution: DistributionInfo | None = None
    #: the bucket the distribution serves (or the origin access control names)
    bucket: str | None = None
    #: the distribution ARNs frontgate's bucket policy statement allows; None: no statement
    #: or no bucket known
    statement_arns: tuple[str, ...] | None = None
    #: every other distribution of the account (to see what else uses a resource)
    others: tuple[DistributionInfo, ...] = ()
    #: {public key id: the names of the other key groups holding it}
    keys_elsewhere: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing named ``name`` exists (a bucket policy statement is no resource)."""
        return not (
            self.public_keys
            or self.key_group
            or self.origin_access_control
            or self.cache_policy
            or self.origin_request_policy
            or self.distribution
        )

    @property
    def statement_allows_distribution(self) -> bool:
        """frontgate's bucket policy statement lets this name's distribution read."""
        dist = self.distribution
        return dist is not None and dist.arn in (self.statement_arns or ())

    def to_json(self) -> dict[str, object]:
        """The ``status --json`` shape."""
        group = self.key_group
        return {
            "name": self.name,
            "public_keys": [{"id": k, "name": n} for k, n in self.public_keys],
            "key_group": None if group is None else {"id": group[0], "public_keys": list(group[1])},
            "origin_access_control": self.origin_access_control,
            "cache_policy": self.cache_policy,
            "origin_request_policy": self.origin_request_policy,
            "distribution": None if self.distribution is None else self.distribution.to_json(),
            "bucket": self.bucket,
            "bucket_policy_statement": None
            if self.statement_arns is None
            else {
                "sid": POLICY_SID,
                "distribution_arns": list(self.statement_arns),
                "allows_distribution": self.statement_allows_distribution,
            },
        }


def _rotated_name(name: str) -> re.Pattern[str]:
    # rotate names a new key GROUP-<first 8 hex digits of its fingerprint>
    return re.compile(re.escape(name) + r"-[0-9a-f]{8}")


def find_resources(aws: AwsSession, name: str) -> Inventory:
    """Look (reads only) for everything named ``name``."""
    check_name(name)
    named = [
        (item["Id"], item["Name"])
        for item in listing.public_keys(aws)
        if item["Name"] == name or _rotated_name(name).fullmatch(item["Name"])
    ]
    group = None
    keys_elsewhere: dict[str, list[str]] = {}
    for item in listing.key_groups(aws):
        config = item["KeyGroup"]["KeyGroupConfig"]
        if config["Name"] == name:
            group = (item["KeyGroup"]["Id"], tuple(config["Items"]))
        else:
            for key_id in config["Items"]:
                keys_elsewhere.setdefault(key_id, []).append(config["Name"])
    in_group = group[1] if group else ()
    # a NAME-xxxxxxxx key only another group holds is that group's (a setup named so)
    keys = tuple(
        (key_id, key_name)
        for key_id, key_name in named
        if key_name == name or key_id in in_group or key_id not in keys_elsewhere
    )
    oac = None
    oac_bucket = None
    for item in listing.origin_access_controls(aws):
        if item["Name"] == name:
            oac = item["Id"]
            found = _OAC_BUCKET.search(item.get("Description") or "")
            oac_bucket = found["bucket"] if found else None
    cache_policy = next(
        (
            p["CachePolicy"]["Id"]
            for p in listing.cache_policies(aws)
            if p["CachePolicy"]["CachePolicyConfig"]["Name"] == name
        ),
        None,
    )
    request_policy = next(
        (
            p["OriginRequestPolicy"]["Id"]
            for p in listing.origin_request_policies(aws)
            if p["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"] == name
        ),
        None,
    )
    ours = None
    others = []
    for item in listing.distributions(aws):
        info = DistributionInfo.from_summary(item)
        if ours is None and info.comment == name:
            ours = info
        else:
            others.append(info)
    bucket = (ours.bucket if ours else None) or oac_bucket
    return Inventory(
        name=name,
        public_keys=keys,
        key_group=group,
        origin_access_control=oac,
        cache_policy=cache_policy,
        origin_request_policy=request_policy,
        distribution=ours,
        bucket=bucket,
        statement_arns=_statement_arns(aws, bucket) if bucket else None,
        others=tuple(others),
        keys_elsewhere=keys_elsewhere,
    )


def _bucket_policy(aws: AwsSession, bucket: str) -> dict[str, Any] | None:
    try:
        text = aws.s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as exc:
        if error_code(exc) in ("NoSuchBucketPolicy", "NoSuchBucket"):
            return None
        with aws_errors(f"reading the policy of the bucket {bucket}"):
            raise
    document = json.loads(text)
    return document if isinstance(document, dict) else None


def _arns(statement: dict[str, Any]) -> list[str]:
    found = statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn")
    return [found] if isinstance(found, str) else list(found or [])


def _statements(document: dict[str, Any]) -> list[Any]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _statement_arns(aws: AwsSession, bucket: str) -> tuple[str, ...] | None:
    document = _bucket_policy(aws, bucket)
    if document is None:
        return None
    for statement in _statements(document):
        if isinstance(statement, dict) and statement.get("Sid") == POLICY_SID:
            return tuple(_arns(statement))
    return None


def remove_from_bucket_policy(policy: dict[str, Any], source_arn: str) -> dict[str, Any] | None:
    """``policy`` without ``source_arn`` in frontgate's statement (the statement goes when
    it allows no distribution any more); None when no statement is left at all.

    >>> arn = "arn:aws:cloudfront::111122223333:distribution/E1"
    >>> from frontgate.aws.setup import merge_bucket_policy
    >>> remove_from_bucket_policy(merge_bucket_policy(None, "media", arn), arn) is None
    True
    """
    kept = []
    for statement in _statements(policy):
        if isinstance(statement, dict) and statement.get("Sid") == POLICY_SID:
            arns = [a for a in _arns(statement) if a != source_arn]
            if not arns:
                continue
            statement = json.loads(json.dumps(statement))
            statement["Condition"]["StringEquals"]["AWS:SourceArn"] = (
                arns[0] if len(arns) == 1 else arns
            )
        kept.append(statement)
    if not kept:
        return None
    return {**policy, "Statement": kept}


# ---------------------------------------------------------------------------
# waiting


def poll_delays(first: float | None = None) -> Iterator[float]:
    """Seconds between polls: ``first``, then half as long again each time, up to six
    times ``first`` (5 s to 30 s by default; :data:`POLL_ENV` sets ``first``).

    >>> from itertools import islice
    >>> list(islice(poll_delays(2), 7))
    [2.0, 3.0, 4.5, 6.75, 10.125, 12.0, 12.0]
    """
    if first is None:
        text = os.environ.get(POLL_ENV, "")
        try:
            first = float(text) if text else POLL_SECONDS
        except ValueError:
            raise ConfigError(
                ErrorCode.CONFIG_INVALID, f"{POLL_ENV} must be a number of seconds, not {text!r}."
            ) from None
        if not 0 < first <= 600:
            raise ConfigError(ErrorCode.CONFIG_INVALID, f"{POLL_ENV} must be 0 to 600 seconds.")
    delay, bound = float(first), float(first) * 6
    while True:
        yield min(delay, bound)
        delay *= 1.5


def distribution_state(aws: AwsSession, distribution_id: str) -> tuple[str, bool]:
    """``(Status, Enabled)`` of a distribution, read now."""
    with aws_errors(f"reading the distribution {distribution_id}"):
        found = aws.cloudfront.get_distribution(Id=distribution_id)["Distribution"]
    return found["Status"], bool(found["DistributionConfig"]["Enabled"])


def wait_deployed(
    aws: AwsSession,
    distribution_id: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    report: Callable[[str, float], None] = lambda status, elapsed: None,
    delays: Iterator[float] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Poll until the distribution is ``Deployed``; return the seconds it took.

    ``report(status, elapsed)`` hears every poll. Past ``timeout`` seconds it is a
    :class:`BackendError` (the distribution keeps deploying; nothing is undone).
    botocore's ``distribution_deployed`` waiter polls every 60 s and says nothing while
    it waits, so this loop is its own.
    """
    started = clock()
    pauses = delays if delays is not None else poll_delays()
    while True:
        status, _ = distribution_state(aws, distribution_id)
        elapsed = clock() - started
        report(status, elapsed)
        if status == "Deployed":
            return elapsed
        pause = next(pauses)
        if elapsed + pause > timeout:
            raise BackendError(
                ErrorCode.AWS_FAILED,
                f"The distribution {distribution_id} is still {status} after {elapsed:.0f} s "
                f"(--timeout {timeout:g}); nothing was undone, it keeps deploying.",
            )
        sleep(pause)


# ---------------------------------------------------------------------------
# teardown


@dataclass(frozen=True, slots=True)
class TeardownStep:
    """One thing teardown does, in words, and how."""

    title: str
    resource_id: str
    #: what it does to that resource ("disable", "delete", ...)
    action: str
    run: Callable[[], None]


class Teardown:
    """Remove what ``setup`` made under ``name``, in the order CloudFront requires.

    The distribution is disabled, and deleted once it is deployed disabled (only with
    ``wait``, or when a later run finds it so); frontgate's bucket policy statement stops
    allowing it just before (while its ARN is still known, so an interrupted teardown
    resumes); then the key group, the public keys, the origin access control and the two
    policies go, each deleted with the ETag it has now. The bucket, its objects and
    anything not named ``name`` stay. A resource something else uses is refused before
    anything is deleted.
    """

    def __init__(
        self,
        aws: AwsSession,
        name: str,
        *,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        report: Callable[[str, float], None] = lambda status, elapsed: None,
        delays: Iterator[float] | None = None,
    ) -> None:
        self.aws = aws
        self.name = check_name(name)
        self.wait = wait
        self.timeout = timeout
        self.report = report
        self.delays = delays
        self.found = find_resources(aws, self.name)
        #: set when run() stopped because the distribution is still deploying
        self.pending: str | None = None

    def refusals(self) -> list[str]:
        """Why tearing down would break something not named ``name`` (empty: nothing)."""
        found = self.found
        reasons = []

        def users(ids: Callable[[DistributionInfo], frozenset[str]], resource: str) -> str:
            return ", ".join(
                f"{d.id} ({d.comment or 'no comment'})" for d in found.others if resource in ids(d)
            )

        checks = [
            ("key group", found.key_group and found.key_group[0], lambda d: d.key_group_ids),
            (
                "origin access control",
                found.origin_access_control,
                lambda d: d.origin_access_control_ids,
            ),
            ("cache policy", found.cache_policy, lambda d: d.cache_policy_ids),
            (
                "origin request policy",
                found.origin_request_policy,
                lambda d: d.origin_request_policy_ids,
            ),
        ]
        for title, resource, ids in checks:
            if resource and (who := users(ids, resource)):
                reasons.append(
                    f"the {title} {self.name} ({resource}) is used by distribution {who}"
                )
        for key_id, key_name in found.public_keys:
            if key_id in found.keys_elsewhere:
                groups = ", ".join(found.keys_elsewhere[key_id])
                reasons.append(f"the public key {key_name} ({key_id}) is in key group {groups}")
        return reasons

    def kept_keys(self) -> list[str]:
        """Keys of the group that setup did not name: left in place."""
        ours = {k for k, _ in self.found.public_keys}
        return [k for k in (self.found.key_group or ("", ()))[1] if k not in ours]

    def steps(self) -> list[TeardownStep]:
        """The plan, in order; refuses (ConfigError) when something else uses a resource."""
        reasons = self.refusals()
        if reasons:
            raise ConfigError(
                ErrorCode.CONFIG_CONFLICT,
                f"Refusing to tear down {self.name}, nothing was deleted: "
                + "; ".join(reasons)
                + ". Detach it there first.",
            )
        found, cf = self.found, self.aws.cloudfront
        steps = []
        dist = found.distribution
        if dist is not None:
            if dist.enabled:
                steps.append(
                    TeardownStep("distribution", dist.id, "disable", lambda: self._disable(dist.id))
                )
            steps.append(
                TeardownStep(
                    "distribution",
                    dist.id,
                    "wait until it is deployed disabled",
                    lambda: self._deployed(dist.id),
                )
            )
            if found.bucket and found.statement_allows_distribution:
                steps.append(
                    TeardownStep(
                        "bucket policy",
                        f"{found.bucket}:{POLICY_SID}",
                        f"stop statement {POLICY_SID} of bucket {found.bucket} allowing it",
                        lambda: self._unpolicy(found.bucket or "", dist.arn),
                    )
                )
            steps.append(
                TeardownStep(
                    "distribution",
                    dist.id,
                    "delete",
                    partial(
                        self._delete,
                        cf.get_distribution,
                        cf.delete_distribution,
                        dist.id,
                        "distribution",
                    ),
                )
            )
        deletions: list[tuple[str, str | None, Callable[..., Any], Callable[..., Any]]] = [
            (
                "key group",
                found.key_group[0] if found.key_group else None,
                cf.get_key_group,
                cf.delete_key_group,
            ),
            *(
                ("public key", key_id, cf.get_public_key, cf.delete_public_key)
                for key_id, _ in found.public_keys
            ),
            (
                "origin access control",
                found.origin_access_control,
                cf.get_origin_access_control,
                cf.delete_origin_access_control,
            ),
            ("cache policy", found.cache_policy, cf.get_cache_policy, cf.delete_cache_policy),
            (
                "origin request policy",
                found.origin_request_policy,
                cf.get_origin_request_policy,
                cf.delete_origin_request_policy,
            ),
        ]
        for title, resource_id, get, delete in deletions:
            if resource_id:
                steps.append(
                    TeardownStep(
                        title,
                        resource_id,
                        "delete",
                        partial(self._delete, get, delete, resource_id, title),
                    )
                )
        return steps

    def run(self, on_step: Callable[[TeardownStep], None] = lambda step: None) -> bool:
        """Do every step; True when all is gone, False when it stopped at a distribution
        still deploying (without ``wait``: :attr:`pending` says which)."""
        for step in self.steps():
            step.run()
            if self.pending:
                return False
            on_step(step)
        return True

    # -- the steps ---------------------------------------------------------------------

    def _disable(self, distribution_id: str) -> None:
        cf = self.aws.cloudfront
        with aws_errors(f"disabling the distribution {distribution_id}"):
            answer = cf.get_distribution_config(Id=distribution_id)
            config = answer["DistributionConfig"]
            if config["Enabled"]:
                config["Enabled"] = False
                cf.update_distribution(
                    Id=distribution_id,
                    IfMatch=answer["ETag"],
                    DistributionConfig=config,
                )

    def _deployed(self, distribution_id: str) -> None:
        if self.wait:
            wait_deployed(
                self.aws,
                distribution_id,
                timeout=self.timeout,
                report=self.report,
                delays=self.delays,
            )
            return
        status, _ = distribution_state(self.aws, distribution_id)
        self.report(status, 0.0)
        if status != "Deployed":
            self.pending = distribution_id

    def _unpolicy(self, bucket: str, arn: str) -> None:
        document = _bucket_policy(self.aws, bucket)
        if document is None:
            return
        changed = remove_from_bucket_policy(document, arn)
        with aws_errors(f"writing the policy of the bucket {bucket}"):
            if changed is None:
                self.aws.s3.delete_bucket_policy(Bucket=bucket)
            else:
                self.aws.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(changed))

    def _delete(
        self,
        get: Callable[..., Any],
        delete: Callable[..., Any],
        resource_id: str,
        title: str,
    ) -> None:
        with aws_errors(f"deleting the {title} {resource_id}"):
            try:
                etag = get(Id=resource_id)["ETag"]
            except ClientError as exc:
                if error_code(exc).startswith("NoSuch"):
                    return  # gone since the plan was made
                raise
            delete(Id=resource_id, IfMatch=etag)
