#!/usr/bin/env bash
# Refresh the locks in requirements/ (run by `make lock`): every Python package that `make
# check-examples` and `make test` install, at the newest versions pyproject.toml allows, with their
# hashes, for every CPython ics-rules supports (one file, with environment markers, so each
# interpreter installs exactly what it needs).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-uv}
compile() { "$uv" pip compile --quiet --universal --python-version 3.10 --generate-hashes --upgrade \
  --custom-compile-command "make lock" "$@"; }
compile requirements/build.in -o requirements/build.txt
compile pyproject.toml -o requirements/runtime.txt
compile pyproject.toml --extra test -o requirements/test.txt
compile requirements/pyyaml-lowest.in -o requirements/pyyaml-lowest.txt
echo "requirements/: build.txt runtime.txt test.txt pyyaml-lowest.txt refreshed"
