# mqctl developer entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CLUSTER := scripts/local-cluster.sh

# The local demo's passwords (local.env, which README's "Using it" sources too): exported to every
# recipe; a variable already set in the environment wins, as a CI secret store's would.
LOCAL_ENV_VARS := $(shell sed -n 's/^\([A-Z][A-Z0-9_]*\)=.*/\1/p' local.env)
$(foreach var,$(LOCAL_ENV_VARS),$(eval $(var) ?= $(shell sed -n 's/^$(var)=//p' local.env)))
export $(LOCAL_ENV_VARS)

.PHONY: help venv install cluster-up cluster-down cluster-status cluster-logs lint test unit mutants demo bench

help:
	@echo "make install         create $(VENV) and install mqctl with dev deps"
	@echo "make cluster-up      start the local Kafka (3 KRaft nodes + a 4th broker, SASL/TLS/OAuth node), issuer, registry, Connect"
	@echo "make cluster-down    stop it and delete its data"
	@echo "make cluster-status  show what runs (a stopped cluster is not an error)"
	@echo "make lint            ruff + mypy"
	@echo "make unit            unit tests only (no cluster)"
	@echo "make mutants         break each safety mechanism in a copy; the unit tests must notice"
	@echo "make test            install, cluster-up, lint, all tests (what CI runs)"
	@echo "make demo            validate, apply and plan again the example specs on both local environments"
	@echo "make bench           benchmarks/run.py"

# The stamp is newer than pyproject.toml once `pip install` has run for it: re-running is instant.
$(VENV)/.installed: pyproject.toml
	@echo "::: installing mqctl and its dev tools into $(VENV) (pip; a minute or more the first time, quiet)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@
	@echo "::: installed: $$($(BIN)/mqctl --version) in $(VENV)/bin (source $(VENV)/bin/activate puts it on PATH)"

venv install: $(VENV)/.installed

cluster-up: install
	@$(CLUSTER) up

cluster-down:
	@$(CLUSTER) down

# status exits 3 when nothing runs: "not running" is an answer, not a failure (1: only partly running)
cluster-status:
	@$(CLUSTER) status || [ $$? -eq 3 ]

cluster-logs:
	@$(CLUSTER) logs

lint: install
	$(BIN)/ruff check mqctl tests
	$(BIN)/mypy

# -p tests.strict_run: the run fails if any test is skipped or an integration test did not run
test: install cluster-up lint
	$(BIN)/pytest -q -p tests.strict_run --durations=25
	@$(MAKE) --no-print-directory mutants

unit: install
	$(BIN)/pytest -q -m "not kafka and not sasl and not registry"

# scripts/mutation_check.py: each mutation must make a unit test fail (about 3 min on 2 loaded cores)
mutants: install
	$(BIN)/python scripts/mutation_check.py

# The example specs on both local environments, `secure` (the SASL node with the ACL authorizer) then
# `dev` (the 3-broker cluster with the registry and the Connect worker): validate, apply each (the
# apply shows its plan), then plan both again, which must find no changes. secure goes first: dev's
# MirrorMaker 2 connectors log in there as the mirror-maker user that secure's specs create. One
# summary line per step; every step's full output goes to .demo/ (scripts/demo.sh).
demo: install cluster-up
	@scripts/demo.sh

bench: install
	$(BIN)/python benchmarks/run.py
