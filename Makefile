# LeadSite: `make run` serves the app, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQUIREMENTS := requirements.txt requirements-dev.txt constraints.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQUIREMENTS) | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
LEADS ?= 1000000
BENCH_ARGS ?=

.PHONY: cluster cluster-stop cluster-status cluster-test run test setup setup-runtime constraints check-constraints migrate seed lint format bench load clean

# Development: the runtime plus test tools, every transitive version from constraints.txt.
$(STAMP): $(REQUIREMENTS)
	@echo "== Setting up .venv: installing the pinned dependencies (about a minute the first time)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt -c constraints.txt \
	  | grep --line-buffered -E "^(Collecting|Successfully installed)" | sed -u 's/^/   /' ; test $${PIPESTATUS[0]} -eq 0
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The translations' .mo files from locale/*/LC_MESSAGES/*.po (pure Python: Babel,
# no GNU gettext needed); they are committed too, so setup-runtime needs nothing.
setup: $(STAMP)
	@$(PY) scripts/i18n.py compile

# Production: the runtime only (no pytest, Playwright or ruff).
setup-runtime:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt

# After changing a pin: install, then rewrite constraints.txt from the venv.
constraints:
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	( echo "# Every package's exact version (transitive pins), from \`make constraints\`."; \
	  echo "# Used with -c by make setup and the production install."; \
	  $(PY) -m pip freeze --exclude-editable ) > constraints.txt

migrate: setup
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@$(PY) -c "import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$(HOST)', $(PORT)))" 2>/dev/null \
	  || { echo "Port $(PORT) on $(HOST) is taken (another LeadSite or another server). Run: make run PORT=$$(( $(PORT) + 1 ))"; exit 1; }
	@echo ""
	@echo "LeadSite on http://$(HOST):$(PORT)/  (demo logins: admin, manager, rep, rep2 and more, see README; password: leadsite)"
	@echo ""
	@# The background-task worker (imports, exports, webhooks, periodic jobs) and the
	@# scheduler that queues the periodic jobs run beside the server and stop with it.
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(PY) manage.py db_worker & worker=$$!; \
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(PY) manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(PY) manage.py runserver $(HOST):$(PORT)

test: setup check-constraints lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

# The installed packages are exactly those constraints.txt pins (nothing unpinned).
check-constraints: setup
	@diff <(grep -v '^#' constraints.txt | sort -f) <($(PY) -m pip freeze --exclude-editable --disable-pip-version-check | sort -f) \
	  || { echo "constraints.txt differs from the installed packages (< pinned only, > installed only): run make constraints"; exit 1; }

# ruff, then the import-linter contracts in pyproject.toml (layers, no cycles).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Tops the database up to LEADS leads first (nothing to do when it has them), then
# prints the bench JSON on stdout, and nothing else (migrating and seeding log to
# stderr): `make bench > bench.json`.
bench: setup
	@$(PY) manage.py migrate --noinput >&2
	@$(PY) manage.py seed_demo --leads $(LEADS) >&2
	@$(PY) manage.py collectstatic --noinput -v0 >&2
	@$(PY) manage.py bench $(BENCH_ARGS)

# HTTP throughput through gunicorn on 127.0.0.1: wrk (apt-get install -y wrk) at 16
# clients on the lead list and a lead page, req/s, p50 and p95 (scripts/load.py).
load: migrate
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) scripts/load.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# Several app servers on one machine (docs/scale-out.md): a PostgreSQL primary and
# a streaming replica, Redis, two gunicorn servers behind nginx, two db_workers and
# the scheduler, under .cluster/ (LEADSITE_CLUSTER_DIR). Needs Debian's postgresql,
# nginx and redis-server packages; says which are missing.
cluster: setup
	$(PY) scripts/cluster.py start

cluster-stop:
	$(PY) scripts/cluster.py stop

cluster-status:
	@$(PY) scripts/cluster.py status

# The cluster suite (tests/cluster, not part of make test): its own cluster in a
# temporary folder on free ports, started once and stopped at the end.
cluster-test: setup
	LEADSITE_CLUSTER_TESTS=1 $(PY) -m pytest tests/cluster -n 0 -p no:randomly $(PYTEST_ARGS)
