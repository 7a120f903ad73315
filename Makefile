# Two commands: `make check` (the production gate on this repository) and `make test`
# (the whole suite against PostgreSQL and Redis on localhost).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: check test venv smoke bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

check: venv
	$(BIN)/pytest --production-check --production-report .tier1/production-report.json
	@echo
	$(BIN)/tier1 events --limit 5

test: venv
	$(BIN)/pytest

smoke: venv
	tests/smoke_wheel.sh $(BIN)/python

bench: venv
	$(BIN)/python benchmarks/store.py

clean:
	rm -rf $(VENV) build dist *.egg-info .tier1
