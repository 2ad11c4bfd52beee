"""The library entry points: load, validate, build facts, evaluate, report, in that order."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .loading import Document, load_file, parse_text
from .problems import InputError, Problem
from .reference import geography_for
from .report import Report
from .results import InputReport
from .rulesets import Ruleset, load_rulesets
from .resources import default_ruleset_paths
from .validation import validate_submission

if TYPE_CHECKING:
    from .compiler import CompiledRulesets
    from .evaluation import Evaluator
    from .matrix import Matrix
    from .ruletests import RuleTestReport

SUBMISSION_SUFFIXES = (".yaml", ".yml", ".json")
_EVALUATORS: dict[str, "Evaluator"] = {}  # compiled-ruleset digest -> Evaluator, reused across calls


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files as given; directories become the submissions inside them (sorted); '-' is standard input."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            found = sorted(str(f) for f in path.rglob("*") if f.suffix.lower() in SUBMISSION_SUFFIXES and f.is_file())
            out.extend(found or [p])  # an empty directory is reported as a problem below
        else:
            out.append(p)
    return out


def _read(path: str) -> Document:
    if path == "-":
        return parse_text("<stdin>", sys.stdin.buffer.read())
    if Path(path).is_dir():
        raise InputError([Problem(file=path, message="directory holds no .yaml, .yml or .json submissions", kind="io")])
    return load_file(path)


def _load_and_validate(path: str) -> tuple[Document | None, InputReport]:
    try:
        doc = _read(path)
    except InputError as exc:
        return None, InputReport(path if path != "-" else "<stdin>", None, "invalid", problems=exc.problems)
    report = InputReport(doc.path, doc.sha256, "checked")
    problems = validate_submission(doc)
    if problems:
        report.status, report.problems = "invalid", problems
        return None, report
    ics = doc.data["ics"]
    report.ics_name, report.ics_code = ics.get("name"), ics.get("code")
    return doc, report


def _ruleset_files(ruleset_paths: Iterable[str | Path] | None) -> tuple[list[Path], bool]:
    given = [Path(p) for p in ruleset_paths or []]
    return (given, False) if given else (list(default_ruleset_paths()), True)


def load_rules(ruleset_paths: Iterable[str | Path] | None = None) -> list[Ruleset]:
    """The rulesets (the bundled ones by default), checked. Raises InputError on a bad ruleset."""
    files, bundled = _ruleset_files(ruleset_paths)
    return load_rulesets(list(files), bundled=bundled)


def traceability(ruleset_paths: Iterable[str | Path] | None = None) -> list[tuple[Ruleset, "Matrix", list[Problem]]]:
    """Each ruleset with its traceability matrix (`matrix/<file>` beside it) and where the two disagree."""
    from .matrix import consistency_problems, load_matrix, matrix_path_for

    files, bundled = _ruleset_files(ruleset_paths)
    out = []
    for path, ruleset in zip(files, load_rulesets(list(files), bundled=bundled), strict=True):
        matrix_file = matrix_path_for(path)
        if not matrix_file.is_file():
            raise InputError([Problem(ruleset.path, f"ruleset {ruleset.id} has no traceability matrix (expected {matrix_file})", kind="io")])
        matrix = load_matrix(matrix_file, f"rulesets/matrix/{path.name}" if bundled else None)
        out.append((ruleset, matrix, consistency_problems(matrix, ruleset)))
    return out


def run_rule_tests(ruleset_paths: Iterable[str | Path] | None = None, cases: str | Path | None = None) -> list["RuleTestReport"]:
    """Run each ruleset's own cases (`tests/<file>` beside it, or `cases` for a single ruleset)."""
    from .ruletests import cases_path_for, run_cases

    files, bundled = _ruleset_files(ruleset_paths)
    rulesets = load_rulesets(list(files), bundled=bundled)
    if cases is not None and len(rulesets) != 1:
        raise InputError([Problem(str(cases), "a cases file can only be given with exactly one ruleset", kind="io")])
    reports = []
    for path, ruleset in zip(files, rulesets, strict=True):
        cases_file = Path(cases) if cases is not None else cases_path_for(path)
        if not cases_file.is_file():
            raise InputError([Problem(ruleset.path, f"ruleset {ruleset.id} has no test cases (expected {cases_file})", kind="io")])
        reports.append(run_cases(ruleset, cases_file))
    return reports


def compile_rules(ruleset_paths: Iterable[str | Path] | None = None) -> tuple[list[Ruleset], CompiledRulesets]:
    """Load, check and compile rulesets (the bundled ones by default). Raises InputError on a bad ruleset."""
    from .compiler import CompileError, compile_rulesets  # the engine loads only when rules are needed

    rulesets = load_rules(ruleset_paths)
    try:
        return rulesets, compile_rulesets(rulesets)
    except CompileError as exc:
        raise InputError([Problem(file=", ".join(rs.path for rs in rulesets), message=str(exc), kind="ruleset")]) from None


def validate(paths: Iterable[str]) -> Report:
    """Schema and reference checks only."""
    report = Report(command="validate", as_of=None)
    for path in expand_paths(paths):
        _, entry = _load_and_validate(path)
        report.inputs.append(entry)
    return report


def check(paths: Iterable[str], rulesets: Iterable[str | Path] | None = None, as_of: str | None = None) -> Report:
    """Validate and evaluate every submission; returns the report (raises InputError only for bad rulesets)."""
    from .evaluation import Evaluator

    loaded, compiled = compile_rules(rulesets)
    evaluator = _EVALUATORS.get(compiled.digest)
    if evaluator is None:  # durable rulesets cannot be freed safely: register each set of rules once
        evaluator = _EVALUATORS[compiled.digest] = Evaluator(compiled)
    report = Report(command="check", as_of=as_of, rulesets=loaded)
    for path in expand_paths(paths):
        doc, entry = _load_and_validate(path)
        report.inputs.append(entry)
        if doc is None:
            continue
        when = as_of or doc.data["ics"].get("as_at") or date.today().isoformat()
        geography = geography_for(when)
        entry.as_of, entry.geography = when, geography.id if geography else None
        report.results.extend(evaluator.evaluate(doc, when, geography))
    return report
