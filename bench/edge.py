"""``make bench-edge``: wrk against ``frontgate edge`` and against nginx serving the same
files on loopback, in the same run, with ratios to nginx.

    python -m bench.edge [--duration 5] [--connections 100] [--json]

Cases (issue 5): a signed URL for a 1 MiB file; a signed URL (RSA) for a 1 KiB file;
signed cookies (RSA) for the 1 KiB file; an unsigned request (403). Each is compared to
nginx serving the same file (1 KiB for the last three). Then 1,000 concurrent
connections against the edge, which must see 0 socket errors and 0 unexpected
statuses, and the edge's memory (peak RSS).

Like for like: the edge is one process, so nginx runs one worker; when ``taskset`` is
available the server under test is pinned to one CPU and wrk to the other.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from frontgate.distribution import Distribution
from frontgate.keys import generate_private_key, public_pem
from frontgate.signer import Signer

NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
WRK = shutil.which("wrk")
TASKSET = shutil.which("taskset")
KEY_PAIR_ID = "KBENCH00000001"
MANY_TIMEOUT = 10
#: (case, path, uses cookies, signed, must reach, aim) as in the issue's table
CASES = [
    ("signed URL, 1 MiB file", "file_1m.bin", False, True, 0.8, 0.95),
    ("signed URL RSA, 1 KiB", "file_1k.bin", False, True, 0.15, 0.40),
    ("signed cookies RSA, 1 KiB", "file_1k.bin", True, True, 0.15, 0.40),
    ("unsigned -> 403", "file_1k.bin", False, False, 0.5, 0.8),
]


@dataclass
class Run:
    requests_per_second: float
    bytes_per_second: float
    non_2xx: int
    socket_errors: int


@dataclass
class Row:
    case: str
    edge: Run
    nginx: Run
    ratio: float
    must: float
    aim: float

    @property
    def passed(self) -> bool:
        return self.ratio >= self.must


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(cpu: int, command: list[str]) -> list[str]:
    if TASKSET and (os.cpu_count() or 1) >= 2:
        return [TASKSET, "-c", str(cpu), *command]
    return command


_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def wrk(
    url: str,
    duration: int,
    connections: int,
    headers: list[str] | None = None,
    timeout: int = 2,
) -> Run:
    threads = min(2, connections)
    command = [WRK or "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    command += ["--timeout", f"{timeout}s"]
    for header in headers or []:
        command += ["-H", header]
    out = subprocess.run(
        pinned(0, [*command, url]), capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)([KMGT]?B)", out)
    bps = float(transfer.group(1)) * _UNITS[transfer.group(2)] if transfer else 0.0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Run(
        rps,
        bps,
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(int(g) for g in errors.groups()) if errors else 0,
    )


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def start_nginx(prefix: Path, origin: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {origin};
    }}
}}
"""
    )
    proc = subprocess.Popen(
        pinned(1, [NGINX or "nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")]),
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc, port


def start_edge(origin: Path, public_key: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        pinned(
            1,
            [
                sys.executable,
                "-m",
                "frontgate",
                "edge",
                "--origin",
                str(origin),
                "--public-key",
                f"{KEY_PAIR_ID}={public_key}",
                "--port",
                "0",
                "--no-access-log",
            ],
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(r"frontgate edge listening on (\S+)\n", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"the edge did not start: {line!r}")
    return proc, match.group(1)


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) / 1024  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.edge", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64, help="connections per case")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if NGINX is None or WRK is None:
        print("bench-edge needs nginx and wrk (make bench-edge installs them)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="frontgate-bench-"))
    procs: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []
    try:
        work.chmod(0o755)  # nginx workers may run as another user
        origin = work / "origin"
        origin.mkdir()
        (origin / "file_1m.bin").write_bytes(os.urandom(1024 * 1024))
        (origin / "file_1k.bin").write_bytes(os.urandom(1024))
        key = generate_private_key("rsa")
        (work / "public.pem").write_bytes(public_pem(key))
        signer = Signer(key, KEY_PAIR_ID)
        for item in [work, origin, *origin.iterdir()]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        (work / "nginx").mkdir()

        edge_proc, edge_url = start_edge(origin, work / "public.pem")
        procs.append(edge_proc)
        nginx_proc, nginx_port = start_nginx(work / "nginx", origin)
        procs.append(nginx_proc)
        nginx_url = f"http://127.0.0.1:{nginx_port}"
        cdn = Distribution(edge_url, signer, expires_in=3600)
        cookie = "Cookie: " + "; ".join(f"{k}={v}" for k, v in cdn.cookies("").items())

        rows = []
        baseline: dict[str, Run] = {}
        for case, path, cookies, signed, must, aim in CASES:
            if path not in baseline:
                baseline[path] = wrk(f"{nginx_url}/{path}", args.duration, args.connections)
            if not signed:
                url, headers = f"{edge_url}/{path}", []
            elif cookies:
                url, headers = f"{edge_url}/{path}", [cookie]
            else:
                url, headers = cdn.url(path), []
            run = wrk(url, args.duration, args.connections, headers)
            rows.append(
                Row(
                    case,
                    run,
                    baseline[path],
                    run.requests_per_second / baseline[path].requests_per_second,
                    must,
                    aim,
                )
            )
        rss_before = rss_mib(edge_proc.pid)
        # 1,000 connections opened at once meet SYN retransmits on a busy loopback (1 s,
        # then 3 s): a request is an error when it fails or takes over MANY_TIMEOUT s
        many = wrk(cdn.url("file_1k.bin"), args.duration, 1000, timeout=MANY_TIMEOUT)
        many_nginx = wrk(f"{nginx_url}/file_1k.bin", args.duration, 1000, timeout=MANY_TIMEOUT)
        rss_after = rss_mib(edge_proc.pid)
        peak = rss_mib(edge_proc.pid, "VmHWM")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
        shutil.rmtree(work, ignore_errors=True)

    concurrency_ok = many.socket_errors == 0 and many.non_2xx == 0
    if args.json:
        print(
            json.dumps(
                {
                    "cases": [{**asdict(r), "passed": r.passed} for r in rows],
                    "connections_1000": {"edge": asdict(many), "nginx": asdict(many_nginx)},
                    "edge_rss_mib": {"before": rss_before, "after": rss_after, "peak": peak},
                },
                indent=2,
            )
        )
    else:
        pin = "pinned: server CPU 1, wrk CPU 0" if TASKSET else "not pinned"
        print(
            f"frontgate edge vs nginx (1 worker), wrk {args.duration} s x "
            f"{args.connections} connections, {pin}"
        )
        print(f"{'case':<28} {'edge req/s':>11} {'nginx req/s':>12} {'ratio':>6}  must   aim")
        for r in rows:
            mark = "ok" if r.passed else "BELOW"
            print(
                f"{r.case:<28} {r.edge.requests_per_second:>11,.0f} "
                f"{r.nginx.requests_per_second:>12,.0f} {r.ratio:>5.2f}x  "
                f"{r.must:>4.2f}x {r.aim:>4.2f}x  {mark}"
            )
        print(
            f"1,000 connections, signed 1 KiB ({MANY_TIMEOUT} s timeout): edge "
            f"{many.requests_per_second:,.0f} req/s, {many.socket_errors} socket errors, "
            f"{many.non_2xx} non-2xx (nginx {many_nginx.requests_per_second:,.0f} req/s, "
            f"{many_nginx.socket_errors} errors)"
        )
        print(
            f"edge memory: RSS {rss_before:.0f} MiB before, {rss_after:.0f} MiB after, "
            f"peak {peak:.0f} MiB"
        )
    return 0 if concurrency_ok and all(r.passed for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
