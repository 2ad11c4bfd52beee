"""Run a ruleset's own test cases: every rule must be shown to pass and to fail where it should.

A case edits a base submission (JSON pointers: `set`, then `remove`), checks it at an as-of date and
states the status one rule gives one subject. A case with `batch` checks several submissions together
as a system (for system-scope rules), editing the one named by `edit`. Coverage is counted per rule: a rule without a passing
case (pass, or review for evidence-only rules) and a failing case is reported as uncovered.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compiler import CompileError, compile_rulesets
from .evaluation import Evaluator
from .loading import Document, load_file, parse_text
from .problems import InputError, Problem, join_pointer, split_pointer
from .reference import reference_for
from .rulesets import Ruleset
from .system import summarise
from .validation import schema_problems, validate_submission

PASSING = ("pass", "review")


@dataclass(frozen=True)
class Expectation:
    status: str
    subject: str
    message: str | None


@dataclass
class CaseResult:
    name: str
    rule: str
    line: int | None
    expected: list[Expectation]
    failures: list[str] = field(default_factory=list)  # why the case did not hold, in words

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rule": self.rule, "line": self.line, "ok": self.ok,
                "expected": [e.__dict__ for e in self.expected], "failures": self.failures}


@dataclass
class RuleTestReport:
    ruleset: Ruleset
    cases_file: str
    cases: list[CaseResult]

    def coverage(self) -> dict[str, dict[str, int]]:
        """Rule id -> how many cases expect it to pass and to fail (cases that did not hold count too)."""
        out = {r.id: {"passing": 0, "failing": 0} for r in self.ruleset.rules}
        for case in self.cases:
            for e in case.expected:
                if e.status in PASSING:
                    out[case.rule]["passing"] += 1
                elif e.status == "fail":
                    out[case.rule]["failing"] += 1
        return out

    def uncovered(self) -> dict[str, list[str]]:
        """Rule id -> the kinds of case it lacks."""
        gaps = {}
        for rule_id, n in self.coverage().items():
            missing = [kind for kind in ("passing", "failing") if not n[kind]]
            if missing:
                gaps[rule_id] = missing
        return gaps

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cases) and not self.uncovered()

    def to_dict(self) -> dict[str, Any]:
        coverage = self.coverage()
        covered = len(coverage) - len(self.uncovered())
        return {
            "ruleset": {"id": self.ruleset.id, "version": self.ruleset.version, "path": self.ruleset.path},
            "cases_file": self.cases_file, "ok": self.ok,
            "counts": {"cases": len(self.cases), "failed": sum(not c.ok for c in self.cases),
                       "rules": len(coverage), "rules_covered": covered},
            "coverage": [{"rule": r, **n, "missing": self.uncovered().get(r, [])} for r, n in coverage.items()],
            "cases": [c.to_dict() for c in self.cases],
        }


def cases_path_for(ruleset_path: str | Path) -> Path:
    """Where a ruleset's cases live by convention: `tests/<ruleset file name>` beside it."""
    path = Path(ruleset_path)
    return path.parent / "tests" / path.name


def _resolve(pointer: str, data: Any, doc: Document, at: str) -> tuple[Any, str]:
    """The container and final token for `pointer`, or a problem naming the case's line."""
    parts = split_pointer(pointer)
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            where = "/" + "/".join(parts[: i + 1])
            raise InputError([doc.problem(at, f"the base submission has nothing at {where}", kind="ruleset", key=True)])
    return node, parts[-1]


def _apply(data: dict[str, Any], raw: dict[str, Any], doc: Document, pointer: str) -> None:
    for target, value in (raw.get("set") or {}).items():
        at = join_pointer(join_pointer(pointer, "set"), target)
        node, last = _resolve(target, data, doc, at)
        if isinstance(node, list) and (last == "-" or last == str(len(node))):
            node.append(copy.deepcopy(value))
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = copy.deepcopy(value)
        elif isinstance(node, dict):
            node[last] = copy.deepcopy(value)
        else:
            raise InputError([doc.problem(at, f"cannot set {target}: no such place in the base submission", kind="ruleset", key=True)])
    for i, target in enumerate(raw.get("remove") or []):
        at = join_pointer(join_pointer(pointer, "remove"), i)
        node, last = _resolve(target, data, doc, at)
        if isinstance(node, list) and last.isdigit() and int(last) < len(node):
            del node[int(last)]
        elif isinstance(node, dict) and last in node:
            del node[last]
        else:
            raise InputError([doc.problem(at, f"cannot remove {target}: the base submission has nothing there", kind="ruleset")])


class _Bases:
    """Base submissions, loaded once each and validated: a broken base is a problem in the cases file."""

    def __init__(self, cases: Document) -> None:
        self.cases = cases
        self.dir = Path(cases.path).parent
        self.loaded: dict[str, dict[str, Any]] = {}

    def get(self, name: str, pointer: str) -> dict[str, Any]:
        if name not in self.loaded:
            path = self.dir / name
            if not path.is_file():
                raise InputError([self.cases.problem(pointer, f"base submission {name} not found (looked for {path})", kind="io")])
            doc = load_file(path)
            problems = validate_submission(doc)
            if problems:
                raise InputError(problems)
            self.loaded[name] = doc.data
        return self.loaded[name]


def run_cases(ruleset: Ruleset, cases_path: str | Path) -> RuleTestReport:
    """Run every case in `cases_path` against `ruleset`. Raises InputError for a broken cases file."""
    doc = load_file(cases_path)
    problems = schema_problems(doc, "ruleset-tests")
    if problems:
        raise InputError(problems)
    data = doc.data
    rule_ids = {r.id for r in ruleset.rules}
    bad = [doc.problem("/ruleset", f"the cases are for ruleset '{data['ruleset']}', not '{ruleset.id}'", kind="ruleset")] \
        if data["ruleset"] != ruleset.id else []
    for i, raw in enumerate(data["cases"]):
        if raw["rule"] not in rule_ids:
            bad.append(doc.problem(f"/cases/{i}/rule", f"case '{raw['name']}' names rule '{raw['rule']}', which {ruleset.id} does not have", kind="ruleset"))
    if bad:
        raise InputError(bad)
    try:
        evaluator = Evaluator(compile_rulesets([ruleset]))
    except CompileError as exc:
        raise InputError([Problem(ruleset.path, str(exc), kind="ruleset")]) from None
    bases = _Bases(doc)
    results = [_run_case(raw, f"/cases/{i}", doc, bases, evaluator, data["base"]) for i, raw in enumerate(data["cases"])]
    return RuleTestReport(ruleset, doc.path, results)


def _run_case(raw: dict[str, Any], pointer: str, doc: Document, bases: _Bases, evaluator: Evaluator, default_base: str) -> CaseResult:
    expects = raw["expect"] if isinstance(raw["expect"], list) else [raw["expect"]]
    expected = [Expectation(e["status"], e["subject"], e.get("message")) for e in expects]
    pos = doc.position(pointer)
    case = CaseResult(raw["name"], raw["rule"], pos[0] if pos else None, expected)
    names = raw.get("batch") or [raw.get("base", default_base)]
    edited_name = raw.get("edit", names[0])
    submissions = []
    for i, name in enumerate(names):
        at = join_pointer(pointer, "batch") + f"/{i}" if "batch" in raw else (join_pointer(pointer, "base") if "base" in raw else "/base")
        data = copy.deepcopy(bases.get(name, at))
        if name == edited_name:
            _apply(data, raw, doc, pointer)
        edited = parse_text(f"{doc.path} case '{raw['name']}' {name}", json.dumps(data).encode())
        problems = validate_submission(edited)
        if problems:
            case.failures.append(f"the edited submission {name} is invalid: " + "; ".join(f"{p.field}: {p.message}" for p in problems))
            return case
        submissions.append(edited)
    as_of = raw.get("as_of") or submissions[0].data["ics"]["as_at"]
    geography = reference_for(as_of)
    if "batch" in raw:  # the batch checked as a system, as `check` does: as of the latest as_at unless given
        as_of = raw.get("as_of") or max(s.data["ics"]["as_at"] for s in submissions)
        geography = reference_for(as_of)
        summaries = [summarise(s, reference_for(raw.get("as_of") or s.data["ics"]["as_at"])) for s in submissions]
        results = evaluator.evaluate_system(summaries, as_of, geography)
    else:
        results = evaluator.evaluate(submissions[0], as_of, geography)
    by_subject = {r.subject.id: r for r in results if r.rule_id == raw["rule"]}
    for e in expected:
        got = by_subject.get(e.subject)
        if got is None:
            known = ", ".join(sorted(by_subject)[:20]) or "none"
            case.failures.append(f"no result for subject '{e.subject}' (subjects: {known})")
        elif got.status != e.status:
            case.failures.append(f"expected {e.status} for {e.subject}, got {got.status}: {got.message}")
        elif e.message and e.message not in got.message:
            case.failures.append(f"the message for {e.subject} does not contain '{e.message}': {got.message}")
    return case
