# Every target installs what it needs first; `make migrate` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install migrate db-init status test stress lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[embedded,test,bench,dev]'
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) -m roboco_sql migrate

db-init: $(STAMP)
	$(PY) -m roboco_sql db-init

status: $(STAMP)
	$(PY) -m roboco_sql status

test: $(STAMP)
	$(PY) tests/ensure_pg15.py
	$(PY) -m pytest -q

stress: $(STAMP)
	ROBOCO_STRESS=1 $(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check roboco_sql tests bench
	$(VENV)/bin/ruff format --check roboco_sql tests bench
	$(VENV)/bin/mypy --strict roboco_sql

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info
