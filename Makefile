# `make test`, `make demo` and `make notebooks` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: setup graphviz chromium test lint demo notebooks lab bench clean

setup: $(STAMP)

# One stamp per extra, so each target installs only what it needs: `make demo` the plot
# extra, `make notebooks` the notebooks extra (JupyterLab), `make test` everything (dev).
$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$*]'
	touch $@

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

# Notebooks run shortened (MICROGRAD_STEPS) and answer their exercises with the reference
# solutions (MICROGRAD_EXERCISES=reference), unless you set these yourself.
test: setup graphviz chromium lint
	MICROGRAD_STEPS=$${MICROGRAD_STEPS:-20} MICROGRAD_EXERCISES=$${MICROGRAD_EXERCISES:-reference} $(PY) -m pytest -q -p no:cacheprovider tests --nbmake $(wildcard notebooks/*.ipynb)

demo: $(VENV)/.installed-plot
	$(PY) -m micrograd train --dataset moons --out out

# JupyterLab on the notebooks, in your browser. `make notebooks LAB_ARGS=--no-browser`
# only starts the server (it prints the URL to open). JupyterLab refuses to run as root
# without --allow-root: containers often run as root, so it is passed there.
# Every save (autosave too) is cleaned by notebooks/clean.py, through the pre-save hook that
# notebooks/jupyter_server_config.py sets: a notebook merely run still passes `make lint`.
notebooks: $(VENV)/.installed-notebooks graphviz
	$(VENV)/bin/jupyter lab notebooks/ --config=notebooks/jupyter_server_config.py \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

lab: notebooks

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) out build dist .pytest_cache .ruff_cache .hypothesis test-artifacts
