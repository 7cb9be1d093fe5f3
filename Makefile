# Two entry points a new user needs: `make demo` (set up, ingest the bundled examples, export, stats)
# and `make test` (set up, run the test suite). Both create .venv from the lock file on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip repeats a warning per package for find-links folders this machine's pip config names but lacks
QUIET_PIP := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: setup demo test bench lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock 2>&1 | { $(QUIET_PIP); }
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | { $(QUIET_PIP); }
	$(BIN)/pip check  # the lock file must satisfy every dependency pyproject.toml declares
	touch $@

demo: setup
	$(BIN)/qbank ingest examples/articles --warehouse warehouse/demo.duckdb --export exports/demo
	$(BIN)/qbank stats --warehouse warehouse/demo.duckdb

test: setup
	$(BIN)/pytest

# Benchmarks print figures (quality and speed); see each script's --help for sizes.
bench: setup
	$(BIN)/python -m bench.extraction.run
	$(BIN)/python -m bench.formats.run
	$(BIN)/python -m bench.dedup_quality.run
	$(BIN)/python -m bench.tagging.run
	$(BIN)/python -m bench.dedup_scale.run --sizes 100000
	$(BIN)/python -m bench.ingest.run --docs 1000
	$(BIN)/python -m bench.ui.run --clusters 100000
	$(BIN)/python -m bench.crawl.run

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/pip freeze --exclude-editable --disable-pip-version-check | grep -v '^-e ' > requirements.lock

clean:
	rm -rf warehouse/*.duckdb warehouse/*.wal exports/* raw/*
