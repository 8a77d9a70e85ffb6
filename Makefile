# The two set-up commands of the README:
#   make demo   -- install, start Neo4j, generate and load a 100k-user sample, print the
#                  report of its most-shared product and write report.html
#   make test   -- install, run the whole test suite against a real Neo4j
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export DIFFUSION_HOME ?= $(CURDIR)/.diffusion

.PHONY: install demo test

# The demo installs what it runs (the package and the driver's Rust extension); the
# tests add their extras (simulators to compare with, Playwright, the notebook runner,
# JSON Schema) and pyspark, whose engine they check against DuckDB.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[fast]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[fast,test,spark]'
	touch $@

install: $(VENV)/.installed

DEMO_SNAPSHOT ?= $(DIFFUSION_HOME)/demo-snapshot

demo: install
	$(BIN)/diffusion neo4j start
	$(BIN)/diffusion generate $(DEMO_SNAPSHOT) --users 100000 --products 10 --seed 7 --overwrite
	$(BIN)/diffusion load $(DEMO_SNAPSHOT) --fresh
	$(BIN)/diffusion stats --top 5 --by shares
	$(BIN)/diffusion report --most-shared --format text --html report.html

# Tests use NEO4J_URI when set; otherwise they start their own server on port
# 7688 (home $DIFFUSION_HOME/test-neo4j) and stop it at the end.
test: $(VENV)/.installed-test
	$(BIN)/pytest
