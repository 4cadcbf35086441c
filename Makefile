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

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages some tests use: Chromium drives the web widget's browser tests (never a
# downloaded browser build) and Go runs the generated Go service's own tests. Installed when missing
# and we may use apt (root); otherwise those tests skip with a reason.
SYSTEM_PACKAGES := chromium:/usr/bin/chromium golang-go:/usr/bin/go

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

test: install-dev system-packages
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
