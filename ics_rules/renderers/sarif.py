"""SARIF 2.1.0 for code-scanning tools: one reportingDescriptor per rule (help text, citation), one result
per finding with the rule id, a level from the severity, and the line and column in the submission."""
from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from ..version import __version__
from ..report import Report
from ..results import Result
from .common import LEVELS, findings

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
KINDS = {"fail": "fail", "waived": "fail", "review": "review", "error": "open"}  # SARIF: kind other than fail has level none


def _descriptor(rule: Any) -> dict[str, Any]:
    cite = rule.citation
    source = f"{cite.document}, paragraph {cite.paragraph}" + (f": “{cite.quote}”" if cite.quote else "")
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.replace(".", "-").split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title}. Source: {source}"},
        "help": {"text": f"{rule.remediation}\nSource: {source}",
                 "markdown": f"{rule.remediation}\n\n**Source:** {cite.document}, paragraph {cite.paragraph}" + (f"\n\n> {cite.quote}" if cite.quote else "")},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"severity": rule.severity, "scope": rule.scope, "in_force": {"from": rule.in_force_from, "until": rule.in_force_until},
                       "citation": {"document": cite.document, "paragraph": cite.paragraph, "quote": cite.quote},
                       "tags": ["ics-rules", rule.severity]},
    }


def uri(path: str) -> str:
    """A file name as SARIF's artifactLocation.uri, a URI reference: relative paths stay relative, each
    byte outside the unreserved set percent-encoded (spaces, '#', '<', line breaks, non-ASCII, and
    bytes that are not UTF-8); absolute paths become file: URIs. Every path SARIF shows passes here."""
    encoded = quote(os.fsencode(path), safe="/")
    return "file://" + encoded if path.startswith("/") else encoded


def _location(result: Result) -> dict[str, Any]:
    s = result.subject
    logical = [{"name": s.id, "fullyQualifiedName": f"{s.kind}/{s.id}", "kind": "object"}]
    if s.line is None:  # reference geography: no file a tool could open
        return {"logicalLocations": logical}
    region: dict[str, Any] = {"startLine": s.line}
    if s.column is not None:
        region["startColumn"] = s.column
    return {"physicalLocation": {"artifactLocation": {"uri": uri(s.file)}, "region": region}, "logicalLocations": logical}


def _result(r: Result, index: dict[str, int]) -> dict[str, Any]:
    kind = KINDS[r.status]
    out: dict[str, Any] = {"ruleId": r.rule_id, "kind": kind, "level": LEVELS[r.severity] if kind == "fail" else "none",
                           "message": {"text": r.message}, "locations": [_location(r)],
                           "properties": {"status": r.status, "severity": r.severity, "subject": {"kind": r.subject.kind, "id": r.subject.id, "name": r.subject.name}}}
    if r.rule_id in index:
        out["ruleIndex"] = index[r.rule_id]
    if r.status == "waived" and r.waiver:
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"{r.waiver['justification']} (approved by {r.waiver['approved_by']}, until {r.waiver['expires']})"}]
    return out


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    rules = [rule for rs in report.rulesets for rule in rs.rules]
    index = {rule.id: i for i, rule in enumerate(rules)}
    notifications = [{"level": "error", "message": {"text": f"{p.field + ': ' if p.field else ''}{p.message}"},
                      "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(p.file)},
                                                          **({"region": {"startLine": p.line, **({"startColumn": p.column} if p.column else {})}} if p.line else {})}}]}
                     for entry in report.inputs for p in entry.problems]
    run = {
        "tool": {"driver": {"name": "ics-rules", "version": __version__, "semanticVersion": __version__, "rules": [_descriptor(r) for r in rules]}},
        "invocations": [{"executionSuccessful": all(i.status == "checked" for i in report.inputs), "toolExecutionNotifications": notifications}],
        "results": [_result(r, index) for r in findings(report)],
        "properties": {"as_of": report.as_of, "rulesets": [{"id": rs.id, "version": rs.version, "sha256": rs.sha256} for rs in report.rulesets]},
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"
