"""The report: everything one run found, as data; every renderer and the exit code read only this."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import __version__
from .results import SEVERITIES, STATUSES, InputReport, Result
from .rulesets import Ruleset

REPORT_FORMAT = "ics-rules-report/1"
FAIL_ON_LEVELS = ("required", "expected", "advisory", "never")


def generated_at() -> str:
    """Now, or SOURCE_DATE_EPOCH when set, so the same inputs give the same report bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit() else datetime.now(timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def tally(results: list[Result]) -> dict[str, Any]:
    """Counts by status and by severity and status: the summary every format shows."""
    by_status = {s: 0 for s in STATUSES}
    by_severity = {sev: {s: 0 for s in STATUSES} for sev in SEVERITIES}
    for r in results:
        by_status[r.status] += 1
        by_severity[r.severity][r.status] += 1
    return {"by_status": by_status, "by_severity": by_severity}


def gate(fail_on: str) -> tuple[str, ...]:
    """The severities whose failures fail a run at `fail_on` (none for "never")."""
    return () if fail_on == "never" else SEVERITIES[: SEVERITIES.index(fail_on) + 1]


def is_system_result(result: Result) -> bool:
    from .facts import ENTITY_TYPES

    entity = ENTITY_TYPES.get(result.subject.kind)
    return bool(entity and entity.system)


@dataclass
class SystemReport:
    """The batch checked as a system: on which date, against which geography, and what was left out."""

    as_of: str
    geography: str | None
    submissions: int
    regions: list[str]
    left_out: list[str]  # inputs that could not be checked, so their claims are missing from the system checks
    status: str = "checked"  # checked | error
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "reference_geography": self.geography, "submissions": self.submissions,
                "regions": self.regions, "left_out": self.left_out, "status": self.status, "problem": self.problem}


@dataclass
class Report:
    command: str  # check | validate
    as_of: str | None  # the --as-of given, else None (each input then uses its own as_at)
    rulesets: list[Ruleset] = field(default_factory=list)
    inputs: list[InputReport] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    system: SystemReport | None = None  # set when two or more submissions were checked together
    selection: Any = None  # the Selection applied (rules, skipped rules, severities)
    waivers: dict[str, Any] | None = None  # the waivers file applied, if any
    generated_at: str = field(default_factory=generated_at)

    def system_results(self) -> list[Result]:
        """Results about the batch as a whole: their subjects are system entities (ics_rules/system.py)."""
        return [r for r in self.results if is_system_result(r)]

    def waiver_findings(self) -> list[Result]:
        """Findings about the waivers file itself: waivers that expired or match nothing."""
        return [r for r in self.results if r.subject.kind == "waiver"]

    def results_by_input(self) -> dict[str, list[Result]]:
        """Each input's own results (not the system checks, not the waivers' findings), by input path."""
        out: dict[str, list[Result]] = {i.path: [] for i in self.inputs}
        for r in self.results:
            if r.subject.kind != "waiver" and not is_system_result(r):
                out.setdefault(r.subject.file, []).append(r)
        return out

    def counts(self) -> dict[str, Any]:
        inputs = {s: 0 for s in ("checked", "invalid", "error")}
        for i in self.inputs:
            inputs[i.status] += 1
        return {"results": len(self.results), **tally(self.results), "inputs": inputs}

    def exit_code(self, fail_on: str = "required") -> int:
        """0 nothing failing at or above `fail_on`; 1 failures (or rules, submissions or system checks that
        could not be evaluated: never a pass); 2 bad input."""
        if any(i.status == "invalid" for i in self.inputs):
            return 2
        if any(i.status == "error" for i in self.inputs) or (self.system and self.system.status == "error"):
            return 1
        if any(r.status in ("fail", "error") and r.severity in gate(fail_on) for r in self.results):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "tool": {"name": "ics-rules", "version": __version__},
            "command": self.command,
            "generated_at": self.generated_at,
            "as_of": self.as_of,
            "rulesets": [
                {"id": rs.id, "title": rs.title, "version": rs.version, "path": rs.path, "sha256": rs.sha256,
                 "source": {"title": rs.source_title, "date": rs.source_date}, "rules": len(rs.rules)}
                for rs in self.rulesets
            ],
            "inputs": [i.to_dict() for i in self.inputs],
            "system": self.system.to_dict() if self.system else None,
            "selection": self.selection.to_dict() if self.selection is not None else None,
            "waivers": self.waivers,
            "summary": self.counts(),
            "results": [r.to_dict() for r in self.results],
        }
