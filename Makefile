# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -q -n 2

.PHONY: venv init run test bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

init: venv
	$(BIN)/scrapledger init
	$(BIN)/scrapledger demo

run: init
	$(BIN)/scrapledger serve --bind 127.0.0.1:8000

test: venv
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m bench

soak: venv
	SCRAPLEDGER_SOAK_SECONDS=300 SCRAPLEDGER_SOAK_KILLS=40 $(BIN)/python -m pytest -q tests/test_faults.py -k crash

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
