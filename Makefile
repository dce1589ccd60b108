# secassist — `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help bootstrap run test fuzz lint format typecheck pytest bench load migration docs gallery clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

bootstrap: ## Install Debian packages, .venv and the project (idempotent)
	scripts/bootstrap

run: ## Migrate the SQLite database, load the demo data, serve on http://127.0.0.1:8000
	scripts/run

test: ## ruff, mypy --strict, the whole suite on SQLite and on a throwaway PostgreSQL
	scripts/test

fuzz: bootstrap ## Schema fuzzing of every API operation, many random examples, SQLite and PostgreSQL (FUZZ_EXAMPLES=100)
	scripts/fuzz

lint: bootstrap ## ruff check and format check only
	.venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench

format: bootstrap ## Apply ruff's formatting and safe fixes
	.venv/bin/ruff check --fix src tests bench && .venv/bin/ruff format src tests bench

typecheck: bootstrap ## mypy --strict on src
	.venv/bin/mypy --strict src

pytest: bootstrap ## The test suite on SQLite only (quick)
	.venv/bin/pytest

bench: bootstrap ## Run the benchmarks in bench/ and print their tables (installs the bench-only peers)
	.venv/bin/python -m pip install -q -e '.[dev,bench]'
	.venv/bin/python -m bench $(b)

load: bootstrap ## Stepped HTTP load on PostgreSQL, not in CI (LOAD_USERS="1 5 10 25 50 100" LOAD_STEP_S=40 LOAD_WORKERS=2)
	.venv/bin/python -m pip install -q -e '.[dev,load]'
	.venv/bin/python -m bench.load

migration: bootstrap ## New migration from model changes: make migration m="what changed" rev=0002
	rm -f /tmp/secassist-autogen.db
	SECASSIST_DATABASE_URL=sqlite:////tmp/secassist-autogen.db .venv/bin/secassist db upgrade
	.venv/bin/python -c "from secassist.storage.engine import make_engine; from secassist.storage.migrate import autogenerate; autogenerate(make_engine('sqlite:////tmp/secassist-autogen.db'), '$(m)', '$(rev)')"

docs: bootstrap ## Regenerate the directory map in docs/architecture.md from the module docstrings
	.venv/bin/python scripts/dirmap.py

gallery: bootstrap ## Regenerate the screenshots in docs/gallery/ and docs/gallery.md (demo data, Debian's Chromium)
	.venv/bin/python scripts/gallery.py

clean: ## Remove the local database and caches (keeps .venv)
	rm -rf secassist.db secassist.db-wal secassist.db-shm .pytest_cache .mypy_cache .ruff_cache var
