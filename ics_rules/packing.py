"""How results travel from a worker to the parent and wait in the report until rendered: as the JSON
lines the json format writes, one result per line.

A batch's results are encoded once, in parallel in the workers; writing a JSON report is then a copy
of those bytes, and every other format decodes them when it reads them (Result.from_dict)."""
from __future__ import annotations

import json
from json.encoder import encode_basestring as _text
from typing import Any

from .results import Evidence, Result, Subject

ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
RuleParts = dict[tuple[Any, ...], tuple[str, str, str]]


def encode_result(result: Result, rules: RuleParts) -> str:
    """`ENCODER.encode(result.to_dict())`, byte for byte, with the parts every result of a rule shares
    (title, severity, citation, remediation, ruleset) encoded once per rule in `rules`: those are most
    of a result's bytes, and a national batch has hundreds of thousands of results."""
    c = result.citation
    key = (result.rule_id, result.title, result.severity, result.remediation, result.ruleset, c["document"], c["paragraph"], c["quote"])
    parts = rules.get(key)
    if parts is None:
        parts = rules[key] = (
            f'{{"rule_id": {_text(result.rule_id)}, "title": {_text(result.title)}, "severity": {_text(result.severity)}, "status": ',
            f', "citation": {ENCODER.encode(dict(c))}, "remediation": {_text(result.remediation)}, "subject": ',
            f', "ruleset": {_text(result.ruleset)}, "evidence": ')
    evidence = ENCODER.encode([e.to_dict() for e in result.evidence]) if result.evidence else "[]"
    waiver = ENCODER.encode(result.waiver) if result.waiver is not None else "null"
    return (f'{parts[0]}{_text(result.status)}, "message": {_text(result.message)}{parts[1]}'
            f'{ENCODER.encode(result.subject.to_dict())}{parts[2]}{evidence}, "waiver": {waiver}}}')


def pack(results: list[Result], rules: RuleParts) -> bytes:
    """JSON lines (a JSON string never holds a raw newline, so lines split safely)."""
    return "".join(encode_result(r, rules) + "\n" for r in results).encode("utf-8")


def lines(packed: bytes) -> list[str]:
    return packed.decode("utf-8").split("\n")[:-1]


def unpack(packed: bytes) -> list[Result]:
    return [result_from_dict(json.loads(line)) for line in lines(packed)]


def result_from_dict(d: dict[str, Any]) -> Result:
    s = d["subject"]
    return Result(d["rule_id"], d["title"], d["severity"], d["status"], d["message"], d["citation"], d["remediation"],
                  Subject(s["kind"], s["id"], s["name"], s["file"], s["pointer"], s["line"], s["column"]), d["ruleset"],
                  tuple(Evidence(e["field"], e["pointer"], e["line"], e["column"]) for e in d["evidence"]), d["waiver"])
