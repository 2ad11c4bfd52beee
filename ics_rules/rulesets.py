"""Load and check ruleset files into Rule objects; every mistake is reported with file, rule id and line."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import remember_good_ruleset, ruleset_known_good
from .conditions import Condition, ConditionParser, counts_in
from .facts import ENTITY_TYPES
from .loading import Document, load_file
from .problems import InputError, Problem, join_pointer
from .templating import TemplateProblem, check_template
from .validation import schema_problems

TEMPLATE_NAMES = {"subject", "rule", "as_of", "key", "name", "status"}


@dataclass(frozen=True)
class Citation:
    document: str
    paragraph: str
    quote: str | None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    citation: Citation
    severity: str
    in_force_from: str
    in_force_until: str | None
    scope: str
    when: Condition | None
    require: Condition
    outcome: str
    message: str
    pass_message: str | None
    remediation: str
    ruleset: str
    file: str  # as reports name it: rulesets/<file> for a bundled ruleset, wherever it is installed
    line: int | None
    source: str = ""  # the file it was read from, on this machine
    review_if: Condition | None = None  # where require fails but this holds: review (the data cannot settle it)
    review_message: str | None = None
    not_applicable_message: str | None = None

    def in_force(self, as_of: str) -> bool:
        return self.in_force_from <= as_of and (self.in_force_until is None or as_of < self.in_force_until)


@dataclass(frozen=True)
class Ruleset:
    id: str
    title: str
    version: str
    source_title: str
    source_date: str
    path: str
    sha256: str
    rules: tuple[Rule, ...]


def _template_names(scope: str, require: Condition | None, when: Condition | None, review_if: Condition | None = None) -> set[str]:
    names = set(TEMPLATE_NAMES) | set(ENTITY_TYPES[scope].fields)
    for count in counts_in(require) + counts_in(when) + counts_in(review_if):
        if count.name:
            names.add(count.name)
    return names


def _parse_rule(doc: Document, raw: dict[str, Any], pointer: str, ruleset_id: str, source_title: str,
                known_good: bool = False, source: str = "") -> tuple[Rule | None, list[Problem]]:
    rule_id = raw.get("id", f"#{pointer.rsplit('/', 1)[-1]}")
    parser = ConditionParser(doc, rule_id)
    scope = raw.get("scope")
    if scope not in ENTITY_TYPES:
        return None, parser.problems  # the schema reports the bad scope
    when = parser.parse(raw["when"], join_pointer(pointer, "when"), scope) if "when" in raw else None
    require = parser.parse(raw.get("require"), join_pointer(pointer, "require"), scope)
    review_if = parser.parse(raw["review_if"], join_pointer(pointer, "review_if"), scope) if "review_if" in raw else None
    problems = list(parser.problems)
    if ("review_if" in raw) != ("review_message" in raw):
        problems.append(doc.problem(pointer, f"rule {rule_id}: review_if and review_message go together", kind="ruleset"))
    names = _template_names(scope, require, when, review_if)
    for key in ("message", "pass_message", "review_message", "not_applicable_message"):
        if isinstance(raw.get(key), str) and not known_good:
            try:
                check_template(raw[key], names)
            except TemplateProblem as exc:
                problems.append(doc.problem(join_pointer(pointer, key), f"rule {rule_id}: {exc}", kind="ruleset"))
    in_force = raw.get("in_force") or {}
    if in_force.get("until") and in_force.get("from") and in_force["until"] <= in_force["from"]:
        problems.append(doc.problem(join_pointer(pointer, "in_force/until"), f"rule {rule_id}: 'until' must be after 'from'", kind="ruleset"))
    if problems or require is None:
        return None, problems
    cite = raw["citation"]
    pos = doc.position(pointer)
    return Rule(
        id=rule_id, title=raw["title"], citation=Citation(cite.get("document", source_title), cite["paragraph"], cite.get("quote")),
        severity=raw["severity"], in_force_from=in_force["from"], in_force_until=in_force.get("until"), scope=scope,
        when=when, require=require, outcome=raw.get("outcome", "pass"), message=raw["message"],
        pass_message=raw.get("pass_message"), remediation=raw["remediation"], ruleset=ruleset_id, file=doc.path,
        line=pos[0] if pos else None, source=source or doc.path, review_if=review_if,
        review_message=raw.get("review_message"), not_applicable_message=raw.get("not_applicable_message"),
    ), []


def parse_ruleset(doc: Document, source: str = "") -> Ruleset:
    """Check a parsed ruleset document and build its rules, or raise InputError with every problem.
    `source` is the file it was read from, when reports name it otherwise (doc.path)."""
    data = doc.data
    known_good = ruleset_known_good(doc.sha256)  # these exact bytes passed every check below before
    schema = [] if known_good else schema_problems(doc, "ruleset")
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InputError(schema or [doc.problem("", "a ruleset is a mapping with a list of rules", kind="ruleset")])
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: dict[str, int | None] = {}
    condition_rules: set[int] = set()
    for i, raw in enumerate(data["rules"]):
        pointer = f"/rules/{i}"
        if not isinstance(raw, dict):
            continue  # the schema reports it
        rid = raw.get("id")
        if isinstance(rid, str):
            if rid in seen:
                problems.append(doc.problem(join_pointer(pointer, "id"), f"rule id '{rid}' is used twice (first at line {seen[rid]})", kind="ruleset"))
            else:
                seen[rid] = (doc.position(join_pointer(pointer, "id")) or (None,))[0]
        rule, rule_problems = _parse_rule(doc, raw, pointer, str(data.get("id")), str((data.get("source") or {}).get("title")), known_good, source)
        if any(p.field.startswith(f"rules[{i}].when") or p.field.startswith(f"rules[{i}].require") for p in rule_problems):
            condition_rules.add(i)
        problems.extend(rule_problems)
        if rule is not None:
            rules.append(rule)
    # The condition parser's words are clearer than the schema's "not valid under any of the given schemas".
    for p in schema:
        under = [i for i in condition_rules if p.field.startswith(f"rules[{i}].when") or p.field.startswith(f"rules[{i}].require")]
        if not under:
            problems.append(_with_rule_id(p, data))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    if not known_good:
        remember_good_ruleset(doc.sha256)
    return Ruleset(
        id=data["id"], title=data["title"], version=data["version"], source_title=data["source"]["title"],
        source_date=data["source"]["date"], path=doc.path, sha256=doc.sha256, rules=tuple(rules),
    )


def _with_rule_id(problem: Problem, data: dict[str, Any]) -> Problem:
    """Prefix a schema problem inside a rule with that rule's id, so users find it by name."""
    if not problem.field.startswith("rules["):
        return problem
    index = int(problem.field[len("rules["):].split("]", 1)[0])
    rules = data.get("rules") or []
    rid = rules[index].get("id") if index < len(rules) and isinstance(rules[index], dict) else None
    if not rid:
        return problem
    return Problem(problem.file, f"rule {rid}: {problem.message}", problem.line, problem.column, problem.field, "ruleset")


def load_ruleset(path: str | Path, display: str | None = None) -> Ruleset:
    return parse_ruleset(load_file(path, display), str(path))


def load_rulesets(paths: list[str | Path], bundled: bool = False) -> list[Ruleset]:
    """Load several rulesets, gathering the problems of all before raising; rule ids must be unique across them.

    Bundled rulesets are named `rulesets/<file>` in reports, whatever the install location."""
    out, problems = [], []
    for p in paths:
        try:
            out.append(load_ruleset(p, f"rulesets/{Path(p).name}" if bundled else None))
        except InputError as exc:
            problems.extend(exc.problems)
    seen: dict[str, str] = {}
    for rs in out:
        for rule in rs.rules:
            if rule.id in seen and seen[rule.id] != rs.path:
                problems.append(Problem(rs.path, f"rule id '{rule.id}' is also defined in {seen[rule.id]}", rule.line, None, "", "ruleset"))
            seen.setdefault(rule.id, rs.path)
    if problems:
        raise InputError(problems)
    return out
