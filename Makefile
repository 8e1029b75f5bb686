# Two commands: `make run` serves the site; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
HOST ?= 127.0.0.1
# The public address that credentials, QR codes, PDFs and emailed links name. Set it to the
# address learners reach the site on; by default, where `make run` serves.
SAMASCHOOL_BASE_URL ?= http://$(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST)):$(PORT)
export SAMASCHOOL_BASE_URL

.PHONY: run test lint format setup clean messages bench

# After changing user-facing strings: refresh the template and the Swahili catalogue.
messages: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --project=Samaschool .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l sw --no-fuzzy-matching

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(BIN)/activate

# Compiled message catalogues are build output: made from the .po files, never committed.
translations/sw/LC_MESSAGES/messages.mo: translations/sw/LC_MESSAGES/messages.po $(BIN)/activate
	$(BIN)/pybabel compile -d translations

setup: $(BIN)/activate translations/sw/LC_MESSAGES/messages.mo
	$(FLASK) database upgrade
	$(FLASK) courses import
	$(FLASK) pools seed-demo
	$(FLASK) users ensure-admin

# One worker with threads: the default in-memory rate-limit store is per process.
# For several workers set SAMASCHOOL_RATELIMIT_STORAGE_URI (e.g. redis://...).
# Background jobs (outgoing email, lease expiry, auto-approval, overdue awards, ended sessions)
# run in the job worker beside gunicorn, stopped with it; its queue is instance/jobs.sqlite3
# (or Redis with SAMASCHOOL_REDIS_URL), so jobs queued while it is down wait for it.
run: setup
	@echo "Public address (SAMASCHOOL_BASE_URL): $(SAMASCHOOL_BASE_URL)"
	@$(FLASK) jobs worker & jobs=$$!; \
	trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile - app:app

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/activate
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite on SQLite, then on PostgreSQL when TEST_POSTGRES_URL names a database: the second
# run collects only the tests that use a database. Two processes (pytest-xdist), one per core.
PYTEST_WORKERS ?= 2
test: lint translations/sw/LC_MESSAGES/messages.mo
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL (the tests that use a database) =="; \
		TEST_DATABASE_URL="$$TEST_POSTGRES_URL" SAMASCHOOL_TESTS_DATABASE_ONLY=1 \
			$(BIN)/python -m pytest -n $(PYTEST_WORKERS); \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Figures for BENCHMARKS.md; the claims and pages benchmarks need a scratch PostgreSQL database (it is emptied).
bench: $(BIN)/activate
	$(BIN)/python bench/sqlite_pages.py
	BENCH_DATABASE_URL="$${BENCH_DATABASE_URL:-$$TEST_POSTGRES_URL}" $(BIN)/python bench/claims.py
	$(BIN)/python bench/reset_timing.py
	BENCH_DATABASE_URL="$${BENCH_DATABASE_URL:-$$TEST_POSTGRES_URL}" $(BIN)/python bench/pages.py
