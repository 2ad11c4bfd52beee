"""Build reference/ from the Open Government Licence data in ../shared/data.

Run with `make reference`. The outputs are facts (codes, names, dates) with their sources named;
they are committed and shipped in the wheel, so the tool never needs ../shared at run time.

- geography-<from>.json, one per edition, each valid from its date until the next edition's:
  sub-ICB locations (or CCGs) with their ICB (or STP) and region, the ICBs and regions with their ODS
  and ONS codes, and where the data has them the Cancer Alliances and the local authority districts.
- organisations.json: NHS trusts (ODS etr) with the ICB that hosts them.
- pcns.json: primary care networks (ePCN) with their sub-ICB location, dates and member practices.
"""
from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

OGL = ("Open Government Licence v3.0. Source: Office for National Statistics licensed under the Open Government "
       "Licence v.3.0; contains OS data (c) Crown copyright and database right; contains information from NHS England "
       "(ODS), licensed under the current version of the Open Government Licence.")

F2021 = "Clinical_Commissioning_Group_to_STP_and_NHS_England_(Region)_(April_2021)_Lookup_in_England.csv"
F2023 = "Sub_ICB_Locations_to_Integrated_Care_Boards_to_NHS_England_(Region)_(April_2023)_Lookup_in_England (1).csv"
F2026 = "Sub_ICB_Locations_to_Integrated_Care_Boards_to_NHS_England_(Region)_(April_2026)_Lookup_in_England.csv"
FALLIANCE = "derived/sicbl_icb_cancer_alliance_region_lookup.csv"
F2024 = "derived/sicbl24_icb24_from_lsoa21_lookup.csv"
FLAD = "derived/lad22_to_icb22_from_lsoa11_lookup.csv"
FSUCC = "derived/icb_successions_2026-04-01.csv"
FPCN = "derived/ePCN_PCNDetails.csv"
FPRACTICE = "derived/ePCN_PCN_Core_Partner_Details.csv"
FETR = "etr.csv"

# The end of the last edition: ONS publishes these lookups each April, so the April 2026 edition is
# taken to hold until April 2027 and the geography rules report the gap after it rather than guess.
LAST_UNTIL = "2027-04-01"

# Local government reorganisation of 1 April 2023 (the Cumbria, North Yorkshire and Somerset
# (Structural Changes) Orders 2022): district codes of the July 2022 lookup and the unitary
# authorities (ONS Register of Geographic Codes) that replaced them. Facts, with their source named.
LGR_2023 = {
    "E06000063": ("Cumberland", ["E07000026", "E07000028", "E07000029"]),
    "E06000064": ("Westmorland and Furness", ["E07000027", "E07000030", "E07000031"]),
    "E06000065": ("North Yorkshire", ["E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168", "E07000169"]),
    "E06000066": ("Somerset", ["E07000187", "E07000188", "E07000189", "E07000246"]),
}
LGR_SOURCE = ("The Cumbria, North Yorkshire and Somerset (Structural Changes) Orders 2022: from 1 April 2023 the unitary "
              "authorities Cumberland (E06000063), Westmorland and Furness (E06000064), North Yorkshire (E06000065) and "
              "Somerset (E06000066) replaced the districts named in the July 2022 lookup (ONS Register of Geographic Codes)")


def _rows(path: Path, skip: int = 0) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for _ in range(skip):
            next(fh)
        return list(csv.DictReader(fh))


def _ymd(text: str) -> str | None:
    text = text.strip()
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if text else None


def _source(file: str, citation: str) -> dict[str, str]:
    return {"file": file, "citation": citation}


def _edition(ident: str, title: str, valid_from: str, valid_until: str | None, sources: list[dict[str, str]],
             areas: dict[str, dict[str, Any]], local_authorities: dict[str, Any] | None = None,
             successions: list[dict[str, str]] | None = None, area_successors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    icbs: dict[str, dict[str, Any]] = {}
    regions: dict[str, dict[str, Any]] = {}
    for row in areas.values():
        icbs[row["parent_code"]] = {"name": row["parent_name"], "ons_code": row["parent_ons_code"], "region_code": row["region_code"]}
        regions[row["region_code"]] = {"name": row["region_name"], "ons_code": row["region_ons_code"]}
    provides = ["areas", "icbs", "regions"]
    if all(r.get("cancer_alliance_code") for r in areas.values()):
        provides.append("cancer_alliances")
    if local_authorities is not None:
        provides.append("local_authorities")
    doc: dict[str, Any] = {
        "id": ident, "title": title, "valid_from": valid_from, "valid_until": valid_until, "provides": provides,
        "licence": OGL, "sources": sources, "areas": dict(sorted(areas.items())), "icbs": dict(sorted(icbs.items())),
        "regions": dict(sorted(regions.items())),
    }
    if local_authorities is not None:
        doc["local_authorities"] = dict(sorted(local_authorities.items()))
    if successions:
        doc["successions"] = successions
    if area_successors:
        doc["area_successors"] = area_successors
    return doc


def _area(name: str, ons: str, icb: str, icb_ons: str, icb_name: str, region: str, region_ons: str, region_name: str,
          alliance: tuple[str, str] | None = None) -> dict[str, Any]:
    row = {"name": name.strip(), "ons_code": ons, "parent_code": icb, "parent_ons_code": icb_ons, "parent_name": icb_name,
           "region_code": region, "region_ons_code": region_ons, "region_name": region_name}
    if alliance:
        row["cancer_alliance_code"], row["cancer_alliance_name"] = alliance
    return row


def _lad_counts(shared: Path) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Local authority districts of July 2022: names, and the number of each one's LSOAs in each ICB."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    names: dict[str, str] = {}
    for r in _rows(shared / FLAD):
        counts[r["ltla22_code"]][r["icb22_code_h"]] = int(r["lsoa11_count"])
        names[r["ltla22_code"]] = r["ltla22_name"]
    return names, counts


def _shares(by_icb: dict[str, int]) -> dict[str, float]:
    total = sum(by_icb.values())
    return {icb: round(n / total, 4) for icb, n in sorted(by_icb.items(), key=lambda kv: (-kv[1], kv[0]))}


def _lads(names: dict[str, str], counts: dict[str, dict[str, int]], after_2023: bool) -> dict[str, dict[str, Any]]:
    out = {code: {"name": names[code], "icbs": _shares(by_icb)} for code, by_icb in counts.items()}
    if not after_2023:
        return out
    for code, (name, districts) in LGR_2023.items():
        merged: dict[str, int] = defaultdict(int)
        for d in districts:
            for icb, n in counts[d].items():
                merged[icb] += n
            out.pop(d)
        out[code] = {"name": name, "icbs": _shares(merged)}
    return out


def build_editions(shared: Path) -> list[dict[str, Any]]:
    names, counts = _lad_counts(shared)
    lad_current, lads23 = _lads(names, counts, False), _lads(names, counts, True)
    lad_src = _source(FLAD, "ONS, LSOA (2011) to Sub ICB Location to ICB to LAD (July 2022) lookup, aggregated to local "
                            "authority districts with the share of each district's LSOAs in each ICB (geographr, as supplied in shared/data/derived)")

    areas21 = {r["CCG21CDH"]: _area(r["CCG21NM"], r["CCG21CD"], r["STP21CDH"], r["STP21CD"], r["STP21NM"], r["NHSER21CDH"],
                                    r["NHSER21CD"], r["NHSER21NM"]) for r in _rows(shared / F2021)}
    e21 = _edition("ccg-stp-region-2021-04", "CCGs to STPs/ICSs and NHS England regions, April 2021", "2021-04-01", "2022-07-01",
                   [_source(F2021, "ONS Open Geography Portal, Clinical Commissioning Group to STP and NHS England (Region) (April 2021) Lookup in England"),
                    ], areas21)

    areas22 = {}
    for r in _rows(shared / FALLIANCE):
        areas22[r["SICBL_ODS"]] = _area(r["SICBL_NM"], r["SICBL22CD"], r["ICB_ODS"], r["ICB22CD"], r["ICB_NM"], r["NHSER23CDH"],
                                        r["NHSER23CD"], r["NHSER23NM"], (r["CAL22CD"], r["CAL22NM"]))
    alliance_src = _source("Sub-ICB-to-Alliance-mapping-2022_v1.4.csv", "National Cancer Patient Experience Survey for NHS England, Sub-ICB to Cancer Alliance mapping 2022 v1.4")
    e22 = _edition("sicbl-icb-cancer-alliance-region-2022-07", "Sub-ICB locations to ICBs, Cancer Alliances and NHS England regions, July 2022",
                   "2022-07-01", "2023-04-01",
                   [alliance_src,
                    _source(F2023, "ONS Open Geography Portal, Sub ICB Locations to Integrated Care Boards to NHS England (Region) (April 2023) Lookup in England (region codes; the July 2022 regions are the same seven)"),
                    _source(FALLIANCE, "the join of the two above on the sub-ICB location ODS code, as supplied in shared/data/derived (2022 ONS codes)"),
                    lad_src], areas22, lad_current)

    alliance_of = {ods: (a["cancer_alliance_code"], a["cancer_alliance_name"]) for ods, a in areas22.items()}
    areas23 = {r["SICBL23CDH"]: _area(r["SICBL23NM"], r["SICBL23CD"], r["ICB23CDH"], r["ICB23CD"], r["ICB23NM"], r["NHSER23CDH"],
                                      r["NHSER23CD"], r["NHSER23NM"], alliance_of[r["SICBL23CDH"]]) for r in _rows(shared / F2023)}
    lgr = _source("(statutory instruments)", LGR_SOURCE)
    e23 = _edition("sicbl-icb-cancer-alliance-region-2023-04", "Sub-ICB locations to ICBs, Cancer Alliances and NHS England regions, April 2023",
                   "2023-04-01", "2024-04-01",
                   [_source(F2023, "ONS Open Geography Portal, Sub ICB Locations to Integrated Care Boards to NHS England (Region) (April 2023) Lookup in England"),
                    alliance_src, _source(FALLIANCE, "the 2022 alliance of each sub-ICB location, joined on its ODS code (the April 2023 changes were of ONS codes only)"),
                    lad_src, lgr], areas23, lads23)

    region24 = {r["SICBL23CDH"]: r for r in _rows(shared / F2023)}
    areas24 = {}
    for r in _rows(shared / F2024):
        reg = region24[r["sicbl24_code_nhs"]]
        areas24[r["sicbl24_code_nhs"]] = _area(r["sicbl24_name"], r["sicbl24_code"], r["icb24_code_nhs"], r["icb24_code"], r["icb24_name"],
                                               reg["NHSER23CDH"], reg["NHSER23CD"], reg["NHSER23NM"])
    e24 = _edition("sicbl-icb-region-2024-04", "Sub-ICB locations to ICBs and NHS England regions, April 2024", "2024-04-01", "2026-04-01",
                   [_source(F2024, "ONS, LSOA (2021) to Sub ICB Location to ICB to Cancer Alliances to LAD (April 2024) lookup, distinct sub-ICB location rows (geographr, as supplied in shared/data/derived; its Cancer Alliance columns were not supplied)"),
                    _source(F2023, "ONS April 2023 lookup for the regions (the April 2024 codes are identical to April 2023's)"),
                    lad_src, lgr], areas24, lads23)

    areas26 = {r["SICBL26CDH"]: _area(r["SICBL26NM"], r["SICBL26CD"], r["ICB26CDH"], r["ICB26CD"], r["ICB26NM"], r["NHSER26CDH"],
                                      r["NHSER26CD"], r["NHSER26NM"]) for r in _rows(shared / F2026)}
    successions = [{k: r[k] for k in ("predecessor_ods", "predecessor_name", "successor_ods", "successor_name", "date", "type")}
                   for r in _rows(shared / FSUCC)]
    successors: dict[str, list[str]] = defaultdict(list)
    for s in successions:
        successors[s["predecessor_ods"]].append(s["successor_ods"])
    lads26: dict[str, dict[str, Any]] = {}
    for code, row in lads23.items():
        # A district in a merged ICB is in its successor; one in a divided ICB may be in any of them.
        icbs: dict[str, float] = defaultdict(float)
        candidates: dict[str, list[str]] = {}
        for icb, share in row["icbs"].items():
            after = successors.get(icb, [icb])
            if len(after) == 1:
                icbs[after[0]] += share
            else:
                candidates[icb] = after
        lads26[code] = {"name": row["name"], "icbs": {k: round(v, 4) for k, v in sorted(icbs.items(), key=lambda kv: (-kv[1], kv[0]))}}
        if candidates:
            lads26[code]["divided"] = candidates
    # Sub-ICB locations that ceased on 2026-04-01: their area went to the new or redrawn sub-ICB
    # locations (a new ONS code) of their ICB's successors.
    gone = [ods for ods in areas24 if ods not in areas26]
    old_ons = {a["ons_code"] for a in areas24.values()}
    area_successors = {}
    for ods in gone:
        icb = areas24[ods]["parent_code"]
        area_successors[ods] = sorted(a for a, row in areas26.items() if row["parent_code"] in successors.get(icb, []) and row["ons_code"] not in old_ons)
    e26 = _edition("sicbl-icb-region-2026-04", "Sub-ICB locations to ICBs and NHS England regions, April 2026", "2026-04-01", LAST_UNTIL,
                   [_source(F2026, "ONS Open Geography Portal, Sub ICB Locations to Integrated Care Boards to NHS England (Region) (April 2026) Lookup in England"),
                    _source(FSUCC, "ODS succession records of 1 April 2026, as tabulated in shared/data/derived"),
                    lad_src, lgr], areas26, lads26, successions, area_successors)
    return [e21, e22, e23, e24, e26]


def build_organisations(shared: Path) -> dict[str, Any]:
    trusts = {}
    with (shared / FETR).open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            trusts[row[0]] = {"name": row[1], "icb": row[3], "region": row[2], "open": _ymd(row[10]), "close": _ymd(row[11]),
                              "kind": "nhs_foundation_trust" if "FOUNDATION TRUST" in row[1] else "nhs_trust"}
    return {
        "id": "ods-etr-2022-23", "title": "NHS trusts and the ICB that hosts each (ODS etr, 2022/23)", "licence": OGL,
        "published": "2023-03-31",
        "sources": [_source(FETR, "NHS Digital ODS etr export (NHS trusts), 2022/23: column 4 is the host ICB's ODS code, column 12 the close date")],
        "trusts": dict(sorted(trusts.items())),
    }


def build_pcns(shared: Path) -> dict[str, Any]:
    pcns = {}
    for r in _rows(shared / FPCN):
        pcns[r["PCN Code"]] = {"name": r["PCN Name"], "area": r["Current Sub ICB Loc Code"], "open": _ymd(r["Open Date"]),
                               "close": _ymd(r["Close Date"]), "practices": []}
    for r in _rows(shared / FPRACTICE):
        if r["PCN Code"] in pcns:
            pcns[r["PCN Code"]]["practices"].append([r["Partner Organisation Code"], r["Partner Name"],
                                                     _ymd(r["Practice to PCN Relationship Start Date"]),
                                                     _ymd(r["Practice to PCN Relationship End Date"])])
    for p in pcns.values():
        p["practices"].sort()
    return {
        "id": "epcn-2023-02", "title": "Primary care networks, their sub-ICB locations and member practices (ePCN, February 2023)",
        "licence": OGL, "published": "2023-02-02",
        "sources": [_source(FPCN, "NHS Digital ePCN.xlsx, sheet PCNDetails (snapshot of 2023-02-02), as supplied in shared/data/derived"),
                    _source(FPRACTICE, "NHS Digital ePCN.xlsx, sheet PCN Core Partner Details (same snapshot)")],
        "pcns": dict(sorted(pcns.items())),
    }


def _write(out: Path, name: str, doc: dict[str, Any]) -> str:
    target = out / name
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=None if name == "pcns.json" else 1, ensure_ascii=False, separators=None) + "\n", encoding="utf-8")
    tmp.replace(target)
    return str(target)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: build_reference.py SHARED_DATA_DIR OUTPUT_DIR", file=sys.stderr)
        return 2
    shared, out = Path(argv[1]), Path(argv[2])
    needed = [F2021, F2023, F2026, FALLIANCE, F2024, FLAD, FSUCC, FPCN, FPRACTICE, FETR]
    if not shared.is_dir():
        print(f"build_reference: {shared} is not a directory; put the shared data beside the project (../shared/data)", file=sys.stderr)
        return 2
    missing = [n for n in needed if not (shared / n).is_file()]
    if missing:
        print(f"build_reference: {shared} lacks {len(missing)} of the files it needs, first {missing[0]}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("geography-*.json"):
        old.unlink()
    for doc in build_editions(shared):
        print(f"wrote {_write(out, 'geography-' + doc['valid_from'] + '.json', doc)}: {len(doc['areas'])} areas, "
              f"{len(doc['icbs'])} ICBs, {len(doc['regions'])} regions, {len(doc.get('local_authorities', {}))} local authorities")
    orgs = build_organisations(shared)
    print(f"wrote {_write(out, 'organisations.json', orgs)}: {len(orgs['trusts'])} trusts")
    pcns = build_pcns(shared)
    print(f"wrote {_write(out, 'pcns.json', pcns)}: {len(pcns['pcns'])} PCNs, {sum(len(p['practices']) for p in pcns['pcns'].values())} practice memberships")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
