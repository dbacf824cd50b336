# The two commands a new user needs (see README):
#   make demo   installs everything into .venv and runs the product on embedded defaults with demo data
#   make test   runs the whole test suite (PostgreSQL and Redis on 127.0.0.1 unless told otherwise) and ruff
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
SEED ?= 42
# The OFAC list that KYC screens against; a deployment points this at the current download.
SANCTIONS_DIR ?= ../shared/datasets/sanctions

.PHONY: install demo migrate seed run test lint bench clean prod bench-portal

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py sync_periodic_tasks

seed: migrate
	$(BIN)/python manage.py seed_demo --seed $(SEED)
	$(BIN)/python manage.py integrity_backfill --all
	@if [ -f "$(SANCTIONS_DIR)/ofac_sdn.csv" ]; then \
		$(BIN)/python manage.py load_sanctions --kind sanctions --sdn "$(SANCTIONS_DIR)/ofac_sdn.csv" \
			--alt "$(SANCTIONS_DIR)/ofac_alt.csv" --add "$(SANCTIONS_DIR)/ofac_add.csv"; \
	else echo "No sanctions list at $(SANCTIONS_DIR): KYC submissions will wait for review until one is loaded."; fi
	$(BIN)/python manage.py seed_portal_demo --seed $(SEED)

demo: seed
	$(BIN)/python manage.py runserver $(HOST)

# The suite runs against the real servers (override DATABASE_URL / CELERY_BROKER_URL to point
# elsewhere), then once more on SQLite, the embedded default that `make demo` runs on.
test: install
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/valuetok}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}" \
	CELERY_TASK_ALWAYS_EAGER=1 \
	$(BIN)/pytest $(PYTEST_ARGS)
	tmp=$$(mktemp -d) && DATABASE_URL="sqlite:///$$tmp/test.sqlite3" VALUETOK_VAR_DIR="$$tmp" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}" CELERY_TASK_ALWAYS_EAGER=1 \
	VALUETOK_REQUIRE_SERVICES= $(BIN)/pytest -q -m "not postgres" $(PYTEST_ARGS); status=$$?; rm -rf "$$tmp"; exit $$status
	$(BIN)/ruff check .

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python benchmarks/seed_events.py

# The production profile on this machine: release step (migrate, collectstatic, periodic tasks), then
# every Procfile process (gunicorn, one Celery worker per queue, beat) under honcho. Needs SECRET_KEY,
# ALLOWED_HOSTS and IP_HASH_SECRET in the environment (or .env); see README "Production profile".
PROD_ENV = VALUETOK_PROFILE=production \
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/valuetok}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}" \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/1}" \
	PATH="$(CURDIR)/$(BIN):$$PATH"

prod: install
	$(PROD_ENV) $(BIN)/python manage.py migrate --noinput
	$(PROD_ENV) $(BIN)/python manage.py collectstatic --noinput -v 0
	$(PROD_ENV) $(BIN)/python manage.py sync_periodic_tasks
	$(PROD_ENV) $(BIN)/honcho start -f Procfile

# Load on the creator portal and the read API (scratch PostgreSQL database, gunicorn on loopback).
bench-portal: install
	$(BIN)/python benchmarks/portal_load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
