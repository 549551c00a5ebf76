# Two commands do all set-up on a fresh clone (see README.md):
#   make run    create .venv, install, ingest corpus/ (unchanged files are skipped), start the app
#   make test   install the dev extras and Debian's chromium, then run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
export ORT_DISABLE_TELEMETRY := 1

.PHONY: run test ingest lint chromium clean

$(BIN)/python:
	@[ -n "$(PYTHON)" ] || { echo "Python 3.11+ is needed (python3.11 or python3 on PATH)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed, found $$($(PYTHON) --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "venv failed: on Debian/Ubuntu, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

ingest: $(VENV)/.installed
	$(BIN)/newsbrief ingest corpus/

run: ingest
	$(BIN)/newsbrief app --port $(PORT)

# The browser test needs Debian's chromium (no browser download); install it when we can, and
# say so (the test then skips) when we cannot.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  if [ -z "$$SUDO" ] || command -v sudo >/dev/null 2>&1; then \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/tmp/newsbrief-apt.log 2>&1 || \
	    echo "could not install chromium (see /tmp/newsbrief-apt.log): the browser test will be skipped"; \
	  else echo "chromium not installed and no root: the browser test will be skipped"; fi; }

test: $(VENV)/.installed-dev chromium
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check rag tests app.py bench evals

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
