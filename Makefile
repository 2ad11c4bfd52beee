# Two commands do all the set-up on a fresh machine:
#   make check-examples   create .venv, install, and check every bundled example
#   make test             create .venv, install (Python packages, axe-core from npm, Debian's Chromium
#                         when missing), run the whole test suite, browser tests included, then the core
#                         tests on every other supported CPython this machine has (.venv-3.x each)
#   make lock             refresh the pinned, hashed package lists in requirements/ (see tools/lock.sh)
#   make bench            every figure of bench/README.md (about 15 minutes; bench/run.py --quick: 2)
#   make fuzz             the long fuzz run of docs/security.md (about 45 minutes)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SHARED := ../shared

# durable-rules compiles from source. As released it calls PyEval_CallObject, which Python 3.13 removed;
# this maps the call to PyObject_CallObject, which does the same on every version (on 3.10 to 3.12 the
# old name is itself a macro for it). Its setup.py overwrites CFLAGS, so the flag goes in CPPFLAGS.
DURABLE_CPPFLAGS := -DPyEval_CallObject=PyObject_CallObject

# The core tests every other supported CPython runs (the main interpreter runs them all).
CORE_TESTS := tests/test_engine.py tests/test_differential.py tests/test_cli.py tests/test_bad_inputs.py tests/test_packaging.py
# Other CPythons from 3.10 to 3.13 on this machine (on PATH or pyenv's), besides $(PYTHON).
OTHER_PYTHONS ?= $(shell tools/other_pythons.sh "$(PYTHON)")

.PHONY: check-examples test test-core test-other-pythons shared browser reference bench fuzz lock clean

# Everything installed comes from requirements/*.txt (versions and hashes); `make lock` refreshes them.
# --no-build-isolation builds durable-rules and ics-rules with the pinned setuptools and hatchling,
# and --no-cache-dir keeps pip from reusing a durable-rules wheel built without the flag above.
$(STAMP): pyproject.toml requirements/build.txt requirements/test.txt requirements/pyyaml-lowest.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v < (3, 14) else f"ics-rules needs CPython 3.10 to 3.13; {sys.executable} is {v[0]}.{v[1]}: make PYTHON=python3.12 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/build.txt
	CPPFLAGS="$(DURABLE_CPPFLAGS) $$CPPFLAGS" $(PIP) install --quiet --no-cache-dir --require-hashes --no-build-isolation -r requirements/test.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -c 'import durable_rules_engine' 2>/dev/null || { echo "durable-rules was installed but does not import in $(VENV): rm -rf $(VENV) and run make again"; exit 1; }
	rm -rf $(VENV)/pyyaml-lowest
	$(PIP) install --quiet --require-hashes --no-deps --target $(VENV)/pyyaml-lowest -r requirements/pyyaml-lowest.txt
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

# ICS_RULES_STRICT: what the suite needs (the browser, the lowest PyYAML) fails the run when missing,
# rather than skipping.
test: shared $(STAMP) $(NODE_STAMP) browser
	ICS_RULES_STRICT=1 $(BIN)/python -m pytest
	@$(MAKE) --no-print-directory test-other-pythons

test-other-pythons:
	@for py in $(OTHER_PYTHONS); do \
	  v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "== Python $$v ($$py): $(CORE_TESTS)"; \
	  $(MAKE) --no-print-directory test-core PYTHON=$$py VENV=.venv-$$v || exit 1; \
	done

test-core: shared $(STAMP)
	ICS_RULES_STRICT=1 $(BIN)/python -m pytest -q $(CORE_TESTS)

# The tests read the source texts (../shared/seeds) and the OASIS SARIF schema (../shared/data).
shared:
	@[ -d $(SHARED)/seeds ] && [ -d $(SHARED)/data ] || { echo "make test needs ../shared (the source texts and reference data) beside this checkout, at $(abspath $(SHARED))"; exit 1; }

# The browser tests (tests/test_browser.py) drive Debian's Chromium through its ChromeDriver and run
# axe-core from npm (pinned in package-lock.json) inside the page.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

# apt waits up to ten minutes for another apt or dpkg (an unattended upgrade) to release its lock.
APT := $(SUDO) apt-get -o DPkg::Lock::Timeout=600
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "Installing Debian's chromium and chromium-driver for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(APT) install -y -q chromium chromium-driver || \
	  { $(APT) update -q && $(APT) install -y -q chromium chromium-driver; }; \
	fi

# Benchmarks, not tests: they print a table, write bench/results.json and fail nothing. The Rego
# peer's regopy comes with the test extra (a test checks the peer agrees with ics-rules).
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The long fuzz run (docs/security.md): the property tests of tests/test_fuzz.py at 25,000 documents
# each, the differential tests at 5,000, then atheris over the whole check of one submission.
FUZZ_RUNS ?= 200000
fuzz: $(STAMP)
	$(PIP) install --quiet --no-deps 'atheris>=2.3'  # the fuzz extra of pyproject.toml; it has no dependencies
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_fuzz.py --hypothesis-show-statistics
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/test_differential.py --hypothesis-show-statistics
	mkdir -p fuzz/.corpus fuzz/.crashes
	$(BIN)/python fuzz/pipeline.py -runs=$(FUZZ_RUNS) -max_len=65536 -dict=fuzz/yaml.dict -artifact_prefix=fuzz/.crashes/ \
	  -print_final_stats=1 fuzz/.corpus examples examples/national tests/bad-inputs/submissions

# Rebuild reference/ from the Open Government Licence data in ../shared/data (the examples follow it).
reference: $(STAMP)
	@[ -d $(SHARED)/data ] || { echo "make reference needs ../shared/data (the Open Government Licence lookups) beside this checkout, at $(abspath $(SHARED))"; exit 1; }
	$(BIN)/python tools/build_reference.py $(SHARED)/data reference
	$(BIN)/python tools/build_national_examples.py $(SHARED)/data examples

# Refresh requirements/*.txt to the newest versions pyproject.toml allows, with uv (pinned here) in a
# venv of its own; commit the result with the change that needed it.
UV_VERSION := 0.13.9
lock:
	$(PYTHON) -m venv .lock-tools
	.lock-tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	UV=.lock-tools/bin/uv tools/lock.sh

clean:
	rm -rf $(VENV) .venv-3.* .lock-tools build dist .pytest_cache .hypothesis node_modules bench/.data fuzz/.corpus fuzz/.crashes
