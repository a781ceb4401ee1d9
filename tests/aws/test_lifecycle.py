"""After setup: ``setup --wait``, ``status``, ``check --probe``, ``rotate``, ``teardown``.

AWS here is moto's server plus the CloudFront calls moto lacks, emulated in
:mod:`tests.aws.emulation` (cache and origin request policies, UpdateKeyGroup,
DeleteKeyGroup, If-Match, in-use refusals, a distribution ``InProgress`` after each change
until the n-th read, n as the ``deploy_after`` fixture says). The distribution's domain cannot be
reached, so ``check --probe`` goes to a real ``frontgate edge`` process serving the
object with the uploaded key, through ``--base-url``.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from frontgate.aws.lifecycle import POLL_ENV, poll_delays, remove_from_bucket_policy
from frontgate.aws.setup import POLICY_SID, merge_bucket_policy

from .conftest import client, run_cli
from .test_setup import OTHER_STATEMENT, make_bucket, setup_argv, state

NAME = "frontgate-media"
STAMPED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ distribution \w+: (InProgress|Deployed)")
LISTENING = re.compile(r"frontgate edge listening on (http://127\.0\.0\.1:\d+)\n")


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    # every wait polls every 10 ms instead of 5-30 s (no sleeps in these tests)
    monkeypatch.setenv(POLL_ENV, "0.01")


@contextmanager
def edge(origin: Path, keys: dict[str, Path]) -> Iterator[str]:
    """A ``frontgate edge`` process serving ``origin`` with ``keys``; yields its URL."""
    argv = [sys.executable, "-m", "frontgate", "edge", "--origin", str(origin), "--port", "0"]
    for key_id, path in keys.items():
        argv += ["--public-key", f"{key_id}={path}"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    try:
        match = LISTENING.fullmatch(proc.stdout.readline())
        assert match, "the edge did not start"
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        proc.stdout.close()


def origin_with_object(tmp_path: Path) -> Path:
    """The bucket's object, as the edge's origin directory and in moto's bucket."""
    root = tmp_path / "origin"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.pdf").write_bytes(b"%PDF-1.7 frontgate")
    return root


def check_argv(moto_url: str, dist: str, key: Path, key_id: str, *extra: str) -> list[str]:
    return [
        "aws",
        "check",
        "--distribution-id",
        dist,
        "--private-key",
        str(key),
        "--key-pair-id",
        key_id,
        "--endpoint-url",
        moto_url,
        *extra,
    ]


def test_life_cycle_twice_on_one_account(
    moto_url: str,
    key_files: dict[str, Path],
    deploy_after: Callable[[int], None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """setup --wait, status, check --probe, rotate, teardown; then all of it again."""
    make_bucket(moto_url)
    s3 = client(moto_url, "s3")
    s3.put_object(Bucket="media", Key="docs/a.pdf", Body=b"%PDF-1.7 frontgate")
    origin = origin_with_object(tmp_path)
    before = state(moto_url)
    deploy_after(3)
    for _ in range(2):
        # setup --wait: polls until Deployed, with a timestamped line per poll (no TTY)
        argv = [*setup_argv(key_files), "--wait", "--json", "--endpoint-url", moto_url]
        code, out, err = run_cli(argv, capsys)
        assert code == 0, err
        made = json.loads(out)
        dist, key_id = made["distribution_id"], made["public_key_id"]
        assert STAMPED.findall(err) == ["InProgress", "InProgress", "Deployed"]
        assert f"the distribution {dist} is Deployed" in err

        # status: every resource, the distribution Deployed and allowed by the bucket policy
        code, out, err = run_cli(["aws", "status", "--name", NAME, "--json"], capsys)
        assert code == 0, err
        status = json.loads(out)
        assert status["public_keys"] == [{"id": key_id, "name": NAME}]
        assert status["key_group"] == {"id": made["key_group_id"], "public_keys": [key_id]}
        assert status["origin_access_control"] == made["origin_access_control_id"]
        assert status["cache_policy"] == made["cache_policy_id"]
        assert status["origin_request_policy"] == made["origin_request_policy_id"]
        assert status["distribution"] == {
            "id": dist,
            "status": "Deployed",
            "domain": made["distribution_domain"],
            "aliases": [],
            "enabled": True,
        }
        assert status["bucket"] == "media"
        assert status["bucket_policy_statement"]["allows_distribution"] is True

        # check --probe: signed served, unsigned and tampered refused, by a real edge
        with edge(origin, {key_id: key_files["rsa.pub"]}) as url:
            argv = check_argv(
                moto_url, dist, key_files["rsa.pem"], key_id, "--probe", "/docs/a.pdf"
            )
            code, out, err = run_cli([*argv, "--base-url", url], capsys)
        assert code == 0, out + err
        assert re.search(r"signed +206 +served \(206\)", out)
        assert re.search(r"unsigned +403 MissingKey \(CloudFront\) +refused", out)
        assert re.search(r"tampered +403 AccessDenied \(CloudFront\) +refused", out)
        assert out.rstrip().endswith("refuses unsigned and tampered ones")

        # rotate: a second key joins the group (named NAME-<fingerprint>) and is trusted
        argv = ["aws", "rotate", "--key-group", made["key_group_id"], "--public-key"]
        argv += [str(key_files["ec.pub"]), "--endpoint-url", moto_url]
        code, out, err = run_cli(argv, capsys)
        assert code == 0, err
        new_id = out.strip()
        code, out, err = run_cli(check_argv(moto_url, dist, key_files["ec.pem"], new_id), capsys)
        assert code == 0, out + err
        assert f"trusts key groups {made['key_group_id']} [{key_id}, {new_id}]" in out

        # teardown: the distribution disabled, waited for, deleted; then the rest
        argv = ["aws", "teardown", "--name", NAME, "--yes", "--wait", "--endpoint-url", moto_url]
        code, out, err = run_cli(argv, capsys)
        assert code == 0, out + err
        assert "InProgress" in err  # it waited for the disabled distribution to deploy
        for title in ("distribution", "key group", "origin access control", "cache policy"):
            assert f"done: {title} " in out
        assert out.count("done: public key ") == 2
        assert out.rstrip().endswith(f"Done: everything named {NAME} is gone.")
        # back to the start: the bucket, its object and the other statement untouched
        assert state(moto_url) == before
        assert s3.get_object(Bucket="media", Key="docs/a.pdf")["Body"].read().startswith(b"%PDF")

        code, out, err = run_cli(argv, capsys)
        assert (code, out) == (0, f"Nothing to tear down: nothing named {NAME} exists.\n")


def test_teardown_dry_run_and_confirmation(
    moto_url: str, key_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    make_bucket(moto_url)
    assert run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)[0] == 0
    before = state(moto_url)
    base = ["aws", "teardown", "--name", NAME, "--endpoint-url", moto_url]
    code, out, err = run_cli([*base, "--dry-run"], capsys)
    assert code == 0, err
    assert "(dry run, nothing will be changed)" in out
    for words in (
        "disable",
        "wait until it is deployed disabled",
        f"stop statement {POLICY_SID} of bucket media allowing it",
        "key group",
        "origin request policy",
        "kept: the bucket media, its objects and its other statements",
    ):
        assert words in out
    assert out.rstrip().endswith("Dry run: nothing was changed.")
    # without --yes and without a terminal to ask on: refused, nothing changed
    code, out, err = run_cli(base, capsys)
    assert code == 2
    assert err.startswith("frontgate: config-missing: teardown deletes what is named")
    assert "--yes" in err
    assert state(moto_url) == before


def test_teardown_resumes_after_it_stopped_while_disabling(
    moto_url: str,
    key_files: dict[str, Path],
    deploy_after: Callable[[int], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_bucket(moto_url)
    assert run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)[0] == 0
    deploy_after(50)
    argv = ["aws", "teardown", "--name", NAME, "--yes", "--endpoint-url", moto_url]
    code, out, err = run_cli(argv, capsys)
    # without --wait it disables the distribution and stops: CloudFront is deploying
    assert code == 1, err
    assert "is being disabled" in out
    assert "--yes --wait" in out
    cf = client(moto_url, "cloudfront")
    (dist,) = cf.list_distributions()["DistributionList"]["Items"]
    assert dist["Enabled"] is False
    assert state(moto_url)["key_groups"]  # nothing after the distribution was touched
    # the bucket policy still allows it: the distribution is not deleted yet
    policy = json.loads(client(moto_url, "s3").get_bucket_policy(Bucket="media")["Policy"])
    assert policy["Statement"][-1]["Sid"] == POLICY_SID
    deploy_after(2)
    code, out, err = run_cli([*argv, "--wait"], capsys)
    assert code == 0, out + err
    plan = out.split("(plan)\n")[1].splitlines()
    assert plan[0].endswith("wait until it is deployed disabled")  # disabled already
    after = state(moto_url)
    assert after["distributions"] == after["key_groups"] == after["public_keys"] == []
    assert after["policies"]["media"] == {"Version": "2012-10-17", "Statement": [OTHER_STATEMENT]}


def test_teardown_refuses_what_another_distribution_uses(
    moto_url: str, key_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from .test_keygroups import distribution, group

    make_bucket(moto_url)
    code, out, err = run_cli([*setup_argv(key_files), "--json", "--endpoint-url", moto_url], capsys)
    assert code == 0, err
    made = json.loads(out)
    group_id, key_id = made["key_group_id"], made["public_key_id"]
    other = distribution(moto_url, {"*": [group_id]})
    group(moto_url, "elsewhere", [key_id])  # the key also trusted by another group
    before = state(moto_url)
    argv = ["aws", "teardown", "--name", NAME, "--yes", "--endpoint-url", moto_url]
    code, out, err = run_cli(argv, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"frontgate: config-conflict: Refusing to tear down {NAME}, nothing")
    assert f"the key group {NAME} ({group_id}) is used by distribution {other} (check)" in err
    assert f"the public key {NAME} ({key_id}) is in key group elsewhere" in err
    assert state(moto_url) == before


def test_setup_wait_times_out_and_ctrl_c_stops_waiting(
    moto_url: str,
    key_files: dict[str, Path],
    deploy_after: Callable[[int], None],
    subprocess_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_bucket(moto_url)
    deploy_after(10_000)
    argv = [*setup_argv(key_files), "--wait", "--timeout", "0.05", "--endpoint-url", moto_url]
    code, out, err = run_cli(argv, capsys)
    assert code == 2
    assert re.search(r"aws-failed: The distribution \w+ is still InProgress after \d+ s", err)
    assert "nothing was undone" in err
    # Ctrl-C (SIGINT) while waiting: stops, undoes nothing, says how to resume
    env = {**subprocess_env, POLL_ENV: "0.05"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontgate", *argv[:-4], "--endpoint-url", moto_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert STAMPED.match(proc.stderr.readline())  # it is waiting
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert re.search(r"distribution +exists", out)  # what setup found is said first
    assert "stopped waiting; nothing was undone" in err
    assert f"frontgate aws status --name {NAME}" in err
    assert len(state(moto_url)["distributions"]) == 1


def test_status_of_nothing_and_progress_on_a_terminal(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["aws", "status", "--name", "nothing-here"], capsys)
    assert (code, out.splitlines()[-1]) == (
        0,
        "Nothing named nothing-here exists (see 'frontgate aws setup').",
    )
    from frontgate.cli._aws import _Progress

    class Terminal:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = _Progress("distribution E1")
    progress("InProgress", 5)
    progress("Deployed", 65)
    progress.end()
    lines = terminal.text.split("\r")
    assert lines[1].rstrip() == "distribution E1: InProgress, 0m05s elapsed"
    assert lines[2] == f"{'distribution E1: Deployed, 1m05s elapsed':<72}\n"


def test_poll_delays_back_off_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLL_ENV)
    delays = poll_delays()
    first = [next(delays) for _ in range(8)]
    assert first[:3] == [5.0, 7.5, 11.25]
    assert max(first) == first[-1] == 30.0
    monkeypatch.setenv(POLL_ENV, "soon")
    with pytest.raises(Exception, match="must be a number of seconds"):
        next(poll_delays())


def test_remove_from_bucket_policy_keeps_other_distributions() -> None:
    first = "arn:aws:cloudfront::111122223333:distribution/E1"
    second = "arn:aws:cloudfront::111122223333:distribution/E2"
    policy: dict[str, Any] = {"Version": "2012-10-17", "Statement": [OTHER_STATEMENT]}
    both = merge_bucket_policy(merge_bucket_policy(policy, "media", first), "media", second)
    left = remove_from_bucket_policy(both, first)
    assert left == merge_bucket_policy(policy, "media", second)
    assert remove_from_bucket_policy(left or {}, second) == policy
    assert remove_from_bucket_policy(merge_bucket_policy(None, "media", first), first) is None


def on_a_terminal(argv: list[str], env: dict[str, str], answer: bytes) -> tuple[int, str]:
    """Run ``frontgate ARGV`` on a pseudo-terminal, typing ``answer``; (exit code, screen)."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontgate", *argv],
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    os.write(master, answer)  # waits in the terminal's line buffer until it is read
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child has gone and closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return proc.wait(30), screen.decode()


def test_teardown_asks_on_a_terminal_and_shows_one_progress_line(
    moto_url: str,
    key_files: dict[str, Path],
    deploy_after: Callable[[int], None],
    subprocess_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_bucket(moto_url)
    assert run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)[0] == 0
    before = state(moto_url)
    env = {**subprocess_env, POLL_ENV: "0.01"}
    argv = ["aws", "teardown", "--name", NAME, "--wait", "--endpoint-url", moto_url]
    code, screen = on_a_terminal(argv, env, b"n\n")
    assert code == 1, screen
    assert "Delete all of this (" in screen
    assert "[y/N]" in screen
    assert "Nothing was changed." in screen
    assert state(moto_url) == before
    deploy_after(3)
    code, screen = on_a_terminal(argv, env, b"y\n")
    assert code == 0, screen
    # one line rewritten in place ("\r"), not a line per poll
    polls = r"\rdistribution \w+: InProgress, 0m00s elapsed +\rdistribution \w+: InProgress"
    assert re.search(polls, screen)
    assert "Done: everything named frontgate-media is gone." in screen
    assert state(moto_url)["distributions"] == []


def test_aws_region_and_cloudfront_without_a_region(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """AWS_REGION is read as the AWS CLI reads it (botocore reads only AWS_DEFAULT_REGION),
    and CloudFront, a global service, needs no region at all."""
    from frontgate.aws.session import AwsSession

    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert AwsSession().region == "us-east-1"  # from AWS_REGION
    monkeypatch.delenv("AWS_REGION")
    assert AwsSession().region is None
    code, out, err = run_cli(["aws", "status", "--name", NAME], capsys)
    assert code == 0, err
    assert f"Nothing named {NAME} exists" in out


def test_teardown_leaves_a_lookalike_name_alone(
    moto_url: str, key_files: dict[str, Path], ec_key: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """rotate names keys NAME-xxxxxxxx; one only another key group holds is not NAME's."""
    from .test_keygroups import group, upload

    lookalike = f"{NAME}-0123abcd"
    other_key = upload(moto_url, ec_key, lookalike)
    other_group = group(moto_url, lookalike, [other_key])
    make_bucket(moto_url)
    assert run_cli([*setup_argv(key_files), "--endpoint-url", moto_url], capsys)[0] == 0
    argv = ["aws", "teardown", "--name", NAME, "--yes", "--wait", "--endpoint-url", moto_url]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, out + err
    after = state(moto_url)
    assert (after["public_keys"], after["key_groups"]) == ([other_key], [other_group])
