# `make test` and `make demo` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup graphviz chromium test lint demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's graphviz provides `dot`, which renders the drawings.
graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian graphviz (for dot)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "note: 'dot' is missing; install Graphviz (sudo apt-get install graphviz) to render drawings"; \
	fi

# Debian's chromium runs the browser tests (driven by playwright; never `playwright install`).
chromium:
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian chromium (for the browser tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "note: chromium is missing; the browser tests will be skipped (sudo apt-get install chromium)"; \
	fi

lint: setup
	$(VENV)/bin/ruff check micrograd tests benchmarks notebooks/clean.py
	$(PY) notebooks/clean.py --check

# Notebooks run shortened (MICROGRAD_STEPS) unless you set it yourself.
test: setup graphviz chromium lint
	MICROGRAD_STEPS=$${MICROGRAD_STEPS:-20} $(PY) -m pytest -q -p no:cacheprovider tests --nbmake $(wildcard notebooks/*.ipynb)

demo: setup graphviz
	$(PY) -m micrograd train --dataset moons --out out

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) out build dist .pytest_cache .ruff_cache .hypothesis
