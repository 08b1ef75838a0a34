# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/salescore.duckdb
PORT   ?= 8501

.PHONY: run run-shared stop-shared test test-fast screenshots demo bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	SALESCORE_DB=$(DB) $(PY) -m salescore demo --if-missing --db $(DB)
	$(PY) -m salescore serve --db $(DB) --port $(PORT)

# the shared deployment to try on one machine (README "Shared deployment"): a PostgreSQL
# cluster in $(SHARED_DIR) on 127.0.0.1:$(SHARED_PORT), the demo loaded on first start, the app
# served on it. `make stop-shared` stops the cluster (its folder keeps the data).
SHARED_DIR  ?= data/pg
SHARED_PORT ?= 5433
SHARED_DB    = postgresql://salescore@127.0.0.1:$(SHARED_PORT)/salescore

run-shared: $(VENV)/.installed
	scripts/pg-cluster.sh start $(SHARED_DIR) $(SHARED_PORT) >/dev/null
	$(PY) -m salescore demo --if-missing --db $(SHARED_DB)
	$(PY) -m salescore serve --db $(SHARED_DB) --port $(PORT)

stop-shared:
	scripts/pg-cluster.sh stop $(SHARED_DIR)

# two workers (the machine's two cores; CI keeps the whole run under 20 minutes): a test file
# goes to one worker, and the browser tests all to one (tests/conftest.py, xdist groups).
# Running the browser tests after the rest instead took longer (752 s + 533 s against 1,260 s)
test: $(VENV)/.installed-dev
	$(PY) -m pytest -q -n 2 --dist loadgroup

# the suite without the slow tests (crash, concurrency, fuzz, bench, browser): for quick loops
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -q -n 2 --dist loadgroup -m "not slow"

# the README's page screenshots (docs/screens/*.png, 1280x720, English demo)
screenshots: $(VENV)/.installed-dev
	SALESCORE_SCREENSHOTS=1 $(PY) -m pytest -q "tests/test_browser_layout.py::test_every_page_fits_the_screen[en-1280x720]"

demo: $(VENV)/.installed
	$(PY) -m salescore demo --db $(DB)

bench: $(VENV)/.installed
	$(PY) -m salescore bench

clean:
	rm -rf $(VENV) .pytest_cache
