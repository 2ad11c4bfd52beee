"""The facts of a whole batch: what each submission claims, set against the dated reference geography.

Each checked submission is reduced to a small summary (its areas, trusts, ICB and PCNs, with where
each was written); the summaries of a batch become the system entities of facts.py, which system-scope
rules evaluate with the same engine as everything else.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from .facts import Entity
from .loading import Document
from .reference import Reference, canonical, reference_for
from .referencing import Findings, assess

# Organisations that belong to one system: claimed by two ICSs is a finding (local authorities and
# voluntary bodies may rightly work with several).
SINGLE_SYSTEM_TYPES = ("integrated_care_board", "ccg", "nhs_trust", "nhs_foundation_trust")


def summarise(doc: Document, reference: Reference | None = None, found: Findings | None = None) -> dict[str, Any]:
    """What a validated submission claims, with positions, in plain data that crosses processes. Codes
    are in ODS form; an organisation is claimed as hosted here unless the submission says it is not
    (`hosted: false`), or says nothing and the reference data places it in another ICB (an ambulance
    trust that serves this ICS from another). `found` is the reference stage's findings, when the
    caller has them already."""
    data, ics = doc.data, doc.data["ics"]
    ref = reference or reference_for(ics.get("as_at") or "")
    found = found or assess(data, ref)

    def claimed(o: dict[str, Any]) -> bool:
        if o.get("hosted") is not None:
            return bool(o["hosted"])
        chk = found.organisations[o["id"]]
        return not (chk.host_settled and chk.host_icb and chk.host_icb != found.ics_code)

    def at(pointer: str) -> dict[str, Any]:
        pos = doc.position(pointer)
        return {"pointer": pointer, "line": pos[0] if pos else None, "column": pos[1] if pos else None}

    senate = data.get("clinical_senate") or {}
    return {
        "file": doc.path, "code": found.ics_code, "name": ics.get("name", ics["code"]), "region": found.region,
        "as_at": ics.get("as_at"), "at": at("/ics"), "edition": ref.id,
        "cancer_alliance_code": (data.get("cancer_alliance") or {}).get("code"),
        "clinical_senate": senate.get("code") or senate.get("name"),
        "footprint": [{"code": canonical(area) or area, "at": at(f"/ics/footprint/{i}")} for i, area in enumerate(ics.get("footprint", []))],
        "organisations": [{"code": canonical(o["ods_code"]), "name": o["name"], "type": o["type"], "at": at(f"/organisations/{i}")}
                          for i, o in enumerate(data.get("organisations", []))
                          if o.get("ods_code") and o["type"] in SINGLE_SYSTEM_TYPES and claimed(o)],
        "pcns": [{"code": p["code"], "name": p["name"], "at": at(f"/primary_care_networks/{i}")}
                 for i, p in enumerate(data.get("primary_care_networks", []))],
    }


class LatestClaims:
    """The submissions the system rules see: the latest of each ICS (by `as_at`, then input order).

    A batch may hold several submissions of one ICS (a reviewer's archive of resubmissions); checking
    them all together would report every area of that ICS as claimed twice. The earlier ones are named
    as superseded instead, and only one summary per ICS is kept however long the batch."""

    def __init__(self) -> None:
        self.latest: dict[str, dict[str, Any]] = {}
        self.superseded: list[str] = []

    def add(self, summary: dict[str, Any]) -> None:
        held = self.latest.get(summary["code"])
        if held is not None and (summary["as_at"] or "") < (held["as_at"] or ""):
            self.superseded.append(summary["file"])
            return
        if held is not None:
            self.superseded.append(held["file"])
        self.latest[summary["code"]] = summary

    def summaries(self) -> list[dict[str, Any]]:
        return list(self.latest.values())


class _Builder:
    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, kind: str, key: str, name: str, fields: dict[str, Any], file: str, at: dict[str, Any]) -> None:
        """`at` is where it was written in `file`: {pointer, line, column}."""
        index = self.counts[kind]
        self.counts[kind] += 1
        self.entities.append(Entity(kind, f"{kind}:{index}", key, name, at["pointer"], fields, (file, at["line"], at["column"])))


def system_entities(summaries: list[dict[str, Any]], reference: Reference) -> list[Entity]:
    """The system entities of a batch. Areas are those of the ICBs that sent a submission, so an area
    no submission claims is a gap in its own ICB's footprint; an ICB of a region the batch covers that
    sent nothing is one absent ICB, not a gap per area (two ICSs checked together get no region-wide
    gaps, and a national batch still shows every hole)."""
    b = _Builder()
    g = reference.geography
    regions = {s["region"] for s in summaries}
    sent = {s["code"] for s in summaries}
    where = f"reference geography {reference.id}" if g else "reference geography"
    areas = g.areas if g else {}

    def in_reference(code: str) -> dict[str, Any]:
        return {"pointer": f"/areas/{code}", "line": None, "column": None}

    for code, row in sorted(g.icbs.items()) if g else ():
        if g and row.get("region_code") in regions:
            b.add("region_icb", code, row["name"], {
                "code": code, "name": row["name"], "region_code": row["region_code"], "submitted": code in sent,
                "region_name": g.regions.get(row["region_code"], {}).get("name"), "area_count": len(reference.icb_areas(code)),
            }, where, {"pointer": f"/icbs/{code}", "line": None, "column": None})
    for code in sorted(areas):
        row = areas[code]
        if row.get("parent_code") in sent:
            b.add("national_area", code, row.get("name", code), {
                "code": code, "name": row.get("name"), "icb_code": row.get("parent_code"), "icb_name": row.get("parent_name"),
                "cancer_alliance_code": row.get("cancer_alliance_code"), "cancer_alliance_name": row.get("cancer_alliance_name"),
                "region_code": row.get("region_code"), "region_name": row.get("region_name"),
            }, where, in_reference(code))
    senates: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in summaries:
        foreign = [c["code"] for c in s["footprint"] if c["code"] not in areas]
        b.add("batch_ics", s["code"], s["name"], {
            "code": s["code"], "name": s["name"], "region": s["region"], "file": s["file"], "clinical_senate": s["clinical_senate"],
            "cancer_alliance_code": s["cancer_alliance_code"], "edition": s.get("edition") or "none",
            "batch_edition": reference.id or "none", "as_at": s["as_at"], "foreign_codes": ", ".join(foreign) or None,
            "foreign_code_count": len(foreign),
        }, s["file"], s["at"])
        by_alliance: dict[str, list[str]] = defaultdict(list)
        for claim in s["footprint"]:
            area = claim["code"]
            b.add("area_claim", f"{area} by {s['code']}", f"{area} claimed by {s['name']}", {
                "area": area, "ics": s["code"], "ics_name": s["name"], "file": s["file"], "line": claim["at"]["line"],
                "cancer_alliance_code": s["cancer_alliance_code"], "clinical_senate": s["clinical_senate"],
            }, s["file"], claim["at"])
            if s["clinical_senate"]:
                senates[(area, s["clinical_senate"])].append(s["code"])
            alliance = areas.get(area, {}).get("cancer_alliance_code")
            if alliance:
                by_alliance[alliance].append(area)
        for alliance, listed in sorted(by_alliance.items()):
            name = next(areas[a].get("cancer_alliance_name") for a in listed)
            b.add("ics_alliance", f"{s['code']} in {alliance}", f"{s['name']} in {name}", {
                "ics": s["code"], "alliance_code": alliance, "alliance_name": name, "area_count": len(listed), "areas": ", ".join(listed),
            }, s["file"], s["at"])
    for (area, senate), codes in sorted(senates.items()):
        b.add("area_senate", f"{area} in {senate}", f"{area} in {senate}", {"area": area, "senate": senate, "ics_list": ", ".join(codes)},
              where, in_reference(area))
    _claims(b, summaries, "organisations", "batch_organisation", "organisation_claim", "ods_code",
            lambda o: {"ods_code": o["code"], "name": o["name"], "type": o["type"]})
    _claims(b, summaries, "pcns", "batch_pcn", "pcn_claim", "code", lambda p: {"code": p["code"], "name": p["name"]})
    return b.entities


def _claims(b: _Builder, summaries: list[dict[str, Any]], listing: str, kind: str, claim: str, key: str, fields: Any) -> None:
    """One entity per distinct code (located where it was first listed) and one claim per listing."""
    first: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for s in summaries:
        for item in s[listing]:
            first.setdefault(item["code"], (item, s))
    for code, (item, s) in sorted(first.items()):
        b.add(kind, code, item["name"], fields(item), s["file"], item["at"])
    for s in summaries:
        for item in s[listing]:
            b.add(claim, f"{item['code']} by {s['code']}", f"{item['name']} listed by {s['name']}", {
                key: item["code"], "ics": s["code"], "ics_name": s["name"], "file": s["file"], "line": item["at"]["line"],
            }, s["file"], item["at"])
