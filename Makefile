# Two commands: `make run` serves the site; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run test lint format setup clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(BIN)/activate

setup: $(BIN)/activate
	$(FLASK) db upgrade
	$(FLASK) courses import
	$(FLASK) users ensure-admin

# One worker with threads: the default in-memory rate-limit store is per process.
# For several workers set SAMASCHOOL_RATELIMIT_STORAGE_URI (e.g. redis://...).
run: setup
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile - app:app

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/activate
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite on SQLite, then on PostgreSQL when TEST_POSTGRES_URL names a database.
test: lint
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL =="; \
		TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/python -m pytest; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
