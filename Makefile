# The two commands of the README's quickstart.
#   make demo   installs into .venv and runs the demo
#   make test   installs into .venv and runs lint, types and the tests (what CI runs)
VENV := .venv/bin

.PHONY: setup demo quick test lint bench

setup:
	bash scripts/setup.sh

demo: setup
	$(VENV)/safetylab demo

quick: setup
	$(VENV)/safetylab demo --quick

lint:
	$(VENV)/ruff check src tests benchmarks
	$(VENV)/mypy

test: setup lint
	$(VENV)/python -m pytest -q

bench: setup
	$(VENV)/python benchmarks/demo_time.py
