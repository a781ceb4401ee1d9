"""``frontgate aws ...``: the AWS side (needs ``frontgate[aws]``; boto3 loads on use).

Every command takes ``--endpoint-url``, ``--region`` and ``--profile``; when AWS refuses,
the error is one line and the exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontgate._types import HashName
    from frontgate.aws.probe import ProbeReport
    from frontgate.aws.session import AwsSession
    from frontgate.aws.setup import SetupResult
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
    _wait_options(setup, "wait until the distribution is Deployed, showing progress")
    _common(setup)
    setup.set_defaults(run=run_setup)

    status = commands.add_parser(
        "status",
        help="every resource setup made under a name, and the distribution's state",
    )
    status.add_argument("--name", required=True, help="the --name given to setup")
    status.add_argument("--json", action="store_true")
    _common(status)
    status.set_defaults(run=run_status)

    teardown = commands.add_parser(
        "teardown",
        help="delete what setup made under a name (never the bucket or its objects)",
        description="Disable and delete the distribution, then the key group, public keys, "
        "origin access control and policies named NAME, and take the distribution out of "
        "frontgate's bucket policy statement. Exit 0 all gone, 1 stopped before the end "
        "(the distribution is still being disabled), 2 refused or could not run.",
    )
    teardown.add_argument("--name", required=True, help="the --name given to setup")
    teardown.add_argument(
        "--dry-run", action="store_true", help="print the plan; change nothing (reads only)"
    )
    teardown.add_argument("--yes", action="store_true", help="do it without asking")
    _wait_options(teardown, "wait while the distribution is disabled, then delete it")
    _common(teardown)
    teardown.set_defaults(run=run_teardown)

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
    check.add_argument(
        "--probe",
        metavar="PATH",
        help="also GET this object signed (must be served), unsigned and tampered (must "
        "be refused) through the distribution",
    )
    check.add_argument(
        "--base-url",
        metavar="URL",
        help="where --probe sends its requests (default https://DISTRIBUTION-DOMAIN)",
    )
    check.add_argument(
        "--hash-algorithm", choices=("SHA1", "SHA256"), help="the probe's signature hash"
    )
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


def _wait_options(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--wait", action="store_true", help=text)
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="S",
        help="give up waiting after S seconds (default 1800; nothing is undone)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"expected 1 to 86400 seconds, got {text!r}")
    return value


class _Progress:
    """Reports each poll: one updating line on a terminal, timestamped lines otherwise
    (on stderr, so --json output stays clean)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.stream = sys.stderr
        self.tty = self.stream.isatty()
        self.open = False

    def __call__(self, status: str, elapsed: float) -> None:
        import time

        minutes, seconds = divmod(int(elapsed), 60)
        if self.tty:
            text = f"{self.what}: {status}, {minutes}m{seconds:02d}s elapsed"
            self.stream.write(f"\r{text:<72}")
            self.open = True
        else:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.stream.write(f"{stamp} {self.what}: {status} ({elapsed:.0f} s)\n")
        self.stream.flush()

    def end(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False


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
    wait = args.wait and not result.dry_run
    if args.json:
        if wait and (stopped := _wait_setup(args, result)) is not None:
            return stopped
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
    if wait:
        sys.stdout.flush()
        if (stopped := _wait_setup(args, result)) is not None:
            return stopped
        _out(
            "Deployed. Prove it serves signed requests only: 'frontgate aws check "
            f"--distribution-id {result.ids.get('distribution_id')} --private-key KEY "
            f"--key-pair-id {result.ids.get('public_key_id')} --probe PATH'."
        )
    elif result.changed:
        _out(
            "New distributions take a few minutes to deploy before they serve; follow it "
            f"with 'frontgate aws status --name {result.name}' (or run setup with --wait)."
        )
    domain = result.ids.get("distribution_domain")
    key_id = result.ids.get("public_key_id")
    _out("Next, sign a URL for an object of the bucket:")
    _out(
        f"  frontgate sign --url https://{domain}/PATH --key-pair-id {key_id} "
        "--private-key PRIVATE_KEY.pem --expires-in 300"
    )
    return 0


def _wait_setup(args: argparse.Namespace, result: SetupResult) -> int | None:
    """Wait for setup's distribution; an exit code when waiting did not end in Deployed."""
    from frontgate.aws.lifecycle import DEFAULT_TIMEOUT, wait_deployed

    name, distribution_id = result.name, result.ids.get("distribution_id")
    if distribution_id is None:  # pragma: no cover - a real run always has one
        return None
    progress = _Progress(f"distribution {distribution_id}")
    try:
        took = wait_deployed(
            _session(args),
            distribution_id,
            timeout=args.timeout or DEFAULT_TIMEOUT,
            report=progress,
        )
    except KeyboardInterrupt:
        progress.end()
        _note(
            f"stopped waiting; nothing was undone and the distribution {distribution_id} "
            f"keeps deploying. See where it is with 'frontgate aws status --name {name}', or "
            "run the same setup with --wait again (it creates nothing twice)."
        )
        return 130
    finally:
        progress.end()
    _note(f"the distribution {distribution_id} is Deployed (waited {took:.0f} s)")
    return None


def run_status(args: argparse.Namespace) -> int:
    import json

    from frontgate.aws.lifecycle import find_resources
    from frontgate.aws.setup import POLICY_SID

    found = find_resources(_session(args), args.name)
    if args.json:
        _out(json.dumps(found.to_json(), indent=2))
        return 0
    _out(f"frontgate aws status: name {found.name}")
    if found.empty:
        _out(f"Nothing named {found.name} exists (see 'frontgate aws setup').")
        return 0
    missing = "not found"
    keys = ", ".join(f"{k} ({n})" for k, n in found.public_keys) or missing
    group = found.key_group
    rows = [
        ("public keys", keys),
        ("key group", f"{group[0]} trusting {', '.join(group[1])}" if group else missing),
        ("origin access control", found.origin_access_control or missing),
        ("cache policy", found.cache_policy or missing),
        ("origin request policy", found.origin_request_policy or missing),
    ]
    dist = found.distribution
    if dist is None:
        rows.append(("distribution", missing))
    else:
        aliases = ", ".join(dist.aliases) or "none"
        enabled = "enabled" if dist.enabled else "disabled"
        state = f"{dist.id} {dist.status}, {enabled}, {dist.domain}, aliases {aliases}"
        rows.append(("distribution", state))
    if found.bucket is None:
        rows.append(("bucket policy", "bucket unknown"))
    elif found.statement_arns is None:
        rows.append(("bucket policy", f"no statement {POLICY_SID} in the policy of {found.bucket}"))
    else:
        verdict = "allows" if found.statement_allows_distribution else "does NOT allow"
        target = dist.id if dist else "the distribution"
        rows.append(
            ("bucket policy", f"statement {POLICY_SID} of {found.bucket} {verdict} {target}")
        )
    for title, text in rows:
        _out(f"  {title:<24} {text}")
    return 0


def run_teardown(args: argparse.Namespace) -> int:
    from frontgate.aws.lifecycle import DEFAULT_TIMEOUT, Teardown, TeardownStep
    from frontgate.errors import ConfigError, ErrorCode

    progress = _Progress("distribution")
    teardown = Teardown(
        _session(args, read_only=args.dry_run),
        args.name,
        wait=args.wait,
        timeout=args.timeout or DEFAULT_TIMEOUT,
        report=progress,
    )
    if teardown.found.empty:
        _out(f"Nothing to tear down: nothing named {args.name} exists.")
        return 0
    if teardown.found.distribution is not None:
        progress.what = f"distribution {teardown.found.distribution.id}"
    steps = teardown.steps()
    head = "dry run, nothing will be changed" if args.dry_run else "plan"
    _out(f"frontgate aws teardown: name {args.name} ({head})")
    for step in steps:
        _out(f"  {step.title:<24} {step.resource_id:<36} {step.action}")
    kept = teardown.kept_keys()
    if kept:
        _out(f"  kept (not named by setup): public key {', '.join(kept)}")
    if teardown.found.bucket:
        _out(f"  kept: the bucket {teardown.found.bucket}, its objects and its other statements")
    if args.dry_run:
        _out("Dry run: nothing was changed.")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise ConfigError(
                ErrorCode.CONFIG_MISSING,
                f"teardown deletes what is named {args.name}; pass --yes to go ahead (there "
                "is no terminal to ask on).",
            )
        sys.stderr.write(f"Delete all of this ({len(steps)} steps)? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            _out("Nothing was changed.")
            return 1

    def did(step: TeardownStep) -> None:
        progress.end()
        _out(f"  done: {step.title} {step.resource_id}: {step.action}")

    try:
        done = teardown.run(did)
    except KeyboardInterrupt:
        progress.end()
        _note(
            "stopped; what is done stays done (a disabled distribution stays disabled). "
            f"Finish with 'frontgate aws teardown --name {args.name} --yes --wait'."
        )
        return 130
    finally:
        progress.end()
    if not done:
        _out(
            f"The distribution {teardown.pending} is being disabled; CloudFront takes a few "
            f"minutes. Finish with 'frontgate aws teardown --name {args.name} --yes --wait' "
            "(or the same command later)."
        )
        return 1
    _out(f"Done: everything named {args.name} is gone.")
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


def _signing_key(args: argparse.Namespace, aws: AwsSession) -> tuple[SigningKey, HashName]:
    """The key of ``--private-key`` and the hash it signs with by default."""
    from frontgate.sources import AWS_SCHEMES, load_signing_key

    from ._common import passphrase_from_env

    passphrase = passphrase_from_env(args.passphrase_env)
    scheme, sep, rest = args.private_key.partition(":")
    if sep and scheme in AWS_SCHEMES:
        from frontgate.aws.sources import load

        # the key source uses this command's --endpoint-url/--region/--profile too
        return load(scheme, rest, passphrase=passphrase, aws=aws)
    return load_signing_key(args.private_key, passphrase=passphrase)


def run_check(args: argparse.Namespace) -> int:
    import json

    from frontgate.aws.keygroups import check_distribution
    from frontgate.keys import check_key_pair_id

    aws = _session(args)
    signing_key, default_hash = _signing_key(args, aws)
    report = check_distribution(
        aws,
        distribution_id=args.distribution_id,
        signing_key=signing_key,
        key_pair_id=check_key_pair_id(args.key_pair_id),
    )
    probed = _probe(args, aws, signing_key, default_hash) if args.probe else None
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
        if probed is not None:
            data["ok"] = report.ok and probed.ok
            data["probe"] = {
                "ok": probed.ok,
                "base_url": probed.base_url,
                "path": probed.path,
                "attempts": [
                    {
                        "request": a.label,
                        "status": a.answer.status,
                        "answer": a.answer.describe(),
                        "ok": a.ok,
                        "meaning": a.meaning,
                    }
                    for a in probed.attempts
                ],
            }
        _out(json.dumps(data, indent=2))
        return 0 if data["ok"] else 1
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
    if probed is not None:
        _out(f"probe {probed.base_url} {probed.path}:")
        for a in probed.attempts:
            _out(f"  {a.label:<9} {a.answer.describe():<32} {a.meaning}")
    if report.ok and (probed is None or probed.ok):
        if probed is not None:
            _out(
                f"OK: {report.distribution_id} serves signed requests and refuses unsigned "
                "and tampered ones"
            )
        else:
            _out(
                f"OK: every behaviour of {report.distribution_id} that requires signing "
                f"trusts {kid}"
            )
        return 0
    if not report.ok and not any(b.requires_signing for b in report.behaviours):
        _out(f"NOT OK: no behaviour of {report.distribution_id} requires signing")
    elif not report.ok:
        _out(f"NOT OK: {report.distribution_id} would refuse URLs signed with this key")
    if probed is not None and not probed.ok:
        first = next(a for a in probed.attempts if not a.ok)
        _out(f"NOT OK: the {first.label} request: {first.meaning}")
    return 1


def _probe(
    args: argparse.Namespace, aws: AwsSession, signing_key: SigningKey, default_hash: HashName
) -> ProbeReport:
    from frontgate.aws.probe import probe
    from frontgate.aws.session import aws_errors
    from frontgate.signer import Signer

    base_url = args.base_url
    if base_url is None:
        with aws_errors(f"reading the distribution {args.distribution_id}"):
            found = aws.cloudfront.get_distribution(Id=args.distribution_id)
        base_url = f"https://{found['Distribution']['DomainName']}"
    hash_algorithm = args.hash_algorithm or default_hash
    signer = Signer(signing_key, args.key_pair_id, hash_algorithm=hash_algorithm)
    return probe(base_url, args.probe, signer)


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
    if made.region_note:
        _note(made.region_note)
    if made.temporary_credentials:
        _note("made with temporary credentials: it stops working when they expire")
    _out(made.url)
    return 0
