"""The report model as JSON (schemas/report.schema.json), stable key order for reproducible bytes.

Written as it is read: the header, then one result per line, so a batch of any size never has its
whole report in memory, and each result is encoded by the json module's C encoder."""
from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Iterator

from ..report import Report
from ..results import Result

_RESULT = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
_text = encode_basestring  # a JSON string, as _RESULT writes it


def encode_result(result: Result, rules: dict[tuple[str, ...], tuple[str, str, str]]) -> str:
    """`_RESULT.encode(result.to_dict())`, byte for byte, with the parts every result of a rule shares
    (title, severity, citation, remediation, ruleset) encoded once per rule in `rules`: those are most
    of a result's bytes, and a national batch has hundreds of thousands of results."""
    c = result.citation
    key = (result.rule_id, result.title, result.severity, result.remediation, result.ruleset, c["document"], c["paragraph"], c["quote"])
    parts = rules.get(key)
    if parts is None:
        parts = rules[key] = (
            f'{{"rule_id": {_text(result.rule_id)}, "title": {_text(result.title)}, "severity": {_text(result.severity)}, "status": ',
            f', "citation": {_RESULT.encode(dict(c))}, "remediation": {_text(result.remediation)}, "subject": ',
            f', "ruleset": {_text(result.ruleset)}, "evidence": ')
    evidence = _RESULT.encode([e.to_dict() for e in result.evidence]) if result.evidence else "[]"
    waiver = _RESULT.encode(result.waiver) if result.waiver is not None else "null"
    return (f'{parts[0]}{_text(result.status)}, "message": {_text(result.message)}{parts[1]}'
            f'{_RESULT.encode(result.subject.to_dict())}{parts[2]}{evidence}, "waiver": {waiver}}}')


def render_chunks(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> Iterator[str]:
    head = json.dumps(report.header(), indent=2, ensure_ascii=False)
    yield head[:-2] + ',\n  "results": ['  # the header object, left open for the results
    first = True
    rules: dict[tuple[str, ...], tuple[str, str, str]] = {}
    for result in report.results:
        yield ("\n    " if first else ",\n    ") + encode_result(result, rules)
        first = False
    yield ("\n  ]\n}\n" if not first else "]\n}\n")


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    return "".join(render_chunks(report, color=color, verbose=verbose, fail_on=fail_on))
