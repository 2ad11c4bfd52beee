"""Build reference/geography-*.json from the Open Government Licence lookups in ../shared/data.

Run with `make reference`. The outputs are facts (codes, names, dates) with their sources named;
commit them so the tool never needs ../shared at run time.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OGL = ("Open Government Licence v3.0. Source: Office for National Statistics licensed under the Open Government "
       "Licence v.3.0; contains OS data (c) Crown copyright and database right; contains information from NHS England "
       "(ODS), licensed under the current version of the Open Government Licence.")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))



def build_2021(shared: Path) -> dict:
    src = shared / "Clinical_Commissioning_Group_to_STP_and_NHS_England_(Region)_(April_2021)_Lookup_in_England.csv"
    areas = {}
    for r in _rows(src):
        areas[r["CCG21CDH"]] = {
            "name": r["CCG21NM"], "ons_code": r["CCG21CD"], "parent_code": r["STP21CDH"], "parent_ons_code": r["STP21CD"],
            "parent_name": r["STP21NM"], "region_code": r["NHSER21CDH"], "region_ons_code": r["NHSER21CD"],
            "region_name": r["NHSER21NM"],
        }
    return {
        "id": "ccg-stp-region-2021-04",
        "title": "CCGs to STPs/ICSs and NHS England regions, April 2021",
        "valid_from": "2021-04-01", "valid_until": "2022-07-01",
        "provides": ["code", "name", "parent_code", "parent_name", "region_code", "region_name"],
        "licence": OGL,
        "sources": [{"file": src.name, "citation": "ONS Open Geography Portal, Clinical Commissioning Group to STP and NHS England (Region) (April 2021) Lookup in England"}],
        "areas": dict(sorted(areas.items())),
    }


def build_2022(shared: Path) -> dict:
    src = shared / "derived" / "sicbl_icb_cancer_alliance_region_lookup.csv"
    areas = {}
    for r in _rows(src):
        areas[r["SICBL_ODS"]] = {
            "name": r["SICBL_NM"].strip(), "ons_code": r["SICBL22CD"], "parent_code": r["ICB_ODS"],
            "parent_ons_code": r["ICB22CD"], "parent_name": r["ICB_NM"], "cancer_alliance_code": r["CAL22CD"],
            "cancer_alliance_name": r["CAL22NM"], "region_code": r["NHSER23CDH"], "region_ons_code": r["NHSER23CD"],
            "region_name": r["NHSER23NM"],
        }
    return {
        "id": "sicbl-icb-cancer-alliance-region-2022-07",
        "title": "Sub-ICB locations to ICBs, Cancer Alliances and NHS England regions, from July 2022",
        "valid_from": "2022-07-01", "valid_until": None,
        "provides": ["code", "name", "parent_code", "parent_name", "cancer_alliance_code", "cancer_alliance_name",
                     "region_code", "region_name"],
        "licence": OGL,
        "sources": [
            {"file": "Sub-ICB-to-Alliance-mapping-2022_v1.4.csv", "citation": "National Cancer Patient Experience Survey for NHS England, Sub-ICB to Cancer Alliance mapping 2022 v1.4"},
            {"file": "Sub_ICB_Locations_to_Integrated_Care_Boards_to_NHS_England_(Region)_(April_2023)_Lookup_in_England.csv", "citation": "ONS Open Geography Portal, Sub ICB Locations to Integrated Care Boards to NHS England (Region) (April 2023) Lookup in England (region codes; the July 2022 regions are the same seven)"},
            {"file": "derived/sicbl_icb_cancer_alliance_region_lookup.csv", "citation": "the join of the two above on the sub-ICB location ODS code, as supplied in shared/data/derived"},
        ],
        "areas": dict(sorted(areas.items())),
    }


def main(argv: list[str]) -> int:
    shared, out = Path(argv[1]), Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for doc in (build_2021(shared), build_2022(shared)):
        target = out / f"geography-{doc['valid_from']}.json"
        target.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {target}: {len(doc['areas'])} areas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
