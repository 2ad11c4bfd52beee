"""The report model as JSON (schemas/report.schema.json), stable key order for reproducible bytes.

Written as it is read: the header, then one result per line, so a batch of any size never has its
whole report in memory. A batch's results arrive already encoded by the workers (ics_rules/packing.py)
and are copied through."""
from __future__ import annotations

import json
from typing import Any, Iterator

from ..packing import encode_result, lines
from ..report import Report


def _nested(value: Any, depth: int) -> str:
    """`value` as json.dumps(indent=2) writes it at that depth inside a larger document."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)


def render_chunks(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> Iterator[str]:
    """The header's fields, the inputs one by one, then the results one per line."""
    separator = "{\n"
    for key, value in report.header(inputs=False).items():
        yield f"{separator}  {json.dumps(key)}: "
        separator = ",\n"
        if key != "inputs":
            yield _nested(value, 1)
            continue
        opening = "["
        for entry in report.inputs:
            yield f"{opening}\n    {_nested(entry.to_dict(), 2)}"
            opening = ","
        yield "[]" if opening == "[" else "\n  ]"
    yield ',\n  "results": ['
    separator = "\n    "
    rules: dict = {}
    for block in report.log.raw_blocks():
        encoded = lines(block) if isinstance(block, bytes) else [encode_result(r, rules) for r in block]
        if encoded:
            yield separator + ",\n    ".join(encoded)
            separator = ",\n    "
    for result in [*report.system_findings, *report.waiver_results]:
        yield separator + encode_result(result, rules)
        separator = ",\n    "
    yield "]\n}\n" if separator == "\n    " else "\n  ]\n}\n"


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    return "".join(render_chunks(report, color=color, verbose=verbose, fail_on=fail_on))
