"""kms:, secretsmanager: and ssm: key sources against moto (contract, "Key sources")."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from frontgate import Signer, Verifier
from frontgate.aws import KmsKey
from frontgate.aws.session import AwsSession
from frontgate.encoding import cf_b64decode
from frontgate.errors import BackendError, ConfigError, ErrorCode, FrontgateError, KeyLoadError
from frontgate.keys import PrivateKey, private_pem, public_pem

from .conftest import REGION, client, run_cli

NOW = 1767290400
URL = "https://d111111abcdef8.cloudfront.net/media/report.pdf"


def kms_key(moto_url: str, spec: str, usage: str = "SIGN_VERIFY") -> tuple[str, bytes]:
    """A new KMS key in moto: (key id, public key DER from GetPublicKey)."""
    kms = client(moto_url, "kms")
    key_id = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
    if usage != "SIGN_VERIFY":
        return key_id, b""
    return key_id, kms.get_public_key(KeyId=key_id)["PublicKey"]


def signature_of(url: str) -> tuple[bytes, bytes]:
    """(the signed policy bytes of a canned URL, its signature)."""
    query = parse_qs(urlsplit(url).query)
    base = url.split("?")[0]
    policy = (
        '{"Statement":[{"Resource":"%s","Condition":{"DateLessThan":{"AWS:EpochTime":%s}}}]}'
        % (base, query["Expires"][0])
    )
    return policy.encode(), cf_b64decode(query["Signature"][0])


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256"], ids=["R18-rsa", "R19-ecdsa"])
def test_r20_kms_signs_sha256_urls_that_verify(moto_url: str, spec: str) -> None:
    key_id, der = kms_key(moto_url, spec)
    signer = Signer.from_source(f"kms:{key_id}", key_pair_id="K2JCJMDEHXQW5F")
    assert signer.hash_algorithm == "SHA256"
    assert "KMS" in repr(signer)
    url = signer.sign_url(URL, expires_at=NOW + 300, now=NOW)
    assert url.endswith("&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256")
    # cryptography, with the public key exactly as KMS GetPublicKey returns it
    public = serialization.load_der_public_key(der)
    data, signature = signature_of(url)
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    # and frontgate's verifier, as an edge holding that public key would judge it
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    decision = Verifier({"K2JCJMDEHXQW5F": pem}).verify_url(url, now=NOW)
    assert decision.allowed, decision.message


def test_r20_kms_custom_policy_and_cookies(moto_url: str) -> None:
    key_id, _ = kms_key(moto_url, "ECC_NIST_P256")
    signer = Signer.from_source(f"kms:{key_id}", key_pair_id="K2JCJMDEHXQW5F")
    verifier = Verifier({"K2JCJMDEHXQW5F": signer.public_key()})
    url = signer.sign_url(URL, expires_in=60, ip_address="192.0.2.0/24", now=NOW)
    assert verifier.verify_url(url, client_ip="192.0.2.9", now=NOW).allowed
    cookies = signer.sign_cookies(
        "https://d111111abcdef8.cloudfront.net/media/*", expires_in=60, now=NOW
    )
    assert cookies["CloudFront-Hash-Algorithm"] == "SHA256"
    assert verifier.verify_cookies(URL, cookies, now=NOW).allowed


def test_r20_kms_sha1_is_refused(moto_url: str) -> None:
    key_id, _ = kms_key(moto_url, "RSA_2048")
    with pytest.raises(ConfigError) as caught:
        Signer.from_source(f"kms:{key_id}", key_pair_id="K2JCJMDEHXQW5F", hash_algorithm="SHA1")
    assert caught.value.code is ErrorCode.CONFIG_CONFLICT
    assert "KMS has no SHA-1" in caught.value.message
    assert "SHA256" in caught.value.message
    # also when the key object is handed to the Signer directly
    with pytest.raises(ConfigError, match="KMS has no SHA-1"):
        Signer(KmsKey(key_id), "K2JCJMDEHXQW5F", hash_algorithm="SHA1")


def test_r20_cli_sign_with_kms_sha1_exits_2(
    moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id, _ = kms_key(moto_url, "RSA_2048")
    argv = ["sign", "--url", URL, "--key-pair-id", "K2JCJMDEHXQW5F"]
    argv += ["--private-key", f"kms:{key_id}", "--date-less-than", str(NOW + 60), "--now", str(NOW)]
    code, out, err = run_cli([*argv, "--hash-algorithm", "SHA1"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("frontgate: config-conflict: KMS has no SHA-1")
    assert err.count("\n") == 1
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    assert out.strip().endswith("Hash-Algorithm=SHA256")


@pytest.mark.parametrize(
    ("spec", "found"),
    [("RSA_4096", "RSA_4096"), ("ECC_NIST_P384", "ECC_NIST_P384")],
    ids=["R17-rsa-4096", "R17-p384"],
)
def test_r17_kms_key_spec_refused(moto_url: str, spec: str, found: str) -> None:
    key_id, _ = kms_key(moto_url, spec)
    with pytest.raises(KeyLoadError) as caught:
        KmsKey(key_id)
    assert caught.value.code is ErrorCode.KEY_UNSUPPORTED
    assert found in caught.value.message


def test_kms_errors_carry_the_aws_code(moto_url: str) -> None:
    with pytest.raises(BackendError) as caught:
        KmsKey("alias/does-not-exist")
    assert caught.value.code is ErrorCode.KMS_FAILED
    assert "NotFoundException" in caught.value.message
    assert "alias/does-not-exist" in caught.value.message
    symmetric, _ = kms_key(moto_url, "SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT")
    with pytest.raises(FrontgateError) as caught_sym:
        KmsKey(symmetric)
    assert symmetric in caught_sym.value.message


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256"])
def test_kms_digest_beyond_4096_bytes(moto_url: str, spec: str) -> None:
    # KMS takes a RAW message up to 4,096 bytes and a SHA-256 DIGEST beyond; moto's Sign
    # ignores MessageType, so its DIGEST handling is emulated (tests/aws/emulation.py)
    kms = client(moto_url, "kms")
    key_id = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    sent: list[str] = []
    aws = AwsSession(endpoint_url=moto_url, region=REGION)
    aws.kms.meta.events.register(
        "provide-client-params.kms.Sign", lambda params, **_: sent.append(params["MessageType"])
    )
    sign = KmsKey(key_id, aws=aws).signer_for("SHA256")
    for size in (4096, 4097, 100_000):
        message = bytes([size % 251]) * size
        signature = sign(message)
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    # the self-check at load, then RAW up to 4,096 bytes and DIGEST beyond
    assert sent == ["RAW", "RAW", "DIGEST", "DIGEST"]


# ---------------------------------------------------------------------------
# Secrets Manager and SSM


def _put_secret(moto_url: str, name: str, **value: Any) -> None:
    client(moto_url, "secretsmanager").create_secret(Name=name, **value)


def _signs(signer: Signer, key: PrivateKey) -> bool:
    url = signer.sign_url(URL, expires_at=NOW + 60, now=NOW)
    return Verifier({"K2JCJMDEHXQW5F": public_pem(key)}).verify_url(url, now=NOW).allowed


@pytest.mark.parametrize(
    ("stored", "suffix"),
    [
        (lambda pem: {"SecretString": pem}, ""),
        (lambda pem: {"SecretString": json.dumps({"user": "cdn", "key": pem})}, "#key"),
        (lambda pem: {"SecretString": json.dumps({"user": "cdn", "private_key": pem})}, ""),
        (lambda pem: {"SecretBinary": pem.encode()}, ""),
        (lambda pem: {"SecretString": pem.replace("\n", "\\n")}, ""),
    ],
    ids=["pem", "json-member", "json-one-pem", "binary", "R48-escaped-newlines"],
)
def test_secretsmanager_source(
    moto_url: str, rsa_key: PrivateKey, stored: Any, suffix: str
) -> None:
    _put_secret(moto_url, "cdn/signing", **stored(private_pem(rsa_key).decode()))
    signer = Signer.from_source(f"secretsmanager:cdn/signing{suffix}", key_pair_id="K2JCJMDEHXQW5F")
    assert signer.hash_algorithm == "SHA1"
    assert _signs(signer, rsa_key)


def test_secretsmanager_is_read_once(moto_url: str, ec_key: PrivateKey) -> None:
    _put_secret(moto_url, "once", SecretString=private_pem(ec_key).decode())
    signer = Signer.from_source("secretsmanager:once", key_pair_id="K2JCJMDEHXQW5F")
    client(moto_url, "secretsmanager").delete_secret(
        SecretId="once", ForceDeleteWithoutRecovery=True
    )
    assert _signs(signer, ec_key)
    assert _signs(signer, ec_key)


def test_secretsmanager_encrypted_pem_with_passphrase(moto_url: str, rsa_key: PrivateKey) -> None:
    _put_secret(moto_url, "enc", SecretString=private_pem(rsa_key, "s3cret").decode())
    signer = Signer.from_source(
        "secretsmanager:enc", key_pair_id="K2JCJMDEHXQW5F", passphrase="s3cret"
    )
    assert _signs(signer, rsa_key)


@pytest.mark.parametrize(
    ("value", "reference", "code", "words"),
    [
        ({"a": "x", "b": "y"}, "s", ErrorCode.SOURCE_UNREADABLE, "members: a, b"),
        ({"one": "PEM", "two": "PEM"}, "s", ErrorCode.CONFIG_CONFLICT, "one, two"),
        ({"one": "PEM"}, "s#other", ErrorCode.CONFIG_INVALID, "no text member 'other'"),
    ],
    ids=["json-no-pem", "json-two-pems", "json-missing-member"],
)
def test_secretsmanager_json_refusals(
    moto_url: str,
    rsa_key: PrivateKey,
    value: dict[str, str],
    reference: str,
    code: ErrorCode,
    words: str,
) -> None:
    pem = private_pem(rsa_key).decode()
    document = {k: (pem if v == "PEM" else v) for k, v in value.items()}
    _put_secret(moto_url, "s", SecretString=json.dumps(document))
    with pytest.raises(ConfigError) as caught:
        Signer.from_source(f"secretsmanager:{reference}", key_pair_id="K2JCJMDEHXQW5F")
    assert caught.value.code is code
    assert words in caught.value.message
    assert "BEGIN" not in str(caught.value)
    assert "BEGIN" not in repr(caught.value)


def test_secretsmanager_missing_secret_has_aws_code_and_no_secret(moto_url: str) -> None:
    with pytest.raises(BackendError) as caught:
        Signer.from_source("secretsmanager:nope", key_pair_id="K2JCJMDEHXQW5F")
    assert caught.value.code is ErrorCode.AWS_FAILED
    assert "ResourceNotFoundException" in caught.value.message
    assert "GetSecretValue" in caught.value.message


def test_secret_that_is_not_a_key_names_the_source(moto_url: str) -> None:
    _put_secret(moto_url, "text", SecretString="hunter2")
    with pytest.raises(KeyLoadError) as caught:
        Signer.from_source("secretsmanager:text", key_pair_id="K2JCJMDEHXQW5F")
    assert caught.value.message.startswith("secretsmanager:text: ")
    assert "hunter2" not in caught.value.message


def test_ssm_securestring_source(moto_url: str, ec_key: PrivateKey) -> None:
    client(moto_url, "ssm").put_parameter(
        Name="/cdn/private-key", Value=private_pem(ec_key).decode(), Type="SecureString"
    )
    signer = Signer.from_source("ssm:/cdn/private-key", key_pair_id="K2JCJMDEHXQW5F")
    assert _signs(signer, ec_key)


def test_ssm_missing_parameter(moto_url: str) -> None:
    with pytest.raises(BackendError, match="ParameterNotFound"):
        Signer.from_source("ssm:/cdn/none", key_pair_id="K2JCJMDEHXQW5F")


def test_cli_sign_with_ssm_source_subprocess(
    moto_url: str, ec_key: PrivateKey, subprocess_env: dict[str, str]
) -> None:
    from .conftest import run_subprocess

    client(moto_url, "ssm").put_parameter(
        Name="/cdn/k", Value=private_pem(ec_key).decode(), Type="SecureString"
    )
    argv = ["sign", "--url", URL, "--key-pair-id", "K2JCJMDEHXQW5F", "--private-key", "ssm:/cdn/k"]
    done = run_subprocess([*argv, "--date-less-than", str(NOW + 60)], subprocess_env)
    assert done.returncode == 0, done.stderr
    decision = Verifier({"K2JCJMDEHXQW5F": public_pem(ec_key)}).verify_url(
        done.stdout.strip(), now=NOW
    )
    assert decision.allowed


def test_region_comes_from_an_arn() -> None:
    from frontgate.aws.session import region_from_arn

    assert region_from_arn("arn:aws:secretsmanager:eu-west-3:1:secret:x") == "eu-west-3"


@pytest.mark.parametrize("scheme", ["kms", "secretsmanager", "ssm"])
def test_framework_config_private_key_accepts_aws_sources(
    moto_url: str, ec_key: PrivateKey, scheme: str
) -> None:
    from frontgate import Distribution

    if scheme == "kms":
        source = "kms:" + kms_key(moto_url, "ECC_NIST_P256")[0]
    elif scheme == "secretsmanager":
        _put_secret(moto_url, "cfg", SecretString=json.dumps({"pem": private_pem(ec_key).decode()}))
        source = "secretsmanager:cfg"
    else:
        client(moto_url, "ssm").put_parameter(
            Name="cfg", Value=private_pem(ec_key).decode(), Type="SecureString"
        )
        source = "ssm:cfg"
    cdn = Distribution.from_config(
        {
            "KEY_PAIR_ID": "K2JCJMDEHXQW5F",
            "PRIVATE_KEY": source,
            "BASE_URL": "https://d111111abcdef8.cloudfront.net",
        }
    )
    url = cdn.url("media/report.pdf", filename="report.pdf", attachment=True)
    assert ("Hash-Algorithm=SHA256" in url) is (scheme == "kms")
    assert "response-content-disposition=" in url
