"""frontgate.compat.botocore.CloudFrontSigner: a drop-in for botocore's, same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.signers import CloudFrontSigner as BotocoreSigner

from frontgate.compat.botocore import CloudFrontSigner
from frontgate.encoding import cf_b64decode
from frontgate.errors import ConfigError, ErrorCode, FrontgateWarning, InputError
from frontgate.keys import load_public_key, verify_signature
from frontgate.policy import Policy
from frontgate.signer import Signer
from tests.conftest import KEY_PAIR_ID, NOW, private_pem, public_pem
from tests.test_botocore_parity import rsa_sha1

D = "https://d111111abcdef8.cloudfront.net"
URL = f"{D}/image.jpg?color=red&size=medium"
BOTOCORE = BotocoreSigner(KEY_PAIR_ID, rsa_sha1)
COMPAT = CloudFrontSigner(KEY_PAIR_ID, rsa_sha1)
NAIVE = datetime(2026, 1, 1, 18, 0)  # botocore reads it as UTC


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(NAIVE, id="naive-is-utc"),
        pytest.param(datetime(2026, 1, 1, 18, 0, tzinfo=UTC), id="aware-utc"),
        pytest.param(datetime(2026, 1, 1, 19, 0, tzinfo=timezone(timedelta(hours=1))), id="offset"),
        pytest.param(NAIVE + timedelta(microseconds=999999), id="R45-fraction-floored"),
    ],
)
def test_canned_equals_botocore(when: datetime) -> None:
    expected = BOTOCORE.generate_presigned_url(URL, date_less_than=when)
    assert COMPAT.generate_presigned_url(URL, date_less_than=when) == expected
    assert "Expires=1767290400&" in expected


@pytest.mark.parametrize(
    ("resource", "start", "ip"),
    [
        pytest.param(URL, None, None, id="exact"),
        pytest.param(f"{D}/*", NAIVE - timedelta(hours=1), None, id="start"),
        pytest.param(f"{D}/*", None, "192.0.2.1", id="bare-ip"),
        pytest.param(f"{D}/image.jpg?*", NAIVE - timedelta(days=1), "198.51.100.0/24", id="all"),
    ],
)
def test_custom_equals_botocore(resource: str, start: datetime | None, ip: str | None) -> None:
    policy = BOTOCORE.build_policy(resource, NAIVE, date_greater_than=start, ip_address=ip)
    assert COMPAT.build_policy(resource, NAIVE, date_greater_than=start, ip_address=ip) == policy
    expected = BOTOCORE.generate_presigned_url(URL, policy=policy)
    assert COMPAT.generate_presigned_url(URL, policy=policy) == expected
    assert COMPAT.generate_presigned_url(URL, policy=policy.encode()) == expected


def test_same_positional_signatures() -> None:
    policy = COMPAT.build_policy(f"{D}/*", NAIVE, NAIVE - timedelta(hours=1), "10.0.0.0/8")
    assert COMPAT.generate_presigned_url(URL, None, policy) == BOTOCORE.generate_presigned_url(
        URL, None, policy
    )
    assert COMPAT.key_id == KEY_PAIR_ID
    assert COMPAT.rsa_signer is rsa_sha1


def test_epoch_numbers_accepted() -> None:
    expected = BOTOCORE.generate_presigned_url(URL, date_less_than=NAIVE)
    assert COMPAT.generate_presigned_url(URL, date_less_than=NOW) == expected


def test_lone_trailing_question_mark_kept_as_botocore_does() -> None:
    url = f"{D}/a.jpg?"
    assert COMPAT.generate_presigned_url(url, NAIVE) == BOTOCORE.generate_presigned_url(url, NAIVE)


def test_with_a_frontgate_rsa_sha1_signer_same_bytes() -> None:
    compat = CloudFrontSigner(KEY_PAIR_ID, Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID))
    assert compat.generate_presigned_url(URL, date_less_than=NAIVE) == (
        BOTOCORE.generate_presigned_url(URL, date_less_than=NAIVE)
    )


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
def test_r20_with_a_frontgate_sha256_signer(kind: str) -> None:
    signer = Signer.from_pem(
        private_pem("rsa" if kind == "rsa" else "ecdsa"), KEY_PAIR_ID, hash_algorithm="SHA256"
    )
    compat = CloudFrontSigner(KEY_PAIR_ID, signer)
    assert repr(compat) == "CloudFrontSigner(key_id='K2JCJMDEHXQW5F', hash_algorithm='SHA256')"
    url = compat.generate_presigned_url(URL, date_less_than=NAIVE)
    assert url.endswith("&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256")
    signature = url.split("&Signature=")[1].split("&")[0]
    key = load_public_key(public_pem("rsa" if kind == "rsa" else "ecdsa"))
    data = Policy(URL, NOW).to_bytes()
    assert verify_signature(key, cf_b64decode(signature), data, "SHA256")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        pytest.param({}, ErrorCode.POLICY_INVALID, id="neither"),
        pytest.param(
            {"date_less_than": NAIVE, "policy": "{}"}, ErrorCode.POLICY_INVALID, id="both"
        ),
        pytest.param({"policy": '{"Statement":[]}'}, ErrorCode.POLICY_INVALID, id="R8-malformed"),
        pytest.param({"date_less_than": NOW * 1000}, ErrorCode.TIME_INVALID, id="R5-milliseconds"),
    ],
)
def test_refusals_are_value_errors(kwargs: dict[str, object], code: ErrorCode) -> None:
    with pytest.raises(ValueError) as info:
        COMPAT.generate_presigned_url(URL, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, InputError)
    assert info.value.code is code


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://D111111abcdef8.cloudfront.net/a", id="R26-host-case"),
        pytest.param(f"{D}:443/a", id="R26-default-port"),
        pytest.param(D, id="R26-empty-path"),
        pytest.param(f"{D}/a b", id="R44-space"),
        pytest.param(f"{D}/a?Expires=1", id="R44-reserved"),
        pytest.param(f"{D}/a#x", id="R44-fragment"),
    ],
)
def test_r44_urls_cloudfront_rebuilds_differently_are_refused(url: str) -> None:
    with pytest.raises(InputError) as info:
        COMPAT.generate_presigned_url(url, date_less_than=NAIVE)
    assert info.value.code is ErrorCode.URL_INVALID


def test_r11_policy_must_cover_the_url() -> None:
    policy = COMPAT.build_policy(f"{D}/videos/*", NAIVE)
    with pytest.raises(InputError, match="does not cover") as info:
        COMPAT.generate_presigned_url(URL, policy=policy)
    assert info.value.code is ErrorCode.RESOURCE_INVALID


def test_build_policy_checks() -> None:
    with pytest.raises(InputError):
        COMPAT.build_policy("*", NAIVE)
    assert CloudFrontSigner(KEY_PAIR_ID, rsa_sha1, allow_any_resource=True).build_policy(
        "*", NAIVE
    ) == BOTOCORE.build_policy("*", NAIVE)
    with pytest.raises(InputError) as info:
        COMPAT.build_policy(f"{D}/*", NAIVE, ip_address="2001:db8::1")
    assert info.value.code is ErrorCode.IP_INVALID
    # R47: host bits dropped (botocore would keep 192.0.2.10/24)
    assert '"192.0.2.0/24"' in COMPAT.build_policy(f"{D}/*", NAIVE, ip_address="192.0.2.10/24")
    # R45: DateGreaterThan rounds up (botocore floors)
    start = NAIVE - timedelta(seconds=59.5)
    assert f'"DateGreaterThan":{{"AWS:EpochTime":{NOW - 59}}}' in COMPAT.build_policy(
        f"{D}/*", NAIVE, date_greater_than=start
    )
    with pytest.raises(InputError):
        COMPAT.build_policy(f"{D}/*", NAIVE, date_greater_than=NAIVE)
    with pytest.warns(FrontgateWarning, match="S3"):
        COMPAT.build_policy("https://bucket.s3.amazonaws.com/*", NAIVE)


def test_constructor_checks() -> None:
    with pytest.raises(ConfigError) as info:
        CloudFrontSigner("K2OTHER", Signer.from_pem(private_pem("rsa"), KEY_PAIR_ID))
    assert info.value.code is ErrorCode.CONFIG_CONFLICT
    with pytest.raises(ConfigError):
        CloudFrontSigner(KEY_PAIR_ID, "not a signer")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        CloudFrontSigner("bad id", rsa_sha1)


# django-storages reads django.conf.settings, which can be configured once per process;
# a subprocess keeps this test from fixing the settings every other test would then see.
_STORAGES_SCRIPT = """
import json, sys
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit
import django
from django.conf import settings
settings.configure(USE_TZ=True)
django.setup()
from botocore.signers import CloudFrontSigner as BotocoreSigner
from storages.backends.s3 import S3Storage
from frontgate import Signer
from frontgate.compat.botocore import CloudFrontSigner
pem, key_id = sys.argv[1].encode(), sys.argv[2]
signer = Signer.from_pem(pem, key_id)
storage = S3Storage(
    custom_domain="d111111abcdef8.cloudfront.net",
    cloudfront_signer=CloudFrontSigner(key_id, signer),
    querystring_expire=300,
)
url = storage.url("media/q3 report.pdf")
expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
naive = datetime.fromtimestamp(expires, timezone.utc).replace(tzinfo=None)
reference = BotocoreSigner(key_id, signer.sign).generate_presigned_url(
    url.split("?")[0], date_less_than=naive)
print(json.dumps({"url": url, "reference": reference}))
"""


def test_django_storages_cloudfront_signer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _STORAGES_SCRIPT, private_pem("rsa").decode(), KEY_PAIR_ID],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["url"].startswith(
        "https://d111111abcdef8.cloudfront.net/media/q3%20report.pdf?Expires="
    )
    assert result["url"] == result["reference"]
