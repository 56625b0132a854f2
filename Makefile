# Two commands set everything up: `make serve` and `make test` (each creates .venv on first use).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mockpit-installed
PORT ?= 8080

.PHONY: serve test test-lowest lint bench docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "mockpit needs Python 3.10 or newer; run: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## serve: start mockpit on the bundled examples at http://127.0.0.1:$(PORT)
serve: $(STAMP)
	$(BIN)/mockpit serve examples --port $(PORT)

## test: lint, type-check and run the whole test suite
test: $(STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-lowest: the test suite again, every direct dependency at the lowest version pyproject.toml allows
# uv reads the floors from pyproject.toml itself, so there is no second list to keep in step; what the
# floors pull in comes at its newest, as it would for a user. ruff and mypy are pinned and ran in `test`.
LOWEST := .venv-lowest
$(LOWEST)/.mockpit-installed: pyproject.toml $(STAMP)
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --no-python-downloads --python $(PYTHON) $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[test]'
	@touch $@

test-lowest: $(LOWEST)/.mockpit-installed
	$(LOWEST)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## docs: build the documentation site into site/ (strict: a broken link fails)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## bench: the load benchmark (needs wrk: apt-get install wrk)
bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .mypy_cache .ruff_cache site
