"""What moto 5.2 lacks, added to moto's own server in the test process.

CloudFront
----------

moto answers CloudFront keys, key groups, origin access controls and distributions; it
has no cache or origin request policies, no UpdateKeyGroup or DeleteKeyGroup, never
checks ``If-Match``, lets anything in use be deleted, and leaves a distribution
``Deployed`` after an update. :class:`EmulatedCloudFront` is moto's CloudFront response
handler with those calls added: it is registered for every CloudFront path before the
server starts (:func:`install`), so boto3 reaches it over HTTP like a user's calls reach
AWS, and moto serializes each answer from the botocore model (AWS's shapes, ``ETag``
headers, error codes and statuses).

Emulated here, as AWS documents them:

- cache and origin request policies: List (``Type=custom``), Create, Get, Delete;
  deleting one a distribution uses is ``CachePolicyInUse`` / ``OriginRequestPolicyInUse``;
- UpdateKeyGroup and DeleteKeyGroup (``ResourceInUse`` while a distribution trusts it);
- ``If-Match`` on every update and delete: missing ``InvalidIfMatchVersion``, stale
  ``PreconditionFailed``; every change makes a new ETag;
- DeletePublicKey refused while a key group holds the key (``PublicKeyInUse``), and
  DeleteOriginAccessControl while a distribution uses it (``OriginAccessControlInUse``);
- UpdateDistribution puts the distribution back ``InProgress`` (moto's state manager
  then decides how many reads it takes to be ``Deployed``: :func:`deploy_after`), and
  DeleteDistribution refuses one that is enabled or not yet deployed
  (``DistributionNotDisabled``).

KMS
---
moto's Sign ignores ``MessageType`` (it would hash a ``DIGEST`` again):
:class:`EmulatedKms` signs a ``DIGEST`` as KMS does, the 32 bytes of a SHA-256 as they
are (anything else is a ``ValidationException``), with moto's own key.
"""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from moto.cloudfront import urls as cloudfront_urls
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.kms import urls as kms_urls
from moto.kms.exceptions import ValidationException
from moto.kms.responses import KmsResponse
from moto.moto_api._internal.managed_state_model import ManagedState

_API = "{0}/2020-05-31"

#: the paths moto does not route at all
_EXTRA_PATHS = {
    _API + "/cache-policy$": "cache",
    _API + "/cache-policy/(?P<policy_id>[^/]+)$": "cache",
    _API + "/origin-request-policy$": "origin",
    _API + "/origin-request-policy/(?P<policy_id>[^/]+)$": "origin",
}


def _etag() -> str:
    return uuid.uuid4().hex[:14].upper()


class _Policy:
    """A custom cache or origin request policy as CloudFront keeps it."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.id = str(uuid.uuid4())
        self.config = config
        self.etag = _etag()
        self.modified = datetime.now(UTC)


class EmulatedCloudFront(CloudFrontResponse):
    """moto's CloudFront plus the calls it lacks (see the module docstring)."""

    # -- state kept on moto's backend, so /moto-api/reset clears it too ----------------

    def _policies(self, kind: str) -> dict[str, _Policy]:
        attribute = f"frontgate_{kind}_policies"
        found: dict[str, _Policy] | None = getattr(self.backend, attribute, None)
        if found is None:
            found = {}
            setattr(self.backend, attribute, found)
        return found

    def _if_match(self, current: str) -> None:
        given = self._get_param("IfMatch")
        if not given:
            raise CloudFrontException(
                "InvalidIfMatchVersion",
                "The If-Match version is missing or not valid for the resource.",
            )
        if given != current:
            raise CloudFrontException(
                "PreconditionFailed",
                "The precondition given in one or more of the request-header fields "
                "evaluated to false.",
            )

    def _behaviours(self) -> list[Any]:
        found = []
        for dist in self.backend.distributions.values():
            config: Any = dist.distribution_config
            found.append(config.DefaultCacheBehavior)
            found += list(config.CacheBehaviors.get("Items") or [])
        return found

    # -- cache and origin request policies ---------------------------------------------

    def _kind(self) -> tuple[str, str]:
        if "/cache-policy" in self.path:
            return "cache", "CachePolicy"
        return "origin", "OriginRequestPolicy"

    def _policy(self, kind: str, shape: str) -> _Policy:
        policy = self._policies(kind).get(self._get_param("Id"))
        if policy is None:
            raise CloudFrontException(f"NoSuch{shape}", f"The {shape} does not exist.")
        return policy

    def _policy_body(self, shape: str, policy: _Policy) -> dict[str, Any]:
        return {
            "Id": policy.id,
            "LastModifiedTime": policy.modified,
            f"{shape}Config": policy.config,
        }

    def _list_policies(self) -> ActionResult:
        kind, shape = self._kind()
        wanted = self._get_param("Type")
        items = [] if wanted == "managed" else list(self._policies(kind).values())
        summaries = [{"Type": "custom", shape: self._policy_body(shape, p)} for p in items]
        listing = {"MaxItems": 100, "Quantity": len(summaries), "Items": summaries or None}
        return ActionResult({f"{shape}List": listing})

    def _create_policy(self) -> ActionResult:
        kind, shape = self._kind()
        config = self._get_param(f"{shape}Config")
        name = config["Name"]
        if any(p.config["Name"] == name for p in self._policies(kind).values()):
            raise CloudFrontException(
                f"{shape}AlreadyExists", f"A {shape} with this name already exists."
            )
        policy = _Policy(config)
        self._policies(kind)[policy.id] = policy
        location = f"https://cloudfront.amazonaws.com/2020-05-31/{self.path.strip('/')}/{policy.id}"
        return ActionResult(
            {shape: self._policy_body(shape, policy), "ETag": policy.etag, "Location": location}
        )

    def _get_policy(self) -> ActionResult:
        kind, shape = self._kind()
        policy = self._policy(kind, shape)
        return ActionResult({shape: self._policy_body(shape, policy), "ETag": policy.etag})

    def _delete_policy(self) -> EmptyResult:
        kind, shape = self._kind()
        policy = self._policy(kind, shape)
        self._if_match(policy.etag)
        field = "cache_policy_id" if kind == "cache" else "origin_request_policy_id"
        if any(getattr(b, field, None) == policy.id for b in self._behaviours()):
            raise CloudFrontException(
                f"{shape}InUse", f"Cannot delete the {shape}: a distribution uses it."
            )
        del self._policies(kind)[policy.id]
        return EmptyResult()

    list_cache_policies = list_origin_request_policies = _list_policies
    create_cache_policy = create_origin_request_policy = _create_policy
    get_cache_policy = get_origin_request_policy = _get_policy
    delete_cache_policy = delete_origin_request_policy = _delete_policy

    # -- key groups and public keys ----------------------------------------------------

    def _key_group(self) -> Any:
        group = self.backend.key_groups.get(self._get_param("Id"))
        if group is None:
            raise CloudFrontException("NoSuchResource", "The specified key group does not exist.")
        return group

    def update_key_group(self) -> ActionResult:
        group = self._key_group()
        self._if_match(group.etag)
        group.name = self._get_param("KeyGroupConfig.Name")
        group.items = self._get_param("KeyGroupConfig.Items", [])
        group.etag = _etag()
        return ActionResult({"KeyGroup": group, "ETag": group.etag})

    def delete_key_group(self) -> EmptyResult:
        group = self._key_group()
        self._if_match(group.etag)
        for behaviour in self._behaviours():
            trusted = behaviour.trusted_key_groups
            if trusted.enabled and group.id in (trusted.items or []):
                raise CloudFrontException(
                    "ResourceInUse", "Cannot delete this resource because it is in use."
                )
        del self.backend.key_groups[group.id]
        return EmptyResult()

    def delete_public_key(self) -> EmptyResult:
        key = self.backend.public_keys.get(self._get_param("Id"))
        if key is None:
            raise CloudFrontException("NoSuchPublicKey", "The specified public key does not exist.")
        self._if_match(key.etag)
        if any(key.id in group.items for group in self.backend.key_groups.values()):
            raise CloudFrontException(
                "PublicKeyInUse", "The specified public key is in use by a key group."
            )
        del self.backend.public_keys[key.id]
        return EmptyResult()

    def delete_origin_access_control(self) -> EmptyResult:
        control = self.backend.get_origin_access_control(self._get_param("Id"))
        self._if_match(control.etag)
        for dist in self.backend.distributions.values():
            config: Any = dist.distribution_config
            for origin in config.Origins["Items"]:
                if getattr(origin, "origin_access_control_id", None) == control.id:
                    raise CloudFrontException(
                        "OriginAccessControlInUse",
                        "Cannot delete the origin access control because it's in use.",
                    )
        del self.backend.origin_access_controls[control.id]
        return EmptyResult()

    # -- distributions: OACs kept, ETags, InProgress after a change, delete when disabled

    def _requested_oacs(self) -> list[str]:
        origins = self._get_param("DistributionConfig.Origins.Items", [])
        return [str(o.get("OriginAccessControlId") or "") for o in origins]

    @staticmethod
    def _keep_oacs(dist: Any, oacs: list[str]) -> None:
        # moto's Origin drops OriginAccessControlId; AWS keeps and returns it
        for origin, oac in zip(dist.distribution_config.Origins["Items"], oacs, strict=False):
            origin.origin_access_control_id = oac

    def create_distribution(self) -> ActionResult:
        oacs = self._requested_oacs()
        answer = super().create_distribution()
        result: Any = answer.result
        self._keep_oacs(result["Distribution"], oacs)
        return answer

    def update_distribution(self) -> ActionResult:
        dist, etag = self.backend.get_distribution(self._get_param("Id"))
        self._if_match(etag)
        oacs = self._requested_oacs()
        result: Any = super().update_distribution().result
        self._keep_oacs(dist, oacs)
        dist.etag = _etag()
        # back to InProgress, its read count from zero: moto's state machine restarted
        ManagedState.__init__(dist, dist.model_name, transitions=[("InProgress", "Deployed")])
        return ActionResult({**result, "ETag": dist.etag})

    def delete_distribution(self) -> ActionResult:
        dist, etag = self.backend.get_distribution(self._get_param("Id"))
        self._if_match(etag)
        config: Any = dist.distribution_config
        if config.Enabled or dist.status != "Deployed":
            raise CloudFrontException(
                "DistributionNotDisabled",
                "The distribution you are trying to delete has not been disabled.",
            )
        return super().delete_distribution()


class EmulatedKms(KmsResponse):
    """moto's KMS, with Sign taking ``MessageType=DIGEST`` as KMS does."""

    def sign(self) -> str:
        if self._get_param("MessageType") != "DIGEST":
            answer: str = super().sign()
            return answer
        digest = self._get_param("Message")
        algorithm = self._get_param("SigningAlgorithm")
        if algorithm not in ("RSASSA_PKCS1_V1_5_SHA_256", "ECDSA_SHA_256") or len(digest) != 32:
            raise ValidationException(
                "Digest is invalid length for algorithm " + str(algorithm) + "."
            )
        key = self.kms_backend.describe_key(self._get_param("KeyId"))
        held: Any = key.private_key  # moto's wrapper around a cryptography key
        private = held.private_key
        prehashed = utils.Prehashed(hashes.SHA256())
        if algorithm == "ECDSA_SHA_256":
            signature = private.sign(digest, ec.ECDSA(prehashed))
        else:
            signature = private.sign(digest, padding.PKCS1v15(), prehashed)
        return json.dumps(
            {
                "KeyId": key.arn,
                "Signature": base64.b64encode(signature).decode(),
                "SigningAlgorithm": algorithm,
            }
        )


def install() -> None:
    """Route every CloudFront path of moto's server to :class:`EmulatedCloudFront`, and
    KMS to :class:`EmulatedKms`.

    Call before the server answers its first request of either (moto builds each
    service's routes once, on first use).
    """
    paths = cloudfront_urls.url_paths
    for path in list(paths):
        paths[path] = EmulatedCloudFront.dispatch
    for path in _EXTRA_PATHS:
        paths[path] = EmulatedCloudFront.dispatch
    for path in list(kms_urls.url_paths):
        kms_urls.url_paths[path] = EmulatedKms.dispatch


def deploy_after(moto_url: str, reads: int | None) -> None:
    """After each create or update a distribution reads ``InProgress`` until its
    ``reads``-th read, which sees ``Deployed`` (0: at once; None: moto's default), through
    moto's state manager."""
    transition: dict[str, object] = {"progression": "immediate"}
    if reads:
        transition = {"progression": "manual", "times": reads}
    action = "set-transition" if reads is not None else "unset-transition"
    body = json.dumps({"model_name": "cloudfront::distribution", "transition": transition})
    request = urllib.request.Request(
        f"{moto_url}/moto-api/state-manager/{action}", data=body.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
