"""``frontgate edge`` and ``frontgate demo`` as processes: the listening line, clean
SIGTERM/SIGINT, flat memory on a 200 MiB file, slow clients, 1,000 connections."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontgate.cli import main
from frontgate.distribution import Distribution
from frontgate.signer import Signer
from tests.conftest import KEY_PAIR_ID, PUBLIC_FILES, key_path

from .conftest import HELLO, make_origin

BIG = 200 * 1024 * 1024
LISTENING = re.compile(r"frontgate edge listening on (http://127\.0\.0\.1:\d+)\n")


@dataclass
class EdgeProcess:
    proc: subprocess.Popen[str]
    url: str
    cdn: Distribution

    def rss_kib(self, field: str = "VmRSS") -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def start_edge(
    origin: Path, signer: Signer, *extra: str, stderr: Any = subprocess.DEVNULL
) -> EdgeProcess:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontgate",
            "edge",
            "--origin",
            str(origin),
            "--public-key",
            f"{KEY_PAIR_ID}={key_path(PUBLIC_FILES['rsa'])}",
            "--port",
            "0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = LISTENING.fullmatch(line)
    if match is None:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        pytest.fail(f"no listening line: {line!r}")
    return EdgeProcess(proc, match.group(1), Distribution(match.group(1), signer))


def stop(edge: EdgeProcess, sig: int = signal.SIGTERM) -> tuple[int, float]:
    started = time.monotonic()
    edge.proc.send_signal(sig)
    code = edge.proc.wait(10)
    seconds = time.monotonic() - started
    assert edge.proc.stdout is not None
    edge.proc.stdout.close()
    return code, seconds


@pytest.fixture(scope="module")
def big_origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    origin = make_origin(tmp_path_factory.mktemp("big"))
    with open(origin / "big.bin", "wb") as handle:
        handle.truncate(BIG)  # sparse: no disk space, reads as zeros
    return origin


@pytest.fixture(scope="module")
def edge_process(big_origin: Path, trusted_signer: Signer) -> Iterator[EdgeProcess]:
    edge = start_edge(big_origin, trusted_signer, "--no-access-log")
    yield edge
    if edge.proc.poll() is None:
        stop(edge)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_edge_port_0_and_clean_stop(
    big_origin: Path, trusted_signer: Signer, sig: signal.Signals
) -> None:
    edge = start_edge(big_origin, trusted_signer)
    assert httpx.get(edge.cdn.url("hello.txt")).content == HELLO
    # a viewer that stopped reading a big file must not hold up the stop
    slow = socket.create_connection(("127.0.0.1", int(edge.url.rsplit(":", 1)[1])))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    target = edge.cdn.url("big.bin").removeprefix(edge.url)
    slow.sendall(f"GET {target} HTTP/1.1\r\nHost: {edge.url[7:]}\r\n\r\n".encode())
    idle = httpx.Client()
    idle.get(edge.cdn.url("hello.txt"))  # an idle keep-alive connection
    time.sleep(0.3)
    code, seconds = stop(edge, sig)
    slow.close()
    idle.close()
    assert code == 0
    assert seconds < 5


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_edge_workers_share_the_port_and_stop_together(
    big_origin: Path, trusted_signer: Signer, sig: signal.Signals
) -> None:
    edge = start_edge(big_origin, trusted_signer, "--workers", "3", "--no-access-log")
    workers = _children(edge.proc.pid)
    assert len(workers) == 3
    for _ in range(10):  # new connections, spread by the kernel over the workers
        with httpx.Client() as client:
            assert client.get(edge.cdn.url("hello.txt")).content == HELLO
    # a viewer that stopped reading a big file must not hold up the stop
    slow = socket.create_connection(("127.0.0.1", int(edge.url.rsplit(":", 1)[1])))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    target = edge.cdn.url("big.bin").removeprefix(edge.url)
    slow.sendall(f"GET {target} HTTP/1.1\r\nHost: {edge.url[7:]}\r\n\r\n".encode())
    time.sleep(0.3)
    code, seconds = stop(edge, sig)
    slow.close()
    assert code == 0
    assert seconds < 5
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_cli_edge_replaces_a_worker_that_dies(
    big_origin: Path, trusted_signer: Signer, tmp_path: Path
) -> None:
    log = tmp_path / "edge.log"
    with log.open("w") as stderr:
        edge = start_edge(
            big_origin, trusted_signer, "--workers", "2", "--no-access-log", stderr=stderr
        )
        first = _children(edge.proc.pid)
        assert len(first) == 2
        dead = min(first)
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 10
        now = first
        while time.monotonic() < deadline:
            now = _children(edge.proc.pid)
            if len(now) == 2 and dead not in now:
                break
            time.sleep(0.05)
        (replacement,) = now - first
        for _ in range(10):  # both serve: the survivor and its new sibling
            with httpx.Client() as client:
                assert client.get(edge.cdn.url("hello.txt")).content == HELLO
        code, seconds = stop(edge)
    assert code == 0
    assert seconds < 5
    assert not [pid for pid in now if Path(f"/proc/{pid}").exists()]
    assert (
        f"Edge worker {dead} was killed by SIGKILL; worker {replacement} replaces it."
        in log.read_text()
    )


def test_cli_edge_bad_workers_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["edge", "--origin", str(tmp_path), "--public-key", "K1=x.pem", "--workers", "0"])
    assert stopped.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_cli_edge_bad_origin_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(
        [
            "edge",
            "--origin",
            str(tmp_path / "nope"),
            "--public-key",
            f"{KEY_PAIR_ID}={key_path(PUBLIC_FILES['rsa'])}",
        ]
    )
    assert code == 2
    assert "is not a directory" in capsys.readouterr().err


def test_cli_edge_bad_public_key_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a key")
    code = main(
        ["edge", "--origin", str(tmp_path), "--public-key", f"K1=file://{tmp_path}/bad.pem"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("frontgate: key-unreadable: ")


def test_large_file_streamed_with_flat_memory(edge_process: EdgeProcess) -> None:
    url = edge_process.cdn.url("big.bin")
    httpx.get(edge_process.cdn.url("hello.txt"))  # warm up: imports, first request
    before = edge_process.rss_kib()
    received = 0
    with httpx.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(BIG)
        for chunk in response.iter_raw(1024 * 1024):
            received += len(chunk)
    growth_mib = (edge_process.rss_kib("VmHWM") - before) / 1024
    assert received == BIG
    assert growth_mib < 50, f"server RSS grew by {growth_mib:.1f} MiB"


def test_slow_clients_do_not_block_others(edge_process: EdgeProcess) -> None:
    port = int(edge_process.url.rsplit(":", 1)[1])
    host = edge_process.url[7:]
    held: list[socket.socket] = []
    try:
        for _ in range(100):  # headers that never finish
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(f"GET /hello.txt HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode())
            held.append(sock)
        target = edge_process.cdn.url("big.bin").removeprefix(edge_process.url)
        for _ in range(20):  # big downloads that are never read
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            held.append(sock)
        time.sleep(0.3)
        started = time.monotonic()
        response = httpx.get(edge_process.cdn.url("hello.txt"), timeout=5)
        assert response.content == HELLO
        assert time.monotonic() - started < 1
    finally:
        for sock in held:
            sock.close()


def test_1000_concurrent_connections_no_errors(edge_process: EdgeProcess) -> None:
    port = int(edge_process.url.rsplit(":", 1)[1])
    host = edge_process.url[7:]
    target = edge_process.cdn.url("hello.txt").removeprefix(edge_process.url)
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

    async def one() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        data = await reader.read()
        writer.close()
        return data

    async def all_at_once() -> list[bytes]:
        return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(1000))), 60)

    answers = asyncio.run(all_at_once())
    assert sum(a.startswith(b"HTTP/1.1 200 ") and a.endswith(HELLO) for a in answers) == 1000


def test_cli_demo(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "frontgate", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10
    out = result.stdout
    expected = [
        r"✔ signed URL +200  served +\d+ bytes, identical to hello.txt",
        r"✘ unsigned URL +403  MissingKey +missing-key",
        r"✘ tampered signature +403  AccessDenied +bad-signature",
        r"✘ expired URL +403  AccessDenied +expired",
        r"✘ signature of hello.txt on secret.txt +403  AccessDenied +bad-signature",
        r"✔ signed cookies +200  served +\d+ bytes, identical to hello.txt",
        r"✘ URL for 203.0.113.0/24 from 127.0.0.1 +403  AccessDenied +ip-mismatch",
    ]
    for pattern in expected:
        assert re.search(rf"^  {pattern}$", out, re.MULTILINE), pattern
    assert "UNEXPECTED" not in out
    assert "frontgate keygen --type rsa" in out
    assert "frontgate sign --url" in out
    assert "curl -i" in out
    assert list(tmp_path.iterdir()) == []  # the demo removed what it made


def test_cli_demo_keep(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontgate", "demo", "--keep", "--key-type", "ecdsa"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    link = None
    deadline = time.monotonic() + 20
    while link is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip().startswith("http://127.0.0.1:") and "Signature=" in line:
            link = line.strip()
    assert link is not None
    assert httpx.get(link).content.startswith(b"Hello from the frontgate edge")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    proc.stdout.close()
    assert list(tmp_path.iterdir()) == []


def test_workers_that_keep_dying_are_replaced_only_so_often(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from frontgate.edge.server import RESPAWNS, _reap

    def short_lived() -> int:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child exits at once
            os._exit(3)
        return pid

    started: list[int] = []

    def respawn() -> int:
        started.append(short_lived())
        return started[-1]

    with caplog.at_level(logging.WARNING, logger="frontgate.edge"):
        _reap([short_lived()], lambda: False, respawn)  # returns once none is left
    assert len(started) == RESPAWNS
    messages = [record.getMessage() for record in caplog.records]
    assert sum("replaces it" in m for m in messages) == RESPAWNS
    assert messages[-1].endswith("exited with status 3; workers exit too fast, none is started.")
