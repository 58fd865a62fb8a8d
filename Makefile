# `make test`, `make demo` and `make notebooks` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: setup graphviz chromium test lint demo notebooks lab bench clean site site-for-tests

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

# The browser site (site/, ignored by git): Pyodide and Graphviz in WebAssembly from npm, pinned
# by web/package-lock.json; Debian's nodejs and npm installed where missing, as graphviz is.
# Rebuilt only when a source changed. Serve it with `python3 -m http.server -d site 8000`.
NPM_STAMP := web/node_modules/.installed
SITE_SOURCES := $(wildcard web/*.html web/*.js web/*.css web/*.py) pyproject.toml \
	$(shell find micrograd -name '*.py' -o -name '*.js' -o -name '*.css' -o -name '*.html' 2>/dev/null)

$(NPM_STAMP): web/package.json web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian nodejs and npm (for make site)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	else \
		echo "make site needs npm: sudo apt-get install nodejs npm"; exit 1; \
	fi
	cd web && npm ci --no-audit --no-fund
	touch $@

site/index.html: $(NPM_STAMP) $(SITE_SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)  # build.py needs only pip (to build and fetch the wheels)
	$(PY) web/build.py

site: site/index.html

# `make test` builds the site for tests/test_site.py where npm is or can be installed; elsewhere
# those tests skip and say why (and fail under CI, which must run them).
site-for-tests:
	@if command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }; then \
		$(MAKE) --no-print-directory site; \
	else \
		echo "note: npm is missing and cannot be installed here; the site tests will be skipped"; \
	fi

lint: setup
	$(VENV)/bin/ruff check micrograd tests benchmarks notebooks/clean.py
	$(PY) notebooks/clean.py --check

# Notebooks run shortened (MICROGRAD_STEPS) and answer their exercises with the reference
# solutions (MICROGRAD_EXERCISES=reference), unless you set these yourself.
test: setup graphviz chromium lint site-for-tests
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
	rm -rf $(VENV) out build dist site web/node_modules .pytest_cache .ruff_cache .hypothesis test-artifacts
