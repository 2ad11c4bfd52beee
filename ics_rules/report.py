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


@dataclass
class Report:
    command: str  # check | validate
    as_of: str | None  # the --as-of given, else None (each input then uses its own as_at)
    rulesets: list[Ruleset] = field(default_factory=list)
    inputs: list[InputReport] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    generated_at: str = field(default_factory=generated_at)

    def counts(self) -> dict[str, Any]:
        by_status = {s: 0 for s in STATUSES}
        by_severity = {sev: {s: 0 for s in STATUSES} for sev in SEVERITIES}
        for r in self.results:
            by_status[r.status] += 1
            by_severity[r.severity][r.status] += 1
        inputs = {s: 0 for s in ("checked", "invalid", "error")}
        for i in self.inputs:
            inputs[i.status] += 1
        return {"results": len(self.results), "by_status": by_status, "by_severity": by_severity, "inputs": inputs}

    def exit_code(self, fail_on: str = "required") -> int:
        """0 nothing failing at or above `fail_on`; 1 failures (or rules that could not be evaluated); 2 bad input."""
        if any(i.status != "checked" for i in self.inputs):
            return 2
        if fail_on == "never":
            return 0
        gate = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
        if any(r.status in ("fail", "error") and r.severity in gate for r in self.results):
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
            "summary": self.counts(),
            "results": [r.to_dict() for r in self.results],
        }
