# The two commands: `make run` and `make test`. The Dockerfile runs the same steps.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONPATH := $(CURDIR)/site:$(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast test-browser lint bench install install-dev migrate static serve worker clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Staffroom needs Python 3.11 or newer.") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Node packages for the local OpenID providers of the sign-in tests (tests/oidc).
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund; \
	else echo "npm not found: the sign-in tests against local OpenID providers will be skipped."; fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.package-lock.json

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production steps, shared with the Dockerfile and compose.yaml so they cannot drift.
migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput

static: $(VENV)/.installed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

serve: $(VENV)/.installed
	$(BIN)/uvicorn config.asgi:application --app-dir site --host $(HOST) --port $(PORT) \
		--workers $${WEB_CONCURRENCY:-2} --proxy-headers --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
		--no-server-header --ws-per-message-deflate "$${WS_COMPRESSION:-false}"

# Background tasks from the database queue, and scheduled publishing once a minute.
worker: $(VENV)/.installed
	while true; do $(BIN)/python manage.py publish_scheduled; sleep 60; done & \
	exec $(BIN)/python manage.py db_worker

# Everything but the browser suite, then the browser suite in its own run
# (pytest-asyncio and Playwright's event loop cannot share one process).
test: $(VENV)/.installed-dev node_modules/.package-lock.json
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/pytest -m "not browser" -p no:cacheprovider
	$(BIN)/pytest -m browser -p no:asyncio -p no:cacheprovider -W ignore::pytest.PytestConfigWarning tests/e2e

test-fast: $(VENV)/.installed-dev node_modules/.package-lock.json
	$(BIN)/pytest -m "not browser and not redis and not postgres" -x -q

test-browser: $(VENV)/.installed-dev node_modules/.package-lock.json
	$(BIN)/pytest -m browser -p no:asyncio -W ignore::pytest.PytestConfigWarning tests/e2e

# Every benchmark, one JSON document on stdout (progress on stderr): `make bench`, or
# `make bench SIZE=full ONLY=fanout,search OUT=bench.json`. See docs/benchmarks.md.
SIZE ?= small
bench: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=config.settings.dev $(BIN)/python -m bench --size $(SIZE) \
		$(if $(ONLY),--only $(ONLY)) $(if $(SKIP),--skip $(SKIP)) $(if $(OUT),--out $(OUT))

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
