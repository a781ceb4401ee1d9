"""KMS signing rates: URLs per second at 1 and N threads, against a local moto server.

    .venv/bin/python bench/kms_batch.py [--urls 400] [--threads 1,4,8,16] [--latency-ms 10]

moto runs on this machine, so a "round trip" costs about a millisecond instead of the
several a real KMS endpoint takes: the figures show how the thread pool scales, not
what AWS will give (real KMS is slower per call and gains more from threads; KMS also
has a per-account request quota for asymmetric Sign). ``--latency-ms`` adds that much
waiting to every Sign call (a sleep, as a network wait would be) to show the effect of
a real round trip; with 0 the local moto server's CPU is the limit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

from frontgate import Signer
from frontgate.aws import KmsKey, sign_urls
from frontgate.aws.session import AwsSession


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    beside = Path(sys.executable).with_name("moto_server")
    command = str(beside) if beside.exists() else (shutil.which("moto_server") or "moto_server")
    process = subprocess.Popen(
        [command, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("moto_server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=400)
    parser.add_argument("--threads", default="1,4,8,16")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    process, url = start_moto()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=url,
    )
    try:
        kms = boto3.client("kms", region_name="us-east-1", endpoint_url=url)
        urls = [f"https://d111111abcdef8.cloudfront.net/media/{n}.jpg" for n in range(args.urls)]
        aws = AwsSession(region="us-east-1", endpoint_url=url, max_pool_connections=32)
        delay = args.latency_ms / 1000

        def wait(**_: object) -> None:
            time.sleep(delay)

        if delay:
            aws.kms.meta.events.register("before-send.kms.Sign", wait)
        print(f"{args.urls} URLs per run, moto at {url}, added latency {args.latency_ms} ms")
        for spec in ("RSA_2048", "ECC_NIST_P256"):
            key_id = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            signer = Signer(KmsKey(key_id, aws=aws), "K2JCJMDEHXQW5F", hash_algorithm="SHA256")
            sign_urls(signer, urls[:20], expires_in=300, max_workers=4)  # warm the pool
            for threads in (int(t) for t in args.threads.split(",")):
                start = time.perf_counter()
                sign_urls(signer, urls, expires_in=300, max_workers=threads)
                elapsed = time.perf_counter() - start
                print(f"{spec:<14} threads={threads:<3} {args.urls / elapsed:8.0f} URLs/s")
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
