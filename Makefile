# Two commands on a fresh machine: `make serve` runs numplane on the embedded store, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint typecheck unit bench schema clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# pouchdb-server: the CouchDB-compatible server the CouchDB store is tested against.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

serve: $(BIN)/.installed
	NUMPLANE_DEBUG=$${NUMPLANE_DEBUG:-1} NUMPLANE_CARRIERS=$${NUMPLANE_CARRIERS:-simulated} \
		$(BIN)/numplane serve --host $(HOST) --port $(PORT) --init

lint: $(BIN)/.installed
	$(BIN)/ruff check numplane tests benchmarks

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed node_modules/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

bench: $(BIN)/.installed node_modules/.installed  # needs wrk (apt-get install wrk)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

schema: $(BIN)/.installed
	$(BIN)/numplane schema > schema.graphql

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
