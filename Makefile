# Two commands do all set-up on a fresh machine (see README.md):
#   make demo   install, then moderate the bundled sample export with the bundled model
#   make test   install with test extras (and headless Chromium where we can), then run pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test browser lint bench

demo: install
	$(BIN)/safecomment moderate examples/sample-comments.wxr.xml --exit-zero

test: install-test browser
	$(BIN)/python -m pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,plots]'

# Debian's Chromium + ChromeDriver for the real-browser XSS test. Installed only when we are root
# on a Debian-like system and it is missing; otherwise the browser tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "chromium: $$(chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
			|| echo "could not install chromium with apt-get: browser tests will skip"; \
	else \
		echo "chromium not installed and cannot apt-get it here: browser tests will skip"; \
	fi

lint: install-test
	$(BIN)/ruff check src tests benchmarks

bench: install-test
	$(BIN)/python benchmarks/bench_sanitize.py
