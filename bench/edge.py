"""``make bench-edge``: wrk against ``frontgate edge`` and against nginx serving the same
files on loopback, interleaved in the same run, with ratios to nginx.

    python -m bench.edge [--duration 3] [--connections 64] [--repeat 3]
                         [--workers 1,2] [--servers granian,uvicorn,granian-rsgi] [--json]

Cases: signed URLs (RSA) for a 1 MiB file; signed URLs and signed cookies, RSA and
ECDSA, for a 1 KiB file (the verified-signature cache hit after the first request); an
unsigned request (403). Each edge run follows an nginx run of the same file with as many
workers as the edge has; the ratio of the two is the figure, repeated ``--repeat`` times
(the range is shown: the machine is shared). With one worker the server under test is
pinned to one CPU and wrk to the other (``taskset``); with more, nothing is pinned.

``--servers`` adds the same app under other server layers for comparison (bench/
_edge_servers.py): uvicorn (httptools, uvloop) and granian's native RSGI interface; they
run one worker. Then 1,000 concurrent connections against the edge, which must see 0
socket errors and 0 unexpected statuses, and the edge's memory (peak RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from frontgate.distribution import Distribution
from frontgate.keys import generate_private_key, public_pem
from frontgate.signer import Signer

NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
WRK = shutil.which("wrk")
TASKSET = shutil.which("taskset")
KEY_PAIR_ID = "KBENCH00000001"
ECDSA_KEY_PAIR_ID = "KBENCHECDSA0001"
MANY_TIMEOUT = 10
SERVERS = ("granian", "uvicorn", "granian-rsgi")


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    #: "rsa", "ecdsa", or None (unsigned)
    key: str | None
    cookies: bool
    #: the lowest acceptable ratio to nginx (issue 13)
    must: float


CASES = [
    Case("signed URL RSA, 1 MiB", "file_1m.bin", "rsa", False, 0.9),
    Case("signed URL RSA, 1 KiB", "file_1k.bin", "rsa", False, 0.35),
    Case("signed cookies RSA, 1 KiB", "file_1k.bin", "rsa", True, 0.35),
    Case("signed URL ECDSA, 1 KiB", "file_1k.bin", "ecdsa", False, 0.35),
    Case("signed cookies ECDSA, 1 KiB", "file_1k.bin", "ecdsa", True, 0.35),
    Case("unsigned -> 403", "file_1k.bin", None, False, 0.5),
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
    server: str
    workers: int
    must: float
    edge: list[float] = field(default_factory=list)
    nginx: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def passed(self) -> bool:
        return self.ratio >= self.must


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    if cpu is not None and TASKSET and (os.cpu_count() or 1) >= 2:
        return [TASKSET, "-c", str(cpu), *command]
    return command


_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def wrk(
    url: str,
    duration: int,
    connections: int,
    headers: list[str] | None = None,
    timeout: int = 2,
    cpu: int | None = 0,
) -> Run:
    threads = min(2, connections)
    command = [WRK or "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    command += ["--timeout", f"{timeout}s"]
    for header in headers or []:
        command += ["-H", header]
    out = subprocess.run(
        pinned(cpu, [*command, url]), capture_output=True, text=True, check=True
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


def start_nginx(
    prefix: Path, origin: Path, workers: int = 1, cpu: int | None = 1
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    prefix.mkdir(exist_ok=True)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir(exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""{user}
worker_processes {workers};
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
        listen 127.0.0.1:{port} backlog=4096{" reuseport" if workers > 1 else ""};
        root {origin};
    }}
}}
"""
    )
    proc = subprocess.Popen(
        pinned(cpu, [NGINX or "nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")]),
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc, port


def start_edge(
    origin: Path, keys: dict[str, Path], server: str = "granian", workers: int = 1
) -> tuple[subprocess.Popen[str], str]:
    trusted = [f"{key_id}={path}" for key_id, path in keys.items()]
    if server == "granian":
        command = [sys.executable, "-m", "frontgate", "edge", "--origin", str(origin)]
        for item in trusted:
            command += ["--public-key", item]
        command += ["--port", "0", "--no-access-log", "--workers", str(workers)]
    else:
        command = [sys.executable, "-m", "bench._edge_servers", server, str(origin), *trusted]
    proc = subprocess.Popen(
        pinned(1 if workers == 1 else None, command),
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(r"frontgate edge listening on (\S+)\n", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"the edge ({server}) did not start: {line!r}")
    return proc, match.group(1)


def stop(procs: list[subprocess.Popen[bytes] | subprocess.Popen[str]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) / 1024  # type: ignore[union-attr]


def request_for(case: Case, base: str, cdns: dict[str, Distribution]) -> tuple[str, list[str]]:
    """The URL and extra headers wrk sends for ``case`` to the edge at ``base``."""
    if case.key is None:
        return f"{base}/{case.path}", []
    cdn = Distribution(base, cdns[case.key].signer, expires_in=3600)
    if case.cookies:
        jar = cdn.cookies("")
        return f"{base}/{case.path}", ["Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items())]
    return cdn.url(case.path), []


def measure(
    workers: int,
    servers: list[str],
    args: argparse.Namespace,
    work: Path,
    cdns: dict[str, Distribution],
    keys: dict[str, Path],
) -> tuple[list[Row], dict[str, object]]:
    """Every case at ``workers`` workers: nginx then each server, ``repeat`` times."""
    origin = work / "origin"
    cpu = 0 if workers == 1 else None
    procs: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []
    extra: dict[str, object] = {}
    try:
        nginx_proc, nginx_port = start_nginx(
            work / f"nginx-{workers}", origin, workers, 1 if workers == 1 else None
        )
        procs.append(nginx_proc)
        bases: dict[str, str] = {}
        pids: dict[str, int] = {}
        for server in servers:
            proc, base = start_edge(origin, keys, server, workers)
            procs.append(proc)
            bases[server], pids[server] = base, proc.pid
        rows = {
            (case.name, server): Row(case.name, server, workers, case.must)
            for case in CASES
            for server in servers
        }
        for _ in range(args.repeat):
            for case in CASES:
                nginx = wrk(
                    f"http://127.0.0.1:{nginx_port}/{case.path}",
                    args.duration,
                    args.connections,
                    cpu=cpu,
                ).requests_per_second
                for server in servers:
                    url, headers = request_for(case, bases[server], cdns)
                    run = wrk(url, args.duration, args.connections, headers, cpu=cpu)
                    expected_non_2xx = case.key is None
                    if run.socket_errors or (run.non_2xx > 0) != expected_non_2xx:
                        raise SystemExit(f"{server} {case.name}: unexpected answers {run}")
                    row = rows[case.name, server]
                    row.edge.append(run.requests_per_second)
                    row.nginx.append(nginx)
                    row.ratios.append(run.requests_per_second / nginx)
        if "granian" in servers:
            pid = pids["granian"]
            url, _ = request_for(CASES[1], bases["granian"], cdns)
            before = rss_mib(pid)
            # 1,000 connections opened at once meet SYN retransmits on a busy loopback
            # (1 s, then 3 s): a request is an error when it fails or takes over
            # MANY_TIMEOUT s
            many = wrk(url, args.duration, 1000, timeout=MANY_TIMEOUT, cpu=cpu)
            many_nginx = wrk(
                f"http://127.0.0.1:{nginx_port}/file_1k.bin",
                args.duration,
                1000,
                timeout=MANY_TIMEOUT,
                cpu=cpu,
            )
            extra = {
                "connections_1000": {"edge": asdict(many), "nginx": asdict(many_nginx)},
                "edge_rss_mib": {
                    "before": before,
                    "after": rss_mib(pid),
                    "peak": rss_mib(pid, "VmHWM"),
                },
            }
        return list(rows.values()), extra
    finally:
        stop(procs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.edge", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64, help="connections per case")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per case")
    parser.add_argument(
        "--workers",
        default=f"1,{os.cpu_count() or 1}",
        help="worker counts to measure, comma-separated (default: 1 and the CPU count)",
    )
    parser.add_argument(
        "--servers",
        default="granian",
        help=f"server layers to compare, comma-separated, from {', '.join(SERVERS)}",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if NGINX is None or WRK is None:
        print("bench-edge needs nginx and wrk (make bench-edge installs them)", file=sys.stderr)
        return 2
    servers = [s for s in args.servers.split(",") if s]
    if not servers or any(s not in SERVERS for s in servers):
        parser.error(f"--servers takes {', '.join(SERVERS)}")
    counts = sorted({int(w) for w in args.workers.split(",") if w.strip()})

    work = Path(tempfile.mkdtemp(prefix="frontgate-bench-"))
    rows: list[Row] = []
    extras: dict[int, dict[str, object]] = {}
    try:
        work.chmod(0o755)  # nginx workers may run as another user
        origin = work / "origin"
        origin.mkdir()
        (origin / "file_1m.bin").write_bytes(os.urandom(1024 * 1024))
        (origin / "file_1k.bin").write_bytes(os.urandom(1024))
        rsa_key, ec_key = generate_private_key("rsa"), generate_private_key("ecdsa")
        keys = {KEY_PAIR_ID: work / "rsa.pem", ECDSA_KEY_PAIR_ID: work / "ecdsa.pem"}
        keys[KEY_PAIR_ID].write_bytes(public_pem(rsa_key))
        keys[ECDSA_KEY_PAIR_ID].write_bytes(public_pem(ec_key))
        cdns = {
            "rsa": Distribution("http://127.0.0.1", Signer(rsa_key, KEY_PAIR_ID)),
            "ecdsa": Distribution(
                "http://127.0.0.1",
                Signer(ec_key, ECDSA_KEY_PAIR_ID, hash_algorithm="SHA256"),
            ),
        }
        for item in [work, origin, *origin.iterdir()]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        for workers in counts:
            # other server layers are compared at one worker
            layers = servers if workers == 1 else ["granian"]
            found, extras[workers] = measure(workers, layers, args, work, cdns, keys)
            rows.extend(found)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ok = all(r.passed for r in rows if r.server == "granian")
    for extra in extras.values():
        many = extra.get("connections_1000")
        if isinstance(many, dict):
            edge_many = many["edge"]
            ok = ok and edge_many["socket_errors"] == 0 and edge_many["non_2xx"] == 0
    if args.json:
        print(
            json.dumps(
                {
                    "cases": [{**asdict(r), "ratio": r.ratio, "passed": r.passed} for r in rows],
                    "by_workers": {str(k): v for k, v in extras.items()},
                },
                indent=2,
            )
        )
        return 0 if ok else 1
    pin = "1 worker: server CPU 1, wrk CPU 0" if TASKSET else "not pinned"
    print(
        f"frontgate edge vs nginx (same workers), wrk {args.duration} s x "
        f"{args.connections} connections, {args.repeat} interleaved runs, {pin}"
    )
    print(
        f"{'case':<28} {'server':<13} {'w':>2} {'edge req/s':>11} {'nginx req/s':>12} "
        f"{'ratio':>6} {'range':>11}  must"
    )
    for r in rows:
        mark = "ok" if r.passed else "BELOW"
        print(
            f"{r.case:<28} {r.server:<13} {r.workers:>2} {statistics.median(r.edge):>11,.0f} "
            f"{statistics.median(r.nginx):>12,.0f} {r.ratio:>5.2f}x "
            f"{min(r.ratios):>5.2f}-{max(r.ratios):.2f}x  {r.must:.2f}x {mark}"
        )
    for workers, extra in extras.items():
        many = extra.get("connections_1000")
        rss = extra.get("edge_rss_mib")
        if isinstance(many, dict) and isinstance(rss, dict):
            e, n = many["edge"], many["nginx"]
            print(
                f"{workers} worker(s), 1,000 connections, signed 1 KiB ({MANY_TIMEOUT} s "
                f"timeout): edge {e['requests_per_second']:,.0f} req/s, "
                f"{e['socket_errors']} socket errors, {e['non_2xx']} non-2xx (nginx "
                f"{n['requests_per_second']:,.0f} req/s, {n['socket_errors']} errors); "
                f"edge RSS {rss['before']:.0f} MiB before, {rss['after']:.0f} after, "
                f"peak {rss['peak']:.0f}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
