"""Output formats, one module each, looked up by name; each turns a Report into text."""
from __future__ import annotations

import importlib
from typing import Any, Iterable, Protocol

from ..report import Report

RENDERERS: dict[str, str] = {
    "text": "ics_rules.renderers.text",
    "json": "ics_rules.renderers.json_report",
    "html": "ics_rules.renderers.html",
    "junit": "ics_rules.renderers.junit",
    "sarif": "ics_rules.renderers.sarif",
    "markdown": "ics_rules.renderers.markdown",
    "github": "ics_rules.renderers.github",
}


class Renderer(Protocol):
    def render(self, report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str: ...


def pages_of(renderer: Renderer) -> Any:
    """The renderer's `render_pages` ((file name, text) pairs, for a directory of pages), or None if it writes one file."""
    return getattr(renderer, "render_pages", None)


def chunks_of(renderer: Renderer, report: Report, **options: Any) -> Iterable[str]:
    """The output in pieces, as the renderer produces them (`render_chunks`), or whole."""
    streaming = getattr(renderer, "render_chunks", None)
    return streaming(report, **options) if streaming is not None else (renderer.render(report, **options),)


def get_renderer(name: str) -> Renderer:
    """Import only the format asked for, so a run loads nothing it does not print."""
    try:
        return importlib.import_module(RENDERERS[name])  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(RENDERERS)}") from None
