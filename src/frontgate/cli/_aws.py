"""``frontgate aws ...``: the AWS side (needs ``frontgate[aws]``; boto3 loads on use).

Every command takes ``--endpoint-url``, ``--region`` and ``--profile``; when AWS refuses,
the error is one line and the exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontgate.aws.session import AwsSession
    from frontgate.keys import PublicKey, SigningKey

__all__ = ["register"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="AWS endpoint (a local emulator, a VPC endpoint)"
    )
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE)")


def register(sub: Any) -> None:
    """Add ``frontgate aws`` and its commands."""
    aws = sub.add_parser(
        "aws",
        help="set up CloudFront keys, key groups and distributions in AWS",
        description="The AWS side of CloudFront private content (needs frontgate[aws]).",
    )
    aws.set_defaults(run=lambda args: _help(aws))
    commands = aws.add_subparsers(dest="aws_command", metavar="COMMAND", parser_class=type(aws))

    keys = commands.add_parser("keys", help="CloudFront public keys")
    keys.set_defaults(run=lambda args: _help(keys))
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="COMMAND", parser_class=type(aws))
    upload = keys_sub.add_parser(
        "upload", help="upload a public key; prints its id (the key pair id to sign with)"
    )
    upload.add_argument("--public-key", required=True, metavar="PATH", help="public key PEM")
    upload.add_argument("--name", required=True, help="the key's name in CloudFront")
    _common(upload)
    upload.set_defaults(run=run_keys_upload)

    groups = commands.add_parser("key-groups", help="CloudFront key groups")
    groups.set_defaults(run=lambda args: _help(groups))
    groups_sub = groups.add_subparsers(
        dest="groups_command", metavar="COMMAND", parser_class=type(aws)
    )
    create = groups_sub.add_parser("create", help="create a key group; prints its id")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--key-id", required=True, action="append", metavar="ID", help="a public key id (repeat)"
    )
    _common(create)
    create.set_defaults(run=run_key_groups_create)

    setup = commands.add_parser(
        "setup",
        help="public key, key group, OAC, policies, distribution and bucket policy in one go",
        description="Set up a CloudFront distribution that serves BUCKET only to signed "
        "requests. Idempotent: resources are named --name; a second run creates nothing.",
    )
    setup.add_argument("--bucket", required=True)
    setup.add_argument("--public-key", required=True, metavar="PATH", help="public key PEM")
    setup.add_argument("--name", help="name of every resource (default frontgate-BUCKET)")
    setup.add_argument("--create-bucket", action="store_true", help="create a missing bucket")
    setup.add_argument(
        "--dry-run", action="store_true", help="print the plan; change nothing (reads only)"
    )
    setup.add_argument("--json", action="store_true", help="print the ids as JSON")
    _common(setup)
    setup.set_defaults(run=run_setup)

    rotate = commands.add_parser(
        "rotate",
        help="add a new public key to a key group (and retire the old one)",
        description="Rotation (R22): add the new key, switch signing to it, and retire the "
        "old key once the last URL it signed has expired.",
    )
    rotate.add_argument("--key-group", required=True, metavar="ID")
    rotate.add_argument("--public-key", required=True, metavar="NEW.pem")
    rotate.add_argument("--name", help="name for the new public key (default GROUP-FINGERPRINT)")
    rotate.add_argument("--retire", metavar="OLD_KEY_ID", help="take this key out of the group")
    rotate.add_argument("--delete", action="store_true", help="also delete the retired key")
    _common(rotate)
    rotate.set_defaults(run=run_rotate)

    check = commands.add_parser(
        "check",
        help="does a distribution trust this key? (exit 0 yes, 1 no, 2 could not check)",
    )
    check.add_argument("--distribution-id", required=True, metavar="ID")
    check.add_argument(
        "--private-key",
        required=True,
        metavar="SOURCE",
        help="PEM file, file://PATH, env:NAME, kms:KEY, secretsmanager:ID or ssm:NAME",
    )
    check.add_argument("--key-pair-id", required=True, metavar="ID")
    check.add_argument("--passphrase-env", metavar="NAME", help="variable holding the passphrase")
    check.add_argument("--json", action="store_true")
    _common(check)
    check.set_defaults(run=run_check)

    presign = commands.add_parser(
        "presign",
        help="an S3 presigned URL (SigV4; S3 signing, not CloudFront)",
        description="Print an S3 presigned GET URL (AWS SigV4, checked by S3 - not a "
        "CloudFront signed URL). For buckets served without CloudFront.",
    )
    presign.add_argument("s3_url", metavar="s3://BUCKET/KEY")
    presign.add_argument("--expires-in", required=True, type=int, metavar="SECONDS")
    presign.add_argument("--download-name", metavar="NAME", help="Content-Disposition filename")
    _common(presign)
    presign.set_defaults(run=run_presign)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _session(args: argparse.Namespace, *, read_only: bool = False) -> AwsSession:
    from frontgate.aws.session import AwsSession

    return AwsSession(
        region=args.region,
        endpoint_url=args.endpoint_url,
        profile=args.profile,
        read_only=read_only,
    )


def _public_key(path: str) -> PublicKey:
    from frontgate.keys import load_public_key
    from frontgate.sources import read_key_file

    return load_public_key(read_key_file(path))


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _note(text: str) -> None:
    sys.stderr.write(f"frontgate: {text}\n")


def run_keys_upload(args: argparse.Namespace) -> int:
    from frontgate.aws.keygroups import upload_public_key

    key_id, created = upload_public_key(
        _session(args), name=args.name, public_key=_public_key(args.public_key)
    )
    if not created:
        _note(f"the public key {args.name} was already uploaded; nothing changed")
    _out(key_id)
    return 0


def run_key_groups_create(args: argparse.Namespace) -> int:
    from frontgate.aws.keygroups import create_key_group

    group_id, created = create_key_group(_session(args), name=args.name, key_ids=args.key_id)
    if not created:
        _note(f"the key group {args.name} already exists with these keys; nothing changed")
    _out(group_id)
    return 0


def run_setup(args: argparse.Namespace) -> int:
    import json

    from frontgate.aws.setup import Setup

    setup = Setup(
        _session(args, read_only=args.dry_run),
        bucket=args.bucket,
        public_key=_public_key(args.public_key),
        name=args.name,
        create_bucket=args.create_bucket,
    )
    result = setup.run()
    if args.json:
        _out(json.dumps(result.to_json(), indent=2))
        return 0
    head = "dry run, nothing will be changed" if result.dry_run else "applying"
    _out(f"frontgate aws setup: bucket {result.bucket}, name {result.name} ({head})")
    for outcome in result.outcomes:
        what = outcome.resource_id if outcome.action in ("exists", "created", "updated") else ""
        detail = outcome.explain if outcome.action.startswith("would") else what
        _out(f"  {outcome.title:<24} {outcome.action:<13} {detail}")
    if result.dry_run:
        todo = [o.title for o in result.outcomes if o.action != "exists"]
        if todo:
            _out(f"Dry run: nothing was changed. A real run would make: {', '.join(todo)}.")
        else:
            _out(f"Dry run: everything named {result.name} already exists; nothing to do.")
        return 0
    if not result.changed:
        _out(f"Nothing to do: everything named {result.name} already exists; nothing created.")
    else:
        _out("New distributions take a few minutes to deploy before they serve.")
    domain = result.ids.get("distribution_domain")
    key_id = result.ids.get("public_key_id")
    _out("Next, sign a URL for an object of the bucket:")
    _out(
        f"  frontgate sign --url https://{domain}/PATH --key-pair-id {key_id} "
        "--private-key PRIVATE_KEY.pem --expires-in 300"
    )
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from frontgate.aws.keygroups import rotate

    done = rotate(
        _session(args),
        key_group_id=args.key_group,
        public_key=_public_key(args.public_key),
        name=args.name,
        retire=args.retire,
        delete=args.delete,
    )
    if done.added:
        _note(f"added {done.new_key_id} to the key group {done.key_group_id}")
    else:
        _note(f"the key group {done.key_group_id} already trusts {done.new_key_id}")
    if done.retired:
        _note(
            f"retired {done.retired}"
            + (" and deleted it" if done.deleted else "")
            + f"; URLs it signed are refused from now on (keys now: {', '.join(done.key_ids)})"
        )
    else:
        _note(f"sign with --key-pair-id {done.new_key_id}; retire the old key later (--retire)")
    _out(done.new_key_id)
    return 0


def _signing_key(args: argparse.Namespace, aws: AwsSession) -> SigningKey:
    from frontgate.sources import AWS_SCHEMES, load_signing_key

    from ._common import passphrase_from_env

    passphrase = passphrase_from_env(args.passphrase_env)
    scheme, sep, rest = args.private_key.partition(":")
    if sep and scheme in AWS_SCHEMES:
        from frontgate.aws.sources import load

        # the key source uses this command's --endpoint-url/--region/--profile too
        return load(scheme, rest, passphrase=passphrase, aws=aws)[0]
    return load_signing_key(args.private_key, passphrase=passphrase)[0]


def run_check(args: argparse.Namespace) -> int:
    import json

    from frontgate.aws.keygroups import check_distribution
    from frontgate.keys import check_key_pair_id

    aws = _session(args)
    report = check_distribution(
        aws,
        distribution_id=args.distribution_id,
        signing_key=_signing_key(args, aws),
        key_pair_id=check_key_pair_id(args.key_pair_id),
    )
    if args.json:
        data = {
            "ok": report.ok,
            "distribution_id": report.distribution_id,
            "key_pair_id": report.key_pair_id,
            "uploaded": report.uploaded,
            "key_matches": report.key_matches,
            "behaviours": [
                {
                    "path_pattern": b.path_pattern,
                    "requires_signing": b.requires_signing,
                    "key_groups": b.key_groups,
                    "trusted_signers": b.trusted_signers,
                    "trusts_key": b.trusts_key,
                }
                for b in report.behaviours
            ],
        }
        _out(json.dumps(data, indent=2))
        return 0 if report.ok else 1
    kid = report.key_pair_id
    if not report.uploaded:
        _out(f"key {kid}: no public key with this id in the account (R21)")
    elif report.key_matches:
        _out(f"key {kid}: the uploaded public key matches the private key")
    else:
        _out(f"key {kid}: the uploaded public key does NOT match the private key")
    for b in report.behaviours:
        if not b.requires_signing:
            _out(f"  behaviour {b.path_pattern}: does not require signing")
            continue
        groups = "; ".join(f"{g} [{', '.join(keys)}]" for g, keys in b.key_groups.items())
        trusts = f"key groups {groups}" if groups else "no key groups"
        if b.trusted_signers:
            trusts += " and legacy trusted signers (AWS accounts)"
        verdict = "trusts" if b.trusts_key else "does NOT trust"
        _out(f"  behaviour {b.path_pattern}: requires signing, trusts {trusts}; {verdict} {kid}")
    if report.ok:
        _out(f"OK: every behaviour of {report.distribution_id} that requires signing trusts {kid}")
        return 0
    if not any(b.requires_signing for b in report.behaviours):
        _out(f"NOT OK: no behaviour of {report.distribution_id} requires signing")
    else:
        _out(f"NOT OK: {report.distribution_id} would refuse URLs signed with this key")
    return 1


def run_presign(args: argparse.Namespace) -> int:
    from frontgate.aws.presign import presign

    made = presign(
        _session(args),
        args.s3_url,
        expires_in=args.expires_in,
        download_name=args.download_name,
    )
    _note(
        f"S3 presigned URL (AWS SigV4, checked by S3 - not a CloudFront signed URL), valid "
        f"{made.expires_in} s"
    )
    if made.temporary_credentials:
        _note("made with temporary credentials: it stops working when they expire")
    _out(made.url)
    return 0
