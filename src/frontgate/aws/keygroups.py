"""CloudFront public keys and key groups: upload, group, rotate, check (R21, R22).

>>> aws = AwsSession(region="us-east-1")                                   # doctest: +SKIP
>>> key_id, created = upload_public_key(aws, name="cdn-2026", public_key=public)  # doctest: +SKIP
>>> rotate(aws, key_group_id="B9CHS4VSISV2DK", public_key=new_public)      # doctest: +SKIP

Keys are compared by :func:`frontgate.keys.public_key_fingerprint`, never by PEM text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from frontgate.errors import BackendError, ConfigError, ErrorCode, KeyLoadError
from frontgate.keys import (
    PublicKey,
    SigningKey,
    load_public_key,
    public_key_fingerprint,
    public_pem,
)

from . import listing
from .session import AwsSession, aws_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudfront.type_defs import (
        CacheBehaviorOutputTypeDef,
        DefaultCacheBehaviorOutputTypeDef,
        KeyGroupConfigTypeDef,
    )

__all__ = [
    "BehaviourCheck",
    "CheckReport",
    "Rotation",
    "check_distribution",
    "create_key_group",
    "find_key_group",
    "find_public_key",
    "group_fingerprints",
    "rotate",
    "upload_public_key",
]

#: CloudFront names: letters, digits, hyphens and underscores, up to 128 characters
_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")


def check_name(name: str) -> str:
    """A CloudFront resource name, or a :class:`ConfigError` naming the rule."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            f"The name {name!r} must be 1-128 letters, digits, hyphens or underscores.",
        )
    return name


def _caller_reference(name: str, public: PublicKey) -> str:
    # CloudFront refuses a second CreatePublicKey with the same reference, which makes a
    # retried upload of the same key under the same name harmless
    digest = hashlib.sha256(f"{name}\0{public_key_fingerprint(public)}".encode()).hexdigest()
    return f"frontgate-{digest[:32]}"


def find_public_key(aws: AwsSession, name: str) -> tuple[str, str] | None:
    """``(id, fingerprint)`` of the public key called ``name``, if there is one."""
    for item in listing.public_keys(aws):
        if item["Name"] == name:
            return item["Id"], _fingerprint_of(item["EncodedKey"])
    return None


def find_key_group(aws: AwsSession, name: str) -> tuple[str, list[str]] | None:
    """``(id, public key ids)`` of the key group called ``name``, if there is one."""
    for item in listing.key_groups(aws):
        group = item["KeyGroup"]
        if group["KeyGroupConfig"]["Name"] == name:
            return group["Id"], list(group["KeyGroupConfig"]["Items"])
    return None


def _fingerprint_of(encoded_key: str) -> str:
    try:
        return public_key_fingerprint(load_public_key(encoded_key))
    except KeyLoadError:
        return "unreadable"


def uploaded_fingerprint(aws: AwsSession, key_id: str) -> str | None:
    """The fingerprint of uploaded public key ``key_id``; None when there is no such key."""
    try:
        answer = aws.cloudfront.get_public_key(Id=key_id)
    except ClientError as exc:
        if error_code(exc) == "NoSuchPublicKey":
            return None
        with aws_errors(f"reading the public key {key_id}"):
            raise
    return _fingerprint_of(answer["PublicKey"]["PublicKeyConfig"]["EncodedKey"])


def group_fingerprints(aws: AwsSession, key_ids: list[str]) -> dict[str, str | None]:
    """``{public key id: fingerprint}`` for the keys of a group."""
    return {key_id: uploaded_fingerprint(aws, key_id) for key_id in key_ids}


def upload_public_key(
    aws: AwsSession, *, name: str, public_key: PublicKey, comment: str = "frontgate"
) -> tuple[str, bool]:
    """Upload ``public_key`` as ``name``; return ``(key id, created)``.

    The same key already uploaded under ``name`` is returned as is; a different key
    under that name is a :class:`ConfigError` (CloudFront names are unique).
    """
    check_name(name)
    wanted = public_key_fingerprint(public_key)
    found = find_public_key(aws, name)
    if found is not None:
        key_id, fingerprint = found
        if fingerprint == wanted:
            return key_id, False
        raise ConfigError(
            ErrorCode.CONFIG_CONFLICT,
            f"A different public key is already uploaded as {name} ({key_id}); choose another "
            "--name, or replace keys with 'frontgate aws rotate'.",
        )
    with aws_errors(f"uploading the public key {name}"):
        answer = aws.cloudfront.create_public_key(
            PublicKeyConfig={
                "CallerReference": _caller_reference(name, public_key),
                "Name": name,
                "EncodedKey": public_pem(public_key).decode("ascii"),
                "Comment": comment,
            }
        )
    return answer["PublicKey"]["Id"], True


def create_key_group(
    aws: AwsSession, *, name: str, key_ids: list[str], comment: str = "frontgate"
) -> tuple[str, bool]:
    """Create key group ``name`` trusting ``key_ids``; return ``(group id, created)``.

    An existing group of that name with the same keys is returned as is; with other
    keys it is a :class:`ConfigError` pointing to ``rotate``.
    """
    check_name(name)
    if not key_ids:
        raise ConfigError(ErrorCode.CONFIG_MISSING, "A key group needs at least one --key-id.")
    found = find_key_group(aws, name)
    if found is not None:
        group_id, items = found
        if sorted(items) == sorted(key_ids):
            return group_id, False
        raise ConfigError(
            ErrorCode.CONFIG_CONFLICT,
            f"The key group {name} ({group_id}) exists with keys {', '.join(items)}; change "
            f"its keys with 'frontgate aws rotate --key-group {group_id}'.",
        )
    with aws_errors(f"creating the key group {name}"):
        answer = aws.cloudfront.create_key_group(
            KeyGroupConfig={"Name": name, "Items": list(key_ids), "Comment": comment}
        )
    return answer["KeyGroup"]["Id"], True


@dataclass(frozen=True, slots=True)
class Rotation:
    """What :func:`rotate` did."""

    key_group_id: str
    #: the id of the new key (uploaded now, or found already uploaded)
    new_key_id: str
    #: False when the group already trusted the new key
    added: bool
    retired: str | None
    deleted: bool
    #: the group's keys afterwards
    key_ids: tuple[str, ...]


def rotate(
    aws: AwsSession,
    *,
    key_group_id: str,
    public_key: PublicKey,
    name: str | None = None,
    retire: str | None = None,
    delete: bool = False,
) -> Rotation:
    """Add ``public_key`` to a key group; optionally take ``retire`` out (and delete it).

    Rotation order (R22): add the new key, switch the signers to it, and retire the old
    key once the last URL it signed has expired. Retiring the last key is refused.
    """
    if delete and retire is None:
        raise ConfigError(ErrorCode.CONFIG_MISSING, "--delete needs --retire OLD_KEY_ID.")
    with aws_errors(f"reading the key group {key_group_id}"):
        answer = aws.cloudfront.get_key_group(Id=key_group_id)
    etag = answer["ETag"]
    config = answer["KeyGroup"]["KeyGroupConfig"]
    items = list(config["Items"])
    wanted = public_key_fingerprint(public_key)
    present = [k for k, fp in group_fingerprints(aws, items).items() if fp == wanted]
    if present:
        new_id, added = present[0], False
    else:
        key_name = name or f"{config['Name']}-{wanted[:8]}"
        new_id, _ = upload_public_key(aws, name=key_name, public_key=public_key)
        added = new_id not in items
    after = [*items, new_id] if added else list(items)
    if retire is not None:
        if retire not in after:
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                f"The key {retire} is not in the key group {key_group_id} (keys: "
                f"{', '.join(items)}).",
            )
        if retire == new_id:
            raise ConfigError(
                ErrorCode.CONFIG_CONFLICT,
                f"{retire} is the key being added; retire the old key instead.",
            )
        after.remove(retire)
        if not after:
            raise ConfigError(
                ErrorCode.CONFIG_CONFLICT,
                f"Retiring {retire} would leave the key group {key_group_id} empty; add its "
                "successor first.",
            )
    if after != items:
        new_config: KeyGroupConfigTypeDef = {"Name": config["Name"], "Items": after}
        if config.get("Comment"):
            new_config["Comment"] = config["Comment"]
        with aws_errors(f"updating the key group {key_group_id}"):
            aws.cloudfront.update_key_group(
                Id=key_group_id, IfMatch=etag, KeyGroupConfig=new_config
            )
    deleted = False
    if delete and retire is not None:
        with aws_errors(f"deleting the public key {retire}"):
            tag = aws.cloudfront.get_public_key(Id=retire)["ETag"]
            aws.cloudfront.delete_public_key(Id=retire, IfMatch=tag)
        deleted = True
    return Rotation(key_group_id, new_id, added, retire, deleted, tuple(after))


# ---------------------------------------------------------------------------
# check


@dataclass(frozen=True, slots=True)
class BehaviourCheck:
    """One cache behaviour: whether it requires signing and whether it trusts the key."""

    path_pattern: str
    #: {key group id: its public key ids}
    key_groups: dict[str, list[str]]
    #: legacy trusted signers (AWS accounts) instead of key groups
    trusted_signers: bool
    requires_signing: bool
    trusts_key: bool


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The answer of :func:`check_distribution`."""

    distribution_id: str
    key_pair_id: str
    #: the key uploaded as key_pair_id is the signing key's public half
    key_matches: bool
    #: None when no key is uploaded under key_pair_id
    uploaded: bool
    behaviours: list[BehaviourCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The key signs URLs every signing behaviour accepts (and one requires signing)."""
        signing = [b for b in self.behaviours if b.requires_signing]
        return bool(signing) and self.key_matches and all(b.trusts_key for b in signing)


def check_distribution(
    aws: AwsSession, *, distribution_id: str, signing_key: SigningKey, key_pair_id: str
) -> CheckReport:
    """Which behaviours of a distribution trust which key groups, and whether the key
    ``key_pair_id`` (with ``signing_key``'s public half) is trusted by each (R21, R22)."""
    with aws_errors(f"reading the distribution {distribution_id}"):
        config = aws.cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    behaviours: list[tuple[str, DefaultCacheBehaviorOutputTypeDef | CacheBehaviorOutputTypeDef]]
    behaviours = [("*", config["DefaultCacheBehavior"])]
    behaviours += [
        (b["PathPattern"], b) for b in (config.get("CacheBehaviors", {}).get("Items") or [])
    ]
    groups: dict[str, list[str]] = {}
    checks = []
    for pattern, behaviour in behaviours:
        trusted = behaviour.get("TrustedKeyGroups") or {"Enabled": False, "Quantity": 0}
        group_ids = list(trusted.get("Items") or []) if trusted.get("Enabled") else []
        for group_id in group_ids:
            if group_id not in groups:
                with aws_errors(f"reading the key group {group_id}"):
                    answer = aws.cloudfront.get_key_group(Id=group_id)
                groups[group_id] = list(answer["KeyGroup"]["KeyGroupConfig"]["Items"])
        signers = behaviour.get("TrustedSigners") or {"Enabled": False, "Quantity": 0}
        legacy = bool(signers.get("Enabled")) and bool(signers.get("Quantity"))
        checks.append(
            BehaviourCheck(
                path_pattern=pattern,
                key_groups={g: groups[g] for g in group_ids},
                trusted_signers=legacy,
                requires_signing=bool(group_ids) or legacy,
                trusts_key=any(key_pair_id in groups[g] for g in group_ids),
            )
        )
    fingerprint = uploaded_fingerprint(aws, key_pair_id)
    try:
        mine = public_key_fingerprint(signing_key.public_key())
    except KeyLoadError as exc:  # pragma: no cover - SigningKey implementations check types
        raise BackendError(exc.code, exc.message) from None
    return CheckReport(
        distribution_id=distribution_id,
        key_pair_id=key_pair_id,
        key_matches=fingerprint == mine,
        uploaded=fingerprint is not None,
        behaviours=checks,
    )
