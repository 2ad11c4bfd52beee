"""The reference data as it stood on one date: the geography edition in force, and the trusts and
PCNs open then, with one identity for every ICB, region, sub-ICB location and local authority.

ODS and ONS codes name the same entity: every code a submission writes is turned into the ODS form
(ONS codes change with boundaries; ODS codes are what NHS organisations are known by), looked up in
every edition so that a code of another edition is still recognised, and named for what it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .geography import Geography, coverage, edition_for, editions
from .organisations import Table, pcns, trusts

ALWAYS = frozenset({"trusts", "pcns"})  # tables that do not depend on the edition


@lru_cache(maxsize=None)
def _codes() -> tuple[dict[str, str], dict[str, str]]:
    """Across every edition: each ONS code of an ICB, STP, region or sub-ICB location with its ODS code
    (the first edition's), and each ODS code's latest name (for messages about other editions' codes)."""
    ons_to_ods: dict[str, str] = {}
    names: dict[str, str] = {}
    for e in editions():
        for table in (e.areas, e.icbs, e.regions):
            for ods, row in table.items():
                if row.get("ons_code"):
                    ons_to_ods.setdefault(row["ons_code"], ods)
                names[ods] = row.get("name") or row.get("parent_name") or ods
    return ons_to_ods, names


def _grouped(table: Table, column: str) -> dict[str, tuple[str, ...]]:
    """A table's codes grouped by one column's value."""
    out: dict[str, list[str]] = {}
    for code, row in table.rows.items():
        out.setdefault(row[column], []).append(code)
    return {value: tuple(codes) for value, codes in out.items()}


@lru_cache(maxsize=None)
def _pcns_by_area() -> dict[str, tuple[str, ...]]:
    return _grouped(pcns(), "area")


@lru_cache(maxsize=None)
def _trusts_by_icb() -> dict[str, tuple[str, ...]]:
    return _grouped(trusts(), "icb")


def canonical(code: str | None) -> str | None:
    """The ODS form of an ICB, region or sub-ICB location code written either way (unknown codes unchanged)."""
    if code is None:
        return None
    return _codes()[0].get(code, code)


def name_of(code: str) -> str | None:
    return _codes()[1].get(canonical(code) or code)


@dataclass
class Reference:
    """What the reference data says on `as_of`; `geography` is None outside every edition."""

    as_of: str
    geography: Geography | None
    trusts: Table = field(default_factory=trusts)
    pcns: Table = field(default_factory=pcns)

    @property
    def id(self) -> str | None:
        return self.geography.id if self.geography else None

    @property
    def provides(self) -> frozenset[str]:
        return (self.geography.provides if self.geography else frozenset()) | ALWAYS

    def gap(self) -> str:
        return f"there is no reference geography for {self.as_of}: the editions cover {coverage()}"

    # ---- geography ---------------------------------------------------------------------------------
    def icb(self, code: str | None) -> dict[str, Any] | None:
        g = self.geography
        return g.icbs.get(canonical(code) or "") if g and code else None

    def area(self, code: str | None) -> dict[str, Any] | None:
        g = self.geography
        return g.areas.get(canonical(code) or "") if g and code else None

    def region(self, code: str | None) -> dict[str, Any] | None:
        g = self.geography
        return g.regions.get(canonical(code) or "") if g and code else None

    def current(self, code: str | None) -> bool:
        """Whether a code as written is a code of this edition: its ODS code, or the ONS code it has in
        this edition (an ONS code of another edition names a boundary that no longer holds)."""
        g = self.geography
        if g is None or not code:
            return False
        ods = canonical(code)
        row = g.icbs.get(ods or "") or g.areas.get(ods or "") or g.regions.get(ods or "")
        return row is not None and (code == ods or row.get("ons_code") == code)

    def icb_areas(self, icb: str | None) -> list[str]:
        g, code = self.geography, canonical(icb)
        return sorted(a for a, row in g.areas.items() if row["parent_code"] == code) if g and code else []

    def ceased(self, code: str | None) -> str | None:
        """Why a code known to some edition is not in this one, naming its successors where recorded."""
        g, ods = self.geography, canonical(code)
        if g is None or not ods or not code:
            return None
        row = g.icbs.get(ods) or g.areas.get(ods) or g.regions.get(ods)
        if row is not None:
            if self.current(code):
                return None
            return (f"{code} is an ONS code of another edition; in {g.id} {ods} ({row.get('name') or row.get('parent_name')}) "
                    f"is {row.get('ons_code')}, and its boundary may differ")
        name = name_of(ods)
        if name is None:
            return None
        after = g.successors(ods)
        if after:
            return (f"{ods} ({name}) ceased on {g.valid_from}; its successor{'s are' if len(after) > 1 else ' is'} "
                    + ", ".join(f"{s} ({g.icbs[s]['name']})" for s in after if s in g.icbs))
        if ods in g.area_successors:
            return (f"{ods} ({name}) ceased on {g.valid_from}; its area is now in "
                    + ", ".join(f"{a} ({g.areas[a]['name']})" for a in g.area_successors[ods]))
        existed = [e for e in editions() if ods in e.areas or ods in e.icbs or ods in e.regions]
        when = "later" if existed and existed[0].valid_from > self.as_of else "earlier"
        return f"{ods} ({name}) is a code of an {when} edition ({existed[0].id}), not of {g.id}" if existed else None

    def area_icbs(self, area: str) -> tuple[list[str], bool]:
        """The ICBs a sub-ICB location code of the ePCN snapshot lies in on this date, and whether that is settled."""
        g = self.geography
        if g is None:
            return [], False
        row = g.areas.get(area)
        if row is not None:
            return [row["parent_code"]], True
        after = g.area_successors.get(area)
        if after:
            return sorted({g.areas[a]["parent_code"] for a in after}), False
        return [], False

    def host_icbs(self, icb: str) -> tuple[list[str], bool]:
        """The ICB(s) of this edition that an ICB code of the trust table became, and whether that is settled."""
        g = self.geography
        if g is None:
            return [], False
        if icb in g.icbs:
            return [icb], True
        after = g.successors(icb)
        return after, len(after) == 1

    def pcns_in(self, icb: str) -> list[str]:
        """Codes of the ePCN PCNs whose sub-ICB location lies, or may lie, in `icb` on this date."""
        g = self.geography
        if g is None:
            return []
        areas = set(self.icb_areas(icb)) | {old for old, new in g.area_successors.items()
                                            if any(g.areas[a]["parent_code"] == icb for a in new)}
        return [code for area in sorted(areas) for code in _pcns_by_area().get(area, ())]

    def trusts_in(self, icb: str) -> list[str]:
        """Codes of the trusts the ODS table places, or may place, in `icb` on this date (through successions)."""
        g = self.geography
        if g is None:
            return []
        before = [icb] + [s["predecessor_ods"] for s in g.successions if s["successor_ods"] == icb]
        return sorted(code for b in dict.fromkeys(before) for code in _trusts_by_icb().get(b, ()))

    def local_authority(self, code: str | None) -> dict[str, Any] | None:
        g = self.geography
        return g.local_authorities.get(code or "") if g else None


@lru_cache(maxsize=64)
def reference_for(as_of: str) -> Reference:
    return Reference(as_of, edition_for(as_of))
