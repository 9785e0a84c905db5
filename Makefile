# Platform Portal — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo serve worker beat lint format check-all bench clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## make run: create the virtualenv, install, migrate SQLite, load demo data, serve on 127.0.0.1:8000
run: demo
	@echo ""
	@echo "  Platform Portal: http://$(HOST):$(PORT)/   (log in as admin / admin, or alice / alice)"
	@echo "  API docs:        http://$(HOST):$(PORT)/api/v1/docs/"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (SQLite; PostgreSQL when DATABASE_URL is set; real worker when REDIS_URL is set)
test: install
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A portal worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A portal beat --loglevel=INFO

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## the static checks CI runs besides the tests
check-all: install lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	DJANGO_SETTINGS_MODULE=portal.settings.production DJANGO_SECRET_KEY=ci-only-$$(date +%s)-a-long-random-enough-secret-key-value DJANGO_ALLOWED_HOSTS=portal.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
