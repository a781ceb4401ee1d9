"""Run every bench module and print its figures: ``python -m bench [NAME ...]``.

Each module in :data:`MODULES` exposes ``run() -> list[Row]``; add new ones to the list.
Figures below target are marked MISS; with ``--strict`` they also make the exit status 1
(timings on a shared machine vary, so a plain run only reports).
"""

from __future__ import annotations

import sys
import time
from importlib import import_module

from ._harness import Row

#: bench modules, each with run() -> list[Row] (bench.edge and bench.kms_batch run on their own:
#: make bench-edge needs nginx and wrk, kms_batch a moto server)
MODULES = [
    "bench.sign",
    "bench.verify",
    "bench.integrations",
    "bench.streaming",
    "bench.edge_app",
    "bench.hostile",
]


def _format(row: Row) -> str:
    value = f"{row.value:,.0f}" if row.value >= 100 else f"{row.value:.2f}"
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    target = ""
    if row.target is not None:
        target = f"{'<=' if row.lower_is_better else '>='} {row.target:g}x"
    verdict = {True: "ok", False: "MISS", None: ""}[row.ok]
    return (
        f"{row.name:<46} {value:>12} {row.unit:<6} {ratio:>9}  {target:<9} {verdict:<4}"
        f"  {row.baseline}"
    )


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    names = [f"bench.{name}" for name in argv if name != "--strict"] or MODULES
    missed = 0
    started = time.perf_counter()
    for name in names:
        print(f"== {name}", flush=True)
        print(f"{'measure':<46} {'value':>12} {'unit':<6} {'ratio':>9}  {'target':<9}", flush=True)
        for row in import_module(name).run():
            print(_format(row), flush=True)
            missed += row.ok is False
    print(f"({time.perf_counter() - started:.0f} s; {missed} figure(s) below target)")
    return 1 if missed and strict else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
