"""Every page of CloudFront's listings, as one iterator each.

>>> aws = AwsSession(region="us-east-1")                       # doctest: +SKIP
>>> [item["Name"] for item in public_keys(aws)]                  # doctest: +SKIP
['frontgate-media', 'frontgate-media-3f2a9c1b']

botocore's paginators serve the listings that have one (public keys, origin access
controls, distributions); key groups and the two kinds of policy have none, so their
``Marker`` is followed here. Any AWS failure is one :class:`~frontgate.errors.BackendError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .session import AwsSession, aws_errors, marker_arg

__all__ = [
    "cache_policies",
    "distributions",
    "key_groups",
    "origin_access_controls",
    "origin_request_policies",
    "public_keys",
]


def _paginated(aws: AwsSession, operation: str, key: str, what: str) -> Iterator[Any]:
    paginator = aws.cloudfront.get_paginator(operation)  # type: ignore[call-overload]
    with aws_errors(f"listing {what}"):
        for page in paginator.paginate():
            yield from page[key].get("Items") or []


def _marked(aws: AwsSession, operation: str, key: str, what: str, **extra: str) -> Iterator[Any]:
    method = getattr(aws.cloudfront, operation)
    marker = ""
    while True:
        with aws_errors(f"listing {what}"):
            listing = method(**extra, **marker_arg(marker))[key]
        yield from listing.get("Items") or []
        marker = listing.get("NextMarker") or ""
        if not marker:
            return


def public_keys(aws: AwsSession) -> Iterator[Any]:
    """PublicKeySummary items."""
    return _paginated(aws, "list_public_keys", "PublicKeyList", "CloudFront public keys")


def origin_access_controls(aws: AwsSession) -> Iterator[Any]:
    """OriginAccessControlSummary items."""
    return _paginated(
        aws, "list_origin_access_controls", "OriginAccessControlList", "origin access controls"
    )


def distributions(aws: AwsSession) -> Iterator[Any]:
    """DistributionSummary items."""
    return _paginated(aws, "list_distributions", "DistributionList", "distributions")


def key_groups(aws: AwsSession) -> Iterator[Any]:
    """KeyGroupSummary items (``{"KeyGroup": {...}}``)."""
    return _marked(aws, "list_key_groups", "KeyGroupList", "CloudFront key groups")


def cache_policies(aws: AwsSession) -> Iterator[Any]:
    """The account's own (``custom``) CachePolicySummary items."""
    return _marked(aws, "list_cache_policies", "CachePolicyList", "cache policies", Type="custom")


def origin_request_policies(aws: AwsSession) -> Iterator[Any]:
    """The account's own (``custom``) OriginRequestPolicySummary items."""
    return _marked(
        aws,
        "list_origin_request_policies",
        "OriginRequestPolicyList",
        "origin request policies",
        Type="custom",
    )
