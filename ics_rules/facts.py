"""Turn a validated submission into flat, typed entity facts: the only data the rules can see.

The registry below is the contract between rulesets and documents: a rule may only name an entity
type and fields listed here, and the compiler checks field names and value types against it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from .loading import Document
from .reference import Reference, canonical
from .referencing import Findings, assess

FieldType = str  # "string" | "integer" | "boolean" | "date"


@dataclass(frozen=True)
class EntityType:
    name: str
    label: str
    fields: Mapping[str, FieldType]
    # related entity type -> default equality join {related field: this entity's field}
    relations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # field -> where in the submission it is read from, when that is outside the entity's own node
    # (results cite it as evidence, so a finding about the ICS points at the section that failed)
    sources: Mapping[str, str] = field(default_factory=dict)
    system: bool = False  # built from a whole batch of submissions (ics_rules/system.py), not from one


_IN_ICS = {"ics": "code"}

# ICS fields copied straight from one place in the submission: the value is read from the pointer,
# and results cite the pointer as evidence.
ICS_VALUES: dict[str, str] = {
    "name": "/ics/name", "region": "/ics/region", "as_at": "/ics/as_at", "population": "/ics/population",
    "chair_name": "/partnership_board/chair/name", "chair_non_executive": "/partnership_board/chair/non_executive",
    "chair_local_appointment": "/partnership_board/chair/appointment/local",
    "chair_appointment_date": "/partnership_board/chair/appointment/date",
    "chair_approved_by": "/partnership_board/chair/approval/by", "chair_approval_date": "/partnership_board/chair/approval/date",
    "chair_approval_reference": "/partnership_board/chair/approval/reference",
    "non_executive_involvement": "/partnership_board/non_executive_involvement/description",
    "cancer_alliance_code": "/cancer_alliance/code", "cancer_alliance_name": "/cancer_alliance/name",
    "clinical_senate_code": "/clinical_senate/code", "clinical_senate_name": "/clinical_senate/name",
    "commissioning_arrangements": "/commissioning/arrangements", "commissioning_shared_decisions": "/commissioning/shared_decisions",
    "clinical_lead_name": "/clinical_leadership/lead/name", "clinical_lead_gmc_number": "/clinical_leadership/lead/gmc_number",
    "clinical_leadership_accountable": "/clinical_leadership/accountable_to_ics",
    "clinical_leadership_description": "/clinical_leadership/description",
    "clinical_capacity": "/capacity/clinical/description", "management_capacity": "/capacity/management/description",
    "objectives_agreed_with_name": "/system_objectives/agreed_with/name",
    "objectives_agreed_with_role": "/system_objectives/agreed_with/role",
    "objectives_agreed_with_region": "/system_objectives/agreed_with/region", "objectives_agreed_on": "/system_objectives/agreed_on",
    "workforce_strategy_published": "/workforce_strategy/published",
    "workforce_strategy_aligned_with_people_plan": "/workforce_strategy/aligned_with_people_plan",
    "workforce_strategy_document": "/workforce_strategy/document",
    "five_year_plan_submitted": "/finance/five_year_plan/submitted", "five_year_plan_document": "/finance/five_year_plan/document",
    "system_plan_year": "/finance/system_plan/year", "system_plan_submitted": "/finance/system_plan/submitted",
}
# ICS fields computed from a list in the submission, with the list they come from.
ICS_DERIVED: dict[str, str] = {
    "footprint_count": "/ics/footprint", "place_count": "/ics/places", "predecessor_stp_count": "/ics/predecessor_stps",
    "clinical_capacity_organisation_count": "/capacity/clinical/drawn_from",
    "clinical_capacity_drawn_from": "/capacity/clinical/drawn_from",
    "management_capacity_organisation_count": "/capacity/management/drawn_from",
    "management_capacity_drawn_from": "/capacity/management/drawn_from",
    "control_total_change_count": "/finance/control_total/changes",
    "control_total_net_change_thousands": "/finance/control_total/changes",
}
ICS_SOURCES = {**ICS_VALUES, **ICS_DERIVED}
# The list in the submission that entities of a type are counted from: an ICS-level result that counts
# them cites the list as evidence (a missing PCN is missing from /primary_care_networks).
LIST_POINTERS: dict[str, str] = {
    "board_member": "/partnership_board/members", "organisation": "/organisations", "system_objective": "/system_objectives/objectives",
    "primary_care_network": "/primary_care_networks", "place": "/ics/places", "provider_contract": "/provider_contracts",
    "expected_pcn": "/primary_care_networks", "expected_trust": "/organisations", "expected_local_authority": "/ics/places",
    "footprint_area": "/ics/footprint", "pooled_budget": "/pooled_budgets", "service": "/integration/services",
    "integration_contract": "/integration/contracts",
}

ENTITY_TYPES: dict[str, EntityType] = {t.name: t for t in [
    EntityType("ics", "ICS", {
        "code": "string", "name": "string", "region": "string", "as_at": "date", "population": "integer",
        "footprint_count": "integer", "place_count": "integer", "predecessor_stp_count": "integer",
        "chair_name": "string", "chair_non_executive": "boolean", "chair_local_appointment": "boolean",
        "chair_appointment_date": "date", "chair_approved_by": "string", "chair_approval_date": "date",
        "chair_approval_reference": "string", "non_executive_involvement": "string",
        "cancer_alliance_code": "string", "cancer_alliance_name": "string", "clinical_senate_code": "string",
        "clinical_senate_name": "string", "as_of": "date", "as_of_financial_year": "string",
        "commissioning_arrangements": "string", "commissioning_shared_decisions": "string",
        "clinical_lead_name": "string", "clinical_lead_gmc_number": "string", "clinical_leadership_accountable": "boolean",
        "clinical_leadership_description": "string",
        "clinical_capacity": "string", "clinical_capacity_organisation_count": "integer", "clinical_capacity_drawn_from": "string",
        "management_capacity": "string", "management_capacity_organisation_count": "integer",
        "management_capacity_drawn_from": "string",
        "objectives_agreed_with_name": "string", "objectives_agreed_with_role": "string",
        "objectives_agreed_with_region": "string", "objectives_agreed_on": "date",
        "workforce_strategy_published": "date", "workforce_strategy_aligned_with_people_plan": "boolean",
        "workforce_strategy_document": "string", "five_year_plan_submitted": "date", "five_year_plan_document": "string",
        "system_plan_year": "string", "system_plan_submitted": "date",
        "control_total_change_count": "integer", "control_total_net_change_thousands": "integer",
        "code_as_written": "string", "icb_known": "boolean", "icb_note": "string", "reference_edition": "string",
        "pcn_reference": "string", "expected_pcn_count": "integer", "expected_trust_count": "integer",
        "named_local_authority_count": "integer", "missing_area_count": "integer", "missing_areas": "string",
    }, {
        "organisation": _IN_ICS, "board_member": _IN_ICS, "primary_care_network": _IN_ICS,
        "provider_contract": _IN_ICS, "footprint_area": _IN_ICS, "place": _IN_ICS, "system_objective": _IN_ICS,
        "service": _IN_ICS, "integration_contract": _IN_ICS, "pooled_budget": _IN_ICS,
        "expected_pcn": _IN_ICS, "expected_trust": _IN_ICS, "expected_local_authority": _IN_ICS,
    }, ICS_SOURCES),
    EntityType("organisation", "organisation", {
        "ics": "string", "org_id": "string", "name": "string", "type": "string", "ods_code": "string",
        "ons_code": "string", "statutory": "boolean", "operating_plan_year": "string", "operating_plan_agreed": "date",
        "as_of_financial_year": "string", "hosted": "boolean", "reference_check": "string", "reference_note": "string",
        "reference_name": "string", "host_icb": "string", "host_icb_name": "string", "host_settled": "boolean",
    }, {
        "provider_contract": {"provider": "org_id"}, "board_member": {"organisation": "org_id"},
    }),
    EntityType("board_member", "board member", {
        "ics": "string", "name": "string", "organisation": "string", "organisation_name": "string",
        "organisation_type": "string", "role": "string", "non_executive": "boolean", "voting": "boolean",
        "organisation_check": "string", "organisation_note": "string",
    }),
    EntityType("primary_care_network", "PCN", {
        "ics": "string", "code": "string", "name": "string", "clinical_director_name": "string",
        "clinical_director_gmc_number": "string", "clinical_director_accountable": "boolean",
        "member_practice_count": "integer", "reference_status": "string", "reference_note": "string",
        "reference_name": "string", "reference_area": "string", "reference_icb": "string",
    }),
    EntityType("provider_contract", "provider contract", {
        "ics": "string", "contract_id": "string", "provider": "string", "provider_name": "string", "provider_type": "string",
        "commissioner": "string", "commissioner_type": "string", "type": "string", "start": "date", "end": "date",
        "term_months": "integer", "collaboration_clause_reference": "string", "collaboration_clause_text": "string",
        "provider_statutory": "boolean",
    }),
    EntityType("footprint_area", "area", {
        "ics": "string", "code": "string", "ics_code": "string", "ics_region": "string", "ics_cancer_alliance_code": "string",
        "code_as_written": "string", "note": "string", "code_current": "boolean",
    }, {"reference_area": {"code": "code"}}),
    EntityType("place", "place", {
        "ics": "string", "name": "string", "local_authority": "string", "local_authority_name": "string",
        "local_authority_type": "string", "local_authority_check": "string", "local_authority_note": "string",
        "health_and_wellbeing_board": "string", "bcf_plan_agreed": "date",
        "bcf_partner_count": "integer", "bcf_dtoc_reduction": "boolean", "bcf_care_packages": "boolean",
    }),
    EntityType("system_objective", "system objective", {
        "ics": "string", "category": "string", "priority": "string", "description": "string",
    }),
    EntityType("service", "service", {
        "ics": "string", "name": "string", "description": "string", "prevents_avoidable_hospitalisation": "boolean",
        "tackles_wider_determinants": "boolean",
    }),
    EntityType("integration_contract", "integration contract", {
        "ics": "string", "type": "string", "holder": "string", "holder_name": "string", "holder_type": "string",
        "holder_statutory": "boolean", "start": "date", "services": "string",
    }),
    EntityType("pooled_budget", "pooled budget", {
        "ics": "string", "model": "string", "description": "string", "partner_count": "integer",
        "local_authority_partner_count": "integer", "nhs_commissioner_partner_count": "integer",
    }),
    # What the reference data says the ICS's area holds on the as-of date (see referencing.py): each
    # with whether the submission lists it, and whether the data settles that it belongs here.
    EntityType("expected_pcn", "PCN of the ICS's area", {
        "ics": "string", "code": "string", "name": "string", "area": "string", "area_name": "string", "settled": "boolean",
        "listed": "boolean", "practice_count": "integer",
    }),
    EntityType("expected_trust", "NHS trust hosted in the ICB", {
        "ics": "string", "code": "string", "name": "string", "settled": "boolean", "listed": "boolean", "previous_icb": "string",
    }),
    EntityType("expected_local_authority", "local authority of the ICS's area", {
        "ics": "string", "code": "string", "name": "string", "share_percent": "integer", "settled": "boolean",
        "unsettled_reason": "string", "named": "boolean",
    }),
    # Rows of the dated reference geography for the areas a submission names (see reference/).
    EntityType("reference_area", "reference area", {
        "code": "string", "name": "string", "parent_code": "string", "parent_name": "string",
        "cancer_alliance_code": "string", "cancer_alliance_name": "string", "region_code": "string",
        "region_name": "string", "valid_from": "date",
    }),
    # ---- system entities: a batch of submissions and the reference geography together ----
    EntityType("national_area", "area", {
        "code": "string", "name": "string", "icb_code": "string", "icb_name": "string", "cancer_alliance_code": "string",
        "cancer_alliance_name": "string", "region_code": "string", "region_name": "string",
    }, {"area_claim": {"area": "code"}, "area_senate": {"area": "code"}}, system=True),
    EntityType("area_claim", "claim to an area", {
        "area": "string", "ics": "string", "ics_name": "string", "file": "string", "line": "integer",
        "cancer_alliance_code": "string", "clinical_senate": "string",
    }, system=True),
    EntityType("area_senate", "area's Clinical Senate", {"area": "string", "senate": "string", "ics_list": "string"}, system=True),
    EntityType("batch_ics", "ICS", {
        "code": "string", "name": "string", "region": "string", "file": "string", "clinical_senate": "string",
        "cancer_alliance_code": "string", "edition": "string", "batch_edition": "string", "as_at": "date",
        "foreign_codes": "string", "foreign_code_count": "integer",
    }, {"ics_alliance": {"ics": "code"}}, system=True),
    EntityType("region_icb", "ICB of a region in the batch", {
        "code": "string", "name": "string", "region_code": "string", "submitted": "boolean", "region_name": "string", "area_count": "integer",
    }, system=True),
    EntityType("ics_alliance", "ICS's Cancer Alliance", {
        "ics": "string", "alliance_code": "string", "alliance_name": "string", "area_count": "integer", "areas": "string",
    }, system=True),
    EntityType("batch_organisation", "organisation", {"ods_code": "string", "name": "string", "type": "string"},
               {"organisation_claim": {"ods_code": "ods_code"}}, system=True),
    EntityType("organisation_claim", "claim to an organisation", {
        "ods_code": "string", "ics": "string", "ics_name": "string", "file": "string", "line": "integer",
    }, system=True),
    EntityType("batch_pcn", "PCN", {"code": "string", "name": "string"}, {"pcn_claim": {"code": "code"}}, system=True),
    EntityType("pcn_claim", "claim to a PCN", {
        "code": "string", "ics": "string", "ics_name": "string", "file": "string", "line": "integer",
    }, system=True),
]}

def kind_label(kind: str) -> str:
    """How reports name an entity type: "PCN", "provider contract", "area"."""
    entity = ENTITY_TYPES.get(kind)
    return entity.label if entity else kind.replace("_", " ")


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
    # where it was written when that is not the document being evaluated (system entities): file, line, column
    location: tuple[str, int | None, int | None] | None = None

    def fact(self, keep: Iterable[str] | None = None) -> dict[str, Any]:
        """The engine's view, of the `keep` fields (default all): nulls stripped (the engine treats null
        and missing differently)."""
        fields = self.fields
        out = ({k: v for k, v in fields.items() if v is not None} if keep is None
               else {k: fields[k] for k in keep if fields.get(k) is not None})
        out.update(t=self.type, id=self.fact_id, key=self.key)
        return out


def _at(data: Any, pointer: str) -> Any:
    """The value at a JSON pointer of plain keys, or None where any step is missing."""
    return _get(data, *pointer.strip("/").split("/"))


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


def financial_year(day: str) -> str:
    """The NHS financial year (April to March) a date falls in, written as plans name it: 2023/24."""
    d = date.fromisoformat(day)
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


COMMISSIONER_TYPES = ("ccg", "integrated_care_board", "nhs_england")


def _names(ids: list[str], orgs: dict[str, dict[str, Any]]) -> str | None:
    return ", ".join(orgs.get(i, {}).get("name", i) for i in ids) or None


def build_entities(doc: Document, reference: Reference, as_of: str, found: Findings | None = None) -> list[Entity]:
    """All entities of one submission (and the reference rows it needs), in document order.

    The as-of date is a field of the ICS so rules can compare dates in the submission with it. Codes
    are in ODS form whichever form the submission wrote (the field `code_as_written` keeps its own)."""
    data = doc.data
    ics = data["ics"]
    found = found or assess(data, reference)
    code = found.ics_code
    geography = reference.geography
    board = data.get("partnership_board", {})
    orgs = {o["id"]: o for o in data.get("organisations", [])}
    alliance = _get(data, "cancer_alliance", "code")
    year = financial_year(as_of)
    out: list[Entity] = []

    def add(kind: str, index: int, key: str, name: str, pointer: str, fields: dict[str, Any]) -> None:
        clean = {k: _clean(v) for k, v in fields.items()}
        out.append(Entity(kind, f"{kind}:{index}", str(key), str(name), pointer, clean))

    values = {name: _at(data, pointer) for name, pointer in ICS_VALUES.items()}
    values["region"] = canonical(values["region"])
    values["objectives_agreed_with_region"] = canonical(values["objectives_agreed_with_region"])
    add("ics", 0, code, ics.get("name", code), "/ics", {
        "code": code, **values, **_ics_derived(data, orgs), "as_of": as_of, "as_of_financial_year": year,
        "code_as_written": ics["code"], "icb_known": found.icb_known, "icb_note": found.icb_note,
        "reference_edition": reference.id,
        "pcn_reference": f"ePCN as published {reference.pcns.published}",
        "expected_pcn_count": len(found.expected_pcns), "expected_trust_count": len(found.expected_trusts),
        "named_local_authority_count": sum(1 for la in found.expected_local_authorities if la["named"]),
        "missing_area_count": len(found.missing_areas) if found.icb_known else None,
        "missing_areas": ", ".join(f"{a} ({geography.areas[a]['name']})" for a in found.missing_areas) if geography else None,
    })
    checks = found.organisations
    for i, o in enumerate(data.get("organisations", [])):
        chk = checks[o["id"]]
        add("organisation", i, o["id"], o["name"], f"/organisations/{i}", {
            "ics": code, "org_id": o["id"], "name": o["name"], "type": o["type"], "ods_code": o.get("ods_code"),
            "ons_code": o.get("ons_code"), "statutory": o.get("statutory"),
            "operating_plan_year": _get(o, "operating_plan", "year"), "operating_plan_agreed": _get(o, "operating_plan", "agreed"),
            "as_of_financial_year": year, "hosted": o.get("hosted"), "reference_check": chk.check, "reference_note": chk.note,
            "reference_name": chk.reference_name, "host_icb": chk.host_icb, "host_icb_name": chk.host_icb_name,
            "host_settled": chk.host_settled,
        })
    for i, m in enumerate(board.get("members", [])):
        org = orgs.get(m["organisation"], {})
        member_check = checks.get(m["organisation"])
        add("board_member", i, m["name"], m["name"], f"/partnership_board/members/{i}", {
            "ics": code, "name": m["name"], "organisation": m["organisation"], "organisation_name": org.get("name"),
            "organisation_type": org.get("type"), "role": m.get("role"), "non_executive": m.get("non_executive"),
            "voting": m.get("voting"), "organisation_check": member_check.check if member_check else None,
            "organisation_note": member_check.note if member_check else None,
        })
    for i, (p, listed) in enumerate(zip(data.get("primary_care_networks", []), found.pcns, strict=True)):
        cd = p.get("clinical_director") or {}
        add("primary_care_network", i, p["code"], p["name"], f"/primary_care_networks/{i}", {
            "ics": code, "code": p["code"], "name": p["name"], "clinical_director_name": cd.get("name"),
            "clinical_director_gmc_number": cd.get("gmc_number"), "clinical_director_accountable": cd.get("accountable"),
            "member_practice_count": len(p.get("member_practices", [])), **listed,
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
            "provider_statutory": provider.get("statutory"),
        })
    footprint = [canonical(a) or a for a in ics.get("footprint", [])]
    for i, (area, written) in enumerate(zip(footprint, ics.get("footprint", []), strict=True)):
        row = geography.areas.get(area) if geography else None
        add("footprint_area", i, area, (row or {}).get("name", area), f"/ics/footprint/{i}", {
            "ics": code, "code": area, "ics_code": code, "ics_region": values["region"], "ics_cancer_alliance_code": alliance,
            "code_as_written": written, "code_current": reference.current(written),
            "note": None if row and reference.current(written) else (reference.gap() if geography is None else reference.ceased(written)),
        })
    for i, p in enumerate(ics.get("places", [])):
        la = orgs.get(p["local_authority"], {})
        bcf = p.get("better_care_fund") or {}
        add("place", i, p["name"], p["name"], f"/ics/places/{i}", {
            "ics": code, "name": p["name"], "local_authority": p["local_authority"], "local_authority_name": la.get("name"),
            "local_authority_type": la.get("type"), "health_and_wellbeing_board": p.get("health_and_wellbeing_board"),
            "local_authority_check": la_check.check if (la_check := checks.get(p["local_authority"])) else None,
            "local_authority_note": la_check.note if la_check else None,
            "bcf_plan_agreed": bcf.get("plan_agreed"), "bcf_partner_count": len(bcf["partners"]) if "partners" in bcf else None,
            "bcf_dtoc_reduction": bcf.get("dtoc_reduction"), "bcf_care_packages": bcf.get("care_packages"),
        })
    for i, o in enumerate(_get(data, "system_objectives", "objectives") or []):
        add("system_objective", i, f"objective {i + 1}", o["description"], f"/system_objectives/objectives/{i}", {
            "ics": code, "category": o["category"], "priority": o.get("priority"), "description": o["description"],
        })
    for i, sv in enumerate(_get(data, "integration", "services") or []):
        add("service", i, sv["name"], sv["name"], f"/integration/services/{i}", {
            "ics": code, "name": sv["name"], "description": sv.get("description"),
            "prevents_avoidable_hospitalisation": sv.get("prevents_avoidable_hospitalisation"),
            "tackles_wider_determinants": sv.get("tackles_wider_determinants"),
        })
    for i, c in enumerate(_get(data, "integration", "contracts") or []):
        holder = orgs.get(c["holder"], {})
        label = c["type"].replace("_", " ")
        add("integration_contract", i, f"{label} contract {i + 1}", f"{label} contract held by {holder.get('name', c['holder'])}",
            f"/integration/contracts/{i}", {
                "ics": code, "type": c["type"], "holder": c["holder"], "holder_name": holder.get("name"),
                "holder_type": holder.get("type"), "holder_statutory": holder.get("statutory"), "start": c.get("start"),
                "services": c.get("services"),
            })
    for i, b in enumerate(data.get("pooled_budgets", [])):
        partners = [orgs.get(pid, {}) for pid in b["partners"]]
        add("pooled_budget", i, f"pooled budget {i + 1}", b.get("description") or b["model"].replace("_", " "),
            f"/pooled_budgets/{i}", {
                "ics": code, "model": b["model"], "description": b.get("description"), "partner_count": len(partners),
                "local_authority_partner_count": sum(1 for o in partners if o.get("type") == "local_authority"),
                "nhs_commissioner_partner_count": sum(1 for o in partners if o.get("type") in COMMISSIONER_TYPES),
            })
    for kind, rows in (("expected_pcn", found.expected_pcns), ("expected_trust", found.expected_trusts),
                       ("expected_local_authority", found.expected_local_authorities)):
        for i, row in enumerate(rows):
            add(kind, i, row["code"], row["name"], "", {"ics": code, **row})
    if geography is not None:
        for i, area in enumerate(sorted(set(footprint))):
            row = geography.areas.get(area)
            if row is not None:
                add("reference_area", i, area, row.get("name", area), "", {**row, "code": area, "valid_from": geography.valid_from})
    return out



def _ics_derived(data: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ICS fields counted or summed from lists (their sources are in ICS_DERIVED)."""
    def listed(pointer: str) -> list[Any]:
        return _at(data, pointer) or []
    changes = _at(data, ICS_DERIVED["control_total_change_count"])
    clinical, management = listed("/capacity/clinical/drawn_from"), listed("/capacity/management/drawn_from")
    return {
        "footprint_count": len(listed("/ics/footprint")), "place_count": len(listed("/ics/places")),
        "predecessor_stp_count": len(listed("/ics/predecessor_stps")),
        "clinical_capacity_organisation_count": len(set(clinical)), "clinical_capacity_drawn_from": _names(clinical, orgs),
        "management_capacity_organisation_count": len(set(management)), "management_capacity_drawn_from": _names(management, orgs),
        "control_total_change_count": len(changes) if changes is not None else None,
        "control_total_net_change_thousands": sum(c["change_thousands"] for c in changes) if changes is not None else None,
    }
