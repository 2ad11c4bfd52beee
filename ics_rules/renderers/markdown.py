"""Markdown for a merge-request comment: the verdict, counts, a table of failures, reviews folded away.
Every piece of submitted text is escaped, so a name cannot inject HTML or break the tables."""
from __future__ import annotations

import re

from ..facts import kind_label
from ..report import Report
from ..results import SEVERITIES, Result
from .common import location, one_line

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # what can start emphasis, code, links or break a table cell


def escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", " ".join(one_line(text).split()))


def code(text: str) -> str:
    """A code span: nothing inside is markdown, but a pipe still ends a table cell."""
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _table(results: list[Result]) -> list[str]:
    lines = ["| Status | Severity | Rule | Subject | Where | Finding |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.status.replace('_', ' ')} | {r.severity} | {code(r.rule_id)} | {escape(kind_label(r.subject.kind) + ' ' + r.subject.id)} "
                     f"| {code(location(r))} | {escape(r.message)} |")
    return lines


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    counts = report.counts()
    exit_code = report.exit_code(fail_on)
    verdict = {0: f"Nothing fails at or above `{fail_on}`", 1: f"Results fail at or above `{fail_on}`", 2: "Some inputs are invalid"}[exit_code]
    lines = [f"## ics-rules: {verdict}", "",
             f"{counts['inputs']['checked']} submission{'' if counts['inputs']['checked'] == 1 else 's'} checked, {counts['inputs']['invalid']} invalid, "
             f"{counts['inputs']['error']} could not be checked; {counts['results']} results.", "",
             "| Severity | fail | error | review | waived | pass | not applicable |", "|---|---|---|---|---|---|---|"]
    for sev in SEVERITIES:
        row = counts["by_severity"][sev]
        lines.append(f"| {sev} | {row['fail']} | {row['error']} | {row['review']} | {row['waived']} | {row['pass']} | {row['not_applicable']} |")
    problems = [(i, p) for i in report.inputs for p in i.problems]
    if problems:
        lines += ["", "### Invalid inputs", ""] + [f"- {code(p.location())} {escape(p.field)}: {escape(p.message)}" for _, p in problems]
    failing = [r for r in report.results if r.status in ("fail", "error")]
    if failing:
        lines += ["", "### Failures", ""] + _table(sorted(failing, key=lambda r: (SEVERITIES.index(r.severity), r.rule_id)))
    for status, title in (("review", "for a reviewer's judgement"), ("waived", "waived")):
        chosen = [r for r in report.results if r.status == status]
        if chosen:
            lines += ["", f"<details><summary>{len(chosen)} results {title}</summary>", ""] + _table(chosen) + ["", "</details>"]
    return "\n".join(lines) + "\n"
