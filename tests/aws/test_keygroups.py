"""frontgate aws keys upload / key-groups create / rotate / check against moto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frontgate.keys import PrivateKey, public_pem

from .conftest import client, run_cli, run_subprocess


def upload(moto_url: str, key: PrivateKey, name: str) -> str:
    answer = client(moto_url, "cloudfront").create_public_key(
        PublicKeyConfig={
            "CallerReference": name,
            "Name": name,
            "EncodedKey": public_pem(key).decode(),
        }
    )
    return str(answer["PublicKey"]["Id"])


def group(moto_url: str, name: str, key_ids: list[str]) -> str:
    answer = client(moto_url, "cloudfront").create_key_group(
        KeyGroupConfig={"Name": name, "Items": key_ids}
    )
    return str(answer["KeyGroup"]["Id"])


def distribution(moto_url: str, behaviours: dict[str, list[str]]) -> str:
    """A distribution whose behaviours trust the given key groups ("*" is the default)."""

    def behaviour(groups: list[str]) -> dict[str, Any]:
        trusted: dict[str, Any] = {"Enabled": bool(groups), "Quantity": len(groups)}
        if groups:
            trusted["Items"] = groups
        return {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "TrustedKeyGroups": trusted,
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        }

    extra = [
        {"PathPattern": pattern, **behaviour(groups)}
        for pattern, groups in behaviours.items()
        if pattern != "*"
    ]
    config: dict[str, Any] = {
        "CallerReference": "check",
        "Comment": "check",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "s3",
                    "DomainName": "media.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": behaviour(behaviours["*"]),
    }
    if extra:
        config["CacheBehaviors"] = {"Quantity": len(extra), "Items": extra}
    answer = client(moto_url, "cloudfront").create_distribution(DistributionConfig=config)
    return str(answer["Distribution"]["Id"])


# ---------------------------------------------------------------------------
# keys upload, key-groups create


def test_keys_upload_prints_the_id_and_is_idempotent(
    moto_url: str, key_files: dict[str, Path], subprocess_env: dict[str, str]
) -> None:
    argv = ["aws", "keys", "upload", "--public-key", str(key_files["rsa.pub"]), "--name", "cdn"]
    argv += ["--endpoint-url", moto_url, "--region", "us-east-1"]
    first = run_subprocess(argv, subprocess_env)
    assert first.returncode == 0, first.stderr
    key_id = first.stdout.strip()
    listed = client(moto_url, "cloudfront").list_public_keys()["PublicKeyList"]["Items"]
    assert [k["Id"] for k in listed] == [key_id]
    again = run_subprocess(argv, subprocess_env)
    assert again.returncode == 0
    assert again.stdout.strip() == key_id
    assert "already uploaded" in again.stderr
    assert len(client(moto_url, "cloudfront").list_public_keys()["PublicKeyList"]["Items"]) == 1


def test_keys_upload_refusals_are_one_line(
    moto_url: str, key_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["aws", "keys", "upload", "--endpoint-url", moto_url, "--name", "cdn"]
    assert run_cli([*base, "--public-key", str(key_files["rsa.pub"])], capsys)[0] == 0
    code, out, err = run_cli([*base, "--public-key", str(key_files["ec.pub"])], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("frontgate: config-conflict: A different public key is already")
    assert err.count("\n") == 1
    code, _, err = run_cli([*base, "--public-key", str(key_files["rsa.pem"])], capsys)
    assert code == 0  # a private key PEM yields its public half, which is already there
    code, _, err = run_cli([*base, "--public-key", "/nonexistent.pem"], capsys)
    assert code == 2
    assert err.startswith("frontgate: source-unreadable:")
    code, _, err = run_cli([*base[:-1], "bad name!", "--public-key", "x"], capsys)
    assert code == 2


def test_aws_unreachable_is_one_line_exit_2(
    key_files: dict[str, Path], subprocess_env: dict[str, str]
) -> None:
    argv = ["aws", "keys", "upload", "--public-key", str(key_files["rsa.pub"]), "--name", "cdn"]
    done = run_subprocess([*argv, "--endpoint-url", "http://127.0.0.1:9"], subprocess_env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("frontgate: aws-failed: AWS call failed while listing")
    assert done.stderr.count("\n") == 1


def test_key_groups_create(
    moto_url: str, rsa_key: PrivateKey, ec_key: PrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = upload(moto_url, rsa_key, "a"), upload(moto_url, ec_key, "b")
    argv = ["aws", "key-groups", "create", "--name", "cdn", "--key-id", first]
    argv += ["--key-id", second, "--endpoint-url", moto_url]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    group_id = out.strip()
    answer = client(moto_url, "cloudfront").get_key_group(Id=group_id)
    assert answer["KeyGroup"]["KeyGroupConfig"]["Items"] == [first, second]
    assert run_cli(argv, capsys)[1].strip() == group_id  # idempotent
    code, out, err = run_cli([*argv[:7], "--endpoint-url", moto_url], capsys)
    assert code == 2
    assert f"frontgate aws rotate --key-group {group_id}" in err


# ---------------------------------------------------------------------------
# rotate (UpdateKeyGroup and DeletePublicKey's checks are emulated: emulation)


def test_r22_rotate_adds_the_new_key(
    moto_url: str,
    rsa_key: PrivateKey,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = upload(moto_url, rsa_key, "old")
    group_id = group(moto_url, "cdn", [old])
    cf = client(moto_url, "cloudfront")
    etag = cf.get_key_group(Id=group_id)["ETag"]
    argv = ["aws", "rotate", "--key-group", group_id, "--public-key", str(key_files["ec.pub"])]
    code, out, err = run_cli([*argv, "--name", "cdn-2026", "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    new_id = out.strip()
    keys = {k["Name"]: k["Id"] for k in cf.list_public_keys()["PublicKeyList"]["Items"]}
    assert keys == {"old": old, "cdn-2026": new_id}
    after = cf.get_key_group(Id=group_id)
    assert after["KeyGroup"]["KeyGroupConfig"]["Items"] == [old, new_id]
    assert after["KeyGroup"]["KeyGroupConfig"]["Name"] == "cdn"
    assert after["ETag"] != etag  # the update was made against the ETag it read
    assert f"added {new_id} to the key group {group_id}" in err
    assert "retire the old key later" in err


def test_r22_rotate_retire_and_delete(
    moto_url: str,
    rsa_key: PrivateKey,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = upload(moto_url, rsa_key, "old")
    group_id = group(moto_url, "cdn", [old])
    cf = client(moto_url, "cloudfront")
    argv = ["aws", "keys", "upload", "--public-key", str(key_files["ec.pub"]), "--name", "new"]
    new_id = run_cli([*argv, "--endpoint-url", moto_url], capsys)[1].strip()
    argv = ["aws", "rotate", "--key-group", group_id, "--public-key", str(key_files["ec.pub"])]
    argv += ["--name", "new", "--retire", old, "--delete", "--endpoint-url", moto_url]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    assert out.strip() == new_id
    assert f"retired {old} and deleted it" in err
    remaining = [k["Id"] for k in cf.list_public_keys()["PublicKeyList"]["Items"]]
    assert remaining == [new_id]
    # the key left the group before it was deleted (CloudFront refuses a key in use)
    assert cf.get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]["Items"] == [new_id]


def test_r22_retiring_the_last_key_is_refused(
    moto_url: str,
    rsa_key: PrivateKey,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = upload(moto_url, rsa_key, "old")
    group_id = group(moto_url, "cdn", [old])
    # the "new" key is the one already in the group: retiring it would empty the group
    argv = ["aws", "rotate", "--key-group", group_id, "--public-key", str(key_files["rsa.pub"])]
    code, out, err = run_cli([*argv, "--retire", old, "--endpoint-url", moto_url], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("frontgate: config-conflict:")
    code, out, err = run_cli([*argv, "--retire", "KNOTINGROUP", "--endpoint-url", moto_url], capsys)
    assert code == 2
    assert f"not in the key group {group_id}" in err
    code, _, err = run_cli([*argv, "--delete", "--endpoint-url", moto_url], capsys)
    assert code == 2
    assert "--delete needs --retire" in err


# ---------------------------------------------------------------------------
# check


def test_r21_check_trusted_key_exits_0(
    moto_url: str,
    rsa_key: PrivateKey,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_id = upload(moto_url, rsa_key, "cdn")
    group_id = group(moto_url, "cdn", [key_id])
    dist = distribution(moto_url, {"*": [group_id], "/public/*": []})
    argv = ["aws", "check", "--distribution-id", dist, "--private-key", str(key_files["rsa.pem"])]
    code, out, err = run_cli([*argv, "--key-pair-id", key_id, "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    assert "uploaded public key matches" in out
    assert f"behaviour *: requires signing, trusts key groups {group_id} [{key_id}]" in out
    assert "behaviour /public/*: does not require signing" in out
    assert out.rstrip().splitlines()[-1].startswith("OK:")


def test_r21_check_untrusted_exits_1_and_names_the_groups(
    moto_url: str,
    rsa_key: PrivateKey,
    ec_key: PrivateKey,
    key_files: dict[str, Path],
    subprocess_env: dict[str, str],
) -> None:
    key_id = upload(moto_url, rsa_key, "cdn")
    other = upload(moto_url, ec_key, "other")
    group_id = group(moto_url, "cdn", [key_id])
    other_group = group(moto_url, "other", [other])
    dist = distribution(moto_url, {"*": [group_id], "/video/*": [other_group]})
    base = ["aws", "check", "--distribution-id", dist, "--endpoint-url", moto_url]
    # key trusted by the default behaviour but not by /video/*
    done = run_subprocess(
        [*base, "--private-key", str(key_files["rsa.pem"]), "--key-pair-id", key_id],
        subprocess_env,
    )
    assert done.returncode == 1, done.stderr
    assert f"behaviour /video/*: requires signing, trusts key groups {other_group} [{other}]" in (
        done.stdout
    )
    assert f"does NOT trust {key_id}" in done.stdout
    assert "NOT OK" in done.stdout
    # the private key is not the one uploaded under that id
    done = run_subprocess(
        [*base, "--private-key", str(key_files["ec.pem"]), "--key-pair-id", key_id, "--json"],
        subprocess_env,
    )
    assert done.returncode == 1
    assert '"key_matches": false' in done.stdout
    # no such distribution: could not check
    missing = [*base[:3], "ENOPE", *base[4:], "--private-key", str(key_files["rsa.pem"])]
    done = run_subprocess([*missing, "--key-pair-id", key_id], subprocess_env)
    assert done.returncode == 2
    assert "NoSuchDistribution" in done.stderr


def test_r21_check_with_a_kms_key(moto_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.hazmat.primitives import serialization

    kms = client(moto_url, "kms")
    kms_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=kms_id)["PublicKey"])
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    cf = client(moto_url, "cloudfront")
    key_id = cf.create_public_key(
        PublicKeyConfig={"CallerReference": "k", "Name": "kms", "EncodedKey": pem}
    )["PublicKey"]["Id"]
    dist = distribution(moto_url, {"*": [group(moto_url, "kms", [key_id])]})
    argv = ["aws", "check", "--distribution-id", dist, "--private-key", f"kms:{kms_id}"]
    code, out, err = run_cli([*argv, "--key-pair-id", key_id, "--endpoint-url", moto_url], capsys)
    assert code == 0, err + out


def test_check_without_signing_behaviours_exits_1(
    moto_url: str,
    rsa_key: PrivateKey,
    key_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_id = upload(moto_url, rsa_key, "cdn")
    dist = distribution(moto_url, {"*": []})
    argv = ["aws", "check", "--distribution-id", dist, "--private-key", str(key_files["rsa.pem"])]
    code, out, _ = run_cli([*argv, "--key-pair-id", key_id, "--endpoint-url", moto_url], capsys)
    assert code == 1
    assert "no behaviour" in out
