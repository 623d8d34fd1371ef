# The two commands a fresh machine needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
DEMO_SCALE ?= 0.05
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

export DJANGO_SETTINGS_MODULE := powerco.settings
# pytest-playwright's event loop and Django's live_server share a thread in the browser tests.
export DJANGO_ALLOW_ASYNC_UNSAFE := true

.PHONY: demo test install lint format messages run clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	scripts/system-deps.sh build fonts
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	touch $@

# axe-core for the browser tests' accessibility checks (package.json; never served).
node_modules/.installed: package.json package-lock.json
	scripts/system-deps.sh node
	npm ci --silent --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

demo: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo --scale $(DEMO_SCALE) --if-empty
	PY=$(PY) scripts/serve.sh $(HOST)

# The web server and the worker (scripts/serve.sh); `$(PY) manage.py run_huey` runs the worker alone.
run: install
	PY=$(PY) scripts/serve.sh $(HOST)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	scripts/system-deps.sh messages
	$(PY) manage.py makemessages -l vi --no-obsolete $(foreach d,.venv .tools test-results staticfiles bench tests,--ignore $(d))
	$(PY) manage.py compilemessages --ignore .venv --ignore .tools

test: install lint
	scripts/system-deps.sh browser messages deploy
	$(PY) scripts/check_messages.py
	scripts/test-db.sh $(VENV)/bin/pytest --screenshot=only-on-failure --output=test-results $(PYTEST_ARGS)
	@echo "Portable pass on SQLite (the code paths PostgreSQL's fast paths stand in for):"
	PORTABLE_PASS=1 DATABASE_URL=sqlite:///$(CURDIR)/test-results/portable.sqlite3 \
		$(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .tools test-results staticfiles .pytest_cache powerco.sqlite3
