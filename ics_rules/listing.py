"""Plain-text views of the rules, the traceability matrix and rule tests, for the `rules` and `test` commands.

These are reference listings rather than check reports, so they sit outside the report renderers; each
has a JSON form through the objects' `to_dict`.
"""
from __future__ import annotations

import textwrap
from typing import Any

from .describe import describe
from .facts import ENTITY_TYPES
from .matrix import Matrix
from .ruletests import RuleTestReport
from .rulesets import Rule, Ruleset


def in_force_text(rule: Rule) -> str:
    return f"from {rule.in_force_from}" + (f" until {rule.in_force_until}" if rule.in_force_until else "")


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id, "title": rule.title, "severity": rule.severity, "scope": rule.scope, "outcome": rule.outcome,
        "in_force": {"from": rule.in_force_from, "until": rule.in_force_until},
        "citation": {"document": rule.citation.document, "paragraph": rule.citation.paragraph, "quote": rule.citation.quote},
        "applies_when": "\n".join(describe(rule.when, rule.scope)) if rule.when else None,
        "requires": "\n".join(describe(rule.require, rule.scope)),
        "remediation": rule.remediation, "ruleset": rule.ruleset, "file": rule.file, "line": rule.line,
    }


def rules_table(rulesets: list[Ruleset]) -> str:
    lines = []
    for rs in rulesets:
        lines.append(f"{rs.id} {rs.version}: {rs.title} ({len(rs.rules)} rules)")
        width = max(len(r.id) for r in rs.rules)
        for r in rs.rules:
            lines.append(f"  {r.id:<{width}}  {r.severity:<8}  {r.scope:<20}  {r.citation.paragraph:<5}  {in_force_text(r):<28}  {r.title}")
        lines.append("")
    return "\n".join(lines)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, 100, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False) or [indent]


def rule_detail(rule: Rule) -> str:
    cite = rule.citation
    lines = [f"{rule.id}: {rule.title}", "",
             f"  severity     {rule.severity}" + (" (evidence is checked; a reviewer judges it: passes report 'review')" if rule.outcome == "review" else ""),
             f"  in force     {in_force_text(rule)}",
             f"  about        each {ENTITY_TYPES[rule.scope].label} ({rule.scope})",
             f"  citation     {cite.document}, paragraph {cite.paragraph}"]
    if cite.quote:
        lines += _wrap(f"“{cite.quote}”", "               ")
    if rule.when is not None:
        lines += ["", "  applies when"] + ["    " + line for line in describe(rule.when, rule.scope)]
    lines += ["", "  requires"] + ["    " + line for line in describe(rule.require, rule.scope)]
    lines += ["", "  remediation"] + _wrap(rule.remediation, "    ")
    where = rule.source + (f":{rule.line}" if rule.line else "")
    lines += ["", f"  defined in   {where} (ruleset {rule.ruleset}" + (f", named {rule.file} in reports)" if rule.file != rule.source else ")"), ""]
    return "\n".join(lines)


def matrix_text(matrix: Matrix) -> str:
    lines = []
    for source in matrix.sources.values():
        rows = [r for r in matrix.rows if r.source == source.id]
        lines.append(f"{source.title}" + (f" ({source.date})" if source.date else "") + f": {len(rows)} rows")
        for row in rows:
            lines += _wrap(f"[{row.paragraph}] {row.text}", "  ")
            if row.rules:
                lines += _wrap("-> " + ", ".join(row.rules), "      ")
                if row.note:
                    lines += _wrap("note: " + row.note, "      ")
            else:
                lines += _wrap("not checkable: " + (row.not_checkable or ""), "      ")
        lines.append("")
    s = matrix.summary()
    lines.append(f"{s['rows']} requirement rows: {s['checkable']} checked by {s['rules']} rules, {s['not_checkable']} not machine-checkable (reasons above).")
    return "\n".join(lines) + "\n"


def ruletest_text(report: RuleTestReport) -> str:
    rs = report.ruleset
    lines = [f"{rs.id} {rs.version}: {len(report.cases)} cases from {report.cases_file}", ""]
    by_rule: dict[str, list[Any]] = {r.id: [] for r in rs.rules}
    for case in report.cases:
        by_rule[case.rule].append(case)
    coverage, gaps = report.coverage(), report.uncovered()
    width = max(len(r) for r in by_rule)
    for rule_id, cases in by_rule.items():
        failed = [c for c in cases if not c.ok]
        n = coverage[rule_id]
        mark = "FAIL" if failed else ("MISSING" if rule_id in gaps else "ok")
        lines.append(f"  {mark:<7} {rule_id:<{width}}  {len(cases)} cases: {n['passing']} passing, {n['failing']} failing")
        for c in failed:
            for why in c.failures:
                lines += _wrap(f"case '{c.name}' (line {c.line}): {why}", "            ")
        if rule_id in gaps:
            lines.append(f"            no {' and no '.join(gaps[rule_id])} case")
    covered = len(coverage) - len(gaps)
    failed_cases = sum(not c.ok for c in report.cases)
    lines += ["", f"Coverage: {covered} of {len(coverage)} rules have a passing and a failing case ({100 * covered // max(len(coverage), 1)}%).",
              f"{len(report.cases)} cases, {failed_cases} failed.", ""]
    return "\n".join(lines)
