"""The library entry points: load, validate, build facts, evaluate, report, in that order."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .loading import Document, load_file, parse_text, read_limited
from .problems import InputError, Problem
from .reference import geography_for
from .report import Report, SystemReport
from .results import InputReport, Result
from .rulesets import Ruleset, load_rulesets
from .selection import EVERYTHING, Selection
from .waivers import WaiverLedger, load_waivers
from .resources import data_dir, default_ruleset_paths, schema_path
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


def _read(path: str, stdin: bytes | None = None) -> Document:
    if path == "-":
        return parse_text("<stdin>", stdin if stdin is not None else read_limited(sys.stdin.buffer))
    if Path(path).is_dir():
        raise InputError([Problem(file=path, message="directory holds no .yaml, .yml or .json submissions", kind="io")])
    return load_file(path)


def _load_and_validate(path: str, stdin: bytes | None = None) -> tuple[Document | None, InputReport]:
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


def validate(paths: Iterable[str]) -> Report:
    """Schema and reference checks only."""
    report = Report(command="validate", as_of=None)
    for path in expand_paths(paths):
        _, entry = _load_and_validate(path)
        report.add(entry, [])
    return report


def check_one(path: str, as_of: str | None, evaluator: "Evaluator", stdin: bytes | None = None) -> tuple[InputReport, list[Result], dict[str, Any] | None]:
    """One submission: its input entry, its results, and the summary system rules need (None if invalid)."""
    from .system import summarise

    doc, entry = _load_and_validate(path, stdin)
    if doc is None:
        return entry, [], None
    when = as_of or doc.data["ics"].get("as_at") or date.today().isoformat()
    geography = geography_for(when)
    entry.as_of, entry.geography = when, geography.id if geography else None
    return entry, evaluator.evaluate(doc, when, geography), summarise(doc)


def _evaluator(compiled: "CompiledRulesets") -> "Evaluator":
    from .evaluation import Evaluator

    evaluator = _EVALUATORS.get(compiled.digest)
    if evaluator is None:  # durable rulesets cannot be freed safely: register each set of rules once
        evaluator = _EVALUATORS[compiled.digest] = Evaluator(compiled)
    return evaluator


Progress = Callable[[int, int, str], None]


def check(paths: Iterable[str], rulesets: Iterable[str | Path] | None = None, as_of: str | None = None,
          jobs: int | None = None, progress: Progress | None = None, *, select: Selection | None = None,
          waivers: str | Path | None = None) -> Report:
    """Validate and evaluate every submission; returns the report. Raises InputError (with file, line and
    problem) only for what stops the whole run: a bad ruleset, waivers file or selection.

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


@dataclass
class ResultFilter:
    """What a run keeps of each submission's results: the selected rules, with waivers applied (they see
    every severity), at the selected severities. Batch workers run it, so the parent never unpacks
    a submission's results; it gathers which waivers each worker used or found expired."""

    selection: Selection
    ledger: WaiverLedger | None

    def __call__(self, results: list[Result], entries: dict[str, InputReport]) -> list[Result]:
        results = [r for r in results if self.selection.wants_rule(r.rule_id)]
        if self.ledger is not None:
            results = self.ledger.apply(results, entries)
        return [r for r in results if self.selection.wants_severity(r.severity)]

    def waivers_seen(self) -> tuple[frozenset[int], frozenset[int]]:
        """The waivers used, and found expired, so far (by index)."""
        if self.ledger is None:
            return frozenset(), frozenset()
        return frozenset(self.ledger.used), frozenset(self.ledger.expired)

    def merge(self, used: frozenset[int], expired: frozenset[int]) -> None:
        if self.ledger is not None:
            self.ledger.used |= used
            self.ledger.expired |= expired


def _check_alone(report: Report, targets: list[str], compiled: "CompiledRulesets", as_of: str | None,
                 progress: Progress | None, keep: "ResultFilter") -> None:
    """One submission, in this process: nothing to start up, so the quickest answer."""
    stdin = read_limited(sys.stdin.buffer) if targets == ["-"] else None
    entry, results, _ = check_one(targets[0], as_of, _evaluator(compiled), stdin)
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
    geography = geography_for(when)
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
