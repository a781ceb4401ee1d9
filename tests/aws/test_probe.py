"""``check --probe``: each outcome of a live request translated into its cause.

The success path and CloudFront's own refusals come from a real ``frontgate edge``
(test_lifecycle.py and below). The failures a distribution in front of S3 shows are
played by small HTTP servers on loopback that answer as CloudFront and S3 do (R40,
R41; S3's XML errors with ``Server: AmazonS3``, ``RequestId`` and ``HostId``): which
answer goes to which request is decided with frontgate's verifier.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from frontgate.aws.probe import probe, tamper
from frontgate.keys import PrivateKey, generate_private_key
from frontgate.responses import EdgeResponse, error_response, not_found
from frontgate.signer import Signer
from frontgate.verify import Verifier

from .conftest import run_cli
from .test_keygroups import distribution, group, upload
from .test_lifecycle import edge, origin_with_object

KID = "K2JCJMDEHXQW5F"
PATH = "/docs/a.pdf"
Kind = str  # "signed", "unsigned" or "tampered"


def s3_error(status: int, code: str, message: str, key: str | None = None) -> EdgeResponse:
    """An error as S3 writes it (CloudFront passes it on as it is)."""
    extra = f"<Key>{escape(key)}</Key>" if key else ""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message>{extra}<RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>dGVzdA==</HostId></Error>"
    ).encode()
    headers = [("Server", "AmazonS3"), ("Content-Type", "application/xml")]
    headers += [("X-Cache", "Error from cloudfront"), ("x-amz-request-id", "4442587FB7D0A2F9")]
    return EdgeResponse(status, headers, body)


def served() -> EdgeResponse:
    headers = [("Server", "AmazonS3"), ("Content-Range", "bytes 0-0/18")]
    return EdgeResponse(206, headers, b"%")


@contextmanager
def stand_in(
    key: PrivateKey, answers: Callable[[Kind], EdgeResponse], kid: str = KID
) -> Iterator[str]:
    """An HTTP server on loopback answering ``answers(kind of request)``."""
    verifier = Verifier({kid: key})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = f"http://{self.headers['Host']}{self.path}"
            if "Signature=" not in self.path:
                kind = "unsigned"
            else:
                kind = "signed" if verifier.verify_url(url) else "tampered"
            answer = answers(kind)
            self.send_response(answer.status)
            for name, value in answer.headers:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return generate_private_key("ecdsa")


@pytest.fixture(scope="module")
def signer(key: PrivateKey) -> Signer:
    return Signer(key, KID, hash_algorithm="SHA256")


def cloudfront(kind: Kind) -> EdgeResponse:
    """CloudFront's refusals of the unsigned and tampered requests (R41)."""
    return error_response("MissingKey" if kind == "unsigned" else "AccessDenied")


def meanings(base_url: str, signer: Signer) -> dict[str, tuple[bool, str]]:
    report = probe(base_url, PATH, signer)
    return {a.label: (a.ok, a.meaning) for a in report.attempts}


def test_s3_refusing_cloudfront_means_oac_or_bucket_policy(key: PrivateKey, signer: Signer) -> None:
    def answers(kind: Kind) -> EdgeResponse:
        if kind == "signed":
            return s3_error(403, "AccessDenied", "Access Denied")
        return cloudfront(kind)

    with stand_in(key, answers) as url:
        found = meanings(url, signer)
    ok, meaning = found["signed"]
    assert not ok
    assert "S3 itself refused it (AccessDenied from S3)" in meaning
    assert "origin access control or the bucket policy is wrong" in meaning
    assert found["unsigned"] == (True, "refused (403 MissingKey), as it must be")
    assert found["tampered"] == (True, "refused (403 AccessDenied), as it must be")


def test_missing_object_names_the_key(key: PrivateKey, signer: Signer) -> None:
    def answers(kind: Kind) -> EdgeResponse:
        if kind == "signed":
            return s3_error(404, "NoSuchKey", "The specified key does not exist.", "docs/a.pdf")
        return cloudfront(kind)

    with stand_in(key, answers) as url:
        ok, meaning = meanings(url, signer)["signed"]
    assert not ok
    assert "the bucket has no object 'docs/a.pdf' (NoSuchKey)" in meaning


def test_a_behaviour_without_signing_serves_everyone(key: PrivateKey, signer: Signer) -> None:
    with stand_in(key, lambda kind: served()) as url:
        found = meanings(url, signer)
    assert found["signed"] == (True, "served (206)")
    for label, what in (("unsigned", "without a signature"), ("tampered", "with a tampered")):
        ok, meaning = found[label]
        assert not ok
        assert meaning.startswith(f"served {what}")
        assert "does not require signing" in meaning
    # unsigned passed on to S3, which refuses it for its own reasons: still not signing
    with stand_in(
        key, lambda kind: served() if kind == "signed" else s3_error(403, "AccessDenied", "x")
    ) as url:
        ok, meaning = meanings(url, signer)["unsigned"]
    assert not ok
    assert "CloudFront passed the unsigned request on to S3" in meaning


def test_tls_failure_means_not_deployed_yet(key: PrivateKey, signer: Signer) -> None:
    # a plain-HTTP server spoken to with TLS: the handshake fails as on a new domain
    with stand_in(key, cloudfront) as url:
        report = probe(url.replace("http://", "https://"), PATH, signer)
    assert [a.label for a in report.attempts] == ["signed"]  # no point in the other two
    assert report.attempts[0].answer.status is None
    assert "TLS with 127.0.0.1 failed" in report.attempts[0].meaning
    assert "not deployed yet" in report.attempts[0].meaning


def test_dns_failure_means_not_deployed_yet(signer: Signer) -> None:
    report = probe("https://d1234abcd.frontgate-probe.invalid", PATH, signer)
    (attempt,) = report.attempts
    assert not report.ok
    assert "the name d1234abcd.frontgate-probe.invalid does not resolve" in attempt.meaning
    assert "not deployed yet" in attempt.meaning


def test_cloudfront_refusals_explained_by_the_verifier(
    key: PrivateKey, signer: Signer, tmp_path: Path, key_files: dict[str, Path]
) -> None:
    """A real edge: trusting another key under the id (AccessDenied), or not the id."""
    origin = origin_with_object(tmp_path)
    with edge(origin, {KID: key_files["ec.pub"]}) as url:
        found = meanings(url, signer)
    ok, meaning = found["signed"]
    assert not ok
    assert meaning.startswith("CloudFront refused the signed URL (AccessDenied) (the edge says:")
    assert f"the public key uploaded as {KID} is not this key's" in meaning
    with edge(origin, {"KOTHER0000000": key_files["ec.pub"]}) as url:
        ok, meaning = meanings(url, signer)["signed"]
    assert "(InvalidKey)" in meaning
    assert f"trusts the key {KID}" in meaning
    # a URL the verifier itself refuses: the verifier's reason is the cause
    late = Signer(key, KID, hash_algorithm="SHA256", clock=lambda: 1_000_000_000.0)
    with edge(origin, {KID: key_files["ec.pub"]}) as url:
        ok, meaning = meanings(url, late)["signed"]
    assert "expired" in meaning.lower()


def test_tamper_changes_only_the_signature() -> None:
    url = "https://d.example/a.pdf?Expires=2000000000&Signature=AAAA~BBBB&Key-Pair-Id=K1"
    changed = tamper(url)
    assert changed != url
    assert len(changed) == len(url)
    assert changed.startswith("https://d.example/a.pdf?Expires=2000000000&Signature=")
    assert changed.endswith("&Key-Pair-Id=K1")


def test_check_probe_exit_codes(
    moto_url: str,
    key_files: dict[str, Path],
    rsa_key: PrivateKey,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_id = upload(moto_url, rsa_key, "cdn")
    dist = distribution(moto_url, {"*": [group(moto_url, "cdn", [key_id])]})
    argv = ["aws", "check", "--distribution-id", dist, "--private-key", str(key_files["rsa.pem"])]
    argv += ["--key-pair-id", key_id, "--endpoint-url", moto_url, "--probe", PATH]

    def answers(kind: Kind) -> EdgeResponse:
        return not_found(PATH.lstrip("/")) if kind == "signed" else cloudfront(kind)

    with stand_in(rsa_key, answers, kid=key_id) as url:
        code, out, err = run_cli([*argv, "--base-url", url], capsys)
        assert code == 1, err
        # the configuration is right (the key is trusted); the live request is not
        assert "requires signing, trusts key groups" in out
        assert out.rstrip().splitlines()[-1] == (
            "NOT OK: the signed request: CloudFront let the request through, but the bucket "
            "has no object 'docs/a.pdf' (NoSuchKey): upload it or probe another path"
        )
        code, out, err = run_cli([*argv, "--base-url", url, "--json"], capsys)
    assert code == 1, err
    data = json.loads(out)
    assert data["ok"] is False
    assert [a["answer"] for a in data["probe"]["attempts"]] == [
        "404 NoSuchKey (S3)",
        "403 MissingKey (CloudFront)",
        "403 AccessDenied (CloudFront)",
    ]
    # a probe that cannot run at all: exit 2
    code, out, err = run_cli([*argv, "--base-url", "ftp://example"], capsys)
    assert code == 2, out


def test_check_probe_signs_with_a_kms_key(
    moto_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kms: key signs the probe with SHA256 (KMS has no SHA-1), served by a real edge."""
    from cryptography.hazmat.primitives import serialization

    from .conftest import client

    kms = client(moto_url, "kms")
    kms_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=kms_id)["PublicKey"])
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "kms.pub").write_bytes(pem)
    key_id = client(moto_url, "cloudfront").create_public_key(
        PublicKeyConfig={"CallerReference": "k", "Name": "kms", "EncodedKey": pem.decode()}
    )["PublicKey"]["Id"]
    dist = distribution(moto_url, {"*": [group(moto_url, "kms", [key_id])]})
    argv = ["aws", "check", "--distribution-id", dist, "--private-key", f"kms:{kms_id}"]
    argv += ["--key-pair-id", key_id, "--endpoint-url", moto_url, "--probe", PATH]
    with edge(origin_with_object(tmp_path), {key_id: tmp_path / "kms.pub"}) as url:
        code, out, err = run_cli([*argv, "--base-url", url, "--json"], capsys)
    assert code == 0, out + err
    attempts = json.loads(out)["probe"]["attempts"]
    assert [(a["request"], a["status"], a["ok"]) for a in attempts] == [
        ("signed", 206, True),
        ("unsigned", 403, True),
        ("tampered", 403, True),
    ]
