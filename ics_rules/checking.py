"""One submission checked: read, validate, choose the geography of its as-of date, evaluate. The stage
that the library API (api.py) and the batch workers (batch.py) both call, so neither imports the other."""
from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .loading import Document, load_file, parse_text, read_limited
from .problems import InputError, Problem
from .reference import reference_for
from .resources import default_ruleset_paths
from .results import InputReport, Result
from .rulesets import Ruleset, load_rulesets
from .validation import validate_submission

if TYPE_CHECKING:
    from .compiler import CompiledRulesets
    from .evaluation import Evaluator

_EVALUATORS: dict[str, "Evaluator"] = {}  # compiled-ruleset digest -> Evaluator, reused across calls


def _read(path: str, stdin: bytes | None = None) -> Document:
    if path == "-":
        return parse_text("<stdin>", stdin if stdin is not None else read_limited(sys.stdin.buffer))
    if Path(path).is_dir():
        if os.path.islink(path):
            why = "a link to a folder, which a folder's check does not follow; give the folder itself to check it"
        elif not os.access(path, os.R_OK | os.X_OK):
            why = "a folder that cannot be read (permission denied); nothing in it was checked"
        else:
            why = "directory holds no .yaml, .yml or .json submissions"
        raise InputError([Problem(file=path, message=why, kind="io")])
    return load_file(path)


def load_and_validate(path: str, stdin: bytes | None = None) -> tuple[Document | None, InputReport]:
    """The document (None when it cannot be used) and its input entry, with any problems."""
    try:
        doc = _read(path, stdin)
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


def ruleset_files(ruleset_paths: Iterable[str | Path] | None) -> tuple[list[Path], bool]:
    """The ruleset files to use, and whether they are the bundled ones (the default)."""
    given = [Path(p) for p in ruleset_paths or []]
    return (given, False) if given else (list(default_ruleset_paths()), True)


def load_rules(ruleset_paths: Iterable[str | Path] | None = None) -> list[Ruleset]:
    """The rulesets (the bundled ones by default), checked. Raises InputError on a bad ruleset."""
    files, bundled = ruleset_files(ruleset_paths)
    return load_rulesets(list(files), bundled=bundled)


def compile_rules(ruleset_paths: Iterable[str | Path] | None = None) -> tuple[list[Ruleset], "CompiledRulesets"]:
    """Load, check and compile rulesets (the bundled ones by default). Raises InputError on a bad ruleset."""
    from .compiler import CompileError, compile_rulesets  # the engine loads only when rules are needed

    rulesets = load_rules(ruleset_paths)
    try:
        return rulesets, compile_rulesets(rulesets)
    except CompileError as exc:
        raise InputError([Problem(file=", ".join(rs.path for rs in rulesets), message=str(exc), kind="ruleset")]) from None


def evaluator(compiled: "CompiledRulesets") -> "Evaluator":
    """The Evaluator of these compiled rules, made once per process. Raises EngineUnavailable when
    durable-rules cannot be imported."""
    from .evaluation import Evaluator

    found = _EVALUATORS.get(compiled.digest)
    if found is None:  # durable rulesets cannot be freed safely: register each set of rules once
        found = _EVALUATORS[compiled.digest] = Evaluator(compiled)
    return found


def check_one(path: str, as_of: str | None, evaluator: "Evaluator", stdin: bytes | None = None) -> tuple[InputReport, list[Result], dict[str, Any] | None]:
    """One submission: its input entry, its results, and the summary system rules need (None if invalid)."""
    from .system import summarise

    doc, entry = load_and_validate(path, stdin)
    if doc is None:
        return entry, [], None
    when = as_of or doc.data["ics"].get("as_at") or date.today().isoformat()
    from .referencing import assess

    geography = reference_for(when)
    entry.as_of, entry.geography = when, geography.id if geography else None
    found = assess(doc.data, geography)  # the reference stage, once: the facts and the batch summary both read it
    return entry, evaluator.evaluate(doc, when, geography, found), summarise(doc, geography, found)
