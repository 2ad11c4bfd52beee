"""The shipped rules on the shipped examples, and the rule-test runner (`ics-rules test`) itself.

Each rule's own passing and failing cases live in rulesets/tests/ltp-2019.yaml and run through the
runner below; this file checks whole examples, dates, and that the runner can fail.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

import ics_rules
from ics_rules.rulesets import load_ruleset
from ics_rules.results import Result
from ics_rules.ruletests import run_cases
from conftest import EXAMPLES, REPO, run_cli

RULESET_FILE = REPO / "rulesets" / "ltp-2019.yaml"
CASES_FILE = REPO / "rulesets" / "tests" / "ltp-2019.yaml"
RULESET = load_ruleset(RULESET_FILE)
RULE_IDS = [r.id for r in RULESET.rules]


def run(path: Path, as_of: str | None = None) -> list[Result]:
    report = ics_rules.check([str(path)], as_of=as_of)
    assert [i.status for i in report.inputs] == ["checked"], [str(p) for i in report.inputs for p in i.problems]
    return list(report.results)


def verdicts(results: list[Result], rule_id: str) -> dict[str, Result]:
    return {r.subject.id: r for r in results if r.rule_id == rule_id}


def test_every_rule_passes_and_fails_in_its_own_cases() -> None:
    report = run_cases(RULESET, CASES_FILE)
    assert [f"{c.name}: {c.failures}" for c in report.cases if not c.ok] == []
    assert report.uncovered() == {}
    assert {c.rule for c in report.cases} == set(RULE_IDS)


def test_the_test_command_runs_the_bundled_cases_with_full_coverage() -> None:
    proc = run_cli("test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Coverage: {len(RULE_IDS)} of {len(RULE_IDS)} rules have a passing and a failing case (100%)." in proc.stdout


def _cases(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    data["base"] = str(EXAMPLES / "compliant.yaml")
    for case in data["cases"]:
        if "batch" in case:
            case["batch"] = [str((CASES_FILE.parent / p).resolve()) for p in case["batch"]]
            if "edit" in case:
                case["edit"] = str((CASES_FILE.parent / case["edit"]).resolve())
    edit(data)
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_wrong_expectation_fails_the_run_and_says_why(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        case = next(c for c in data["cases"] if c["name"] == "an executive chair")
        case["expect"]["status"] = "pass"
    proc = run_cli("test", "--cases", str(_cases(tmp_path, edit)), str(RULESET_FILE))
    assert proc.returncode == 1
    assert "FAIL    LTP-1.52-CHAIR-NON-EXECUTIVE" in proc.stdout
    words = " ".join(proc.stdout.split())  # long lines are wrapped
    assert re.search(r"case 'an executive chair' \(line \d+\): expected pass for QOP, got fail: NHS Greater Manchester Integrated "
                     r"Care's partnership board chair Dr Helen Ashworth is not a non-executive\.", words)


def test_a_rule_without_a_failing_case_fails_coverage(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cases"] = [c for c in data["cases"] if not (c["rule"] == "LTP-1.52-CLINICAL-SENATE" and "remove" in c)]
    proc = run_cli("test", "--cases", str(_cases(tmp_path, edit)), str(RULESET_FILE))
    assert proc.returncode == 1
    assert "MISSING LTP-1.52-CLINICAL-SENATE" in proc.stdout and "no failing case" in proc.stdout
    assert f"Coverage: {len(RULE_IDS) - 1} of {len(RULE_IDS)} rules" in proc.stdout


def test_a_broken_cases_file_is_a_usage_error_with_its_line(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["cases"][0]["rule"] = "LTP-NO-SUCH-RULE"
        data["cases"][1]["remove"] = ["/no/such/place"]
    path = _cases(tmp_path, edit)
    proc = run_cli("test", "--cases", str(path), str(RULESET_FILE))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}:" in proc.stderr and "names rule 'LTP-NO-SUCH-RULE', which ltp-2019 does not have" in proc.stderr


def test_a_ruleset_without_cases_cannot_pass(tmp_path: Path) -> None:
    copy = tmp_path / "mine.yaml"
    copy.write_text(RULESET_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    proc = run_cli("test", str(copy))
    assert proc.returncode == 2
    assert "ruleset ltp-2019 has no test cases (expected " in proc.stderr


def test_compliant_example_passes_or_is_for_review_on_every_rule_in_force() -> None:
    from ics_rules.facts import ENTITY_TYPES

    results = run(EXAMPLES / "compliant.yaml")
    assert {r.rule_id for r in results} == {r.id for r in RULESET.rules if not ENTITY_TYPES[r.scope].system}
    statuses = Counter(r.status for r in results)
    assert set(statuses) == {"pass", "review", "not_applicable"}
    review_rules = {r.id for r in RULESET.rules if r.outcome == "review"}
    assert {r.rule_id for r in results if r.status == "review"} == review_rules
    assert ("LTP-1.51-SINGLE-CCG", "QOP") in {(r.rule_id, r.subject.id) for r in results if r.status == "not_applicable"}


NON_COMPLIANT_FAILURES = sorted([
    ("LTP-1.52-BOARD-VOLUNTARY-SECTOR", "ics", "QE1"),
    ("LTP-1.52-BOARD-MEMBER-ROLE", "board_member", "David Tennant-Hughes"),
    ("LTP-1.52-CHAIR-APPROVAL", "ics", "QE1"),
    ("LTP-1.52-PCN-CLINICAL-DIRECTOR", "primary_care_network", "U17992"),
    ("LTP-1.52-PCN-CLINICAL-DIRECTOR", "primary_care_network", "U27624"),
    ("LTP-1.52-PCN-CD-ACCOUNTABLE", "primary_care_network", "U25520"),
    ("LTP-1.52-PCN-CD-ACCOUNTABLE", "primary_care_network", "U27624"),
    ("LTP-1.52-CONTRACT-COLLABORATION", "provider_contract", "LSC-NHSSC-2023-010"),
    ("LTP-1.52-PROVIDER-CONTRACTS", "organisation", "elht"),
    ("LTP-1.52-PROVIDER-CONTRACTS", "organisation", "bay-health"),
    ("LTP-1.52-CANCER-ALLIANCE-FOOTPRINT", "footprint_area", "00T"),
    ("LTP-1.51-FOOTPRINT-IN-ICS", "footprint_area", "00T"),
    ("LTP-1.54-ICP-HOLDER", "integration_contract", "integrated care provider contract 1"),
    ("LTP-1.56-OBJECTIVES-AGREED", "ics", "QE1"),
    ("LTP-1.56-OBJECTIVE-CATEGORIES", "ics", "QE1"),
    ("LTP-FIN-CONTROL-TOTAL-NEUTRAL", "ics", "QE1"),
    ("LTP-WORKFORCE-STRATEGY", "ics", "QE1"),
    # What it leaves out of the reference data's PCNs, trusts and local authorities of QE1.
    ("LTP-1.52-PCNS-LISTED", "ics", "QE1"),
    ("LTP-1.52-TRUSTS-LISTED", "ics", "QE1"),
    ("LTP-1.51-PLACES-LOCAL-AUTHORITIES", "ics", "QE1"),
])


def test_non_compliant_example_fails_exactly_the_broken_requirements() -> None:
    results = run(EXAMPLES / "non-compliant.yaml")
    failed = sorted((r.rule_id, r.subject.kind, r.subject.id) for r in results if r.status == "fail")
    assert failed == NON_COMPLIANT_FAILURES
    pcn = verdicts(results, "LTP-1.52-PCN-CLINICAL-DIRECTOR")["U17992"]
    assert pcn.message == "PCN U17992 Barrow and Millom PCN has no named clinical director."
    assert (pcn.subject.file, pcn.subject.line, pcn.subject.column) == (str(EXAMPLES / "non-compliant.yaml"), 52, 5)
    assert pcn.citation["paragraph"] == "1.52" and pcn.severity == "required"
    assert verdicts(results, "LTP-1.52-PCN-CD-ACCOUNTABLE")["U17992"].status == "not_applicable"  # no director to be accountable


def test_a_finding_about_the_ics_points_at_the_lines_it_read(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    results = run(EXAMPLES / "non-compliant.yaml")
    agreed = verdicts(results, "LTP-1.56-OBJECTIVES-AGREED")["QE1"]
    assert agreed.subject.line == 12  # the ICS itself
    assert [(e.pointer, e.line) for e in agreed.evidence] == [
        ("/ics/region", 14), ("/system_objectives/agreed_with/name", 106), ("/system_objectives/agreed_with/region", 106),
        ("/system_objectives/agreed_on", 107)]
    # A missing value points at the section it belongs in; a missing section is not invented.
    approval = verdicts(results, "LTP-1.52-CHAIR-APPROVAL")["QE1"]
    assert ("chair_approval_date", "/partnership_board/chair/approval") in [(e.field, e.pointer) for e in approval.evidence]
    senate = verdicts(run(EXAMPLES / "compliant.yaml"), "LTP-1.52-CLINICAL-SENATE")["QOP"]
    assert [e.pointer for e in senate.evidence] == ["/clinical_senate/name"]
    del submission["clinical_senate"]
    assert verdicts(run(write(submission)), "LTP-1.52-CLINICAL-SENATE")["QOP"].evidence == ()


@pytest.mark.parametrize("path", ["compliant.yaml", "non-compliant.yaml"])
def test_exactly_one_result_per_rule_per_entity_in_scope(path: str) -> None:
    from ics_rules.facts import build_entities
    from ics_rules.reference import reference_for

    results = run(EXAMPLES / path)
    keys = Counter((r.rule_id, r.subject.pointer) for r in results)
    assert max(keys.values()) == 1
    doc = ics_rules.loading.load_file(EXAMPLES / path)
    entities = Counter(e.type for e in build_entities(doc, reference_for("2023-04-01"), "2023-04-01"))
    assert len(results) == sum(entities[r.scope] for r in RULESET.rules)


def test_as_of_dates_change_which_rules_apply_and_what_they_find() -> None:
    """The same submission, checked as at two dates before its own (2023-04-01)."""
    early = {(r.rule_id, r.subject.id): r for r in run(EXAMPLES / "compliant.yaml", as_of="2020-01-01")}
    late = {(r.rule_id, r.subject.id): r for r in run(EXAMPLES / "compliant.yaml", as_of="2022-06-01")}
    # Dated commitments: in force only in the window the plan gives them.
    assert early[("LTP-1.59-BCF-DELAYED-TRANSFERS", "Manchester")].status == "pass"  # 2019/20 only
    assert late[("LTP-1.59-BCF-DELAYED-TRANSFERS", "Manchester")].status == "not_applicable"
    for rule_id in ("LTP-1.51-FOOTPRINT-IN-ICS", "LTP-1.51-FOOTPRINT-REGION"):  # from April 2021
        assert early[(rule_id, "14L")].status == "not_applicable" and late[(rule_id, "14L")].status == "pass"
    assert early[("LTP-WORKFORCE-STRATEGY", "QOP")].status == "not_applicable"  # from April 2022
    assert late[("LTP-WORKFORCE-STRATEGY", "QOP")].status == "pass"
    assert early[("LTP-1.51-SINGLE-CCG", "QOP")].status == late[("LTP-1.51-SINGLE-CCG", "QOP")].status == "pass"
    # The geography is the edition in force: CCGs and the STP in 2022-06, nothing before April 2021.
    assert "NHS Manchester CCG (14L) belongs to Greater Manchester Health and Social Care Partnership" in late[("LTP-1.51-FOOTPRINT-IN-ICS", "14L")].message
    # Dates in the submission are compared with the as-of date.
    assert early[("LTP-1.52-CHAIR-APPROVAL", "QOP")].status == "fail"
    assert "the approval is dated 2022-05-20, after 2020-01-01" in early[("LTP-1.52-CHAIR-APPROVAL", "QOP")].message
    assert late[("LTP-1.52-CHAIR-APPROVAL", "QOP")].status == "pass"
    assert "has no operating plan for 2019/20 (the plan recorded is for 2023/24)" in early[("LTP-FIN-OPERATING-PLANS", "mft")].message
    assert "has no operating plan for 2022/23 (the plan recorded is for 2023/24)" in late[("LTP-FIN-OPERATING-PLANS", "mft")].message
    assert {k for k, r in early.items() if r.status == "fail"} != {k for k, r in late.items() if r.status == "fail"}


def test_a_rule_needing_alliance_data_the_edition_lacks_is_an_error_never_a_pass(tmp_path: Path) -> None:
    """Before July 2022 the reference geography records no Cancer Alliances: a rule that needs them
    in force then cannot be evaluated, and says so."""
    text = RULESET_FILE.read_text(encoding="utf-8").replace('in_force: {from: "2022-07-01"}\n    scope: footprint_area',
                                                             'in_force: {from: "2019-01-07"}\n    scope: footprint_area')
    early_rules = tmp_path / "early.yaml"
    early_rules.write_text(text, encoding="utf-8")
    for as_of, words in (("2021-06-01", "has no cancer alliances"), ("2020-01-01", "no reference geography for 2020-01-01")):
        report = ics_rules.check([str(EXAMPLES / "compliant.yaml")], rulesets=[early_rules], as_of=as_of)
        verdict = verdicts(report.results, "LTP-1.52-CANCER-ALLIANCE-FOOTPRINT")
        assert {v.status for v in verdict.values()} == {"error"}
        assert words in verdict["14L"].message


def test_json_and_yaml_submissions_give_the_same_results(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    as_yaml = run(write(submission, "s.yaml"))
    as_json = run(write(submission, "s.json"))
    strip = lambda rs: [(r.rule_id, r.subject.id, r.status, r.message) for r in rs]  # noqa: E731
    assert strip(as_yaml) == strip(as_json)
