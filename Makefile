# Two commands do all the set-up: `make run` and `make test` (see README.md).
PY := .venv/bin/python
# The suite runs on the real services: PostgreSQL and Redis on this machine (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dsr
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
MUTATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dsr_mutation
MUTATION_REDIS_URL ?= redis://127.0.0.1:6379/5

.PHONY: install run serve test lint migrations-check bench mutation lock

# requirements*.txt are locked with hashes (`make lock` from requirements*.in); pip checks every file.
.venv/installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: .venv/installed

run: install
	bin/run

# As deployed: gunicorn, a worker per queue and beat (needs the production environment, .env.example).
serve: install
	bin/serve

LOCK := .venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: install
	$(LOCK) -o requirements.txt requirements.in
	$(LOCK) -o requirements-dev.txt requirements-dev.in

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) DSR_VAR_DIR=$(CURDIR)/var/test \
		$(PY) -m pytest -q -p no:cacheprovider

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy dsr policies config api
	.venv/bin/lint-imports

migrations-check: install
	DSR_VAR_DIR=$(CURDIR)/var/check $(PY) manage.py makemigrations --check --dry-run
	DSR_VAR_DIR=$(CURDIR)/var/check $(PY) manage.py check
	DSR_VAR_DIR=$(CURDIR)/var/check $(PY) manage.py holiday_calendars --check

# Benchmarks on their own database (recreated by the bench) and Redis db; sizes: bench/__main__.py.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dsr_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/7
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_REDIS_URL) $(PY) -m bench

# Mutation testing of the engine and the workflow (slow: not part of `make test` or CI; see docs/mutation.md).
mutation: install
	DATABASE_URL=$(MUTATION_DATABASE_URL) CELERY_BROKER_URL=$(MUTATION_REDIS_URL) $(PY) -m tools.mutation $(AREAS)
