# Build Atom's front door. Every target installs what it needs first.
#   make run    serve the API on the demo data at http://127.0.0.1:8000 (/docs)
#   make test   the whole suite against real MongoDB-protocol and S3 servers

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
PYTEST_ARGS ?=

.PHONY: run test services services-stop seed bench lint format servers clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt $(RUNTIME_STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

servers: $(RUNTIME_STAMP)
	$(PY) -m devservers build

services: servers
	$(PY) -m devservers start

services-stop: $(RUNTIME_STAMP)
	$(PY) -m devservers stop

seed: $(RUNTIME_STAMP)
	$(PY) -m devservers ensure
	$(PY) -m migrations_seed.seed

run: servers
	$(PY) -m devservers ensure
	$(PY) -m migrations_seed.seed --if-empty
	$(VENV)/bin/gunicorn --config gunicorn.conf.py wsgi:app

test: $(DEV_STAMP) servers
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP) servers
	$(PY) -m benchmarks

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy buildatom migrations_seed devservers

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
