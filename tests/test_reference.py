"""The dated reference data and what the rules make of it: one identity per code, editions used only
within their dates, completeness checked against what the reference data says the ICS's area holds."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

import ics_rules
from ics_rules.reference import canonical, editions, reference_for

from conftest import REPO, SHARED, needs

EXAMPLES = REPO / "examples"
COMPLIANT = yaml.safe_load((EXAMPLES / "compliant.yaml").read_text(encoding="utf-8"))


def _check(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml", as_of: str | None = None) -> dict[tuple[str, str], Any]:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    report = ics_rules.check([str(path)], as_of=as_of)
    assert [i.status for i in report.inputs] == ["checked"], report.inputs[0].problems
    return {(r.rule_id, r.subject.id): r for r in report.results}


def test_editions_are_contiguous_and_none_is_used_outside_its_dates() -> None:
    eds = editions()
    assert [e.valid_from for e in eds] == ["2021-04-01", "2022-07-01", "2023-04-01", "2024-04-01", "2026-04-01"]
    assert all(a.valid_until == b.valid_from for a, b in zip(eds, eds[1:]))
    assert eds[-1].valid_until == "2027-04-01"
    assert reference_for("2021-03-31").geography is None and reference_for("2027-04-01").geography is None
    assert reference_for("2026-12-02").id == "sicbl-icb-region-2026-04"
    assert len(eds[-1].icbs) == 36 and len(eds[-2].icbs) == 42
    assert "cancer_alliances" not in eds[-1].provides and "local_authorities" not in eds[0].provides


def test_ods_and_ons_codes_name_one_identity_across_editions() -> None:
    assert canonical("E54000057") == canonical("QOP") == "QOP"
    assert canonical("E54000052") == canonical("E54000063") == "QXU"  # Surrey Heartlands' 2022 and 2023 ONS codes
    assert canonical("E40000012") == "Y63" and canonical("E40000013") == canonical("E40000007") == "Y61"
    assert canonical("E38000264") == canonical("E38000267") == "92A"


def test_an_ics_written_in_ons_codes_gets_the_same_verdicts_as_in_ods_codes(tmp_path: Path) -> None:
    ons = copy.deepcopy(COMPLIANT)
    ons["ics"]["code"], ons["ics"]["region"] = "E54000057", "E40000010"
    ons["system_objectives"]["agreed_with"]["region"] = "E40000010"
    ons["ics"]["footprint"] = [reference_for("2023-04-01").area(a)["ons_code"] for a in ons["ics"]["footprint"]]
    by_ods, by_ons = _check(tmp_path, COMPLIANT, "ods.yaml"), _check(tmp_path, ons, "ons.yaml")
    assert {k: r.status for k, r in by_ons.items()} == {k: r.status for k, r in by_ods.items()}
    assert by_ons[("LTP-1.56-OBJECTIVES-AGREED", "QOP")].status == "pass"
    assert "E54000057" not in by_ons[("LTP-1.51-FOOTPRINT-IN-ICS", "14L")].message


def test_a_region_in_ons_form_still_adds_its_areas_to_a_batch(tmp_path: Path) -> None:
    for code in ("QOP", "QE1"):
        sub = yaml.safe_load(next(EXAMPLES.glob(f"national/{code}-*.yaml")).read_text(encoding="utf-8"))
        sub["ics"]["region"] = "E40000010"
        (tmp_path / f"{code}.yaml").write_text(yaml.safe_dump(sub), encoding="utf-8")
    report = ics_rules.check([str(tmp_path)])
    areas = {r.subject.id for r in report.system_results() if r.rule_id == "LTP-1.51-AREA-COVERED-ONCE"}
    assert "00T" in areas and "02G" in areas
    absent = {r.subject.id for r in report.system_results() if r.rule_id == "LTP-1.51-ICB-SUBMITTED" and r.status == "fail"}
    assert absent == {"QYG"}  # once, not a gap per area of Cheshire and Merseyside


def test_a_current_day_check_of_a_merged_icb_uses_the_2026_geography() -> None:
    report = ics_rules.check([str(EXAMPLES / "merged-icb-2026.yaml")], as_of="2026-12-02")
    assert report.inputs[0].geography == "sicbl-icb-region-2026-04"
    by = {(r.rule_id, r.subject.id): r for r in report.results}
    assert by[("LTP-1.51-ICS-KNOWN", "S9B9J")].status == "pass"
    assert {r.status for r in report.results if r.rule_id == "LTP-1.51-FOOTPRINT-IN-ICS"} == {"pass"}
    assert {r.status for r in report.results if r.rule_id == "LTP-1.52-CANCER-ALLIANCE-FOOTPRINT"} == {"error"}
    # What lay in Frimley, divided on 1 April 2026, is the reviewer's to settle: review, never pass.
    for rule in ("LTP-1.52-PCNS-LISTED", "LTP-1.52-TRUSTS-LISTED", "LTP-1.51-PLACES-LOCAL-AUTHORITIES"):
        assert by[(rule, "S9B9J")].status == "review", (rule, by[(rule, "S9B9J")].message)
    assert "RDU FRIMLEY HEALTH NHS FOUNDATION TRUST (hosted by QNQ)" in by[("LTP-1.52-TRUSTS-LISTED", "S9B9J")].message


def test_the_predecessor_of_a_merger_is_named_with_its_successor(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    sub["ics"].update(code="QXU", as_at="2026-06-01", footprint=["92A", "D4U1Y"])
    by = _check(tmp_path, sub)
    assert "its successor is S9B9J (NHS Surrey and Sussex Integrated Care Board)" in by[("LTP-1.51-ICS-KNOWN", "QXU")].message
    assert by[("LTP-1.52-PCNS-LISTED", "QXU")].status == "review"  # nothing to count against: never a pass
    gone = by[("LTP-1.51-FOOTPRINT-IN-ICS", "D4U1Y")]
    assert gone.status == "fail" and "its area is now in 92A" in gone.message


def test_a_healthwatch_typed_local_authority_does_not_count_on_the_board(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    council_ids = {o["id"] for o in sub["organisations"] if o["type"] == "local_authority"}
    sub["partnership_board"]["members"] = [m for m in sub["partnership_board"]["members"] if m["organisation"] not in council_ids]
    sub["organisations"].append({"id": "healthwatch", "name": "Healthwatch Manchester", "type": "local_authority"})
    sub["partnership_board"]["members"].append({"name": "A Person", "organisation": "healthwatch", "role": "Chair", "non_executive": True})
    by = _check(tmp_path, sub)
    board = by[("LTP-1.52-BOARD-LOCAL-AUTHORITIES", "QOP")]
    assert board.status == "fail" and "Healthwatch" not in board.message
    assert by[("LTP-1.52-ORGANISATION-KIND", "healthwatch")].status == "fail"


def test_a_county_council_on_the_board_is_review_not_pass(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    council_ids = {o["id"] for o in sub["organisations"] if o["type"] == "local_authority"}
    sub["partnership_board"]["members"] = [m for m in sub["partnership_board"]["members"] if m["organisation"] not in council_ids]
    sub["organisations"].append({"id": "county", "name": "Lancashire County Council", "type": "local_authority", "ons_code": "E10000017"})
    sub["partnership_board"]["members"].append({"name": "Cllr X", "organisation": "county", "role": "Leader", "non_executive": False})
    board = _check(tmp_path, sub)[("LTP-1.52-BOARD-LOCAL-AUTHORITIES", "QOP")]
    assert board.status == "review" and "Lancashire County Council (E10000017 is a county council code" in board.message


def test_a_board_trust_whose_code_is_not_a_trust_does_not_count(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    trusts = [o for o in sub["organisations"] if o["type"].startswith("nhs_")]
    for o in trusts:
        o["ods_code"] = "RZZ"
    by = _check(tmp_path, sub)
    assert by[("LTP-1.52-BOARD-TRUSTS", "QOP")].status == "fail"
    assert by[("LTP-1.52-TRUSTS-LISTED", "QOP")].status == "fail"


def test_leaving_out_pcns_trusts_and_places_is_a_failure_naming_each_and_the_list(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    sub["primary_care_networks"] = sub["primary_care_networks"][:3]
    by = _check(tmp_path, sub)
    pcns = by[("LTP-1.52-PCNS-LISTED", "QOP")]
    assert pcns.status == "fail" and "leaves out 62 of the 65" in pcns.message and "U00203 ECCLES & IRLAM PCN (01G)" in pcns.message
    assert [e.pointer for e in pcns.evidence] == ["/primary_care_networks"]


def test_a_closed_or_foreign_pcn_listed_is_reported(tmp_path: Path) -> None:
    closed = next(code for code, row in reference_for("2023-04-01").pcns.rows.items() if row.get("close"))
    sub = copy.deepcopy(COMPLIANT)
    sub["primary_care_networks"].append({"code": closed, "name": "Closed PCN"})
    result = _check(tmp_path, sub)[("LTP-1.52-PCN-KNOWN", closed)]
    assert result.status == "fail" and "closed on" in result.message


def test_two_icss_checked_together_get_no_region_wide_gaps(tmp_path: Path) -> None:
    report = ics_rules.check([str(EXAMPLES / "national" / "QOP-greater-manchester.yaml"),
                              str(EXAMPLES / "national" / "QE1-lancashire-and-south-cumbria.yaml")])
    failing = sorted((r.rule_id, r.subject.id) for r in report.system_results() if r.status == "fail")
    assert failing == [("LTP-1.51-ICB-SUBMITTED", "QYG")]
    assert not any(r.severity == "required" and r.status == "fail" for r in report.system_results())


def test_a_senate_check_with_nothing_to_check_is_not_applicable_never_pass(tmp_path: Path) -> None:
    for code in ("QOP", "QE1"):
        sub = yaml.safe_load(next(EXAMPLES.glob(f"national/{code}-*.yaml")).read_text(encoding="utf-8"))
        del sub["clinical_senate"]
        (tmp_path / f"{code}.yaml").write_text(yaml.safe_dump(sub), encoding="utf-8")
    report = ics_rules.check([str(tmp_path)])
    senate = [r for r in report.system_results() if r.rule_id == "LTP-1.52-SENATE-WHOLE-ICS"]
    assert senate and {r.status for r in senate} == {"not_applicable"}
    assert "names a Clinical Senate, so nothing was checked" in senate[0].message


def test_a_batch_mixing_editions_is_reported(tmp_path: Path) -> None:
    for code, as_at in (("QOP", "2023-04-01"), ("QE1", "2022-09-01")):
        sub = yaml.safe_load(next(EXAMPLES.glob(f"national/{code}-*.yaml")).read_text(encoding="utf-8"))
        sub["ics"]["as_at"] = as_at
        (tmp_path / f"{code}.yaml").write_text(yaml.safe_dump(sub), encoding="utf-8")
    report = ics_rules.check([str(tmp_path)])
    mixed = {r.subject.id: r for r in report.system_results() if r.rule_id == "LTP-1.51-BATCH-ONE-EDITION"}
    assert mixed["QE1"].status == "fail" and mixed["QOP"].status == "pass"


@needs(None if (SHARED / "data").is_dir() else "../shared/data is missing")
def test_make_reference_rebuilds_the_committed_files_exactly(tmp_path: Path) -> None:
    out = tmp_path / "ref"
    subprocess.run([sys.executable, "tools/build_reference.py", str(SHARED / "data"), str(out)], cwd=REPO, check=True,
                   capture_output=True, timeout=300)
    built = sorted(p.name for p in out.iterdir())
    assert built == sorted(p.name for p in (REPO / "reference").glob("*.json"))
    for name in built:
        assert (out / name).read_bytes() == (REPO / "reference" / name).read_bytes(), name
    pcns = json.loads((out / "pcns.json").read_text(encoding="utf-8"))
    assert len(pcns["pcns"]) == 1329 and pcns["sources"]


def test_the_reference_builder_without_shared_data_says_so_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "tools/build_reference.py", str(tmp_path / "nowhere"), str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


# ---- an adversary's attempts at false passes and false failures (each failed before its fix) ----------

def test_a_council_code_on_an_organisation_of_another_type_names_no_local_authority(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    council = next(o for o in sub["organisations"] if o["id"] == "manchester-cc")
    council["type"] = "voluntary_sector"
    by = _check(tmp_path, sub)
    places = by[("LTP-1.51-PLACES-LOCAL-AUTHORITIES", "QOP")]
    assert places.status == "fail" and "Manchester (E08000003, 100%)" in places.message


def test_a_footprint_that_leaves_out_areas_of_its_icb_fails(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    sub["ics"]["footprint"] = ["14L"]
    result = _check(tmp_path, sub)[("LTP-1.51-FOOTPRINT-COMPLETE", "QOP")]
    assert result.status == "fail" and "leaves out 9 of its ICB's areas" in result.message


def test_another_icb_or_a_foreign_or_closed_pcn_is_not_confirmed_for_the_board(tmp_path: Path) -> None:
    closed = next(code for code, row in reference_for("2023-04-01").pcns.rows.items() if row.get("close"))
    for org_id, code, words in (("gm-icb", "QE1", "another ICS's ICB"), ("ardwick-pcn", "U00070", "not this ICS"),
                                ("ardwick-pcn", closed, "closed on")):
        sub = copy.deepcopy(COMPLIANT)
        next(o for o in sub["organisations"] if o["id"] == org_id)["ods_code"] = code
        by = _check(tmp_path, sub)
        kind = by[("LTP-1.52-ORGANISATION-KIND", org_id)]
        assert kind.status == "fail" and words in kind.message, (code, kind.message)
        board = "LTP-1.52-BOARD-COMMISSIONERS" if org_id == "gm-icb" else "LTP-1.52-BOARD-PCNS"
        assert by[(board, "QOP")].status == "fail", code


def test_an_ons_code_of_an_earlier_edition_is_not_taken_for_todays_boundary(tmp_path: Path) -> None:
    sub = copy.deepcopy(COMPLIANT)
    sub["ics"]["code"] = "E54000007"  # Greater Manchester's STP code of April 2021
    sub["ics"]["footprint"] = [f if f != "01Y" else "E38000182" for f in sub["ics"]["footprint"]]  # Tameside and Glossop CCG
    by = _check(tmp_path, sub)
    known = by[("LTP-1.51-ICS-KNOWN", "QOP")]
    assert known.status == "fail" and "E54000007 is an ONS code of another edition" in known.message
    area = by[("LTP-1.51-FOOTPRINT-IN-ICS", "01Y")]
    assert area.status == "fail" and "E38000182 is an ONS code of another edition" in area.message
    assert by[("LTP-1.52-PCNS-LISTED", "QOP")].status == "review"


def test_outside_every_edition_the_geography_rules_are_errors_not_failures(tmp_path: Path) -> None:
    by = _check(tmp_path, COMPLIANT, as_of="2027-04-01")
    for rule in ("LTP-1.51-ICS-KNOWN", "LTP-1.52-PCN-KNOWN", "LTP-1.51-FOOTPRINT-COMPLETE", "LTP-1.52-PCNS-LISTED"):
        statuses = {r.status for (rid, _), r in by.items() if rid == rule}
        assert statuses == {"error"}, (rule, statuses)
    kinds = {r.status for (rid, _), r in by.items() if rid == "LTP-1.52-ORGANISATION-KIND"}
    assert "fail" not in kinds and "review" in kinds
    assert by[("LTP-1.52-BOARD-COMMISSIONERS", "QOP")].status == "review"
