# Two commands do all the set-up on a fresh machine:
#   make check-examples   create .venv, install, and check every bundled example
#   make test             create .venv, install, and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: check-examples test reference clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v < (3, 13) else "ics-rules needs Python 3.10 to 3.12: durable-rules does not import on 3.13")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Each example is checked and its exit code compared with the one it is meant to give
# (0 compliant, 1 non-compliant, 2 invalid); the target fails on any surprise.
check-examples: $(STAMP)
	@status=0; \
	for pair in compliant.yaml:0 non-compliant.yaml:1 invalid.yaml:2; do \
	  file=examples/$${pair%%:*}; want=$${pair##*:}; \
	  echo "\$$ ics-rules check $$file"; \
	  $(BIN)/ics-rules check $$file; got=$$?; \
	  echo "(exit $$got, expected $$want)"; echo; \
	  [ "$$got" = "$$want" ] || status=1; \
	done; exit $$status

test: $(STAMP)
	$(BIN)/python -m pytest

# Rebuild reference/ from the Open Government Licence lookups in ../shared/data.
reference: $(STAMP)
	$(BIN)/python tools/build_reference.py ../shared/data reference

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
