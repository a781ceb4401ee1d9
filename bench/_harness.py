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


def compare(
    fn: Callable[[], object],
    baseline: Callable[[], object],
    *,
    rounds: int = 3,
    seconds: float = 0.3,
) -> tuple[float, float]:
    """Best rates of ``fn`` and ``baseline``, measured in alternating rounds so that load
    from elsewhere on the machine hits both alike."""
    best_fn = best_base = 0.0
    for _ in range(rounds):
        best_base = max(best_base, rate(baseline, seconds=seconds))
        best_fn = max(best_fn, rate(fn, seconds=seconds))
    return best_fn, best_base


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
