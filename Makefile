# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
# pytest-xdist workers: each builds its own demo databases and runs its own Chromium.
TEST_WORKERS ?= 2

.PHONY: run test demo live serve-prod clean screenshots lock bench-deps bench-interactions

run: $(BIN)/.runtime-installed var/ioc.db var/kpi.db
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python app.py

# Every test on SQLite (browser tests included), then the ones that touch the demo databases on PostgreSQL.
test: $(BIN)/.test-installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --headless --webdriver Chrome
	TEST_DB=postgres $(BIN)/python -m pytest -n $(TEST_WORKERS) tests/unit -q

demo: $(BIN)/.runtime-installed
	$(BIN)/python manage.py demo

# Live demo events for /operations (no broker needed); run beside `make run`.
live: $(BIN)/.runtime-installed var/ioc.db
	$(BIN)/python manage.py simulate --direct --rate 20

# Every page at 390×844 and the wall views at 1920×1080 and 3840×2160, in vi and en, into docs/screenshots/
# (its own demo databases and server; needs Chromium and chromedriver like the browser tests).
screenshots: $(BIN)/.test-installed
	$(BIN)/python benchmarks/screenshots.py

# Interactions (input → last DOM change) and page loads against the previous commit (git worktree
# of HEAD), then the fifty-presenter meeting (PostgreSQL and Redis, as benchmarks/presenters.py).
bench-interactions: bench-deps
	$(BIN)/python benchmarks/interactions.py

serve-prod: $(BIN)/.runtime-installed
	APP_ENV=production HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:server

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Installs come from hashed lock files (pip-compile output of requirements*.txt): the same
# packages, byte for byte, on every machine. `make lock` writes them again after a pin changes.
$(BIN)/.runtime-installed: requirements.lock | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	touch $@

$(BIN)/.test-installed: requirements-test.lock | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements-test.lock
	touch $@ $(BIN)/.runtime-installed

# Benchmarks need a few packages more (benchmarks/load.py's HTTP client).
bench-deps: requirements-bench.lock | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements-bench.lock
	touch $(BIN)/.test-installed $(BIN)/.runtime-installed

LOCK := $(VENV)/lock-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --resolver=backtracking

lock:
	test -x $(VENV)/lock-tools/bin/pip-compile || ($(PYTHON) -m venv $(VENV)/lock-tools && $(VENV)/lock-tools/bin/pip install -q pip-tools==7.6.2)
	$(LOCK) -o requirements.lock requirements.txt
	cp requirements.lock requirements-test.lock  # start from the runtime pins: tests run what production runs
	$(LOCK) -o requirements-test.lock requirements-test.txt
	cp requirements-test.lock requirements-bench.lock
	$(LOCK) -o requirements-bench.lock requirements-bench.txt

var/ioc.db var/kpi.db &: | $(BIN)/.runtime-installed
	$(BIN)/python manage.py demo

clean:
	rm -rf var/ $(VENV)
