"""Dated reference geography: which areas existed, and which ICS/STP, Cancer Alliance and region held them.

Each file in reference/ covers the period from its `valid_from`; the one in force on the as-of date is
the latest that starts on or before it. Files are built by tools/build_reference.py from Open
Government Licence lookups and name their sources.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .resources import data_dir


@dataclass(frozen=True)
class Geography:
    id: str
    valid_from: str
    valid_until: str | None
    provides: frozenset[str]  # reference_area fields this edition fills in
    sources: tuple[str, ...]
    areas: dict[str, dict[str, Any]] = field(hash=False, compare=False)


def _load(path: Path) -> Geography:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Geography(
        id=raw["id"], valid_from=raw["valid_from"], valid_until=raw.get("valid_until"),
        provides=frozenset(raw["provides"]), sources=tuple(s["citation"] for s in raw["sources"]), areas=raw["areas"],
    )


@lru_cache(maxsize=None)
def editions() -> tuple[Geography, ...]:
    return tuple(sorted((_load(p) for p in data_dir("reference").glob("geography-*.json")), key=lambda g: g.valid_from))


def geography_for(as_of: str) -> Geography | None:
    """The edition in force on `as_of` (ISO date), or None before the earliest one."""
    chosen = None
    for edition in editions():
        if edition.valid_from <= as_of and (edition.valid_until is None or as_of < edition.valid_until):
            chosen = edition
    return chosen
