# `make run`: set everything up and serve the hub on http://127.0.0.1:8000 (embedded default).
# `make test`: set everything up and run the tests.
# The interpreter of .venv: the first Python 3.11 that can make a virtualenv, the system's before
# one found on PATH. Why: Debian's CPython, like the python:3.11 image's own build, is compiled
# with profile-guided and link-time optimisation; pyenv's default build is not (and links
# libpython as a shared library), and served this project's API 5-8 % slower
# (docs/PERFORMANCE.md). `make PY=...` overrides. An existing .venv is kept: `rm -rf .venv` first.
PY_CANDIDATES := /usr/bin/python3.11 /usr/local/bin/python3.11 $(shell command -v python3.11)
PY ?= $(firstword $(foreach p,$(PY_CANDIDATES),$(if $(shell $(p) -c 'import ensurepip' 2>/dev/null && echo ok),$(p))) python3.11)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run` uses the safe development values of .env.development.
DEV_ENV := set -a && . ./.env.development && set +a &&

.PHONY: run serve test setup migrate demo lint typecheck check bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || { rm -rf $(VENV); echo "no Python 3.11 with venv: install python3.11-venv or pass PY=" >&2; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

# Migrate, seed, load the demo; ends with the admin login and the address (bin/demo).
demo: setup
	$(DEV_ENV) PYTHON=$(BIN)/python bin/demo

run: demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# gunicorn + Celery worker + beat against PostgreSQL and Redis; Ctrl-C stops all three.
serve: setup
	bin/serve

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy .

check: lint typecheck test

bench: setup
	$(BIN)/python bench/eval_bench.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache
