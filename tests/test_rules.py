"""Each shipped rule passes on the compliant example and fails, on the right subject, when its requirement is broken."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

import ics_rules
from ics_rules.rulesets import load_ruleset
from ics_rules.results import Result
from conftest import EXAMPLES, REPO

RULESET = load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")
RULE_IDS = [r.id for r in RULESET.rules]


def run(path: Path, as_of: str | None = None) -> list[Result]:
    report = ics_rules.check([str(path)], as_of=as_of)
    assert [i.status for i in report.inputs] == ["checked"], [str(p) for i in report.inputs for p in i.problems]
    return report.results


def verdicts(results: list[Result], rule_id: str) -> dict[str, Result]:
    return {r.subject.id: r for r in results if r.rule_id == rule_id}


def test_compliant_example_passes_every_rule_in_force() -> None:
    results = run(EXAMPLES / "compliant.yaml")
    assert {r.rule_id for r in results} == set(RULE_IDS)
    assert Counter(r.status for r in results) == {"pass": 39, "not_applicable": 6}
    not_applicable = {(r.rule_id, r.subject.id) for r in results if r.status == "not_applicable"}
    assert ("LTP-1.51-SINGLE-CCG", "QOP") in not_applicable  # CCGs were gone by 2023
    assert all(r.rule_id in ("LTP-1.51-SINGLE-CCG", "LTP-1.52-PROVIDER-CONTRACTS") for r in results if r.status == "not_applicable")


def test_non_compliant_example_fails_exactly_the_broken_requirements() -> None:
    results = run(EXAMPLES / "non-compliant.yaml")
    failed = sorted((r.rule_id, r.subject.kind, r.subject.id) for r in results if r.status == "fail")
    assert failed == sorted([
        ("LTP-1.52-BOARD-VOLUNTARY-SECTOR", "ics", "QE1"),
        ("LTP-1.52-BOARD-MEMBER-ROLE", "board_member", "David Tennant-Hughes"),
        ("LTP-1.52-CHAIR-APPROVAL", "ics", "QE1"),
        ("LTP-1.52-PCN-CLINICAL-DIRECTOR", "primary_care_network", "U17992"),
        ("LTP-1.52-PCN-CLINICAL-DIRECTOR", "primary_care_network", "U27624"),
        ("LTP-1.52-PCN-CD-ACCOUNTABLE", "primary_care_network", "U25520"),
        ("LTP-1.52-PCN-CD-ACCOUNTABLE", "primary_care_network", "U27624"),
        ("LTP-1.52-CONTRACT-COLLABORATION", "provider_contract", "LSC-NHSSC-2023-010"),
        ("LTP-1.52-PROVIDER-CONTRACTS", "organisation", "elht"),
        ("LTP-1.52-CANCER-ALLIANCE-FOOTPRINT", "footprint_area", "00T"),
    ])
    pcn = verdicts(results, "LTP-1.52-PCN-CLINICAL-DIRECTOR")["U17992"]
    assert pcn.message == "PCN U17992 Barrow and Millom PCN has no named clinical director."
    assert (pcn.subject.file, pcn.subject.line, pcn.subject.column) == (str(EXAMPLES / "non-compliant.yaml"), 47, 5)
    assert pcn.citation["paragraph"] == "1.52" and pcn.severity == "required"
    assert verdicts(results, "LTP-1.52-PCN-CD-ACCOUNTABLE")["U17992"].status == "not_applicable"  # no director to be accountable


@pytest.mark.parametrize("path", ["compliant.yaml", "non-compliant.yaml"])
def test_exactly_one_result_per_rule_per_entity_in_scope(path: str) -> None:
    results = run(EXAMPLES / path)
    keys = Counter((r.rule_id, r.subject.pointer) for r in results)
    assert max(keys.values()) == 1
    data = ics_rules.loading.load_file(EXAMPLES / path).data
    entities = {"ics": 1, "board_member": len(data["partnership_board"]["members"]), "primary_care_network": len(data["primary_care_networks"]),
                "provider_contract": len(data["provider_contracts"]), "organisation": len(data["organisations"]),
                "footprint_area": len(data["ics"]["footprint"])}
    assert len(results) == sum(entities[r.scope] for r in RULESET.rules)


def _drop_members(*orgs: str) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["partnership_board"]["members"] = [m for m in d["partnership_board"]["members"] if m["organisation"] not in orgs]
    return mutate


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for p in parents:
            d = d[int(p)] if p.isdigit() else d[p]
        if value is None:
            del d[last]
        else:
            d[last] = value
    return mutate


# rule id, mutation, failing subject id (or a tuple of them), words the (first) failure's message must contain
BREAKS = [
    ("LTP-1.52-BOARD-COMMISSIONERS", _drop_members("gm-icb"), "QOP", "no member drawn from a commissioner"),
    ("LTP-1.52-BOARD-TRUSTS", _drop_members("mft", "christie", "pennine-care"), "QOP", "no member drawn from an NHS trust"),
    ("LTP-1.52-BOARD-PCNS", _drop_members("ardwick-pcn"), "QOP", "no member drawn from a primary care network"),
    ("LTP-1.52-BOARD-LOCAL-AUTHORITIES", _drop_members("manchester-cc"), "QOP", "no member from a local authority"),
    ("LTP-1.52-BOARD-VOLUNTARY-SECTOR", _drop_members("gm-vcse"), "QOP", "voluntary and community sector"),
    ("LTP-1.52-BOARD-MEMBER-ROLE", _set("partnership_board.members.3.role", None), "Ellen Whitaker",
     "Board member Ellen Whitaker is listed for Pennine Care NHS Foundation Trust without their role there"),
    ("LTP-1.52-CHAIR-NON-EXECUTIVE", _set("partnership_board.chair.non_executive", False), "QOP", "Dr Helen Ashworth is not a non-executive"),
    ("LTP-1.52-CHAIR-NON-EXECUTIVE", _set("partnership_board.chair.non_executive", None), "QOP", "is not recorded as a non-executive"),
    ("LTP-1.52-CHAIR-APPROVAL", _set("partnership_board.chair.approval.by", "The ICS board"), "QOP", "approved by The ICS board, not by NHS England and NHS Improvement"),
    ("LTP-1.52-CHAIR-APPROVAL", _set("partnership_board.chair.approval", None), "QOP", "no approval is recorded"),
    ("LTP-1.52-CHAIR-APPROVAL", _set("partnership_board.chair.approval.date", None), "QOP", "the approval has no date"),
    ("LTP-1.52-CHAIR-APPROVAL", _set("partnership_board.chair.appointment.local", False), "QOP", "not recorded as local"),
    ("LTP-1.52-NON-EXECUTIVE-INVOLVEMENT", _set("partnership_board.non_executive_involvement", None), "QOP", "no arrangements for involving non-executive"),
    ("LTP-1.52-PCN-CLINICAL-DIRECTOR", _set("primary_care_networks.1.clinical_director", None), "U13098", "PCN U13098 Miles Platting Newton Heath & Moston PCN has no named clinical director"),
    ("LTP-1.52-PCN-CLINICAL-DIRECTOR", _set("primary_care_networks.2.clinical_director.gmc_number", None), "U26379", "without a GMC number"),
    ("LTP-1.52-PCN-CD-ACCOUNTABLE", _set("primary_care_networks.2.clinical_director.accountable", False), "U26379", "Dr Tomasz Nowak is not recorded as accountable"),
    ("LTP-1.52-CONTRACT-COLLABORATION", _set("provider_contracts.1.collaboration_clause", None), "GM-NHSSC-2023-002", "The Christie NHS Foundation Trust has no requirement to collaborate"),
    ("LTP-1.52-PROVIDER-CONTRACTS", lambda d: d["provider_contracts"].pop(2), "bolton-ft", "Provider Bolton NHS Foundation Trust (RMC) has no contract"),
    ("LTP-1.52-CANCER-ALLIANCE-FOOTPRINT", lambda d: d["ics"]["footprint"].append("00Q"), "00Q", "is in Lancashire & South Cumbria Cancer Alliance (E56000018), not the ICS's Cancer Alliance E56000019"),
    ("LTP-1.52-CANCER-ALLIANCE-FOOTPRINT", lambda d: d["ics"]["footprint"].append("99Z"), "99Z", "99Z is not a sub-ICB location or CCG in the reference geography in force on 2023-04-01"),
    ("LTP-1.52-CANCER-ALLIANCE-FOOTPRINT", _set("cancer_alliance", None), ("00T", "00V", "00Y", "01D", "01G", "01W", "01Y", "02A", "02H", "14L"),
     "but the submission names no Cancer Alliance"),
]


@pytest.mark.parametrize("rule_id, mutate, subject, words", BREAKS, ids=[f"{b[0]}-{i}" for i, b in enumerate(BREAKS)])
def test_breaking_a_requirement_fails_its_rule_on_that_subject_only(
        submission: dict[str, Any], write: Callable[..., Path], rule_id: str, mutate: Callable[[dict[str, Any]], None],
        subject: str | tuple[str, ...], words: str) -> None:
    mutate(submission)
    results = run(write(submission))
    failing = {sid: r for sid, r in verdicts(results, rule_id).items() if r.status == "fail"}
    subjects = [subject] if isinstance(subject, str) else list(subject)
    assert list(failing) == subjects
    assert words in failing[subjects[0]].message
    other_failures = {r.rule_id for r in results if r.status == "fail"} - {rule_id}
    assert other_failures <= {"LTP-1.52-PCN-CD-ACCOUNTABLE"}  # a missing director cannot be accountable either


def test_every_rule_has_a_failing_case_here() -> None:
    assert {b[0] for b in BREAKS} | {"LTP-1.51-SINGLE-CCG"} == set(RULE_IDS)


def test_pcn_accountability_is_not_applicable_without_a_director(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    del submission["primary_care_networks"][0]["clinical_director"]
    verdict = verdicts(run(write(submission)), "LTP-1.52-PCN-CD-ACCOUNTABLE")
    assert verdict["U07506"].status == "not_applicable" and verdict["U13098"].status == "pass"


def test_provider_contract_rule_is_not_applicable_to_non_providers() -> None:
    verdict = verdicts(run(EXAMPLES / "compliant.yaml"), "LTP-1.52-PROVIDER-CONTRACTS")
    assert {k: v.status for k, v in verdict.items()} == {
        "gm-icb": "not_applicable", "mft": "pass", "christie": "pass", "bolton-ft": "pass", "pennine-care": "pass",
        "manchester-cc": "not_applicable", "bolton-council": "not_applicable", "ardwick-pcn": "not_applicable",
        "gm-vcse": "not_applicable"}


def test_single_ccg_is_expected_while_ccgs_existed(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    path = write(submission)
    assert verdicts(run(path, as_of="2021-06-01"), "LTP-1.51-SINGLE-CCG")["QOP"].status == "pass"  # no CCGs listed
    for name in ("Manchester CCG", "Bolton CCG"):
        submission["organisations"].append({"id": name.lower().replace(" ", "-"), "name": f"NHS {name}", "type": "ccg"})
    verdict = verdicts(run(write(submission), as_of="2021-06-01"), "LTP-1.51-SINGLE-CCG")["QOP"]
    assert verdict.status == "fail" and verdict.severity == "expected"
    assert verdict.message.startswith("NHS Greater Manchester Integrated Care has 2 CCGs (NHS Manchester CCG, NHS Bolton CCG)")
    assert verdicts(run(path, as_of="2022-07-01"), "LTP-1.51-SINGLE-CCG")["QOP"].status == "not_applicable"


def test_without_dated_alliance_geography_the_rule_is_an_error_never_a_pass() -> None:
    for as_of, words in (("2021-06-01", "does not record cancer_alliance_code"), ("2020-01-01", "no reference geography for 2020-01-01")):
        verdict = verdicts(run(EXAMPLES / "compliant.yaml", as_of=as_of), "LTP-1.52-CANCER-ALLIANCE-FOOTPRINT")
        assert {v.status for v in verdict.values()} == {"error"}
        assert words in verdict["14L"].message


def test_json_and_yaml_submissions_give_the_same_results(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    as_yaml = run(write(submission, "s.yaml"))
    as_json = run(write(submission, "s.json"))
    strip = lambda rs: [(r.rule_id, r.subject.id, r.status, r.message) for r in rs]  # noqa: E731
    assert strip(as_yaml) == strip(as_json)
