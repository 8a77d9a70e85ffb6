# The two set-up commands of the README:
#   make demo   -- install, start Neo4j, load the sample snapshot, print its statistics
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

demo: install
	$(BIN)/diffusion neo4j start
	$(BIN)/diffusion load analyzer/samples/tea-circle --replace
	$(BIN)/diffusion stats

# Tests use NEO4J_URI when set; otherwise they start their own server on port
# 7688 (home $DIFFUSION_HOME/test-neo4j) and stop it at the end.
test: install
	$(BIN)/pytest
