"""Set what a submission says against the reference data of its as-of date: the stage between
validation and facts. It decides, in plain data, which organisation codes confirm their declared
kind, where each listed PCN and trust really belongs, and which PCNs, trusts and local authorities
of the ICS's area the submission leaves out; facts.py turns that into entities the rules can see.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .reference import Reference, canonical
from .reference.organisations import practices

TRUST_TYPES = ("nhs_trust", "nhs_foundation_trust")
COMMISSIONER_TYPES = ("ccg", "integrated_care_board")
CCGS_ABOLISHED = "2022-07-01"
MOSTLY = 0.5  # a district with at least this share of its area in the ICB is expected at a place


@dataclass
class OrgCheck:
    """What the reference data says about one listed organisation."""

    check: str  # confirmed | unconfirmed | contradicted | unknown | unchecked
    note: str | None = None
    reference_name: str | None = None
    host_icb: str | None = None  # trusts: the ICB hosting it on the as-of date, when settled
    host_icb_name: str | None = None
    host_settled: bool | None = None


@dataclass
class Findings:
    """Everything the reference stage found for one submission."""

    ics_code: str  # the ICS's code in ODS form
    region: str | None
    icb_known: bool
    icb_note: str | None
    organisations: dict[str, OrgCheck] = field(default_factory=dict)  # by organisation id (ids are unique)
    pcns: list[dict[str, Any]] = field(default_factory=list)  # per listed PCN: reference status fields
    expected_pcns: list[dict[str, Any]] = field(default_factory=list)
    expected_trusts: list[dict[str, Any]] = field(default_factory=list)
    expected_local_authorities: list[dict[str, Any]] = field(default_factory=list)
    missing_areas: list[str] = field(default_factory=list)  # sub-ICB locations of the ICB not in the footprint


def _pct(share: float) -> int:
    return int(round(share * 100))


def _trust(ref: Reference, o: dict[str, Any], icb: str) -> OrgCheck:
    code = o.get("ods_code")
    if not code:
        return OrgCheck("unconfirmed", "it has no ODS code, so it cannot be confirmed as an NHS trust")
    row = ref.trusts.rows.get(code)
    if row is None:
        return OrgCheck("unknown", f"{code} is not an NHS trust in the ODS trust table ({ref.trusts.id})")
    if not ref.trusts.open_on(code, ref.as_of):
        when = f"closed on {row['close']}" if row.get("close") and row["close"] <= ref.as_of else f"opened on {row.get('open')}"
        return OrgCheck("contradicted", f"{code} ({row['name']}) {when}, so it is not an NHS trust on {ref.as_of}", row["name"])
    hosts, settled = ref.host_icbs(row["icb"])
    host = hosts[0] if settled else None
    g = ref.geography
    name = g.icbs[host]["name"] if g and host in g.icbs else None
    note = None if settled else (f"its host ICB {row['icb']} was divided on {g.valid_from if g else ''} between "
                                 + ", ".join(hosts) + "; the reference data does not say which now hosts it")
    return OrgCheck("confirmed", note, row["name"], host, name, settled)


def _local_authority(ref: Reference, o: dict[str, Any], icb: str) -> OrgCheck:
    code = o.get("ons_code")
    if not code:
        return OrgCheck("contradicted", "it has no ONS local authority code, so nothing shows it is a local authority")
    if code.startswith("E10"):
        return OrgCheck("unconfirmed", f"{code} is a county council code; the reference data lists districts and unitary "
                                       "authorities only, so its area cannot be checked")
    if "local_authorities" not in ref.provides:
        return OrgCheck("unconfirmed", f"the reference geography in force on {ref.as_of} ({ref.id or 'none'}) has no local authority districts")
    row = ref.local_authority(code)
    if row is None:
        return OrgCheck("unknown", f"{code} is not a local authority district in the reference geography in force on {ref.as_of} ({ref.id})")
    share = row["icbs"].get(icb, 0.0)
    if share > 0 or _maybe_in(row, icb):
        return OrgCheck("confirmed", None, row["name"])
    where = ", ".join(row["icbs"]) or "an ICB the data does not settle"
    return OrgCheck("contradicted", f"{code} ({row['name']}) lies in {where}, not in this ICS's area", row["name"])


def _maybe_in(row: dict[str, Any], icb: str) -> bool:
    return any(icb in after for after in row.get("divided", {}).values())


def _commissioner(ref: Reference, o: dict[str, Any], icb: str) -> OrgCheck:
    code = canonical(o.get("ods_code"))
    if not code:
        return OrgCheck("unconfirmed", "it has no ODS code, so it cannot be confirmed as a commissioner")
    if o["type"] == "integrated_care_board":
        row = ref.icb(code) if ref.current(o.get("ods_code")) else None
        if row is not None and code != icb:
            return OrgCheck("contradicted", f"{code} is {row['name']}, another ICS's ICB, not this ICS's ({icb})", row["name"])
        if row is not None:
            return OrgCheck("confirmed", None, row["name"])
        return OrgCheck("unknown", ref.ceased(code) or f"{code} is not an ICB in the reference geography in force on {ref.as_of} ({ref.id or 'none'})")
    if ref.as_of >= CCGS_ABOLISHED:
        return OrgCheck("contradicted", f"CCGs were abolished on {CCGS_ABOLISHED}; {code} is not a CCG on {ref.as_of}")
    row = ref.area(code)
    if row is not None and row["parent_code"] != icb:
        return OrgCheck("contradicted", f"{code} is {row['name']}, a CCG of {row['parent_code']}, not of this ICS ({icb})", row["name"])
    if row is not None:
        return OrgCheck("confirmed", None, row["name"])
    return OrgCheck("unknown", f"{code} is not a CCG in the reference geography in force on {ref.as_of} ({ref.id or 'none'})")


def _pcn_org(ref: Reference, o: dict[str, Any], icb: str) -> OrgCheck:
    code = o.get("ods_code")
    if not code:
        return OrgCheck("unconfirmed", "it has no ODS code, so it cannot be confirmed as a primary care network")
    listed = _listed_pcn(ref, {"code": code}, icb)
    status = listed["reference_status"]
    if status == "in_icb":
        return OrgCheck("confirmed", None, listed["reference_name"])
    if status == "unsettled":
        return OrgCheck("unconfirmed", listed["reference_note"], listed.get("reference_name"))
    return OrgCheck("unknown" if status == "unknown" else "contradicted", listed["reference_note"], listed.get("reference_name"))


def _practice(ref: Reference, o: dict[str, Any], icb: str) -> OrgCheck:
    code = o.get("ods_code")
    if not code:
        return OrgCheck("unconfirmed", "it has no ODS code, so it cannot be confirmed as a GP practice")
    name = practices().get(code)
    if name is not None:
        return OrgCheck("confirmed", None, name)
    return OrgCheck("unknown", f"{code} is not a member practice of any PCN in ePCN ({ref.pcns.id})")


def _needs_geography(check: Any) -> Any:
    """Outside every geography edition an ICB, CCG, district or PCN code cannot be placed: unconfirmed."""
    def checked(ref: Reference, o: dict[str, Any], icb: str) -> OrgCheck:
        if ref.geography is None:
            return OrgCheck("unconfirmed", ref.gap())
        return check(ref, o, icb)
    return checked


_CHECKS = {"nhs_trust": _trust, "nhs_foundation_trust": _trust, "local_authority": _needs_geography(_local_authority),
           "integrated_care_board": _needs_geography(_commissioner), "ccg": _needs_geography(_commissioner),
           "primary_care_network": _needs_geography(_pcn_org), "gp_practice": _practice}


def _listed_pcn(ref: Reference, p: dict[str, Any], icb: str) -> dict[str, Any]:
    row = ref.pcns.rows.get(p["code"])
    if row is None:
        return {"reference_status": "unknown", "reference_note": f"{p['code']} is not a primary care network in ePCN ({ref.pcns.id})"}
    out: dict[str, Any] = {"reference_name": row["name"], "reference_area": row["area"]}
    if not ref.pcns.open_on(p["code"], ref.as_of):
        closed = row.get("close") and row["close"] <= ref.as_of
        out["reference_status"] = "closed"
        out["reference_note"] = f"{p['code']} ({row['name']}) {'closed on ' + row['close'] if closed else 'opened on ' + str(row.get('open'))}, so it is not open on {ref.as_of}"
        return out
    icbs, settled = ref.area_icbs(row["area"])
    if not icbs:
        out["reference_status"] = "unknown"
        out["reference_note"] = f"ePCN places {p['code']} in {row['area']}, which the reference geography in force on {ref.as_of} does not hold"
    elif not settled:
        out["reference_status"] = "unsettled" if icb in icbs else "other_icb"
        out["reference_note"] = (f"ePCN places {p['code']} ({row['name']}) in {row['area']}, which was divided between "
                                 + ", ".join(icbs) + "; the reference data does not say which it is now in")
    elif icbs[0] == icb:
        out["reference_status"] = "in_icb"
    else:
        g = ref.geography
        out["reference_status"] = "other_icb"
        out["reference_note"] = (f"ePCN places {p['code']} ({row['name']}) in {row['area']}, part of "
                                 f"{g.icbs[icbs[0]]['name'] if g else icbs[0]} ({icbs[0]}), not this ICS")
    out["reference_icb"] = icbs[0] if settled and icbs else None
    return out


def assess(data: dict[str, Any], ref: Reference) -> Findings:
    """The reference stage's findings for one validated submission."""
    ics = data["ics"]
    icb = canonical(ics["code"]) or ics["code"]
    known = ref.icb(icb) is not None and ref.current(ics["code"])
    note = None if known else (ref.gap() if ref.geography is None else ref.ceased(ics["code"])
                               or f"{ics['code']} is not an ICB in the reference geography in force on {ref.as_of} ({ref.id})")
    found = Findings(icb, canonical(ics.get("region")), known, note)
    for o in data.get("organisations", []):
        check = _CHECKS.get(o["type"])
        # A kind no table covers (voluntary sector, independent provider, NHS England, other) is taken as declared.
        found.organisations[o["id"]] = check(ref, o, icb) if check else OrgCheck("unchecked")
    found.pcns = [_listed_pcn(ref, p, icb) for p in data.get("primary_care_networks", [])]
    if known:
        listed = {canonical(a) for a in ics.get("footprint", [])}
        found.missing_areas = [a for a in ref.icb_areas(icb) if a not in listed]
        _expected(found, data, ref, icb)
    return found


def _expected(found: Findings, data: dict[str, Any], ref: Reference, icb: str) -> None:
    listed_pcns = {p["code"] for p in data.get("primary_care_networks", [])}
    g = ref.geography
    assert g is not None
    for code in ref.pcns_in(icb):
        row = ref.pcns.rows[code]
        if not ref.pcns.open_on(code, ref.as_of):
            continue
        icbs, settled = ref.area_icbs(row["area"])
        if icb not in icbs:
            continue
        area = g.areas.get(row["area"], {}).get("name", row["area"])
        found.expected_pcns.append({"code": code, "name": row["name"], "area": row["area"], "area_name": area,
                                    "settled": settled, "listed": code in listed_pcns,
                                    "practice_count": sum(1 for pr in row["practices"] if not pr[3] or pr[3] > ref.as_of)})
    listed_orgs = {o.get("ods_code") for o in data.get("organisations", []) if o["type"] in TRUST_TYPES}
    for code in ref.trusts_in(icb):
        row = ref.trusts.rows[code]
        if not ref.trusts.open_on(code, ref.as_of):
            continue
        hosts, settled = ref.host_icbs(row["icb"])
        if icb in hosts:
            found.expected_trusts.append({"code": code, "name": row["name"], "settled": settled, "listed": code in listed_orgs,
                                          "previous_icb": None if settled else row["icb"]})
    if "local_authorities" not in ref.provides:
        return
    orgs = {o["id"]: o for o in data.get("organisations", [])}
    # A place names a local authority only through an organisation declared one whose code is confirmed
    # (a charity given a council's ONS code names nothing).
    named = {orgs[p["local_authority"]].get("ons_code") for p in data["ics"].get("places", [])
             if p["local_authority"] in orgs and orgs[p["local_authority"]]["type"] == "local_authority"
             and found.organisations[p["local_authority"]].check in ("confirmed", "unconfirmed")}
    county = any(c and c.startswith("E10") for c in named)
    for code, row in g.local_authorities.items():
        share = row["icbs"].get(icb, 0.0)
        divided = _maybe_in(row, icb)
        if share <= 0 and not divided:
            continue
        district = code.startswith("E07")
        why = None
        if divided:
            why = f"part of it lay in an ICB divided on {g.valid_from}; the reference data does not say how much is now in this ICS"
        elif share < MOSTLY:
            why = f"only {_pct(share)}% of it lies in this ICS's area"
        elif district and county:
            why = "it is a district, and a county council named at a place may cover it; the reference data does not say which county"
        found.expected_local_authorities.append({"code": code, "name": row["name"], "share_percent": _pct(share),
                                                  "settled": why is None, "unsettled_reason": why, "named": code in named})
