# The two commands: `make run` and `make test`. The Dockerfile runs the same steps.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONPATH := $(CURDIR)/site:$(CURDIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast test-browser lint bench install install-dev clean

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

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Everything but the browser suite, then the browser suite in its own run
# (pytest-asyncio and Playwright's event loop cannot share one process).
test: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/pytest -m "not browser" -p no:cacheprovider
	$(BIN)/pytest -m browser -p no:asyncio -p no:cacheprovider -W ignore::pytest.PytestConfigWarning tests/e2e

test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not browser and not redis and not postgres" -x -q

test-browser: $(VENV)/.installed-dev
	$(BIN)/pytest -m browser -p no:asyncio -W ignore::pytest.PytestConfigWarning tests/e2e

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
