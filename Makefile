# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run serve test test-pg lint unit integration browser bench soak system-deps runtime-deps setup clean-store geo

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

system-deps:
	./scripts/install-system-deps.sh test

runtime-deps:
	./scripts/install-system-deps.sh runtime

run: $(STAMP) runtime-deps
	$(BIN)/python app.py --host $(HOST) --port $(PORT)

# Several worker processes (gunicorn, gthread): WORKERS (default 2 x cores + 1), HOST, PORT;
# see gunicorn.conf.py. On a store other than the embedded default, run
# `$(BIN)/python -m gridwatch init-store` first (workers never migrate it).
serve: $(STAMP) runtime-deps
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:server

lint: $(STAMP)
	$(BIN)/ruff check .

# The fast lane: domain rules, callbacks as plain functions, layouts, API (under 2 min here).
unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

# Processes, regenerating the region, simulating the demo history again.
integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration -q

browser: $(STAMP) system-deps
	$(BIN)/python -m pytest tests/browser -q

# The whole suite: lint, unit, integration and browser tests on SQLite in one pytest run after
# lint, then the PostgreSQL lane.
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests -q
	$(MAKE) --no-print-directory test-pg

# The PostgreSQL lane: the tests marked `stores` (store, ingest, API, concurrency, deploy)
# again, on a private throw-away PostgreSQL cluster (scripts/with-postgres.sh: a socket in a
# temporary folder, no TCP port, stopped and deleted afterwards).
test-pg: $(STAMP) system-deps
	scripts/with-postgres.sh $(BIN)/python -m pytest tests -q -m stores

# Every benchmark, or some: `make bench ONLY=load` (names: the modules in bench/, comma- or
# space-separated).
bench: $(STAMP)
	$(BIN)/python -m bench $(ONLY)

# The wall soak (issue 3): /wall with fast rotation and live writes, memory sampled each minute.
MINUTES ?= 30
soak: $(STAMP) system-deps
	$(BIN)/python -m bench.soak --minutes $(MINUTES)

# Regenerate the demo region from data/geo/source (deterministic: same bytes).
geo: $(STAMP)
	$(BIN)/python -m gridwatch.geo.generate

clean-store:
	rm -f instance/gridwatch.sqlite instance/gridwatch.sqlite-wal instance/gridwatch.sqlite-shm
