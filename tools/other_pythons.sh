#!/usr/bin/env bash
# The CPythons from 3.10 to 3.13 on this machine other than the one given ($1, the main one), one
# path each, newest patch release first: `python3.X` on PATH when it runs, else pyenv's newest 3.X.
# `make test` runs the core tests on each of them.
set -u
main=$("${1:-python3}" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for minor in 3.10 3.11 3.12 3.13; do
  [ "$minor" = "$main" ] && continue
  found=""
  if command -v "python$minor" >/dev/null 2>&1 && "python$minor" -c 'import venv' >/dev/null 2>&1; then
    found=$(command -v "python$minor")
  else
    for dir in $(ls -d "$root"/versions/"$minor".* 2>/dev/null | sort -t. -k3 -n -r); do
      case "${dir##*/}" in *[!0-9.]*) continue ;; esac  # not 3.13.0t (free-threaded) or 3.13-dev
      if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import venv' >/dev/null 2>&1; then found="$dir/bin/python"; break; fi
    done
  fi
  [ -n "$found" ] && echo "$found"
done
exit 0
