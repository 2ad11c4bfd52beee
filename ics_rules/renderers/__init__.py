"""Output formats, one module each, looked up by name; each turns a Report into text."""
from __future__ import annotations

import importlib
from typing import Protocol

from ..report import Report

RENDERERS: dict[str, str] = {
    "text": "ics_rules.renderers.text",
    "json": "ics_rules.renderers.json_report",
}


class Renderer(Protocol):
    def render(self, report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str: ...


def get_renderer(name: str) -> Renderer:
    """Import only the format asked for, so a run loads nothing it does not print."""
    try:
        return importlib.import_module(RENDERERS[name])  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(RENDERERS)}") from None
