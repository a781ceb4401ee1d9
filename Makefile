# Thin targets: the logic lives in Python (scripts/ and src/).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all venv sysdeps players test lint types pytest demo demo-django bench bench-edge fuzz clean

all: test

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(STAMP)

# Debian packages the tests drive for real (headless browser, ffmpeg for the test stream,
# npm for the players; nginx for bench-edge).
sysdeps:
	@$(PYTHON) scripts/sysdeps.py chromium ffmpeg npm

# The video players the streaming tests and the video page load (pinned in players/).
PLAYERS := players/node_modules/.installed

$(PLAYERS): players/package.json players/package-lock.json | sysdeps
	cd players && npm ci --no-audit --no-fund --loglevel=error
	touch $@

players: $(PLAYERS)

LINT_PATHS := $(wildcard src tests bench fuzz examples scripts)

lint: venv
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)

types: venv
	$(PY) -m mypy

pytest: venv sysdeps players
	$(PY) -m pytest -q

test: lint types pytest

demo: venv
	$(VENV)/bin/frontgate demo

demo-django: venv sysdeps players
	$(PY) examples/django_downloads/run.py

bench: venv
	$(PY) -m bench

# coverage-guided fuzzing of every input reader (fuzz/): FUZZ_SECONDS in all, shared by
# the targets; `make test` replays the committed corpus and a fixed-seed run instead
FUZZ_SECONDS ?= 240
fuzz: venv
	$(PY) -m fuzz --seconds $(FUZZ_SECONDS)

bench-edge: venv
	@$(PYTHON) scripts/sysdeps.py nginx wrk
	$(PY) -m bench.edge

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis .fuzz players/node_modules
