"""A tiny same-process timing harness: rates from ``time.perf_counter`` loops, ratios to
a baseline measured alongside, medians of subprocess runs.

Each bench module exposes ``run() -> list[Row]``; :mod:`bench.__main__` prints them.

>>> rate(lambda: None, seconds=0.01) > 0
True
"""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Row", "compare", "median_run_seconds", "rate", "threaded_rate"]


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure, with its ratio to the baseline and the target it must reach."""

    #: what was measured
    name: str
    #: the figure itself, in ``unit``
    value: float
    unit: str
    #: value divided by the baseline's, when there is one
    ratio: float | None = None
    #: the lowest acceptable ratio (or, with ``lower_is_better``, the highest)
    target: float | None = None
    lower_is_better: bool = False
    #: what the ratio is taken against
    baseline: str = ""

    @property
    def ok(self) -> bool | None:
        """Whether the target is met; None when the row has no target."""
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target if self.lower_is_better else self.ratio >= self.target


def rate(fn: Callable[[], object], *, seconds: float = 0.3) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after one warm-up call)."""
    fn()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return loops / elapsed
        loops = loops * 2 if elapsed < seconds / 10 else int(loops * seconds / elapsed) + 1


def _block(fn: Callable[[], object], target: float) -> int:
    """How many calls of ``fn`` take about ``target`` seconds (of CPU time)."""
    calls, start = 0, time.process_time()
    while (spent := time.process_time() - start) < target / 10:
        fn()
        calls += 1
    return max(1, int(calls * target / max(spent, 1e-7)))


def compare(
    fn: Callable[[], object],
    baseline: Callable[[], object],
    *,
    seconds: float = 1.5,
    block: float = 0.005,
) -> tuple[float, float]:
    """Rates of ``fn`` and ``baseline`` measured in alternating short blocks, so that load
    from elsewhere on the machine falls on both alike; returns (fn rate, baseline rate)
    scaled so that their ratio is the median of the per-block ratios.

    Blocks are timed in this process's CPU time: on a shared machine the time spent
    waiting for a core would otherwise land on whichever block it interrupts. On a quiet
    machine CPU time and wall time agree.
    """
    fn(), baseline()  # warm-up
    n_fn, n_base = _block(fn, block), _block(baseline, block)
    ratios: list[float] = []
    spent_fn = spent_base = 0.0
    deadline = time.perf_counter() + seconds
    clock = time.process_time
    while time.perf_counter() < deadline or len(ratios) < 5:
        start = clock()
        for _ in range(n_fn):
            fn()
        middle = clock()
        for _ in range(n_base):
            baseline()
        end = clock()
        per_fn, per_base = (middle - start) / n_fn, (end - middle) / n_base
        spent_fn += middle - start
        spent_base += end - middle
        ratios.append(per_base / per_fn)
    ratio = statistics.median(ratios)
    base_rate = n_base * len(ratios) / spent_base
    return base_rate * ratio, base_rate


def threaded_rate(fn: Callable[[], object], threads: int, *, calls: int) -> float:
    """Total calls per second of ``fn`` run ``calls`` times in each of ``threads`` threads."""
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(calls):
            fn()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start = time.perf_counter()
    barrier.wait()
    for worker in workers:
        worker.join()
    return threads * calls / (time.perf_counter() - start)


def median_run_seconds(command: Sequence[str], *, runs: int = 10) -> float:
    """Median wall time of ``runs`` runs of a command (which must succeed)."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)
