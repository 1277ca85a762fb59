# Two commands for a fresh machine: `make demo` and `make test`. uv is bootstrapped with pip when missing.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(HOME)/.local/bin/uv
endif
RUN := $(UV) run --frozen

.PHONY: bootstrap sync demo dev test lint typecheck bench chaos clean

bootstrap:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || python3 -m pip install --user --quiet uv

sync: bootstrap
	$(UV) sync --frozen

demo: sync  # the narrated scheduling demo (hireflow demo --help: scenarios, --keep-running)
	$(RUN) hireflow demo

dev: sync
	$(RUN) hireflow dev

test: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports
	$(RUN) mypy .
	$(RUN) pytest -q -n 2 --dist loadfile

lint: sync  # style, format, complexity (ruff) and the import rules of docs/architecture.md (lint-imports)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

typecheck: sync
	$(RUN) mypy .

bench: sync
	$(RUN) python benchmarks/harvest_throughput.py
	$(RUN) python benchmarks/planner.py
	$(RUN) python benchmarks/workflows.py
	$(RUN) python benchmarks/sync.py
	$(RUN) python benchmarks/assessments.py
	$(RUN) python benchmarks/cli_startup.py
	$(RUN) python -m benchmarks.parsers

chaos: sync  # outages and worker kills on the real stack, ~15-25 min; JSON in benchmarks/results/chaos.json (docs/chaos.md)
	$(RUN) python benchmarks/chaos.py

clean:
	rm -rf .hireflow .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
