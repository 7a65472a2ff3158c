# The two commands of the README: `make demo` and `make test`. Each sets up .venv when it is
# missing or older than the project's dependency files, then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The Dockerfile runs the same install command (tests/unit/test_dockerfile.py checks it).
INSTALL := pip install --no-cache-dir -c constraints.txt -e
STAMP := $(VENV)/.installed

.PHONY: demo test test-suite lint run web migrate clean help bench bench-soak

help:
	@echo "make demo   - set up, then replay weeks of a simulated community against a local Discord"
	@echo "make test   - set up, then run ruff, mypy and the whole test suite"
	@echo "make run    - start the bot on Discord (needs DISCORD_TOKEN, see README.md)"
	@echo "make lint   - ruff and mypy only"
	@echo "make bench  - every benchmark at full size, one JSON object each (BENCH_ARGS=--quick)"
	@echo "make bench-soak - crashes, restarts and Discord faults against foyer run (SOAK_ARGS=--quick)"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		(echo "Foyer needs Python 3.11 or newer; set PYTHON=python3.11" && exit 1)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/$(INSTALL) '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/foyer demo

test: $(STAMP) lint test-suite

test-suite: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot cogs discord_sandbox demo tests benchmarks
	$(BIN)/ruff format --check bot cogs discord_sandbox demo tests benchmarks
	$(BIN)/mypy

run: $(STAMP)
	$(BIN)/foyer run

# The web dashboard, beside the bot (README.md, The dashboard).
web: $(STAMP)
	$(BIN)/foyer web

# Every benchmark (docs/benchmarks.md quotes their JSON objects), full size unless
# `BENCH_ARGS=--quick` (CI's size, seconds each); the JSON lines go to stdout, progress to stderr.
# signals.py has one size (about 10 s).
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py --json $(BENCH_ARGS)
	$(BIN)/python benchmarks/gateway.py --json $(BENCH_ARGS)
	$(BIN)/python benchmarks/health.py --json $(BENCH_ARGS)
	$(BIN)/python benchmarks/web.py --json $(BENCH_ARGS)
	$(BIN)/python benchmarks/signals.py --json
	$(BIN)/python benchmarks/soak.py $(BENCH_ARGS)

# The soak benchmark (docs/benchmarks.md): the full run by default, `SOAK_ARGS=--quick` for CI's.
bench-soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py $(SOAK_ARGS)

migrate: $(STAMP)
	$(BIN)/foyer migrate

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
