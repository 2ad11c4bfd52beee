"""The one result model every output format is produced from."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .problems import Problem, format_location

STATUSES = ("pass", "fail", "review", "waived", "not_applicable", "error")
SEVERITIES = ("required", "expected", "advisory")


@dataclass(frozen=True)
class Subject:
    kind: str
    id: str
    name: str
    file: str
    pointer: str
    line: int | None
    column: int | None

    def location(self) -> str:
        return format_location(self.file, self.line, self.column)


@dataclass(frozen=True)
class Evidence:
    """Where in the submission a field the rule read was written (or belongs, when it is missing)."""

    field: str
    pointer: str
    line: int | None
    column: int | None


@dataclass(frozen=True)
class Result:
    rule_id: str
    title: str
    severity: str
    status: str
    message: str
    citation: dict[str, Any]
    remediation: str
    subject: Subject
    ruleset: str
    evidence: tuple[Evidence, ...] = ()
    waiver: dict[str, Any] | None = None  # the waiver that applies (status is then "waived")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class InputReport:
    path: str
    sha256: str | None
    status: str  # checked | invalid | error
    as_of: str | None = None
    ics_name: str | None = None
    ics_code: str | None = None
    geography: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "sha256": self.sha256, "status": self.status, "as_of": self.as_of,
            "ics": {"name": self.ics_name, "code": self.ics_code} if self.ics_code else None,
            "reference_geography": self.geography, "problems": [p.to_dict() for p in self.problems],
        }
