"""The one result model every output format is produced from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .problems import Problem, format_location

STATUSES = ("pass", "fail", "review", "waived", "not_applicable", "error")
SEVERITIES = ("required", "expected", "advisory")


@dataclass(frozen=True, slots=True)
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

    def __reduce__(self) -> tuple[Any, ...]:
        return (Subject, (self.kind, self.id, self.name, self.file, self.pointer, self.line, self.column))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "file": self.file, "pointer": self.pointer,
                "line": self.line, "column": self.column}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where in the submission a field the rule read was written (or belongs, when it is missing)."""

    field: str
    pointer: str
    line: int | None
    column: int | None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Evidence, (self.field, self.pointer, self.line, self.column))

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "pointer": self.pointer, "line": self.line, "column": self.column}


@dataclass(frozen=True, slots=True)
class Result:
    """One rule's verdict on one subject. Slots, and rule-level parts (title, citation, remediation)
    shared between a rule's results: a national batch holds hundreds of thousands of these."""

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

    def __reduce__(self) -> tuple[Any, ...]:
        """Plain arguments: the dataclass default pickles a state mapping per object, several times slower,
        and results cross from worker to parent and to the report's spool file."""
        return (Result, (self.rule_id, self.title, self.severity, self.status, self.message, self.citation, self.remediation,
                         self.subject, self.ruleset, self.evidence, self.waiver))

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "title": self.title, "severity": self.severity, "status": self.status,
                "message": self.message, "citation": dict(self.citation), "remediation": self.remediation,
                "subject": self.subject.to_dict(), "ruleset": self.ruleset, "evidence": [e.to_dict() for e in self.evidence],
                "waiver": dict(self.waiver) if self.waiver is not None else None}


@dataclass(slots=True)
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
