"""moto in server mode for the AWS tests: one server per session (in this process, on
a loopback port), reset per test.

Nothing here can reach real AWS: credentials are dummies, config files point nowhere,
and every client is given the moto endpoint.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from frontgate.aws.session import AwsSession
from frontgate.keys import PrivateKey, generate_private_key, private_pem, public_pem

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The URL of moto's server, run in this process on a loopback port for the session.

    In-process so that :mod:`tests.aws.emulation` can add the CloudFront calls
    moto lacks; every call still goes over HTTP.
    """
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from .emulation import install

    install()
    # one log line per request would land in the tests' captured stderr
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


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
def deploy_after(moto_url: str) -> Iterator[Callable[[int], None]]:
    """``deploy_after(n)``: after each create or update, the n-th read of a distribution is
    the first to see ``Deployed`` (moto's state manager); moto's default afterwards."""
    from .emulation import deploy_after as set_reads

    yield lambda reads: set_reads(moto_url, reads)
    set_reads(moto_url, None)


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
