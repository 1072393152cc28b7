# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: run test demo live serve-prod clean

run: $(BIN)/.runtime-installed var/ioc.db var/kpi.db
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python app.py

test: $(BIN)/.test-installed
	$(BIN)/python -m pytest --headless --webdriver Chrome
	TEST_DB=postgres $(BIN)/python -m pytest tests/unit -q

demo: $(BIN)/.runtime-installed
	$(BIN)/python manage.py demo

# Live demo events for /operations (no broker needed); run beside `make run`.
live: $(BIN)/.runtime-installed var/ioc.db
	$(BIN)/python manage.py simulate --direct --rate 20

serve-prod: $(BIN)/.runtime-installed
	APP_ENV=production HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:server

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(BIN)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(BIN)/.test-installed: requirements.txt requirements-test.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -r requirements-test.txt
	touch $@ $(BIN)/.runtime-installed

var/ioc.db var/kpi.db &: | $(BIN)/.runtime-installed
	$(BIN)/python manage.py demo

clean:
	rm -rf var/ $(VENV)
