# The two commands: `make run` and `make test` (see README.md). Everything they need is installed here.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM := /usr/bin/chromium
NOTO := /usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf

.PHONY: run test lint format install system browser clean

$(STAMP): setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	touch $(STAMP)

# The interface's compiled catalogues (.mo) are built here, never committed.
install: $(STAMP)
	@$(BIN)/toolkit i18n compile >/dev/null

# PDF reports need Pango and HarfBuzz's subsetter (WeasyPrint) and the Noto fonts that print
# every ASEAN script.
system:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! ldconfig -p | grep -q libharfbuzz-subset \
	    || [ ! -f $(NOTO) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's Pango and Noto fonts for the PDF reports..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core >/dev/null; \
	  else \
	    echo "PDF reports need Pango and the Noto fonts: run 'sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core'." >&2; \
	    exit 1; \
	  fi; \
	fi

# Browser tests drive Debian's Chromium through Playwright (Playwright never downloads a browser);
# report tests read PDFs back with poppler's pdftotext and pdftoppm.
browser:
	@if [ ! -x $(CHROMIUM) ] || ! command -v pdftotext >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium and poppler-utils for the tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium poppler-utils >/dev/null; \
	  else \
	    echo "The tests need Debian's chromium and poppler-utils: run 'sudo apt-get install chromium poppler-utils'." >&2; \
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

run: install system
	$(BIN)/toolkit questionnaire check questionnaires/*.yaml
	$(BIN)/toolkit db upgrade
	$(BIN)/toolkit demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/toolkit --debug run --host $(HOST) --port $(PORT) --no-debugger --no-reload

test: install system browser node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest

# pip-audit checks every installed package against PyPI's advisories (scripts/audit_dependencies.py
# says how it copes with networks that serve only each project's own page).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/audit_dependencies.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
