"""Run one harness under atheris: ``python -m fuzz.run TARGET [libFuzzer options] DIR...``.

Used by ``python -m fuzz`` (``make fuzz``); the options and corpus directories are
libFuzzer's (``-runs``, ``-seed``, ``-max_total_time``, ``-timeout``).
"""

from __future__ import annotations

import contextlib
import importlib
import sys


def main() -> None:
    import atheris  # the dev extra; only fuzzing needs it

    target = sys.argv.pop(1)
    module = importlib.import_module(f"fuzz.{target}")
    # load what the harness touches lazily (keys, the edge app) before instrumenting
    for seed in (importlib.import_module("fuzz._common").CORPUS / target).iterdir():
        # a failing seed is reported again, with the fuzzer's artifact, once fuzzing starts
        with contextlib.suppress(AssertionError):
            module.test_one_input(seed.read_bytes())
    atheris.instrument_all()
    # instrumented code makes extra (counted) calls per comparison and branch: the work
    # budget stays linear in the input, with a wider constant
    importlib.import_module("fuzz._common").Meter.scale = 4
    atheris.Setup(sys.argv, module.test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
