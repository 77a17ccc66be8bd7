# mqctl developer entry points. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CLUSTER := scripts/local-cluster.sh

# Password of the super user admin on the local SASL node (mqctl.yaml's `secure` env reads it).
KAFKA_ADMIN_PASSWORD ?= admin-secret
export KAFKA_ADMIN_PASSWORD
# Passwords of the SCRAM users in users/ (the design's services). Local demo values only: in a real
# pipeline they come from the CI secret store, and mqctl never prints them.
ORDER_SERVICE_PASSWORD ?= order-service-local
INVENTORY_SERVICE_PASSWORD ?= inventory-service-local
PAYMENT_SERVICE_PASSWORD ?= payment-service-local
NOTIFICATION_SERVICE_PASSWORD ?= notification-service-local
ANALYTICS_SERVICE_PASSWORD ?= analytics-service-local
# MirrorMaker 2's user on the SASL node (users/, acls/mirror.yaml, connectors/mirror.yaml)
MIRROR_MAKER_PASSWORD ?= mirror-maker-local
export ORDER_SERVICE_PASSWORD INVENTORY_SERVICE_PASSWORD PAYMENT_SERVICE_PASSWORD NOTIFICATION_SERVICE_PASSWORD ANALYTICS_SERVICE_PASSWORD
export MIRROR_MAKER_PASSWORD

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
	@echo "make demo            validate / plan / apply / plan on the dev environment"
	@echo "make bench           benchmarks/run.py"

# The stamp is newer than pyproject.toml once `pip install` has run for it: re-running is instant.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

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
	$(BIN)/pytest -q -p tests.strict_run
	@$(MAKE) --no-print-directory mutants

unit: install
	$(BIN)/pytest -q -m "not kafka and not sasl and not registry"

# scripts/mutation_check.py: each mutation must make a unit test fail (about 3 min on 2 loaded cores)
mutants: install
	$(BIN)/python scripts/mutation_check.py

# The example specs on both local environments: `dev` (3 brokers: topics, users, schemas, broker
# config, and connectors on its Connect worker) and `secure` (the SASL node with the ACL authorizer:
# the same plus enforced ACLs). secure goes first: dev's MirrorMaker 2 connectors log in there as
# the mirror-maker user that secure's specs create.
# `plan` exits 2 when there are changes; the final plans must exit 0 (converged).
demo: install cluster-up
	$(BIN)/mqctl validate
	@for env in secure dev; do \
	  echo "::: mqctl plan --env $$env"; $(BIN)/mqctl plan --env $$env; rc=$$?; \
	  [ $$rc -eq 0 ] || [ $$rc -eq 2 ] || exit $$rc; \
	  echo "::: mqctl apply --env $$env --auto-approve"; $(BIN)/mqctl apply --env $$env --auto-approve || exit $$?; \
	done
	$(BIN)/mqctl plan --env dev
	$(BIN)/mqctl plan --env secure

bench: install
	$(BIN)/python benchmarks/run.py
