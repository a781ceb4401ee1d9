"""``python -m fuzz [--seconds N] [--timeout S] [TARGET ...]``: every target (or those
named) under atheris for N seconds in all, shared evenly (``make fuzz``).

New interesting inputs go to ``.fuzz/corpus/TARGET`` (not committed), crashes to
``.fuzz/crashes/``; the committed seeds in ``fuzz/corpus/TARGET`` are read, never written.
Exit status 1 when any target found a crash.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from fuzz import TARGETS
from fuzz._common import CORPUS, MAX_REQUEST, ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("targets", nargs="*", choices=[*TARGETS, []], metavar="TARGET")
    parser.add_argument("--seconds", type=int, default=240, help="in all (default 240)")
    parser.add_argument("--timeout", type=int, default=2, help="per input, seconds")
    parser.add_argument("--runs", type=int, default=-1, help="stop each after this many")
    args = parser.parse_args(argv)
    targets = args.targets or list(TARGETS)
    each = max(1, args.seconds // len(targets))
    work = ROOT / ".fuzz"
    failed = []
    for target in targets:
        found = work / "corpus" / target
        crashes = work / "crashes"
        found.mkdir(parents=True, exist_ok=True)
        crashes.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "fuzz.run",
            target,
            f"-max_total_time={each}",
            f"-timeout={args.timeout}",
            f"-runs={args.runs}",
            f"-max_len={MAX_REQUEST}",  # R43: request line and headers
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
            f"-artifact_prefix={crashes}/{target}-",
            str(found),
            str(CORPUS / target),
        ]
        print(f"fuzz {target}: {each} s", flush=True)
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            failed.append(target)
    if failed:
        print(f"crashes in: {', '.join(failed)} (inputs in {work / 'crashes'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
