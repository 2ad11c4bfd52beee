"""The floor: the least any checker of these files must do, read them (PyYAML's C loader) and validate
them against the submission schema, spread over the same number of processes ics-rules uses.

    .venv/bin/python bench/floor.py DIR [--jobs N]

It prints how many files were valid. bench/run.py times it as a whole process, as it times ics-rules.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from pathlib import Path

_validator = None


def _start() -> None:
    global _validator
    from jsonschema import Draft202012Validator, FormatChecker

    schema_file = Path(__file__).resolve().parent.parent / "schemas" / "submission.schema.json"
    _validator = Draft202012Validator(json.loads(schema_file.read_text(encoding="utf-8")), format_checker=FormatChecker())


def read_and_validate(path: str) -> bool:
    import yaml

    with open(path, "rb") as f:
        doc = yaml.load(f, Loader=yaml.CSafeLoader)  # noqa: S506 (the C safe loader)
    assert _validator is not None
    return not any(True for _ in _validator.iter_errors(doc))  # every error, as a checker must report them all


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths = sorted(str(p) for p in args.dir.glob("*.yaml"))
    if args.jobs == 1:
        _start()
        valid = sum(read_and_validate(p) for p in paths)
    else:
        with multiprocessing.get_context("spawn").Pool(args.jobs, initializer=_start) as pool:
            valid = sum(pool.imap(read_and_validate, paths, chunksize=4))
    print(f"{valid} of {len(paths)} valid", file=sys.stderr)


if __name__ == "__main__":
    main()
