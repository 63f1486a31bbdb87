# Two commands on a fresh machine: `make serve` runs numplane on the embedded store, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest processes: most tests wait on servers they started (pouchdb-server, numplane, chromium), so two
# share the 2-core machines' CPU well; each module stays on one process (its module fixtures start once).
TEST_WORKERS ?= 2

.PHONY: serve test lint typecheck unit bench schema clean console console-check chromium

CONSOLE_SOURCES := $(shell find console/src console/ide -type f 2>/dev/null) console/index.html \
	console/vite.config.ts console/vite.ide.config.ts console/tsconfig.json console/codegen.yml

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# pouchdb-server: the CouchDB-compatible server the CouchDB store is tested against.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The web console (console/): npm ci when its lockfile changed, a Vite build when its sources changed.
console/node_modules/.installed: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

console/dist/.built: console/node_modules/.installed $(CONSOLE_SOURCES) schema.graphql
	cd console && npx tsc --noEmit && npx vite build --logLevel warn && npx vite build --config vite.ide.config.ts --logLevel error
	touch $@

console: console/dist/.built

# Generated documents must match schema.graphql and the sources (`cd console && npm run codegen` updates them).
console-check: console/node_modules/.installed
	cd console && npx graphql-codegen --config codegen.yml --check --silent && npx vitest run --reporter=dot

# The end-to-end tests drive Debian's chromium (CI runs as root; apt-get update only when it must install).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

serve: $(BIN)/.installed console/dist/.built
	NUMPLANE_DEBUG=$${NUMPLANE_DEBUG:-1} NUMPLANE_CARRIERS=$${NUMPLANE_CARRIERS:-simulated} \
		$(BIN)/numplane serve --host $(HOST) --port $(PORT) --init

lint: $(BIN)/.installed
	$(BIN)/ruff check numplane tests benchmarks

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed node_modules/.installed console/dist/.built chromium
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

test: lint typecheck console-check unit

bench: $(BIN)/.installed node_modules/.installed  # needs wrk (apt-get install wrk)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

schema: $(BIN)/.installed
	$(BIN)/numplane schema > schema.graphql

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist console/ide-dist
