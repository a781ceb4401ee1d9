"""moto in server mode for the AWS tests: one subprocess per session, reset per test.

Nothing here can reach real AWS: credentials are dummies, config files point nowhere,
and every client is given the moto endpoint.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from frontgate.aws.session import AwsSession
from frontgate.keys import PrivateKey, generate_private_key, private_pem, public_pem

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_command() -> list[str]:
    beside = Path(sys.executable).with_name("moto_server")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("moto_server")
    if found is None:  # pragma: no cover - moto[server] is a dev dependency
        pytest.skip("moto_server (moto[server]) is not installed")
    return [found]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The URL of a moto server started for this test session (stopped by pid)."""
    port = _free_port()
    process = subprocess.Popen(
        [*_moto_command(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def aws_env(moto_url: str, tmp: Path) -> dict[str, str]:
    """Environment for anything that talks to moto (this process or a subprocess)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(autouse=True)
def _moto_env(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Dummy credentials and a clean moto for every test."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    env = aws_env(moto_url, tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return env


@pytest.fixture
def subprocess_env(_moto_env: dict[str, str]) -> dict[str, str]:
    """os.environ plus the moto settings, for `python -m frontgate` subprocesses."""
    return {**os.environ, **_moto_env}


@pytest.fixture
def aws(moto_url: str) -> AwsSession:
    """A session against moto."""
    return AwsSession(region=REGION, endpoint_url=moto_url)


def client(moto_url: str, service: str) -> Any:
    """A plain boto3 client against moto, for arranging and inspecting state."""
    return boto3.client(service, region_name=REGION, endpoint_url=moto_url)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def rsa_key() -> PrivateKey:
    return generate_private_key("rsa")


@pytest.fixture(scope="session")
def ec_key() -> PrivateKey:
    return generate_private_key("ecdsa")


@pytest.fixture(scope="session")
def key_files(
    tmp_path_factory: pytest.TempPathFactory, rsa_key: PrivateKey, ec_key: PrivateKey
) -> dict[str, Path]:
    """PEM files: rsa.pem / rsa.pub, ec.pem / ec.pub."""
    folder = tmp_path_factory.mktemp("keys")
    files = {}
    for label, key in (("rsa", rsa_key), ("ec", ec_key)):
        files[f"{label}.pem"] = folder / f"{label}.pem"
        files[f"{label}.pem"].write_bytes(private_pem(key))
        files[f"{label}.pub"] = folder / f"{label}.pub"
        files[f"{label}.pub"].write_bytes(public_pem(key))
    return files


# ---------------------------------------------------------------------------
# Operations moto 5.2 lacks: CloudFront cache policies, origin request policies and
# UpdateKeyGroup (its server answers 404 / 500). Those calls alone go to botocore's
# Stubber, which checks each request against the CloudFront API model; everything else
# stays real (moto).

STUBBED_OPERATIONS = frozenset(
    {
        "list_cache_policies",
        "create_cache_policy",
        "list_origin_request_policies",
        "create_origin_request_policy",
        "update_key_group",
    }
)


class CloudFrontWithStubs:
    """moto's CloudFront client, except :data:`STUBBED_OPERATIONS`, served by a Stubber."""

    def __init__(self, real: Any, stubbed: Any) -> None:
        self._real = real
        self._stubbed = stubbed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stubbed if name in STUBBED_OPERATIONS else self._real, name)


class PolicyStubs:
    """Queues the responses CloudFront would give to the stubbed operations."""

    def __init__(self, stubber: Stubber) -> None:
        self.stubber = stubber
        #: (operation, parameters) of every call the stub answered
        self.sent: list[tuple[str, dict[str, Any]]] = []
        stubber.client.meta.events.register("before-parameter-build.cloudfront", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.sent.append((str(model.name), dict(params)))

    def _policy_config(self, name: str) -> dict[str, Any]:
        return {
            "Name": name,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {
                "QueryStringBehavior": "whitelist",
                "QueryStrings": {
                    "Quantity": 2,
                    "Items": ["response-content-disposition", "response-content-type"],
                },
            },
        }

    def _cache_config(self, name: str) -> dict[str, Any]:
        config = self._policy_config(name)
        return {
            "Name": name,
            "MinTTL": 0,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": True,
                "HeadersConfig": config["HeadersConfig"],
                "CookiesConfig": config["CookiesConfig"],
                "QueryStringsConfig": config["QueryStringsConfig"],
            },
        }

    def first_run(self, name: str) -> None:
        """Nothing exists: list (empty), then create, for both policies."""
        now = datetime.now(UTC)
        self.stubber.add_response(
            "list_origin_request_policies",
            {"OriginRequestPolicyList": {"MaxItems": 100, "Quantity": 0}},
            {"Type": "custom"},
        )
        self.stubber.add_response(
            "create_origin_request_policy",
            {
                "OriginRequestPolicy": {
                    "Id": "orp-" + name,
                    "LastModifiedTime": now,
                    "OriginRequestPolicyConfig": self._policy_config(name),
                },
                "ETag": "E1",
            },
        )
        self.stubber.add_response(
            "list_cache_policies",
            {"CachePolicyList": {"MaxItems": 100, "Quantity": 0}},
            {"Type": "custom"},
        )
        self.stubber.add_response(
            "create_cache_policy",
            {
                "CachePolicy": {
                    "Id": "cp-" + name,
                    "LastModifiedTime": now,
                    "CachePolicyConfig": self._cache_config(name),
                },
                "ETag": "E2",
            },
        )

    def existing(self, name: str) -> None:
        """Both policies exist (a second run): list only."""
        now = datetime.now(UTC)
        self.stubber.add_response(
            "list_origin_request_policies",
            {
                "OriginRequestPolicyList": {
                    "MaxItems": 100,
                    "Quantity": 1,
                    "Items": [
                        {
                            "Type": "custom",
                            "OriginRequestPolicy": {
                                "Id": "orp-" + name,
                                "LastModifiedTime": now,
                                "OriginRequestPolicyConfig": self._policy_config(name),
                            },
                        }
                    ],
                }
            },
            {"Type": "custom"},
        )
        self.stubber.add_response(
            "list_cache_policies",
            {
                "CachePolicyList": {
                    "MaxItems": 100,
                    "Quantity": 1,
                    "Items": [
                        {
                            "Type": "custom",
                            "CachePolicy": {
                                "Id": "cp-" + name,
                                "LastModifiedTime": now,
                                "CachePolicyConfig": self._cache_config(name),
                            },
                        }
                    ],
                }
            },
            {"Type": "custom"},
        )

    def update_key_group(
        self, group_id: str, name: str, items: list[str] | None, comment: str | None = None
    ) -> None:
        """Expect UpdateKeyGroup with exactly these keys (None: any, see :attr:`sent`)."""
        config: Any = {"Name": name, "Items": items} if items is not None else ANY
        if comment is not None:
            config["Comment"] = comment
        self.stubber.add_response(
            "update_key_group",
            {
                "KeyGroup": {
                    "Id": group_id,
                    "LastModifiedTime": datetime.now(UTC),
                    "KeyGroupConfig": {"Name": name, "Items": items or ["K"]},
                },
                "ETag": "E3",
            },
            {
                "Id": group_id,
                "IfMatch": ANY,
                "KeyGroupConfig": config,
            },
        )


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Iterator[PolicyStubs]:
    """Route the operations moto lacks to a Stubber, for every AwsSession of the test."""
    stubbed = boto3.client(
        "cloudfront",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(stubbed)
    original: Callable[[AwsSession, str], Any] = AwsSession.client

    def client_with_stubs(self: AwsSession, service: str) -> Any:
        made = original(self, service)
        if service != "cloudfront" or isinstance(made, CloudFrontWithStubs):
            return made
        if self.read_only:
            from frontgate.aws.session import _refuse_writes

            stubbed.meta.events.register("before-call", _refuse_writes)
        wrapped = CloudFrontWithStubs(made, stubbed)
        self._clients["cloudfront"] = wrapped
        return wrapped

    # the seam is AwsSession.client: the CLI builds its own sessions from argv
    monkeypatch.setattr(AwsSession, "client", client_with_stubs)
    with stubber:
        yield PolicyStubs(stubber)
        stubber.assert_no_pending_responses()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``frontgate ARGV`` in this process; return (exit code, stdout, stderr)."""
    from frontgate.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m frontgate ARGV`` in a subprocess (real exit codes)."""
    return subprocess.run(
        [sys.executable, "-m", "frontgate", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
