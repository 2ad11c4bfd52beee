"""What the machine-readable formats share: which results are findings, and how severities map to levels."""
from __future__ import annotations

from ..report import Report
from ..results import Result

FINDINGS = ("fail", "error", "review", "waived")
# severity -> the three levels CI tools know (SARIF level, GitHub command, ...)
LEVELS = {"required": "error", "expected": "warning", "advisory": "note"}


def findings(report: Report) -> list[Result]:
    """Results someone must act on or judge, in report order."""
    return [r for r in report.results if r.status in FINDINGS]


def location(result: Result) -> str:
    s = result.subject
    return s.location() if s.line is not None else s.file
