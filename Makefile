# The documented commands of sparkdms. Every target (re)starts what it needs,
# so `make test` works in a fresh clone and after the servers were killed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
RUFF := $(VENV)/bin/ruff
BENCH_ARGS ?=
PYTEST_ARGS ?=

# pytest exit code 5 means "no tests collected": not a failure for an empty folder.
# Every other non-zero code (failures, errors, interrupted) fails the target.
define run_pytest
	@rc=0; $(PYTEST) $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests collected in '$(1)' (exit 5), not a failure"; exit 0; fi; \
	exit $$rc
endef

.PHONY: help venv services cluster lint unit test demo bench status stop clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv:  ## create .venv and install sparkdms[all] (editable); quick when up to date
	@scripts/setup.sh

services:  ## start PostgreSQL (5432) and MariaDB (3306) on 127.0.0.1, installing them if missing
	@scripts/services.sh start all

cluster: venv  ## start a Spark standalone master + worker (spark://127.0.0.1:7077) and smoke-test it
	@scripts/spark-cluster.sh start

lint: venv  ## ruff check
	$(RUFF) check .

unit: venv  ## unit tests (no services needed)
	$(call run_pytest,tests/unit -q)

test: venv services cluster  ## everything CI runs: lint + the whole test suite against real services
	$(RUFF) check .
	$(call run_pytest,tests -q -ra)

demo: venv  ## run the demo migration
	$(PY) -m sparkdms.demo

bench: venv services  ## every relational pair side by side (floor, sparkdms, pgloader/Sling/dlt), overhead, CDC; BENCH_ARGS="--rows N", "--skip-cdc", "--cdc-only", "--skip-overhead"
	@scripts/bench-peers.sh
	$(PY) bench/run.py $(BENCH_ARGS)

status:  ## show whether the servers and the Spark cluster are up
	@scripts/services.sh status all || true
	@if [ -x $(PY) ]; then scripts/spark-cluster.sh status || true; fi

stop:  ## stop the Spark cluster and the database servers
	@if [ -x $(PY) ]; then scripts/spark-cluster.sh stop; fi
	@scripts/services.sh stop all

clean:  ## remove build outputs, caches, downloaded jars, demo output (keeps .venv, .services)
	rm -rf out/ demo/ build/ dist/ .jars/ .pytest_cache/ .ruff_cache/ spark-warehouse/ metastore_db/ derby.log
	rm -rf *.egg-info/
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: stop clean  ## clean, and remove .venv and .services/
	rm -rf $(VENV) .services/
