"""Build examples/national (42 ICS submissions, 2022 geography) and examples/national-faulty from
../shared/data.

Facts come from Open Government Licence data (codes and names of sub-ICB locations, ICBs, Cancer
Alliances, regions, NHS trusts, PCNs and local authority districts); every person is fictional and
the narrative text is illustrative. Run: python tools/build_national_examples.py ../shared/data examples
"""
from __future__ import annotations

import csv
import random
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's ics_rules (its reference data)

AS_AT = "2023-04-01"
MOSTLY = 0.5  # as ics_rules.referencing.MOSTLY: a district with this share of its area in an ICB is expected at a place
RESIDENTS_PER_LSOA = 1600  # 2011 Census: about 53 million residents in 32,844 LSOAs in England
FIRST = ["Amira", "Ben", "Chloe", "Dev", "Eleanor", "Farid", "Grace", "Harun", "Isla", "Jonah", "Keira", "Liam", "Maya",
         "Nikhil", "Olivia", "Pavel", "Queenie", "Rhys", "Sana", "Tobias", "Uma", "Victor", "Wen", "Yusuf", "Zara"]
LAST = ["Achebe", "Brennan", "Castell", "Dunmore", "Ellery", "Fairweather", "Gallagher", "Hollis", "Iqbal", "Jessop",
        "Kowalski", "Lindqvist", "Marsden", "Nwosu", "Okonjo", "Pemberton", "Quayle", "Rowntree", "Sefton", "Thackeray",
        "Underhill", "Varga", "Whitlock", "Yardley", "Zielinski"]
SMALL = {"and", "of", "the", "for", "on", "upon", "in", "with"}
UPPER = {"NHS", "UK", "ICB", "PCN", "GP", "CIC"}


def title(text: str) -> str:
    words = []
    for i, w in enumerate(text.split()):
        if w in UPPER:
            words.append(w)
        elif i and w.lower() in SMALL:
            words.append(w.lower())
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
    return " ".join(words).replace("'S ", "'s ")


def read_rows(path: Path, skip: int = 0) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for _ in range(skip):
            next(fh)
        return list(csv.DictReader(fh))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


class People:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def name(self, title_: str = "") -> str:
        return (title_ + " " if title_ else "") + f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def gmc(self) -> str:
        return str(self.rng.randrange(3000000, 7999999))


def build(data: Path) -> dict[str, dict[str, Any]]:
    # The local authorities of the as-at date (after the April 2023 reorganisation in Cumbria, North
    # Yorkshire and Somerset) come from the project's own reference data, built from the same files.
    from ics_rules.reference import edition_for

    edition = edition_for(AS_AT)
    assert edition is not None
    lookup = read_rows(data / "derived" / "sicbl_icb_cancer_alliance_region_lookup.csv")
    icbs: dict[str, dict[str, Any]] = {}
    for row in lookup:
        icb = icbs.setdefault(row["ICB_ODS"], {"code": row["ICB_ODS"], "ons": row["ICB22CD"], "name": row["ICB_NM"], "areas": [],
                                                "alliance": (row["CAL22CD"], row["CAL22NM"]),
                                                "region": (row["NHSER23CDH"], row["NHSER23NM"])})
        icb["areas"].append(row["SICBL_ODS"])
    trusts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with (data / "etr.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if not row[11] or row[11] > AS_AT.replace("-", ""):  # trusts open on the as-at date
                trusts[row[3]].append((row[0], title(row[1])))
    area_to_icb = {a: code for code, icb in icbs.items() for a in icb["areas"]}
    stp_file = "Clinical_Commissioning_Group_to_STP_and_NHS_England_(Region)_(April_2021)_Lookup_in_England.csv"
    for row in read_rows(data / stp_file):
        if row["CCG21CDH"] in area_to_icb:
            icbs[area_to_icb[row["CCG21CDH"]]].setdefault("stps", {})[row["STP21CD"]] = row["STP21NM"]
    pcns: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in read_rows(data / "derived" / "ePCN_PCNDetails.csv"):
        open_then = row["Open Date"] <= AS_AT.replace("-", "") and (not row["Close Date"] or row["Close Date"] > AS_AT.replace("-", ""))
        if open_then and row["Current Sub ICB Loc Code"] in area_to_icb:
            pcns[area_to_icb[row["Current Sub ICB Loc Code"]]].append((row["PCN Code"], title(row["PCN Name"])))
    lsoas: dict[str, int] = defaultdict(int)
    for row in read_rows(data / "derived" / "lad22_to_icb22_from_lsoa11_lookup.csv"):
        lsoas[row["icb22_code_h"]] += int(row["lsoa11_count"])
    out = {}
    for i, code in enumerate(sorted(icbs)):
        # Every PCN and trust of the ICB, and a place for every district or unitary authority with most
        # of its area in it (the completeness rules check each against the reference data).
        las = sorted(((row["icbs"][code], la, row["name"]) for la, row in edition.local_authorities.items()
                      if row["icbs"].get(code, 0) >= MOSTLY), key=lambda t: (-t[0], t[2]))
        out[code] = submission(icbs[code], sorted(trusts[code]), sorted(pcns[code]), las, lsoas[code] * RESIDENTS_PER_LSOA, People(i))
    return out


def submission(icb: dict[str, Any], trusts: list[tuple[str, str]], pcns: list[tuple[str, str]],
               las: list[tuple[float, str, str]], population: int, people: People) -> dict[str, Any]:
    code, short = icb["code"], icb["name"].removeprefix("NHS ").removesuffix(" Integrated Care Board")
    region_code, region_name = icb["region"]
    icb_id = "icb"
    orgs: list[dict[str, Any]] = [{"id": icb_id, "name": icb["name"], "type": "integrated_care_board", "ods_code": code,
                                   "statutory": True, "operating_plan": {"year": "2023/24", "agreed": "2023-03-30"}}]
    for t_code, t_name in trusts:
        orgs.append({"id": t_code.lower(), "name": t_name, "type": "nhs_foundation_trust" if "Foundation Trust" in t_name else "nhs_trust",
                     "ods_code": t_code, "statutory": True, "operating_plan": {"year": "2023/24", "agreed": "2023-03-30"}})
    for _, la_code, la_name in las:
        orgs.append({"id": la_code.lower(), "name": f"{la_name} Council", "type": "local_authority", "ons_code": la_code, "statutory": True})
    pcn_code, pcn_name = pcns[0]
    orgs.append({"id": pcn_code.lower(), "name": pcn_name, "type": "primary_care_network", "ods_code": pcn_code})
    orgs.append({"id": "vcse", "name": f"{short} VCSE Alliance", "type": "voluntary_sector"})
    trust_ids = [t.lower() for t, _ in trusts]
    members = [{"name": people.name(), "organisation": icb_id, "role": "Chief Executive", "non_executive": False, "voting": True}]
    members += [{"name": people.name(), "organisation": t, "role": "Chief Executive", "non_executive": False, "voting": True} for t in trust_ids[:3]]
    members += [{"name": people.name("Cllr"), "organisation": las[0][1].lower(), "role": "Cabinet Member for Health", "non_executive": False, "voting": True},
                {"name": people.name("Dr"), "organisation": pcn_code.lower(), "role": "PCN Clinical Director", "non_executive": False, "voting": True},
                {"name": people.name(), "organisation": "vcse", "role": "Chief Officer", "non_executive": False, "voting": True}]
    clause = {"reference": "General Conditions, SC 4A", "text": "The provider shall collaborate with system partners in support of the ICS's system objectives."}
    return {
        "format": "ics-submission/1",
        "ics": {
            "name": f"{short} Integrated Care System", "code": code, "region": region_code, "as_at": AS_AT, "population": population,
            "predecessor_stps": [{"code": c, "name": n} for c, n in sorted(icb.get("stps", {}).items())],
            "footprint": sorted(icb["areas"]),
            "places": [{"name": la_name, "local_authority": la_code.lower(), "health_and_wellbeing_board": f"{la_name} Health and Wellbeing Board"}
                       for _, la_code, la_name in las],
        },
        "organisations": orgs,
        "partnership_board": {
            "chair": {"name": people.name(), "non_executive": True, "appointment": {"local": True, "date": "2022-05-03"},
                      "approval": {"by": "NHS England and NHS Improvement", "date": "2022-05-20", "reference": f"NHSEI/{region_code}/2022/{code}"}},
            "members": members,
            "non_executive_involvement": {"description": "Trust non-executive directors meet quarterly as the system non-executive forum."},
        },
        "primary_care_networks": [{"code": c, "name": n, "clinical_director": {"name": people.name("Dr"), "gmc_number": people.gmc(), "accountable": True}}
                                  for c, n in pcns],
        "provider_contracts": [{"id": f"{code}-NHSSC-2023-{i + 1:03d}", "provider": t, "commissioner": icb_id, "type": "nhs_standard_contract",
                                "start": "2023-04-01", "end": "2028-03-31", "collaboration_clause": clause} for i, t in enumerate(trust_ids)],
        "commissioning": {"arrangements": "One ICB commissioning committee takes every commissioning decision for the system.",
                          "shared_decisions": "The partnership board's resources committee, with provider chief executives, agrees allocations and priorities."},
        "clinical_leadership": {"lead": {"name": people.name("Dr"), "gmc_number": people.gmc(), "organisation": icb_id}, "accountable_to_ics": True},
        "capacity": {"clinical": {"description": "Programme clinical leads seconded from the trusts and primary care.", "drawn_from": [icb_id, *trust_ids[:2], pcn_code.lower()]},
                     "management": {"description": "A system transformation team from the ICB and the trusts.", "drawn_from": [icb_id, *trust_ids[:2]]}},
        "cancer_alliance": {"code": icb["alliance"][0], "name": icb["alliance"][1]},
        # Illustrative: ../shared/data holds no Clinical Senate footprints, so senates follow the region here.
        "clinical_senate": {"code": f"CS-{region_code}", "name": f"Clinical Senate for {region_name}"},
        "integration": {"services": [{"name": "Urgent community response", "prevents_avoidable_hospitalisation": True},
                                     {"name": "Neighbourhood health and housing advice", "tackles_wider_determinants": True}]},
        "system_objectives": {
            "agreed_with": {"name": people.name(), "role": f"Regional Director, {region_name}", "region": region_code}, "agreed_on": "2023-03-15",
            "objectives": [{"category": c, "priority": p, "description": d} for c, p, d in (
                ("care_quality", "national", "Reduce 12-hour waits in emergency departments."),
                ("health_outcomes", "local", "Raise healthy life expectancy."),
                ("inequalities", "national", "Core20PLUS5 targets for the most deprived fifth."),
                ("integrated_care", "local", "Integrated neighbourhood teams in every place."),
                ("financial_performance", "national", "Deliver the system financial plan."),
                ("operational_performance", "national", "Eliminate waits of over 65 weeks."))]},
        "workforce_strategy": {"published": "2022-03-24", "aligned_with_people_plan": True},
        "finance": {"five_year_plan": {"submitted": "2019-11-15"}, "system_plan": {"year": "2023/24", "submitted": "2023-03-30"}},
    }


FAULTS = """Faults planted in this copy of examples/national (see README.md there):
- QE1 (Lancashire and South Cumbria) also claims 00T, which belongs to Greater Manchester (QOP): an
  overlap, and QE1 is then split across two Cancer Alliances.
- QHM (North East and North Cumbria) leaves out 00P: a gap.
- QYG (Cheshire and Merseyside) claims 02M, moved from QE1's footprint: QYG is split across two
  Cancer Alliances, and 02M is no longer a gap or an overlap.
- QE1 also names a Clinical Senate of its own, so 00T falls in two senates' footprints.
- QWO (West Yorkshire) lists QOP's first PCN as its own, and QOP's first trust too, claiming it as
  hosted (`hosted: true`): QOP and QWO both claim it, and the ODS trust table says QOP hosts it.
- QHM leaves out its last PCN, and QWO its last trust (with its contract) and its last place: the
  completeness rules name each one.
- QE1 lists North West Ambulance Service (RX7, hosted by QOP) with `hosted: false`, as an ICS it
  serves would: no double claim. QYG lists it too without saying: the trust-host rule asks it to.
"""


def faulty(national: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = yaml.safe_load(yaml.safe_dump(national))  # a deep copy
    out["QE1"]["ics"]["footprint"].append("00T")
    out["QE1"]["clinical_senate"] = {"code": "CS-LSC", "name": "Lancashire and South Cumbria Clinical Senate (fictional)"}
    out["QHM"]["ics"]["footprint"].remove("00P")
    out["QE1"]["ics"]["footprint"].remove("02M")
    out["QYG"]["ics"]["footprint"].append("02M")
    qop_pcn = out["QOP"]["primary_care_networks"][0]
    out["QWO"]["primary_care_networks"].append(dict(qop_pcn))
    qop_trust = next(o for o in out["QOP"]["organisations"] if o["type"].startswith("nhs_"))
    out["QWO"]["organisations"].append(dict(qop_trust, id="borrowed-trust", hosted=True))
    out["QHM"]["primary_care_networks"].pop()
    qwo_trust = [o for o in out["QWO"]["organisations"] if o["type"].startswith("nhs_")][-2]
    out["QWO"]["organisations"].remove(qwo_trust)
    out["QWO"]["provider_contracts"] = [c for c in out["QWO"]["provider_contracts"] if c["provider"] != qwo_trust["id"]]
    out["QWO"]["partnership_board"]["members"] = [m for m in out["QWO"]["partnership_board"]["members"] if m["organisation"] != qwo_trust["id"]]
    out["QWO"]["capacity"]["clinical"]["drawn_from"] = [o for o in out["QWO"]["capacity"]["clinical"]["drawn_from"] if o != qwo_trust["id"]]
    out["QWO"]["capacity"]["management"]["drawn_from"] = [o for o in out["QWO"]["capacity"]["management"]["drawn_from"] if o != qwo_trust["id"]]
    out["QWO"]["ics"]["places"].pop()
    ambulance = next(o for o in out["QOP"]["organisations"] if o.get("ods_code") == "RX7")
    out["QE1"]["organisations"].append(dict(ambulance, id="nwas", hosted=False))
    out["QYG"]["organisations"].append(dict(ambulance, id="nwas"))
    for code in ("QE1", "QYG"):
        out[code]["provider_contracts"].append({"id": f"{code}-NHSSC-2023-NWAS", "provider": "nwas", "commissioner": "icb",
                                                "type": "nhs_standard_contract", "start": "2023-04-01", "end": "2028-03-31",
                                                "collaboration_clause": out[code]["provider_contracts"][0]["collaboration_clause"]})
    out["QWO"]["provider_contracts"].append({"id": "QWO-NHSSC-2023-900", "provider": "borrowed-trust", "commissioner": "icb",
                                             "type": "nhs_standard_contract", "start": "2023-04-01", "end": "2028-03-31",
                                             "collaboration_clause": out["QWO"]["provider_contracts"][0]["collaboration_clause"]})
    return out


MERGED = """# NHS Surrey and Sussex ICB (S9B9J), made on 1 April 2026 from Surrey Heartlands, Sussex and part of
# Frimley, as at June 2026. The trusts, PCNs and local authorities that the reference data places in
# Frimley's divided area are left out: the completeness rules give review for each, not a pass.
"""

HEADER = """# yaml-language-server: $schema=../../schemas/submission.schema.json
# Generated by tools/build_national_examples.py from Open Government Licence data in ../shared/data
# (ONS Open Geography Portal; NHS England ODS; NCPES sub-ICB to Cancer Alliance mapping 2022). Every
# person is fictional; narrative text, Clinical Senates and Health and Wellbeing Board names are
# illustrative; the population is estimated from the number of 2011 LSOAs (about 1,600 residents each).
"""


def write(folder: Path, subs: dict[str, dict[str, Any]], readme: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for code, sub in subs.items():
        name = f"{code}-{slug(sub['ics']['name'].removesuffix(' Integrated Care System'))}.yaml"
        text = yaml.safe_dump(sub, sort_keys=False, allow_unicode=True, width=140, default_flow_style=None)
        (folder / name).write_text(HEADER + text, encoding="utf-8")
    (folder / "README.md").write_text(readme, encoding="utf-8")


def build_2026(national: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """NHS Surrey and Sussex ICB (S9B9J), made on 1 April 2026 from Surrey Heartlands (QXU), Sussex (QNX)
    and part of Frimley (QNQ), as at June 2026: its areas, trusts, PCNs and local authorities from the
    project's reference data, where Frimley's division leaves some of them unsettled."""
    from ics_rules.reference import reference_for
    from ics_rules.referencing import assess

    as_at = "2026-06-01"
    ref = reference_for(as_at)
    g = ref.geography
    assert g is not None
    code = "S9B9J"
    icb = g.icbs[code]
    stps = {s["code"]: s["name"] for p in ("QXU", "QNX") for s in national[p]["ics"]["predecessor_stps"]}
    skeleton = {"format": "ics-submission/1", "ics": {"code": code, "as_at": as_at, "footprint": ref.icb_areas(code)}, "organisations": []}
    found = assess(skeleton, ref)
    people = People(2026)
    trusts = [(t["code"], title(t["name"])) for t in found.expected_trusts if t["settled"]]
    las = [(la["share_percent"], la["code"], la["name"]) for la in found.expected_local_authorities if la["settled"]]
    pcns = [(p["code"], title(p["name"])) for p in found.expected_pcns if p["settled"]]
    fresh = submission({"code": code, "name": icb["name"], "areas": ref.icb_areas(code), "alliance": ("", ""),
                        "region": (icb["region_code"], g.regions[icb["region_code"]]["name"]),
                        "stps": stps},
                       sorted(trusts), sorted(pcns), las, national["QXU"]["ics"]["population"] + national["QNX"]["ics"]["population"], people)
    fresh["ics"]["as_at"] = as_at
    for o in fresh["organisations"]:
        if "operating_plan" in o:
            o["operating_plan"] = {"year": "2026/27", "agreed": "2026-03-30"}
    for c in fresh["provider_contracts"]:
        c.update(id=c["id"].replace("2023", "2026"), start="2026-04-01", end="2031-03-31")
    # No Cancer Alliance mapping of the April 2026 geography is published in the data: the alliance is
    # the one its predecessors shared, and the footprint rule says it cannot check it.
    fresh["cancer_alliance"] = national["QXU"]["cancer_alliance"]
    fresh["system_objectives"]["agreed_on"] = "2026-03-16"
    fresh["finance"]["system_plan"] = {"year": "2026/27", "submitted": "2026-03-30"}
    return fresh


def main(data: str, examples: str) -> None:
    national = build(Path(data))
    assert len(national) == 42, len(national)
    write(Path(examples) / "national", national,
          "# National example: 42 ICSs, April 2023\n\nOne submission per ICB of the 2022 geography, built by "
          "`tools/build_national_examples.py`; together they cover every sub-ICB location exactly once.\n\n" + HEADER.replace("# ", "").replace("#\n", "\n"))
    write(Path(examples) / "national-faulty", faulty(national), "# National example with faults\n\n" + FAULTS)
    merged = build_2026(national)
    text = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, width=140, default_flow_style=None)
    (Path(examples) / "merged-icb-2026.yaml").write_text(HEADER.replace("../../schemas", "../schemas") + MERGED + text, encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
