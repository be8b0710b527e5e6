# The two commands: `make run` and `make test` (see README.md). Everything they need is installed here.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint format install browser clean

$(STAMP): setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium through Playwright; Playwright never downloads a browser.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium at $(CHROMIUM): run 'sudo apt-get install chromium'." >&2; \
	    exit 1; \
	  fi; \
	fi

# The accessibility tests inject axe-core, an npm package pinned in package.json/package-lock.json.
# Only `make test` needs it (and so npm); `make run` does not.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's nodejs and npm for the accessibility tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	  else \
	    echo "The accessibility tests need npm to install axe-core: run 'sudo apt-get install nodejs npm'." >&2; \
	    exit 1; \
	  fi; \
	fi
	npm ci --no-audit --no-fund
	touch $@

run: install
	$(BIN)/toolkit questionnaire check questionnaires/*.yaml
	$(BIN)/toolkit db upgrade
	$(BIN)/toolkit demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/toolkit --debug run --host $(HOST) --port $(PORT) --no-debugger --no-reload

test: install browser node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
