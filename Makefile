# The two set-up commands of the README:
#   make demo   -- install, start Neo4j, generate and load a 100k-user sample, print the
#                  report of its most-shared product and write report.html
#   make test   -- install, run the whole test suite against a real Neo4j
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export DIFFUSION_HOME ?= $(CURDIR)/.diffusion

.PHONY: install demo test

$(BIN)/diffusion: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/diffusion

DEMO_SNAPSHOT ?= $(DIFFUSION_HOME)/demo-snapshot

demo: install
	$(BIN)/diffusion neo4j start
	$(BIN)/diffusion generate $(DEMO_SNAPSHOT) --users 100000 --products 10 --seed 7 --overwrite
	$(BIN)/diffusion load $(DEMO_SNAPSHOT) --fresh
	$(BIN)/diffusion stats --top 5
	$(BIN)/diffusion report --most-shared --format text --html report.html

# Tests use NEO4J_URI when set; otherwise they start their own server on port
# 7688 (home $DIFFUSION_HOME/test-neo4j) and stop it at the end.
test: install
	$(BIN)/pytest
