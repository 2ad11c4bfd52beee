"""The report model as JSON (schemas/report.schema.json), stable key order for reproducible bytes."""
from __future__ import annotations

import json

from ..report import Report


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
