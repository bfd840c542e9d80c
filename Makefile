# The two commands a fresh clone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The extras `make` installs. MLflow (`mlflow`, ~700 MB) is left out of `all`: CI adds it
# (EXTRAS=all,mlflow,dev), and so can you, to run the MLflow suite.
EXTRAS ?= all,dev

.PHONY: demo test lint format bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

DEMO_DIR ?= .mlc-demo

demo: $(STAMP)
	$(VENV)/bin/mlc demo --dir $(DEMO_DIR) --force

# The process coverage table covers the shipped diagrams, not the ones tests build.
SHIPPED_DIAGRAMS := $(patsubst bpmn/%,--mlc-coverage-include=%,$(wildcard bpmn/*.bpmn))

test: $(STAMP)
	$(PY) -m pytest --mlc-coverage $(SHIPPED_DIAGRAMS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks examples
	$(VENV)/bin/ruff check --fix src tests benchmarks examples

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir build/site

clean:
	rm -rf $(VENV) .mlc-demo build dist .pytest_cache .mypy_cache .ruff_cache
