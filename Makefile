# Two entry points a new user needs: `make demo` (set up, ingest the bundled examples, export, stats)
# and `make test` (set up, run the test suite). Both create .venv from the lock file on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: setup demo test bench lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

demo: setup
	$(BIN)/qbank ingest examples/articles --warehouse warehouse/demo.duckdb --export exports/demo
	$(BIN)/qbank stats --warehouse warehouse/demo.duckdb

test: setup
	$(BIN)/pytest

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/pip freeze --exclude-editable --disable-pip-version-check | grep -v '^-e ' > requirements.lock

clean:
	rm -rf warehouse/*.duckdb warehouse/*.wal exports/* raw/*
