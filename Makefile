# Every target installs what it needs first; `make migrate` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install system-deps migrate db-init status test stress lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[embedded,test,bench,dev,corpus]'
	touch $(STAMP)

# Debian's PostgreSQL 15 (a server without pgvector) and PgBouncer, for the tests that need
# them; installed once, as root, where missing.
system-deps:
	@test -x /usr/lib/postgresql/15/bin/postgres -a -x /usr/sbin/pgbouncer || { \
	  echo "installing Debian's postgresql-15 and pgbouncer"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends postgresql-15 pgbouncer >/dev/null; }

migrate: $(STAMP)
	$(PY) -m roboco_sql migrate

db-init: $(STAMP)
	$(PY) -m roboco_sql db-init

status: $(STAMP)
	$(PY) -m roboco_sql status

test: $(STAMP) system-deps
	$(PY) -m pytest -q -n auto --dist worksteal

stress: $(STAMP) system-deps
	ROBOCO_STRESS=1 $(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check roboco_sql tests bench examples
	$(VENV)/bin/ruff format --check roboco_sql tests bench examples
	$(VENV)/bin/mypy --strict roboco_sql

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info
