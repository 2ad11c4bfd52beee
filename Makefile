# Two commands do all the set-up on a fresh machine:
#   make check-examples   create .venv, install, and check every bundled example
#   make test             create .venv, install (Python packages, axe-core from npm, Debian's Chromium
#                         when missing), and run the whole test suite, browser tests included
#   make bench            every figure of bench/README.md (about 15 minutes; bench/run.py --quick: 2)
#   make fuzz             the long fuzz run of docs/security.md (about 45 minutes)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: check-examples test browser reference bench fuzz clean

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

test: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/python -m pytest

# The browser tests (tests/test_browser.py) drive Debian's Chromium through its ChromeDriver and run
# axe-core from npm (pinned in package-lock.json) inside the page.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "Installing Debian's chromium and chromium-driver for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -q chromium chromium-driver || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; }; \
	fi

# Benchmarks, not tests: they print a table, write bench/results.json and fail nothing. The Rego
# peer's regopy comes with the test extra (a test checks the peer agrees with ics-rules).
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The long fuzz run (docs/security.md): the property tests of tests/test_fuzz.py at 25,000 documents
# each, the differential tests at 5,000, then atheris over the whole check of one submission.
FUZZ_RUNS ?= 200000
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,fuzz]'
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_fuzz.py --hypothesis-show-statistics
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/test_differential.py --hypothesis-show-statistics
	mkdir -p fuzz/.corpus fuzz/.crashes
	$(BIN)/python fuzz/pipeline.py -runs=$(FUZZ_RUNS) -max_len=65536 -dict=fuzz/yaml.dict -artifact_prefix=fuzz/.crashes/ \
	  -print_final_stats=1 fuzz/.corpus examples examples/national tests/bad-inputs/submissions

# Rebuild reference/ from the Open Government Licence lookups in ../shared/data.
reference: $(STAMP)
	$(BIN)/python tools/build_reference.py ../shared/data reference

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis node_modules bench/.data fuzz/.corpus fuzz/.crashes
