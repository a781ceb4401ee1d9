"""frontgate aws setup against moto (cache and origin request policies emulated:
emulation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from frontgate.aws.session import AwsSession
from frontgate.aws.setup import POLICY_SID, Setup, default_name, merge_bucket_policy
from frontgate.errors import BackendError, ConfigError, ErrorCode
from frontgate.keys import generate_private_key, public_pem

from .conftest import client, run_cli

NAME = "frontgate-media"
OTHER_STATEMENT = {
    "Sid": "keep-me",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::media",
}


def state(moto_url: str) -> dict[str, Any]:
    """Everything setup could create, as plain data (to compare before and after)."""
    cf = client(moto_url, "cloudfront")
    s3 = client(moto_url, "s3")
    buckets = sorted(b["Name"] for b in s3.list_buckets().get("Buckets", []))
    policies = {}
    for bucket in buckets:
        try:
            policies[bucket] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except s3.exceptions.ClientError:
            policies[bucket] = None
    cache_policies = cf.list_cache_policies(Type="custom")["CachePolicyList"]
    request_policies = cf.list_origin_request_policies(Type="custom")["OriginRequestPolicyList"]
    return {
        "public_keys": [k["Id"] for k in cf.list_public_keys()["PublicKeyList"].get("Items", [])],
        "key_groups": [
            g["KeyGroup"]["Id"] for g in cf.list_key_groups()["KeyGroupList"].get("Items", [])
        ],
        "oacs": [
            o["Id"]
            for o in cf.list_origin_access_controls()["OriginAccessControlList"].get("Items", [])
        ],
        "distributions": [
            d["Id"] for d in cf.list_distributions()["DistributionList"].get("Items", [])
        ],
        "buckets": buckets,
        "policies": policies,
        "policies_made": len(cache_policies.get("Items", []))
        + len(request_policies.get("Items", [])),
    }


def make_bucket(moto_url: str, with_policy: bool = True) -> None:
    s3 = client(moto_url, "s3")
    s3.create_bucket(Bucket="media")
    if with_policy:
        policy = {"Version": "2012-10-17", "Statement": [OTHER_STATEMENT]}
        s3.put_bucket_policy(Bucket="media", Policy=json.dumps(policy))


def setup_argv(key_files: dict[str, Path], *extra: str) -> list[str]:
    return ["aws", "setup", "--bucket", "media", "--public-key", str(key_files["rsa.pub"]), *extra]


def test_setup_creates_everything_then_nothing(
    moto_url: str,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_bucket(moto_url)
    code, out, err = run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    after = state(moto_url)
    assert len(after["public_keys"]) == 1
    assert len(after["key_groups"]) == 1
    assert len(after["oacs"]) == 1
    assert len(after["distributions"]) == 1
    cf = client(moto_url, "cloudfront")
    key_id, group_id = after["public_keys"][0], after["key_groups"][0]
    assert cf.get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]["Items"] == [key_id]
    assert cf.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["Name"] == NAME
    distribution_id = after["distributions"][0]
    distribution = cf.get_distribution(Id=distribution_id)["Distribution"]
    config = distribution["DistributionConfig"]
    behaviour = config["DefaultCacheBehavior"]
    assert config["Comment"] == NAME
    assert behaviour["TrustedKeyGroups"] == {"Enabled": True, "Quantity": 1, "Items": [group_id]}
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    cache_policy = cf.get_cache_policy(Id=behaviour["CachePolicyId"])["CachePolicy"]
    assert cache_policy["CachePolicyConfig"]["Name"] == NAME
    keyed = cache_policy["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keyed["QueryStringsConfig"]["QueryStrings"]["Items"] == [
        "response-content-disposition",
        "response-content-type",
    ]
    request_policy = cf.get_origin_request_policy(Id=behaviour["OriginRequestPolicyId"])
    assert request_policy["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"] == NAME
    assert after["policies_made"] == 2
    assert config["Origins"]["Items"][0]["DomainName"] == "media.s3.us-east-1.amazonaws.com"
    # the bucket policy: the other statement kept, ours added for this distribution only
    statements = after["policies"]["media"]["Statement"]
    assert statements[0] == OTHER_STATEMENT
    ours = statements[1]
    assert ours["Sid"] == POLICY_SID
    assert ours["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert ours["Action"] == "s3:GetObject"
    assert ours["Resource"] == "arn:aws:s3:::media/*"
    assert ours["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution["ARN"]}}
    # plain output: each step, the domain and the next command
    assert "public key" in out
    assert "created" in out
    assert (
        f"frontgate sign --url https://{distribution['DomainName']}/PATH --key-pair-id {key_id}"
        in out
    )

    # a second run finds everything and creates nothing
    code, out, err = run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    assert state(moto_url) == after
    assert "Nothing to do" in out
    assert "created" not in out.replace("nothing created", "")
    assert out.count(" exists ") == 8


def test_setup_dry_run_reads_only(
    moto_url: str,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_bucket(moto_url)
    before = state(moto_url)
    code, out, err = run_cli(
        [*setup_argv(key_files), "--dry-run", "--endpoint-url", moto_url], capsys
    )
    assert code == 0, err
    assert state(moto_url) == before
    assert "dry run" in out
    assert out.count("would create") == 6
    assert "would update" in out  # the existing bucket policy
    assert "Dry run: nothing was changed" in out
    for words in ("origin access control", "requiring the key group", "http to https"):
        assert words in out


def test_setup_dry_run_json_and_missing_bucket(
    moto_url: str,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = state(moto_url)
    argv = [*setup_argv(key_files), "--dry-run", "--json", "--create-bucket"]
    code, out, err = run_cli([*argv, "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["bucket"] == "media"
    assert data["dry_run"] is True
    assert data["distribution_id"] is None
    assert "bucket" in data["changed"]
    assert state(moto_url) == before


def test_setup_refuses_a_missing_bucket(
    moto_url: str, key_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("frontgate: config-missing: The bucket media does not exist")
    assert "--create-bucket" in err
    assert err.count("\n") == 1
    assert state(moto_url)["public_keys"] == []


def test_setup_create_bucket_and_json(
    moto_url: str,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [*setup_argv(key_files), "--create-bucket", "--name", "cdn", "--json"]
    code, out, err = run_cli([*argv, "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    data = json.loads(out)
    after = state(moto_url)
    assert after["buckets"] == ["media"]
    assert set(data) >= {
        "public_key_id",
        "key_group_id",
        "origin_access_control_id",
        "distribution_id",
        "distribution_domain",
        "bucket",
    }
    assert data["public_key_id"] == after["public_keys"][0]
    assert data["key_group_id"] == after["key_groups"][0]
    assert data["origin_access_control_id"] == after["oacs"][0]
    assert data["distribution_id"] == after["distributions"][0]
    assert data["distribution_domain"].endswith(".cloudfront.net")
    assert after["policies"]["media"]["Statement"][0]["Sid"] == POLICY_SID


def test_setup_refuses_a_changed_public_key(
    moto_url: str,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_bucket(moto_url)
    code, _, err = run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    before = state(moto_url)
    argv = ["aws", "setup", "--bucket", "media", "--public-key", str(key_files["ec.pub"])]
    code, out, err = run_cli([*argv, "--endpoint-url", moto_url], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("frontgate: config-conflict: The key group frontgate-media")
    assert f"frontgate aws rotate --key-group {before['key_groups'][0]}" in err
    assert state(moto_url) == before


def test_setup_api_with_a_session(moto_url: str) -> None:
    make_bucket(moto_url, with_policy=False)
    key = generate_private_key("ecdsa")
    aws = AwsSession(endpoint_url=moto_url, region="us-east-1")
    result = Setup(aws, bucket="media", public_key=key.public_key(), name="api").run()
    assert result.changed
    assert [o.action for o in result.outcomes] == ["exists"] + ["created"] * 6 + ["created"]
    assert result.to_json()["public_key_id"] == state(moto_url)["public_keys"][0]
    encoded = client(moto_url, "cloudfront").get_public_key(Id=result.ids["public_key_id"])
    assert encoded["PublicKey"]["PublicKeyConfig"]["EncodedKey"] == public_pem(key).decode()


def test_dry_run_session_refuses_writes_before_sending(moto_url: str) -> None:
    aws = AwsSession(endpoint_url=moto_url, region="us-east-1", read_only=True)
    assert aws.cloudfront.list_public_keys()["PublicKeyList"]["Quantity"] == 0
    with pytest.raises(BackendError, match="Refusing CreateKeyGroup in a dry run"):
        aws.cloudfront.create_key_group(KeyGroupConfig={"Name": "x", "Items": ["K1"]})
    assert state(moto_url)["key_groups"] == []


def test_merge_bucket_policy_keeps_others_and_adds_distributions() -> None:
    first = "arn:aws:cloudfront::111122223333:distribution/E1"
    second = "arn:aws:cloudfront::111122223333:distribution/E2"
    policy = {"Version": "2012-10-17", "Statement": OTHER_STATEMENT}
    merged = merge_bucket_policy(policy, "media", first)
    assert merged["Statement"][0] == OTHER_STATEMENT
    assert merge_bucket_policy(merged, "media", first) == merged
    both = merge_bucket_policy(merged, "media", second)
    assert both["Statement"][1]["Condition"]["StringEquals"]["AWS:SourceArn"] == [first, second]
    assert len(both["Statement"]) == 2


def test_default_name_and_name_rules() -> None:
    assert default_name("media.example.com") == "frontgate-media-example-com"
    with pytest.raises(ConfigError) as caught:
        Setup(
            AwsSession(),
            bucket="b",
            public_key=generate_private_key("rsa").public_key(),
            name="a b",
        )
    assert caught.value.code is ErrorCode.CONFIG_INVALID


def test_setup_refuses_a_distribution_that_does_not_require_the_group(
    moto_url: str,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from .test_keygroups import distribution

    make_bucket(moto_url)
    # a distribution with setup's comment, made by hand, that trusts no key group
    config = client(moto_url, "cloudfront").get_distribution_config(
        Id=distribution(moto_url, {"*": []})
    )
    assert config["DistributionConfig"]["Comment"] == "check"
    cf = client(moto_url, "cloudfront")
    dist_config = config["DistributionConfig"]
    dist_config["Comment"] = NAME
    cf.update_distribution(
        Id=cf.list_distributions()["DistributionList"]["Items"][0]["Id"],
        IfMatch=config["ETag"],
        DistributionConfig=dist_config,
    )
    code, out, err = run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)
    assert (code, out) == (2, "")
    assert "does not require the key group" in err
    assert err.count("\n") == 1
