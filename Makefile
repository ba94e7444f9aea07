# The two commands of a fresh machine:
#   make reproduce   set up .venv, fetch MNIST, run the quick reproduction (CPU), write the report
#   make test        set up .venv, lint, run the whole test suite (slow tests included)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= results/quick
PROFILE ?= quick

.PHONY: install reproduce test lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[plots,ray,dev]"
	touch $@

reproduce: install
	$(BIN)/mirl data fetch
	$(BIN)/mirl reproduce --profile $(PROFILE) --out $(OUT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest --slow -q

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
