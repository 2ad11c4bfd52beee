"""The library entry points: load, validate, build facts, evaluate, report, in that order."""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

# check_one, compile_rules and load_rules are part of the API, made in checking.py (batch workers call them too).
from .checking import check_one, compile_rules, evaluator, load_and_validate, load_rules, ruleset_files  # noqa: F401
from .loading import read_limited
from .problems import EngineUnavailable, InputError, Problem
from .reference import reference_for
from .report import Report, SystemReport
from .results import InputReport
from .rulesets import Ruleset, load_rulesets
from .selection import EVERYTHING, ResultFilter, Selection
from .waivers import WaiverLedger, load_waivers
from .resources import data_dir, schema_path

if TYPE_CHECKING:
    from .compiler import CompiledRulesets
    from .matrix import Matrix
    from .ruletests import RuleTestReport

SUBMISSION_SUFFIXES = (".yaml", ".yml", ".json")


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files as given; directories become the submissions inside them (sorted); '-' is standard input.

    Inside a directory, anything that could be a submission but is not a plain file or folder (a
    dangling link, a link to a device or FIFO, a link to a folder, which is not followed, a folder that
    cannot be read) is kept in the list, so that reading it reports why it was not checked."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            found = sorted(_walk(path))
            out.extend(found or [p])  # an empty directory is reported as a problem below
        else:
            out.append(p)
    return out


def _walk(folder: Path) -> list[str]:
    found: list[str] = []
    pending = [folder]
    while pending:
        here = pending.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            found.append(str(here))  # unreadable: reading it says so
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif entry.is_symlink() and os.path.isdir(entry.path):
                found.append(entry.path)  # a link to a folder is not followed, and is reported
            elif Path(entry.name).suffix.lower() in SUBMISSION_SUFFIXES:
                found.append(entry.path)  # a plain file, or anything else with that name: reading it tells
    return found


def traceability(ruleset_paths: Iterable[str | Path] | None = None) -> list[tuple[Ruleset, "Matrix", list[Problem]]]:
    """Each ruleset with its traceability matrix (`matrix/<file>` beside it) and where the two disagree."""
    from .matrix import consistency_problems, load_matrix, matrix_path_for

    files, bundled = ruleset_files(ruleset_paths)
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

    files, bundled = ruleset_files(ruleset_paths)
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


def schema_names() -> list[str]:
    """The JSON Schemas shipped: submission, ruleset, report, waivers, ruleset-tests, matrix."""
    return sorted(p.name.removesuffix(".schema.json") for p in schema_path("submission").parent.glob("*.schema.json"))


def schema_text(name: str) -> str:
    """One schema's JSON text, for editors and other tools."""
    if name not in schema_names():
        raise InputError([Problem(name, f"no schema '{name}'; there are: {', '.join(schema_names())}", kind="usage")])
    return schema_path(name).read_text(encoding="utf-8")


def starter_submission() -> str:
    """A submission that validates and shows every section, to be filled in (`ics-rules init`)."""
    return (data_dir("examples") / "starter.yaml").read_text(encoding="utf-8")


PLACEHOLDER_MARK = "# FILL IN:"


def starter_placeholders() -> list[tuple[int, str]]:
    """The starter's lines holding a value that stands for the user's own (marked `# FILL IN: what`),
    with what belongs there: until each is replaced the starter validates but does not check clean."""
    return [(number, line.split(PLACEHOLDER_MARK, 1)[1].strip())
            for number, line in enumerate(starter_submission().splitlines(), start=1) if PLACEHOLDER_MARK in line]


def validate(paths: Iterable[str]) -> Report:
    """Schema and reference checks only."""
    report = Report(command="validate", as_of=None)
    for path in expand_paths(paths):
        _, entry = load_and_validate(path)
        report.add(entry, [])
    return report


Progress = Callable[[int, int, str], None]


def check(paths: Iterable[str], rulesets: Iterable[str | Path] | None = None, as_of: str | None = None,
          jobs: int | None = None, progress: Progress | None = None, *, select: Selection | None = None,
          waivers: str | Path | None = None) -> Report:
    """Validate and evaluate every submission; returns the report. Raises InputError (with file, line and
    problem) only for what stops the whole run: a bad ruleset, waivers file or selection; and
    EngineUnavailable when durable-rules cannot be imported.

    One submission is checked in this process. Several are checked in `jobs` worker processes (default:
    one per core), so an engine crash costs only the submission it happened on, and then checked
    together as a system (the system-scope rules). `select` keeps some rules and severities; `waivers`
    marks agreed exceptions as waived and reports expired or unused waivers. Results are handled as
    each submission finishes and kept in the report's ResultLog, so memory does not grow with the batch."""
    selection = select or EVERYTHING
    keep = ResultFilter(selection, WaiverLedger(load_waivers(waivers)) if waivers is not None else None)
    targets = expand_paths(paths)
    pool = None
    if len(targets) > 1:
        from .batch import WorkerPool, default_jobs

        pool = WorkerPool(min(jobs or default_jobs(), len(targets)), list(rulesets) if rulesets else None, keep)
        pool.start()  # the workers start up while this process checks the rules
    with pool or nullcontext():
        loaded, compiled = compile_rules(rulesets)
        selection.check(loaded)
        report = Report(command="check", as_of=as_of, rulesets=loaded, selection=selection)
        if pool is None:
            _check_alone(report, targets, compiled, as_of, progress, keep)
        else:
            _check_batch(report, targets, pool, as_of, progress, keep)
    if keep.ledger is not None:
        report.waivers = {"file": str(waivers), "count": len(keep.ledger.waivers)}
        report.waiver_results = [r for r in keep.ledger.findings() if selection.wants_severity(r.severity)]
    return report


def _check_alone(report: Report, targets: list[str], compiled: "CompiledRulesets", as_of: str | None,
                 progress: Progress | None, keep: "ResultFilter") -> None:
    """One submission, in this process: nothing to start up, so the quickest answer."""
    stdin = read_limited(sys.stdin.buffer) if targets == ["-"] else None
    entry, results, _ = check_one(targets[0], as_of, evaluator(compiled), stdin)
    report.add(entry, keep(results, {entry.path: entry}))
    if progress:
        progress(1, 1, targets[0])


def _check_batch(report: Report, targets: list[str], pool: Any, as_of: str | None, progress: Progress | None,
                 keep: "ResultFilter") -> None:
    from .batch import Crash
    from .system import LatestClaims

    stdin = read_limited(sys.stdin.buffer) if "-" in targets else None
    done = 0

    def tick(index: int, _result: Any) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(targets), targets[index])

    claims = LatestClaims()
    tasks = [("check", (p, as_of, stdin if p == "-" else None)) for p in targets]
    for index, outcome in pool.imap(tasks, tick):
        if isinstance(outcome, EngineUnavailable):
            raise outcome
        if isinstance(outcome, Crash):
            shown = targets[index] if targets[index] != "-" else "<stdin>"
            what = "the rules engine crashed while checking this submission" if outcome.died else "checking this submission failed"
            report.add(InputReport(shown, None, "error", problems=[Problem(
                file=shown, message=f"{what}: {outcome.why}; it has no results, and the rest of the batch is unaffected", kind="engine")]), [])
            continue
        report.add_packed(outcome.entry, outcome.packed, outcome.count, outcome.tally)
        keep.merge(outcome.waivers_used, outcome.waivers_expired)
        if outcome.summary is not None:
            claims.add(outcome.summary)
    if len(claims.latest) >= 2:
        _check_system(pool, claims, as_of, report, keep)


def _check_system(pool: Any, claims: Any, as_of: str | None, report: Report, keep: ResultFilter) -> None:
    """Run the system-scope rules over the batch in a worker, as of --as-of or the latest as_at."""
    from .batch import Crash

    summaries = claims.summaries()
    when = as_of or max(s["as_at"] for s in summaries)
    geography = reference_for(when)
    left_out = [i.path for i in report.inputs if i.status != "checked"]
    report.system = SystemReport(as_of=when, geography=geography.id if geography else None, submissions=len(summaries),
                                 regions=sorted({s["region"] for s in summaries if s["region"]}), left_out=left_out,
                                 superseded=claims.superseded)
    (outcome,) = pool.run([("system", (summaries, when))])
    if isinstance(outcome, Crash):
        what = "the rules engine crashed during the system checks" if outcome.died else "the system checks failed"
        report.system.status, report.system.problem = "error", f"{what}: {outcome.why}"
    else:
        named = {r.subject.file for r in outcome} if keep.ledger is not None else set()  # waivers match on these
        report.system_findings = keep(outcome, {i.path: i for i in report.inputs if i.path in named} if named else {})
