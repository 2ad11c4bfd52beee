"""Turn a validated submission into flat, typed entity facts: the only data the rules can see.

The registry below is the contract between rulesets and documents: a rule may only name an entity
type and fields listed here, and the compiler checks field names and value types against it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from .loading import Document
from .reference import Geography

FieldType = str  # "string" | "integer" | "boolean" | "date"


@dataclass(frozen=True)
class EntityType:
    name: str
    label: str
    fields: Mapping[str, FieldType]
    # related entity type -> default equality join {related field: this entity's field}
    relations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


_IN_ICS = {"ics": "code"}

ENTITY_TYPES: dict[str, EntityType] = {t.name: t for t in [
    EntityType("ics", "ICS", {
        "code": "string", "name": "string", "region": "string", "as_at": "date", "population": "integer",
        "footprint_count": "integer", "place_count": "integer", "predecessor_stp_count": "integer",
        "chair_name": "string", "chair_non_executive": "boolean", "chair_local_appointment": "boolean",
        "chair_appointment_date": "date", "chair_approved_by": "string", "chair_approval_date": "date",
        "chair_approval_reference": "string", "non_executive_involvement": "string",
        "cancer_alliance_code": "string", "cancer_alliance_name": "string", "clinical_senate_name": "string",
    }, {
        "organisation": _IN_ICS, "board_member": _IN_ICS, "primary_care_network": _IN_ICS,
        "provider_contract": _IN_ICS, "footprint_area": _IN_ICS, "place": _IN_ICS,
    }),
    EntityType("organisation", "organisation", {
        "ics": "string", "org_id": "string", "name": "string", "type": "string", "ods_code": "string",
        "ons_code": "string", "statutory": "boolean",
    }, {
        "provider_contract": {"provider": "org_id"}, "board_member": {"organisation": "org_id"},
    }),
    EntityType("board_member", "board member", {
        "ics": "string", "name": "string", "organisation": "string", "organisation_name": "string",
        "organisation_type": "string", "role": "string", "non_executive": "boolean", "voting": "boolean",
    }),
    EntityType("primary_care_network", "PCN", {
        "ics": "string", "code": "string", "name": "string", "clinical_director_name": "string",
        "clinical_director_gmc_number": "string", "clinical_director_accountable": "boolean",
        "member_practice_count": "integer",
    }),
    EntityType("provider_contract", "provider contract", {
        "ics": "string", "contract_id": "string", "provider": "string", "provider_name": "string", "provider_type": "string",
        "commissioner": "string", "commissioner_type": "string", "type": "string", "start": "date", "end": "date",
        "term_months": "integer", "collaboration_clause_reference": "string", "collaboration_clause_text": "string",
    }),
    EntityType("footprint_area", "area", {
        "ics": "string", "code": "string", "ics_code": "string", "ics_cancer_alliance_code": "string",
    }, {"reference_area": {"code": "code"}}),
    EntityType("place", "place", {
        "ics": "string", "name": "string", "local_authority": "string", "local_authority_name": "string",
        "health_and_wellbeing_board": "string",
    }),
    # Rows of the dated reference geography for the areas a submission names (see reference.py).
    EntityType("reference_area", "reference area", {
        "code": "string", "name": "string", "parent_code": "string", "parent_name": "string",
        "cancer_alliance_code": "string", "cancer_alliance_name": "string", "region_code": "string",
        "region_name": "string", "valid_from": "date",
    }),
]}

RESERVED_FIELDS = ("t", "id", "sid", "key")  # engine bookkeeping, never rule fields


@dataclass
class Entity:
    """One thing a result can be about, with the engine fact and where it was written."""

    type: str
    fact_id: str  # unique within the submission, namespaced by type
    key: str  # the business identifier users know it by
    name: str
    pointer: str
    fields: dict[str, Any]

    def fact(self) -> dict[str, Any]:
        """The engine's view: nulls stripped (the engine treats null and missing differently)."""
        out = {k: v for k, v in self.fields.items() if v is not None}
        out.update(t=self.type, id=self.fact_id, key=self.key)
        return out


def _get(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _months_between(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return (b.year - a.year) * 12 + (b.month - a.month) + (1 if b.day >= a.day else 0)


def _clean(value: Any) -> Any:
    """Keep only what the engine handles exactly: text, bools and whole numbers."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else None
    return value


def build_entities(doc: Document, geography: Geography | None) -> list[Entity]:
    """All entities of one submission (and the reference rows it needs), in document order."""
    data = doc.data
    ics = data["ics"]
    code = ics["code"]
    board = data.get("partnership_board", {})
    chair = board.get("chair", {})
    orgs = {o["id"]: o for o in data.get("organisations", [])}
    alliance = _get(data, "cancer_alliance", "code")
    out: list[Entity] = []

    def add(kind: str, index: int, key: str, name: str, pointer: str, fields: dict[str, Any]) -> None:
        clean = {k: _clean(v) for k, v in fields.items()}
        out.append(Entity(kind, f"{kind}:{index}", str(key), str(name), pointer, clean))

    add("ics", 0, code, ics.get("name", code), "/ics", {
        "code": code, "name": ics.get("name"), "region": ics.get("region"), "as_at": ics.get("as_at"),
        "population": ics.get("population"), "footprint_count": len(ics.get("footprint", [])),
        "place_count": len(ics.get("places", [])), "predecessor_stp_count": len(ics.get("predecessor_stps", [])),
        "chair_name": chair.get("name"), "chair_non_executive": chair.get("non_executive"),
        "chair_local_appointment": _get(chair, "appointment", "local"),
        "chair_appointment_date": _get(chair, "appointment", "date"),
        "chair_approved_by": _get(chair, "approval", "by"), "chair_approval_date": _get(chair, "approval", "date"),
        "chair_approval_reference": _get(chair, "approval", "reference"),
        "non_executive_involvement": _get(board, "non_executive_involvement", "description"),
        "cancer_alliance_code": alliance, "cancer_alliance_name": _get(data, "cancer_alliance", "name"),
        "clinical_senate_name": _get(data, "clinical_senate", "name"),
    })
    for i, o in enumerate(data.get("organisations", [])):
        add("organisation", i, o["id"], o["name"], f"/organisations/{i}", {
            "ics": code, "org_id": o["id"], "name": o["name"], "type": o["type"], "ods_code": o.get("ods_code"),
            "ons_code": o.get("ons_code"), "statutory": o.get("statutory"),
        })
    for i, m in enumerate(board.get("members", [])):
        org = orgs.get(m["organisation"], {})
        add("board_member", i, m["name"], m["name"], f"/partnership_board/members/{i}", {
            "ics": code, "name": m["name"], "organisation": m["organisation"], "organisation_name": org.get("name"),
            "organisation_type": org.get("type"), "role": m.get("role"), "non_executive": m.get("non_executive"),
            "voting": m.get("voting"),
        })
    for i, p in enumerate(data.get("primary_care_networks", [])):
        cd = p.get("clinical_director") or {}
        add("primary_care_network", i, p["code"], p["name"], f"/primary_care_networks/{i}", {
            "ics": code, "code": p["code"], "name": p["name"], "clinical_director_name": cd.get("name"),
            "clinical_director_gmc_number": cd.get("gmc_number"), "clinical_director_accountable": cd.get("accountable"),
            "member_practice_count": len(p.get("member_practices", [])),
        })
    for i, c in enumerate(data.get("provider_contracts", [])):
        provider, commissioner = orgs.get(c["provider"], {}), orgs.get(c["commissioner"], {})
        clause = c.get("collaboration_clause") or {}
        add("provider_contract", i, c["id"], f"with {provider.get('name', c['provider'])}", f"/provider_contracts/{i}", {
            "ics": code, "contract_id": c["id"], "provider": c["provider"], "provider_name": provider.get("name"),
            "provider_type": provider.get("type"), "commissioner": c["commissioner"],
            "commissioner_type": commissioner.get("type"), "type": c["type"], "start": c.get("start"), "end": c.get("end"),
            "term_months": _months_between(c.get("start"), c.get("end")),
            "collaboration_clause_reference": clause.get("reference"), "collaboration_clause_text": clause.get("text"),
        })
    footprint = ics.get("footprint", [])
    for i, area in enumerate(footprint):
        row = geography.areas.get(area) if geography else None
        add("footprint_area", i, area, (row or {}).get("name", area), f"/ics/footprint/{i}", {
            "ics": code, "code": area, "ics_code": code, "ics_cancer_alliance_code": alliance,
        })
    for i, p in enumerate(ics.get("places", [])):
        la = orgs.get(p["local_authority"], {})
        add("place", i, p["name"], p["name"], f"/ics/places/{i}", {
            "ics": code, "name": p["name"], "local_authority": p["local_authority"],
            "local_authority_name": la.get("name"), "health_and_wellbeing_board": p.get("health_and_wellbeing_board"),
        })
    if geography is not None:
        for i, area in enumerate(sorted(set(footprint))):
            row = geography.areas.get(area)
            if row is not None:
                add("reference_area", i, area, row.get("name", area), "", {**row, "code": area, "valid_from": geography.valid_from})
    return out

