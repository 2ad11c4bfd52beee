"""A terminal summary: failures first with where and how to fix, passes only counted unless --verbose."""
from __future__ import annotations

from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ..facts import kind_label
from ..problems import pointer_to_field
from ..report import Report, tally
from ..resources import data_dir
from ..cache import bytecode_cache
from ..results import SEVERITIES
from .common import one_line

_COLORS = {"fail": "31;1", "error": "35;1", "review": "33;1", "pass": "32", "not_applicable": "2", "waived": "36",
           "invalid": "31;1", "dim": "2", "bold": "1"}
_ORDER = {"error": 0, "fail": 1, "review": 2, "waived": 3, "pass": 4, "not_applicable": 5}


class _Painted(str):
    """Text the renderer itself coloured: its escape sequences are the only ones let through."""


def printable(value: Any) -> Any:
    """A value as the terminal should show it (the Jinja finalize hook: every {{ }} passes here).
    Anything that is not a number becomes text first, so an object whose text is submitted (a Problem's
    message) is escaped like a string."""
    if isinstance(value, _Painted) or value is None or isinstance(value, (bool, int, float)):
        return value
    return one_line(str(value))


def no_commands(text: str) -> str:
    """No line of the report starts a CI workflow command (`::error ...`, `::stop-commands::`): a line
    that would, after its indent, has a zero-width space between its two colons."""
    return "\n".join(line.replace("::", ":\u200b:", 1) if line.lstrip().startswith("::") else line
                     for line in text.split("\n"))


def _paint(enabled: bool) -> Any:
    def paint(text: str, style: str) -> str:
        text = printable(text)
        return _Painted(f"\x1b[{_COLORS[style]}m{text}\x1b[0m") if enabled and style in _COLORS else text
    return paint


def _tally(results: list[Any]) -> str:
    return _tally_counts(tally(results))


def _tally_counts(counts: dict[str, Any]) -> str:
    parts = []
    for status in ("pass", "fail", "review", "waived", "error", "not_applicable"):
        n = counts["by_status"][status]
        if n:
            label = status.replace("_", " ")
            if status in ("fail", "error"):
                sev = {s: counts["by_severity"][s][status] for s in SEVERITIES}
                label += " (" + ", ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev[s]) + ")"
            parts.append(f"{n} {label}")
    return " · ".join(parts) if parts else "no results"


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    # Sandboxed like every Jinja2 environment here; finalize is this format's escaping (HTML's would be wrong).
    env = SandboxedEnvironment(loader=FileSystemLoader(str(data_dir("reports") / "templates")), undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                               finalize=printable, bytecode_cache=bytecode_cache())
    env.filters["pointer_field"] = pointer_to_field
    env.filters["kind_label"] = kind_label
    system = report.system_results()
    waivers = report.waiver_findings()
    # Reviews are listed for one submission; in a batch they are counted unless --verbose.
    details = ("fail", "error", "review", "waived") if verbose or len(report.inputs) == 1 else ("fail", "error", "waived")

    def section(results: list[Any]) -> dict[str, Any]:
        ordered = sorted(results, key=lambda r: (_ORDER[r.status], SEVERITIES.index(r.severity)))
        return {"shown": [r for r in ordered if verbose or r.status in details], "tally": _tally(ordered), "total": len(ordered)}
    sections = [dict(section(results), input=entry) for entry, results in report.results_by_input()]
    system_section = dict(section(system), report=report.system) if report.system else None
    waiver_section = dict(section(waivers), file=report.waivers["file"]) if report.waivers else None
    counts = report.counts()
    return no_commands(env.get_template("text.j2").render(
        report=report, sections=sections, system=system_section, waivers=waiver_section, counts=counts, paint=_paint(color), verbose=verbose,
        tally=_tally_counts(counts), waived=counts["by_status"]["waived"], exit_code=report.exit_code(fail_on), fail_on=fail_on,
    ))
