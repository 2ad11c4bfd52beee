"""NHS trusts (ODS etr) with the ICB that hosts each, and primary care networks (ePCN) with their
sub-ICB location, dates and member practices: the tables completeness rules check a submission against.

Both are snapshots (reference/organisations.json and reference/pcns.json name their publication
dates); an organisation is taken to exist on a date between its open and close dates.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..resources import data_dir


@dataclass(frozen=True)
class Table:
    id: str
    published: str
    sources: tuple[str, ...]
    rows: dict[str, dict[str, Any]]

    def open_on(self, code: str, day: str) -> bool:
        row = self.rows.get(code)
        return row is not None and (row.get("open") or "") <= day and (not row.get("close") or day < row["close"])


@lru_cache(maxsize=None)
def practices() -> dict[str, str]:
    """Every GP practice code that was ever a PCN member in the ePCN snapshot, with its name."""
    return {pr[0]: pr[1] for row in pcns().rows.values() for pr in row["practices"]}


def _table(name: str, key: str) -> Table:
    raw = json.loads((data_dir("reference") / name).read_text(encoding="utf-8"))
    return Table(raw["id"], raw["published"], tuple(s["citation"] for s in raw["sources"]), raw[key])


@lru_cache(maxsize=None)
def trusts() -> Table:
    return _table("organisations.json", "trusts")


@lru_cache(maxsize=None)
def pcns() -> Table:
    return _table("pcns.json", "pcns")
