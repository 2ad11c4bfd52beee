"""GitHub Actions workflow commands: an annotation on the submission's line for each finding
(required -> error, expected -> warning, advisory and for-review -> notice), escaped as the runner expects."""
from __future__ import annotations

from ..report import Report
from ..results import Result

COMMANDS = {"required": "error", "expected": "warning", "advisory": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, title: str | None = None, file: str | None = None, line: int | None = None,
            col: int | None = None) -> str:
    props = [(k, v) for k, v in (("title", title), ("file", file), ("line", line), ("col", col)) if v]
    head = f"::{name}" + (" " + ",".join(f"{k}={_property(str(v))}" for k, v in props) if props else "")
    return f"{head}::{_data(message)}"


def _annotation(r: Result) -> str | None:
    if r.status == "fail":
        name = COMMANDS[r.severity]
    elif r.status == "error":
        name = "error"
    elif r.status == "review":
        name = "notice"
    else:
        return None
    where = r.subject.line is not None
    return command(name, r.message, f"{r.rule_id} ({r.status}, {r.severity})", r.subject.file if where else None,
                   r.subject.line, r.subject.column)


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    lines = [command("error", p.message, f"invalid input: {p.field}" if p.field else "invalid input", p.file, p.line, p.column)
             for entry in report.inputs for p in entry.problems]
    lines += [a for a in (_annotation(r) for r in report.results) if a]
    counts = report.counts()
    lines.append(f"ics-rules: {counts['inputs']['checked']} checked, {counts['by_status']['fail']} fail, "
                 f"{counts['by_status']['error']} error, {counts['by_status']['review']} for review.")
    return "\n".join(lines) + "\n"
