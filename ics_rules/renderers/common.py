"""What the machine-readable formats share: which results are findings, and how severities map to levels."""
from __future__ import annotations

import re

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


# Control characters in a submission's text could move the cursor, rewrite a line ("FAIL\rPASS"),
# retitle or recolour the reviewer's terminal or write to its clipboard; bidirectional overrides
# reorder what is shown. Line breaks could forge report lines. Every value is shown on one line, with
# any other control character written out as an escape (the text and markdown formats).
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """Submitted text as the text and markdown formats show it: on one line, controls escaped."""
    text = _LINE_BREAKS.sub(" ", text)
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
