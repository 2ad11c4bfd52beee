"""Dated editions of the reference geography: which sub-ICB locations (or CCGs) existed, which ICB
(or STP), region, Cancer Alliance and local authority districts went with them.

Each file in reference/ is valid from its `valid_from` until its `valid_until`; no edition is used
outside those dates. Files are built by tools/build_reference.py from Open Government Licence data
and name their sources.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..resources import data_dir


@dataclass(frozen=True)
class Geography:
    id: str
    title: str
    valid_from: str
    valid_until: str | None
    provides: frozenset[str]  # the tables this edition has: areas, icbs, regions, cancer_alliances, local_authorities
    sources: tuple[str, ...]
    areas: dict[str, dict[str, Any]] = field(hash=False, compare=False)
    icbs: dict[str, dict[str, Any]] = field(hash=False, compare=False)
    regions: dict[str, dict[str, Any]] = field(hash=False, compare=False)
    local_authorities: dict[str, dict[str, Any]] = field(hash=False, compare=False)
    successions: tuple[dict[str, str], ...] = ()
    area_successors: dict[str, list[str]] = field(default_factory=dict, hash=False, compare=False)

    def covers(self, day: str) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def successors(self, icb: str) -> list[str]:
        """The ICBs that took over a predecessor ICB on this edition's first day (none if it did not cease)."""
        return [s["successor_ods"] for s in self.successions if s["predecessor_ods"] == icb]


def _load(path: Path) -> Geography:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Geography(
        id=raw["id"], title=raw["title"], valid_from=raw["valid_from"], valid_until=raw.get("valid_until"),
        provides=frozenset(raw["provides"]), sources=tuple(s["citation"] for s in raw["sources"]), areas=raw["areas"],
        icbs=raw["icbs"], regions=raw["regions"], local_authorities=raw.get("local_authorities", {}),
        successions=tuple(raw.get("successions", ())), area_successors=raw.get("area_successors", {}),
    )


@lru_cache(maxsize=None)
def editions() -> tuple[Geography, ...]:
    return tuple(sorted((_load(p) for p in data_dir("reference").glob("geography-*.json")), key=lambda g: g.valid_from))


def edition_for(as_of: str) -> Geography | None:
    """The edition in force on `as_of` (ISO date), or None outside every edition's dates."""
    return next((e for e in editions() if e.covers(as_of)), None)


def coverage() -> str:
    """The dates the editions cover, as messages about a gap name them."""
    eds = editions()
    return f"{eds[0].valid_from} to {eds[-1].valid_until or 'the present'}" if eds else "no dates (no editions are installed)"
