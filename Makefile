# The two commands for a fresh machine: `make demo` and `make test` (both as root).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: env demo test lint unit bench mutate mutate-again clean-run

env:
	bash scripts/setup-env.sh

demo: env
	$(PY) -m mininet_topos.demo --cloud clouds/seed.yaml

test: env lint
	$(PY) -m pytest -q -rs tests

# the linter (ruff, configured in pyproject.toml); `make test` runs it first
lint: env
	$(VENV)/bin/ruff check .

# tiers 1 and 2 only (no root-level networking needed for tier 1)
unit: env
	$(PY) -m pytest -q tests/unit tests/pipeline

# the benchmarks (bench/): one table, saved as JSON and PNG under bench/results/ (about 15 min);
# BENCH_ARGS="--only program,compute --quick" for a subset
bench:
	EXTRAS=test,bench bash scripts/setup-env.sh
	$(PY) -m bench.run $(BENCH_ARGS)

# mutation testing of flows/, cloud/ and controller/ against tiers 1 and 2 (mutmut; about 90
# minutes on 2 cores; not in CI), then the score per module (README "Mutation testing")
mutate:
	EXTRAS=test,mutate bash scripts/setup-env.sh
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 >/dev/null || true
	$(PY) scripts/mutation_report.py

# after new tests: check again only what the last run left alive (killed mutants stay killed;
# which tests reach which function is collected afresh: mutmut only learns of new tests)
mutate-again:
	EXTRAS=test,mutate bash scripts/setup-env.sh
	rm -f mutants/mutmut-stats.json
	$(PY) scripts/mutation_recheck.py
	$(VENV)/bin/mutmut run --max-children 2 >/dev/null || true
	$(PY) scripts/mutation_report.py

# remove what a crashed run left behind (only resources recorded in its state file)
clean-run: env
	$(PY) -m mininet_topos.cleanup --all
