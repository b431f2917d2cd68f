# Haken — two commands: `make run` (demo server on SQLite) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck imports pytest pytest-sqlite pytest-postgres schema migrations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## Start the development server with demo data and GraphiQL on http://127.0.0.1:8000/graphql
run: $(STAMP)
	HAKEN_ENV=$${HAKEN_ENV:-development} $(BIN)/haken migrate
	HAKEN_ENV=$${HAKEN_ENV:-development} $(BIN)/haken seed-demo --if-empty
	HAKEN_ENV=$${HAKEN_ENV:-development} $(BIN)/haken serve --host 127.0.0.1 --port 8000

## Run linters, type checks, architecture contracts and the whole test suite (SQLite + PostgreSQL)
test: $(STAMP) lint typecheck imports pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy models auth resolvers notifications schema server

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: pytest-sqlite pytest-postgres

# pytest exits 5 when it collected nothing: that is a broken suite, never a pass.
pytest-sqlite: $(STAMP)
	HAKEN_TEST_DB=sqlite $(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# The database-backed tests again on PostgreSQL (TEST_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/test). Under CI=true an unreachable server fails the run.
pytest-postgres: $(STAMP)
	HAKEN_TEST_DB=postgres $(BIN)/python -m pytest -q -m db; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no database tests" >&2; exit 1; fi; exit $$rc

schema: $(STAMP)
	$(BIN)/haken export-schema > frontend-contract/schema.graphql

migrations: $(STAMP)
	$(BIN)/tortoise makemigrations

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var
