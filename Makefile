# archgym: `make demo` runs the main job, `make test` the whole suite. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Modules mypy must pass cleanly (settings in pyproject.toml's [tool.mypy]); add modules as they are typed.
MYPY_FILES := archgym/space.py archgym/simulator.py archgym/objective.py archgym/evaluator.py archgym/store.py \
	archgym/registry.py archgym/_plain.py archgym/_optional.py archgym/_procs.py archgym/loop.py archgym/env.py archgym/wrappers.py \
	archgym/costmodel.py archgym/indicators.py archgym/_yaml.py

.PHONY: install install-dev demo test test-fast bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP) $@

install: $(STAMP)

install-dev: $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/archgym run --env archgym/DRAM-v0 --agent ga --budget 100 --seed 0 --store archgym-runs/demo-run.db
	$(BIN)/archgym bench run --tasks mapping-edp,synthetic-cost --agents random,walk,ga,aco,optuna-tpe \
		--budgets 50,200 --seeds 3 --store archgym-runs/demo-bench.db
	$(BIN)/archgym bench report --store archgym-runs/demo-bench.db --out archgym-runs/demo-report

test: $(DEV_STAMP)
	$(BIN)/pytest -n 2 -q

# Everything but the tests marked slow (over 30 s each); `make test` runs those too.
test-fast: $(DEV_STAMP)
	$(BIN)/pytest -n 2 -q -m "not slow"

bench: $(DEV_STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(DEV_STAMP)
	$(BIN)/ruff check archgym tests benchmarks
	$(BIN)/ruff format --check archgym tests benchmarks
	$(BIN)/mypy $(MYPY_FILES)

clean:
	rm -rf $(VENV) archgym-runs .pytest_cache .ruff_cache .mypy_cache
