"""Self-contained HTML pages for people reading a report: one per submission, and an index for a batch.

Rendered with Jinja2 in a sandbox with autoescaping on, so text from a submission (names, messages)
is always shown as text; CSS and the small filter script are inlined, and nothing is fetched.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath
from typing import Any, Iterator

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from ..version import __version__
from ..facts import kind_label
from ..problems import pointer_to_field
from ..report import REPORT_FORMAT, Report, gate, tally
from ..resources import data_dir
from ..cache import bytecode_cache
from ..results import SEVERITIES, InputReport, Result

STATUS_ORDER = ("fail", "error", "review", "waived", "pass", "not_applicable")
FINDINGS = ("fail", "error", "review", "waived")  # shown open; the rest are collapsed


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(str(data_dir("reports") / "templates" / "html")),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               bytecode_cache=bytecode_cache())
    env.filters["pointer_field"] = pointer_to_field
    env.filters["kind_label"] = kind_label
    return env


def _paragraph_key(paragraph: str) -> tuple[int, ...]:
    return tuple(int(p) for p in paragraph.split(".") if p.isdigit())


def _groups(results: list[Result], plan_title: str | None) -> list[dict[str, Any]]:
    """Results by plan area (the paragraph they cite), the plan's own paragraphs first."""
    by_area: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        by_area.setdefault((r.citation["document"], r.citation["paragraph"]), []).append(r)
    ordered = sorted(by_area, key=lambda k: (k[0] != plan_title, k[0], _paragraph_key(k[1])))
    out = []
    for document, paragraph in ordered:
        items = sorted(by_area[(document, paragraph)], key=lambda r: (STATUS_ORDER.index(r.status), SEVERITIES.index(r.severity), r.rule_id))
        title = f"Paragraph {paragraph}" if document == plan_title else f"{document}, paragraph {paragraph}"
        out.append({"title": title, "anchor": re.sub(r"[^a-z0-9]+", "-", f"{document}-{paragraph}".lower()).strip("-"),
                    "findings": [r for r in items if r.status in FINDINGS], "others": [r for r in items if r.status not in FINDINGS]})
    return out


def _verdict(results: list[Result], entry: InputReport | None, fail_on: str) -> tuple[str, bool]:
    if entry is not None and entry.status == "invalid":
        return "This submission is not valid: fix the problems listed below and check it again.", True
    if entry is not None and entry.status == "error":
        return "This submission could not be checked.", True
    return _verdict_from_counts(tally(results), fail_on)


def _verdict_from_counts(counts: dict[str, Any], fail_on: str) -> tuple[str, bool]:
    failing = {sev: row["fail"] + row["error"] for sev, row in counts["by_severity"].items()}
    above = sum(n for sev, n in failing.items() if sev in gate(fail_on))
    below = sum(failing.values()) - above
    reviews = counts["by_status"]["review"]
    more = (f" {below} more fail at lower severity." if below else "") + f" {reviews} results are for a reviewer's judgement."
    if above:
        return f"Does not meet the plan: {above} results fail at or above '{fail_on}'.{more}", True
    return f"Nothing fails at or above '{fail_on}'.{more}", False


def _common(report: Report) -> dict[str, Any]:
    return {"tool_version": __version__, "generated_at": report.generated_at, "report_format": REPORT_FORMAT,
            "rulesets": report.rulesets, "statuses": STATUS_ORDER, "severities": SEVERITIES}


def _plan_title(report: Report) -> str | None:
    return report.rulesets[0].source_title if report.rulesets else None


def page_names(report: Report) -> dict[str, str]:
    """Input path -> its page's file name: the file's stem, made unique."""
    names: dict[str, str] = {}
    used: set[str] = {"index.html"}
    for entry in report.inputs:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePath(entry.path).stem).strip("-.") or "submission"
        name, n = f"{stem}.html", 2
        while name in used:
            name, n = f"{stem}-{n}.html", n + 1
        used.add(name)
        names[entry.path] = name
    return names


def _submission_page(env: SandboxedEnvironment, report: Report, entry: InputReport, results: list[Result],
                     fail_on: str, index_link: str | None) -> str:
    verdict, failing = _verdict(results, entry, fail_on)
    title = f"{entry.ics_name} ({entry.ics_code})" if entry.ics_code else PurePath(entry.path).name
    waivers = [r for r in results if r.subject.kind == "waiver"]
    results = [r for r in results if r.subject.kind != "waiver"]
    page = {"title": title, "verdict": verdict, "failing": failing, "index_link": index_link,
            "counts": tally(results), "groups": _groups(results, _plan_title(report)), "waivers": waivers}
    return env.get_template("submission.html.j2").render(page=page, input=entry, **_common(report))


def render_pages(report: Report, *, fail_on: str = "required", **_: Any) -> Iterator[tuple[str, str]]:
    """(file name, HTML) for one page per input, as each is rendered, then index.html."""
    env = _environment()
    names = page_names(report)
    rows = []
    for e, results in report.results_by_input():
        yield names[e.path], _submission_page(env, report, e, results, fail_on, "index.html")
        counts = Counter(r.status for r in results)
        rows.append({"input": e, "link": names[e.path], "name": f"{e.ics_name} ({e.ics_code})" if e.ics_code else PurePath(e.path).name,
                     "counts": {s: counts[s] for s in STATUS_ORDER}})
    verdict, failing = _verdict_from_counts(report.counts(), fail_on)
    if any(e.status != "checked" for e in report.inputs):
        verdict, failing = verdict + " Some submissions could not be checked: see the table.", True
    page = {"title": f"{len(report.inputs)} ICS submissions", "verdict": verdict, "failing": failing, "inputs": rows,
            "columns": STATUS_ORDER, "groups": _groups(report.system_results(), _plan_title(report)), "waivers": report.waiver_findings()}
    yield "index.html", env.get_template("index.html.j2").render(page=page, counts=report.counts(), system=report.system, **_common(report))


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    """One page: the submission's page for a single input, else the batch index (see render_pages)."""
    if len(report.inputs) == 1:
        entry = report.inputs[0]
        return _submission_page(_environment(), report, entry, list(report.results), fail_on, None)
    return dict(render_pages(report, fail_on=fail_on))["index.html"]
