"""Signatures made outside frontgate verify: botocore's ``CloudFrontSigner`` and the
documented OpenSSL procedure (``openssl dgst -sha1 -sign``), run as real processes over
the exact policy bytes (R1, R3, R9, R18-R20); tampered ones are refused."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from frontgate.verify import Reason, Verifier
from tests.verify.conftest import (
    NOW,
    D,
    HashName,
    KeyName,
    canned_bytes,
    data_path,
    join,
    private_key,
)

URL = f"{D}/downloads/game.zip?edition=gold"
EXP = NOW + 3600
KEY_ID = {"rsa": "K2JCJMDEHXQW5F", "ec": "K4ECDSAP256KEY"}
HASHES = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}  # SHA1: CloudFront's default (R20)


def crypto_signer(kind: KeyName, hash_name: HashName = "SHA1") -> Callable[[bytes], bytes]:
    """The callback botocore asks for, written with cryptography as its docs show."""
    key = private_key(kind)
    algorithm = HASHES[hash_name]()
    if isinstance(key, rsa.RSAPrivateKey):
        return lambda message: key.sign(message, padding.PKCS1v15(), algorithm)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return lambda message: key.sign(message, ec.ECDSA(algorithm))


def when(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# -- botocore ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_r3_botocore_canned_url_verifies(verifier: Verifier, kind: KeyName) -> None:
    boto = CloudFrontSigner(KEY_ID[kind], crypto_signer(kind))
    url = boto.generate_presigned_url(URL, date_less_than=when(EXP))
    decision = verifier.verify_url(url, now=NOW)
    assert (decision.reason, decision.policy, decision.key_pair_id) == (
        Reason.OK,
        "canned",
        KEY_ID[kind],
    )
    assert verifier.verify_url(url, now=EXP).reason is Reason.EXPIRED
    tampered = url.replace("edition=gold", "edition=platinum")
    assert verifier.verify_url(tampered, now=NOW).reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_r9_botocore_custom_url_verifies(verifier: Verifier, kind: KeyName) -> None:
    boto = CloudFrontSigner(KEY_ID[kind], crypto_signer(kind))
    policy = boto.build_policy(
        f"{D}/downloads/*",
        when(EXP),
        date_greater_than=when(NOW - 60),
        ip_address="192.0.2.10",
    )
    url = boto.generate_presigned_url(URL, policy=policy)
    decision = verifier.verify_url(url, client_ip="192.0.2.10", now=NOW)
    assert decision.reason is Reason.OK
    assert (decision.policy_resource, decision.ip_address, decision.not_before) == (
        f"{D}/downloads/*",
        "192.0.2.10/32",
        NOW - 60,
    )
    assert verifier.verify_url(url, client_ip="192.0.2.11", now=NOW).reason is (Reason.IP_MISMATCH)
    other_path = url.replace("/downloads/", "/uploads/")
    assert verifier.verify_url(other_path, client_ip="192.0.2.10", now=NOW).reason is (
        Reason.RESOURCE_MISMATCH
    )
    # botocore's policy JSON re-encoded: one changed byte and the signature no longer fits
    head, _, rest = url.partition("Policy=")
    value, _, tail = rest.partition("&")
    tampered = f"{head}Policy={value[:20]}{'A' if value[20] != 'A' else 'B'}{value[21:]}&{tail}"
    assert verifier.verify_url(tampered, client_ip="192.0.2.10", now=NOW).reason in (
        Reason.BAD_SIGNATURE,
        Reason.MALFORMED_POLICY,
    )


def test_r20_botocore_with_a_sha256_callback(verifier: Verifier) -> None:
    boto = CloudFrontSigner(KEY_ID["ec"], crypto_signer("ec", "SHA256"))
    url = boto.generate_presigned_url(URL, date_less_than=when(EXP))
    assert verifier.verify_url(url + "&Hash-Algorithm=SHA256", now=NOW).reason is Reason.OK
    assert verifier.verify_url(url, now=NOW).reason is Reason.BAD_SIGNATURE


def test_r18_botocore_with_the_pure_python_rsa_package(verifier: Verifier) -> None:
    import rsa as pure_rsa

    key = pure_rsa.PrivateKey.load_pkcs1(
        subprocess.run(
            ["openssl", "rsa", "-in", str(data_path("rsa.pem")), "-traditional"],
            capture_output=True,
            check=True,
        ).stdout
    )
    boto = CloudFrontSigner(KEY_ID["rsa"], lambda m: pure_rsa.sign(m, key, "SHA-1"))
    url = boto.generate_presigned_url(URL, date_less_than=when(EXP))
    assert verifier.verify_url(url, now=NOW).reason is Reason.OK


# -- openssl, the documented procedure ----------------------------------------------------

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")


def openssl_sign(policy: bytes, kind: KeyName, hash_name: HashName, tmp: Path) -> str:
    """``cat policy | openssl dgst -sha1 -sign key | openssl base64 -A | tr '+=/' '-_~'``."""
    assert OPENSSL is not None
    source = tmp / "policy"
    source.write_bytes(policy)
    digest = "-sha1" if hash_name == "SHA1" else "-sha256"
    signature = subprocess.run(
        [OPENSSL, "dgst", digest, "-sign", str(data_path(f"{kind}.pem")), str(source)],
        capture_output=True,
        check=True,
    ).stdout
    encoded = subprocess.run(
        [OPENSSL, "base64", "-A"], input=signature, capture_output=True, check=True
    ).stdout
    return encoded.decode("ascii").strip().translate(str.maketrans("+=/", "-_~"))


def openssl_b64(data: bytes) -> str:
    assert OPENSSL is not None
    out = subprocess.run(
        [OPENSSL, "base64", "-A"], input=data, capture_output=True, check=True
    ).stdout
    return out.decode("ascii").strip().translate(str.maketrans("+=/", "-_~"))


@needs_openssl
@pytest.mark.parametrize("kind", ["rsa", "ec"])
@pytest.mark.parametrize("hash_name", ["SHA1", "SHA256"])
def test_r18_r19_openssl_canned_signature_verifies(
    verifier: Verifier, kind: KeyName, hash_name: HashName, tmp_path: Path
) -> None:
    signature = openssl_sign(canned_bytes(URL, EXP), kind, hash_name, tmp_path)
    if kind == "ec":
        assert signature.startswith("ME")  # DER SEQUENCE, as R19 says
    tail = "&Hash-Algorithm=SHA256" if hash_name == "SHA256" else ""
    url = join(URL, f"Expires={EXP}&Signature={signature}&Key-Pair-Id={KEY_ID[kind]}{tail}")
    decision = verifier.verify_url(url, now=NOW)
    assert (decision.reason, decision.hash_algorithm) == (Reason.OK, hash_name)
    for tampered in (
        url.replace("game.zip", "game.ZIP"),
        url.replace(f"Expires={EXP}", f"Expires={EXP + 1}"),
        url.replace("https://", "http://"),
    ):
        assert verifier.verify_url(tampered, now=NOW).reason is Reason.BAD_SIGNATURE


AWS_STYLE_POLICY = (
    "{ \r\n"
    '   "Statement": [{ \r\n'
    f'      "Resource":"{D}/downloads/*", \r\n'
    '      "Condition":{ \r\n'
    '         "IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}, \r\n'
    f'         "DateLessThan":{{"AWS:EpochTime":{EXP}}}\r\n'
    "      } \r\n"
    "   }] \r\n"
    "}"
).encode()


@needs_openssl
@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_r9_openssl_custom_policy_with_whitespace_verifies(
    verifier: Verifier, kind: KeyName, tmp_path: Path
) -> None:
    signature = openssl_sign(AWS_STYLE_POLICY, kind, "SHA1", tmp_path)
    url = join(
        URL,
        f"Policy={openssl_b64(AWS_STYLE_POLICY)}&Signature={signature}&Key-Pair-Id={KEY_ID[kind]}",
    )
    assert verifier.verify_url(url, client_ip="192.0.2.1", now=NOW).reason is Reason.OK
    compact = AWS_STYLE_POLICY.replace(b" ", b"").replace(b"\r\n", b"")
    forged = url.replace(openssl_b64(AWS_STYLE_POLICY), openssl_b64(compact))
    assert verifier.verify_url(forged, client_ip="192.0.2.1", now=NOW).reason is (
        Reason.BAD_SIGNATURE
    )


@needs_openssl
def test_r19_openssl_signature_under_the_wrong_key_id(verifier: Verifier, tmp_path: Path) -> None:
    signature = openssl_sign(canned_bytes(URL, EXP), "ec", "SHA1", tmp_path)
    url = join(URL, f"Expires={EXP}&Signature={signature}&Key-Pair-Id={KEY_ID['rsa']}")
    decision = verifier.verify_url(url, now=NOW)
    assert decision.reason is Reason.BAD_SIGNATURE
    assert KEY_ID["ec"] in decision.message
