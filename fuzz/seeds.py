"""Rebuild the committed seed corpus from the project's own valid inputs.

``python -m fuzz.seeds`` writes ``fuzz/corpus/TARGET/NAME`` files (deterministic: fixed
keys and clock; ECDSA signatures differ on each run, so re-running changes those files).
"""

from __future__ import annotations

import json
import shutil

from frontgate.policy import policy_json
from fuzz._common import CORPUS, EC_ID, KEYS, NOW, ROOT, RSA_ID, D, signers

LATER = NOW + 3600


def _urls() -> dict[str, str]:
    rsa, ec = signers()[RSA_ID], signers()[EC_ID]
    return {
        "canned-rsa": rsa.sign_url(f"{D}/videos/a.ts?v=1", expires_at=LATER, now=NOW),
        "canned-ec": ec.sign_url(f"{D}/report%20q3.pdf", expires_at=LATER, now=NOW),
        "custom-wildcards": rsa.sign_url(
            f"{D}/videos/2026/a.ts",
            resource=f"{D}/videos/*/*.ts*",
            expires_at=LATER,
            now=NOW,
        ),
        "custom-query-wildcard": ec.sign_url(
            f"{D}/a.jpg?w=100&h=2",
            resource=f"{D}/a.jpg?w=???&h=*",
            expires_at=LATER,
            not_before=NOW - 60,
            now=NOW,
        ),
        "custom-ip": rsa.sign_url(
            f"{D}/b.txt", ip_address="192.0.2.0/24", expires_at=LATER, now=NOW
        ),
        "expired": rsa.sign_url(f"{D}/c.txt", expires_at=NOW - 10, now=NOW - 100),
        "edge-local": rsa.sign_url("http://127.0.0.1:8080/hello.txt", expires_at=LATER, now=NOW),
    }


def _cookie_headers() -> dict[str, str]:
    rsa, ec = signers()[RSA_ID], signers()[EC_ID]
    jars = {
        "rsa-wildcard": rsa.sign_cookies(f"{D}/videos/*", expires_at=LATER, now=NOW),
        "ec-ip": ec.sign_cookies(
            f"{D}/*", ip_address="192.0.2.10", expires_at=LATER, now=NOW, allow_any_resource=True
        ),
    }
    return {
        name: "a=1; " + "; ".join(f"{k}={v}" for k, v in jar.items()) + "; b=2"
        for name, jar in jars.items()
    }


def _policies() -> dict[str, bytes]:
    return {
        "canned": policy_json(f"{D}/a.jpg?x=1", LATER).encode(),
        "custom-all": policy_json(f"{D}/v/*", LATER, NOW - 60, "192.0.2.0/24").encode(),
        "no-resource": policy_json(None, LATER).encode(),
        "statement-object": json.dumps(
            {"Statement": {"Resource": "*", "Condition": {"DateLessThan": {"AWS:EpochTime": 5}}}}
        ).encode(),
    }


def build() -> dict[str, dict[str, bytes]]:
    """Every target's seeds: name -> bytes."""
    urls, headers, policies = _urls(), _cookie_headers(), _policies()
    bare = [f"{D}/videos/a.ts", f"{D}/a.jpg?w=100&h=2", f"{D}/b.txt"]
    pem_names = ["rsa2048_pkcs1.pem", "rsa2048_pkcs8.pem", "p256_sec1.pem", "p256_public.pem"]
    corpus: dict[str, dict[str, bytes]] = {
        "verify_url": {name: url.encode() + b"\x00192.0.2.10" for name, url in urls.items()},
        "verify_cookies": {
            name: f"{bare[0]}\x00{header}\x00192.0.2.10".encode()
            for name, header in headers.items()
        },
        "verify_request": {
            name: f"{bare[0]}\x00x=1\x00{header}".encode() for name, header in headers.items()
        },
        "cookie_header": {name: header.encode() for name, header in headers.items()},
        "policy": {
            name: doc + f"\x00{D}/v/*/a?.ts\x00{D}/v/1/a2.ts".encode()
            for name, doc in policies.items()
        },
        "signer": {
            "canned": f"{D}/a b.jpg\x00\x00\x00".encode(),
            "custom": f"{D}/v/a.ts?x=1\x00{D}/v/*\x00192.0.2.1/24\x00\x00\x0e\x10".encode(),
        },
        "keys": {name: (KEYS / name).read_bytes() for name in pem_names},
        "gate": {
            "accel": b'\x00/protected/q3 2026.pdf\x00attachment; filename="q3.pdf"\x00',
            "sendfile": (
                b"\x01/srv/files/a.txt\x00inline; filename*=UTF-8''%C3%A9.txt\x00text/plain"
            ),
            "cookies": b"\x02media/videos/; expires_in=3600\x00\x00",
        },
        "config": {
            "full": json.dumps(
                {
                    "KEY_PAIR_ID": RSA_ID,
                    "PRIVATE_KEY": "pem",
                    "BASE_URL": D,
                    "EXPIRES_IN": 300,
                    "LOCATIONS": {"/protected/": "media/"},
                    "REDIRECT_STATUS": 303,
                    "COOKIE_DOMAIN": "example.com",
                    "SAMESITE": "Strict",
                    "CACHE_WINDOW": 60,
                }
            ).encode()
        },
        "edge": {},
        # the streaming tests' own playlists, each after a selector byte (mode)
        "playlist": {
            path.name: bytes([index % 4]) + path.read_bytes()
            for index, path in enumerate(sorted((ROOT / "tests" / "data" / "playlists").iterdir()))
        },
    }
    signed = urls["edge-local"].split("?", 1)
    for name, extra in {
        "plain": b"",
        "range": b"\nrange: bytes=0-4",
        "suffix-range": b"\nrange: bytes=-5\nif-range: x",
        "conditional": b"\nif-modified-since: Thu, 01 Jan 2026 00:00:00 GMT\nif-none-match: *",
        "cookies": b"\ncookie: a=1; CloudFront-Key-Pair-Id=K",
    }.items():
        corpus["edge"][name] = (
            b"GET\x00/hello.txt\x00" + signed[1].encode() + b"\x00host: 127.0.0.1:8080" + extra
        )
    corpus["edge"]["options"] = b"OPTIONS\x00/docs/\x00\x00origin: http://x"
    return corpus


def main() -> None:
    for target, seeds in build().items():
        folder = CORPUS / target
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
