"""The edge's memo of allowed decisions and the verifier's signature cache: a repeated
request skips the signature check, yet expiry, start and client IP are judged every time
(R38 step 10); both are bounded, and their counters are logged when the edge stops."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import httpx
import pytest

from frontgate.distribution import Distribution
from frontgate.edge.app import MEMO_ENTRIES
from frontgate.edge.server import running
from frontgate.signer import Signer

from .conftest import HELLO, edge_app


def test_r15_memo_judges_the_client_ip_on_every_request(
    origin: Path, trusted_signer: Signer
) -> None:
    with running(edge_app(origin, trust_forwarded_for=1)) as url, httpx.Client() as client:
        signed = Distribution(url, trusted_signer).url("hello.txt", ip_address="203.0.113.0/24")
        inside = {"X-Forwarded-For": "203.0.113.7"}
        assert client.get(signed, headers=inside).content == HELLO
        assert client.get(signed, headers=inside).content == HELLO  # from the memo
        outside = client.get(signed, headers={"X-Forwarded-For": "198.51.100.1"})
        assert outside.status_code == 403
        assert outside.headers["x-frontgate-reason"] == "ip-mismatch"


def test_r38_memo_judges_expiry_on_every_request(origin: Path, trusted_signer: Signer) -> None:
    with running(edge_app(origin)) as url, httpx.Client() as client:
        signed = Distribution(url, trusted_signer).url("hello.txt", expires_at=int(time.time()) + 2)
        assert client.get(signed).status_code == 200
        time.sleep(max(0.0, int(time.time()) + 2.05 - time.time()))  # past Expires
        late = client.get(signed)
        assert late.status_code == 403
        assert late.headers["x-frontgate-reason"] == "expired"


def test_counters_logged_when_the_edge_stops(
    origin: Path, trusted_signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="frontgate.edge"):
        with running(edge_app(origin)) as url, httpx.Client() as client:
            signed = Distribution(url, trusted_signer).url("hello.txt")
            for _ in range(3):
                assert client.get(signed).status_code == 200
        stopping = [r.getMessage() for r in caplog.records if "edge stopping" in r.getMessage()]
    assert len(stopping) == 1
    assert re.search(r"decision memo 2 hits, 1 misses, 1/\d+ entries", stopping[0])
    assert re.search(r"verified-signature cache 0 hits, 1 misses, 1/4096 entries", stopping[0])


def test_memo_is_bounded(origin: Path, ecdsa_signer: Signer) -> None:
    app = edge_app(origin)
    cdn = Distribution("https://edge.example", ecdsa_signer)
    for i in range(MEMO_ENTRIES + 50):
        assert app.decide(cdn.url(f"f{i}.txt"), [], "127.0.0.1").allowed
    report = app.cache_report()
    assert f"{MEMO_ENTRIES}/{MEMO_ENTRIES} entries" in report
    assert f"0 hits, {MEMO_ENTRIES + 50} misses" in report


def test_refusals_are_never_memoised(origin: Path, trusted_signer: Signer) -> None:
    app = edge_app(origin)
    signed = Distribution("https://edge.example", trusted_signer).url("a.txt")
    tampered = signed.replace("Signature=", "Signature=AAAA")
    for _ in range(3):
        assert app.decide(tampered, [], None).reason == "bad-signature"
    assert "0 hits, 3 misses, 0/" in app.cache_report()
