# The commands the README names. Everything a fresh machine needs is installed here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
export PORT

.PHONY: run test lint format messages makemessages bench vendor system-deps browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

system-deps:
	@bash scripts/system-deps.sh gettext
	@bash scripts/system-deps.sh pdf

browser-deps:
	@bash scripts/system-deps.sh chromium
	@bash scripts/system-deps.sh pdftools

messages: system-deps $(VENV)/.runtime
	@$(MANAGE) compilemessages -v0 --ignore=.venv

## make run: migrate, load the demo data on first start, serve on http://127.0.0.1:$(PORT)
run: messages
	@mkdir -p var
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) seed_demo --size small --if-empty
	$(MANAGE) serve --port $(PORT)

## make test: the whole suite on SQLite, then on PostgreSQL
test: messages browser-deps $(VENV)/.dev
	@bash scripts/test.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

makemessages: system-deps $(VENV)/.runtime
	$(MANAGE) makemessages -l zh_Hans --ignore=.venv --ignore=var --no-obsolete
	$(MANAGE) makemessages -d djangojs -l zh_Hans --ignore=.venv --ignore=var --ignore=static/vendor --no-obsolete

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

vendor:
	bash scripts/vendor-assets.sh

## make clean: caches and test output only; var/crm.sqlite3 (your data) is kept
clean:
	rm -rf .pytest_cache test-artifacts var/cache var/static var/bench
