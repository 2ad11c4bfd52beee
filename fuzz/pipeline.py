"""Coverage-guided fuzzing (atheris, libFuzzer) of one submission's whole check: bytes in, an input
entry and results out, and nothing else ever. Where hypothesis mutates at random, libFuzzer keeps the
inputs that reach new branches of ics-rules' own code, so it finds the odd paths through the loader's
walker and the schema messages that random edits miss.

    make fuzz                       # with the rest of the long run (docs/security.md)
    .venv/bin/python fuzz/pipeline.py -runs=1000 -dict=fuzz/yaml.dict fuzz/.corpus examples   # a quick look

A crash leaves `crash-<hash>` in the working directory: the input, to add to tests/bad-inputs/.
"""
from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["ics_rules"]):
    from ics_rules.api import check_one
    from ics_rules.compiler import compile_rulesets
    from ics_rules.evaluation import Evaluator
    from ics_rules.rulesets import load_ruleset

REPO = Path(__file__).resolve().parent.parent
EVALUATOR = Evaluator(compile_rulesets([load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")]))


def one_input(data: bytes) -> None:
    entry, results, summary = check_one("-", None, EVALUATOR, stdin=data)
    if entry.status not in ("checked", "invalid"):
        raise AssertionError(f"unexpected status {entry.status}")
    if (entry.status == "invalid") != bool(entry.problems) or (summary is None) != (entry.status == "invalid"):
        raise AssertionError("an entry's status, problems and summary disagree")
    for problem in entry.problems:
        if problem.file != "<stdin>" or not problem.message or (problem.line is not None and problem.line < 1):
            raise AssertionError(f"a problem that does not say where or what: {problem}")
    for result in results:
        if result.status == "error" and "reference geography" not in result.message:
            raise AssertionError(f"the engine could not evaluate a rule: {result.rule_id}: {result.message}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
