"""Batch signing with a bounded thread pool (KMS signing is one round trip per URL)."""

from __future__ import annotations

import threading

from frontgate import Signer, Verifier
from frontgate.aws import sign_urls
from frontgate.keys import PrivateKey

from .conftest import client

NOW = 1767290400
URLS = [f"https://d111111abcdef8.cloudfront.net/media/{n}.jpg" for n in range(24)]


def test_sign_urls_with_kms_keeps_order_and_expiry(moto_url: str) -> None:
    kms = client(moto_url, "kms")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signer = Signer.from_source(f"kms:{key_id}", key_pair_id="K2JCJMDEHXQW5F")
    verifier = Verifier({"K2JCJMDEHXQW5F": signer.public_key()})
    serial = sign_urls(signer, URLS, expires_in=300, max_workers=1, now=NOW)
    parallel = sign_urls(signer, URLS, expires_in=300, max_workers=6, now=NOW)
    for signed_list in (serial, parallel):
        assert [u.split("?")[0] for u in signed_list] == URLS
        assert {u.split("Expires=")[1].split("&")[0] for u in signed_list} == {str(NOW + 300)}
        assert all(verifier.verify_url(u, now=NOW).allowed for u in signed_list)


def test_sign_urls_bounds_the_threads(rsa_key: PrivateKey) -> None:
    seen: set[int] = set()
    lock = threading.Lock()
    signer = Signer(rsa_key, "K2JCJMDEHXQW5F")
    original = signer.sign_url

    class Counting(Signer):
        def sign_url(self, url: str, **options: object) -> str:
            with lock:
                seen.add(threading.get_ident())
            return original(url, **options)  # type: ignore[arg-type]

    counting = Counting(rsa_key, "K2JCJMDEHXQW5F")
    signed = sign_urls(counting, URLS, expires_at=NOW + 60, max_workers=3, now=NOW)
    assert len(signed) == len(URLS)
    assert 1 <= len(seen) <= 3
    assert sign_urls(signer, [], expires_in=60) == []
