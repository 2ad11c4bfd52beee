"""The command as a user runs it: a separate process, real files, exit codes and output."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest

from ics_rules.validation import load_schema
from conftest import EXAMPLES, REPO, run_cli


def test_compliant_example_exits_0_with_a_readable_summary() -> None:
    proc = run_cli("check", "examples/compliant.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "examples/compliant.yaml: NHS Greater Manchester Integrated Care (QOP), as of 2023-04-01" in proc.stdout
    assert "428 results: 353 pass · 14 review · 61 not applicable" in proc.stdout
    assert "OK: nothing fails at or above 'required'." in proc.stdout
    assert "\x1b[" not in proc.stdout  # no colour when stdout is not a terminal


def test_non_compliant_example_exits_1_and_lists_each_failure_with_its_place() -> None:
    proc = run_cli("check", "examples/non-compliant.yaml")
    assert proc.returncode == 1
    out = proc.stdout
    assert out.count("FAIL  ") == 20
    assert "FAIL  LTP-1.52-PCN-CLINICAL-DIRECTOR  [required, para 1.52]" in out
    assert "PCN U17992 Barrow and Millom PCN has no named clinical director." in out
    assert "PCN U17992 (Barrow and Millom PCN) at examples/non-compliant.yaml:52:5" in out
    assert "provider contract LSC-NHSSC-2023-010 (with University Hospitals of Morecambe Bay NHS Foundation Trust) at examples/non-compliant.yaml:62:5" in out
    assert "fix: Name the PCN's clinical director" in out
    assert 'The NHS Long Term Plan, para 1.52: "full engagement with primary care, including through a named accountable Clinical Director' in out
    assert "board member David Tennant-Hughes at examples/non-compliant.yaml:41:7" in out
    assert "20 fail (16 required, 4 expected)" in out
    assert 'Long-term plan: key role for ICSs (Seamus Ward, 7 January 2019), para 5: "However, such changes must be financially neutral."' in out


def test_invalid_example_exits_2_with_schema_errors_and_no_traceback() -> None:
    proc = run_cli("check", "examples/invalid.yaml")
    assert proc.returncode == 2
    assert "examples/invalid.yaml:7:9: ics.code: 'XX12' is not in the right format" in proc.stdout
    assert "examples/invalid.yaml:18:3: partnership_board.chiar: unknown field 'chiar'" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_fail_on_changes_the_exit_code_only() -> None:
    assert run_cli("check", "--fail-on", "never", "examples/non-compliant.yaml").returncode == 0
    assert run_cli("check", "--fail-on", "expected", "examples/non-compliant.yaml").returncode == 1


def test_json_report_validates_against_the_report_schema(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = run_cli("check", "--format", "json", "--output", str(out), "examples/compliant.yaml",
                   "examples/non-compliant.yaml", "examples/invalid.yaml")
    assert proc.returncode == 2 and proc.stdout == ""
    report = json.loads(out.read_text())
    jsonschema.Draft202012Validator(load_schema("report"), format_checker=jsonschema.FormatChecker()).validate(report)
    assert [i["status"] for i in report["inputs"]] == ["checked", "checked", "invalid"]
    # an entry that could not be checked (its worker crashed) is part of the model too
    from ics_rules.batch import CRASH_ENV

    crashed = run_cli("check", "--format", "json", "examples/compliant.yaml", "examples/non-compliant.yaml", env={CRASH_ENV: "non-compliant"})
    crashed_report = json.loads(crashed.stdout)
    assert [i["status"] for i in crashed_report["inputs"]] == ["checked", "error"], crashed.stderr
    jsonschema.Draft202012Validator(load_schema("report"), format_checker=jsonschema.FormatChecker()).validate(crashed_report)
    system_kinds = {"national_area", "batch_ics", "batch_organisation", "batch_pcn", "region_icb"}
    own = [r for r in report["results"] if r["subject"]["kind"] not in system_kinds]
    assert sum(r["status"] == "fail" for r in own) == 20 and len(own) == 551
    # Two North West submissions checked together: 00T is claimed twice; Cheshire and Merseyside, which sent
    # nothing, is one missing submission, not nine gaps.
    assert report["system"] == {"as_of": "2023-04-01", "reference_geography": "sicbl-icb-cancer-alliance-region-2023-04",
                                "submissions": 2, "regions": ["Y62"], "left_out": ["examples/invalid.yaml"], "superseded": [], "status": "checked", "problem": None}
    gaps = {r["subject"]["id"] for r in report["results"] if r["rule_id"] == "LTP-1.51-AREA-COVERED-ONCE" and r["status"] == "fail"}
    assert gaps == {"00T"}
    absent = {r["subject"]["id"] for r in report["results"] if r["rule_id"] == "LTP-1.51-ICB-SUBMITTED" and r["status"] == "fail"}
    assert absent == {"QYG"}
    assert report["rulesets"][0]["id"] == "ltp-2019" and len(report["rulesets"][0]["sha256"]) == 64
    assert report["inputs"][2]["problems"][0] == {
        "file": "examples/invalid.yaml", "line": 7, "column": 9, "field": "ics.code", "kind": "schema",
        "message": report["inputs"][2]["problems"][0]["message"]}
    failing = [r for r in report["results"] if r["status"] == "fail"]
    assert {"rule_id", "title", "severity", "status", "message", "citation", "remediation", "subject"} <= set(failing[0])
    assert set(failing[0]["subject"]) == {"kind", "id", "name", "file", "pointer", "line", "column"}


def test_reports_are_byte_identical_given_source_date_epoch(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    runs = [subprocess.run([sys.executable, "-m", "ics_rules", "check", "--format", "json", "examples/non-compliant.yaml"],
                           capture_output=True, env=env, cwd=EXAMPLES.parent).stdout for _ in range(2)]
    assert runs[0] == runs[1] and b'"generated_at": "2023-11-14T22:13:20Z"' in runs[0]


def test_validate_runs_schema_checks_alone() -> None:
    ok = run_cli("validate", "examples/compliant.yaml", "examples/non-compliant.yaml")
    assert ok.returncode == 0 and "2 valid, 0 invalid." in ok.stdout
    bad = run_cli("validate", "examples/invalid.yaml")
    assert bad.returncode == 2 and "examples/invalid.yaml:9:10: ics.as_at" in bad.stdout


def test_directory_and_stdin_inputs(tmp_path: Path) -> None:
    for name in ("compliant.yaml", "non-compliant.yaml", "invalid.yaml"):
        (tmp_path / "nested" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "nested" / name).write_bytes((EXAMPLES / name).read_bytes())
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2  # the directory holds the invalid example too
    assert "3 submission" not in proc.stdout and "2 submissions checked, 1 invalid" in proc.stdout
    piped = run_cli("check", "-", stdin=(EXAMPLES / "compliant.yaml").read_bytes())
    assert piped.returncode == 0 and "<stdin>: NHS Greater Manchester" in piped.stdout


def test_as_of_option(write: Callable[..., Path]) -> None:
    proc = run_cli("check", "--as-of", "2021-06-01", "-v", "examples/compliant.yaml")
    assert "as of 2021-06-01, geography ccg-stp-region-2021-04" in proc.stdout
    assert "FAIL  LTP-1.52-CHAIR-APPROVAL" in proc.stdout and proc.returncode == 1  # approved in May 2022
    assert "NHS Manchester CCG (14L) belongs to Greater Manchester Health and Social Care Partnership" in proc.stdout
    bad = run_cli("check", "--as-of", "2021-02-30", "examples/compliant.yaml")
    assert bad.returncode == 2 and "'2021-02-30' is not a date" in bad.stderr


def test_bad_inputs_exit_2_without_traceback(tmp_path: Path, write: Callable[..., Any]) -> None:
    cases = {
        "missing.yaml": (None, "missing.yaml: no such file"),
        "empty.yaml": (b"", "empty.yaml:1:1: the file is empty"),
        "list.yaml": (b"- 1\n- 2\n", "list.yaml:1:1: expected a mapping"),
        "broken.yaml": (b"ics: {name: [\n", "broken.yaml:2:1: invalid YAML"),
    }
    for name, (content, words) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        proc = run_cli("check", str(path))
        assert proc.returncode == 2, name
        assert words in proc.stdout.replace(str(tmp_path) + "/", ""), (name, proc.stdout)
        assert "Traceback" not in proc.stdout + proc.stderr


def test_a_broken_ruleset_exits_2_naming_file_rule_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('format: ics-ruleset/1\nid: x\ntitle: X\nversion: 1.0.0\nsource: {title: T, date: "2019-01-07"}\nrules:\n'
                     '  - id: X-1.52-A\n    title: t\n    citation: {paragraph: "1.52"}\n    severity: required\n'
                     '    in_force: {from: "2019-01-07"}\n    scope: ics\n    require: {field: chair_name, is: x}\n'
                     '    message: m\n    remediation: r\n')
    proc = run_cli("check", "--ruleset", str(rules), "examples/compliant.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{rules}:13:34: rules[0].require.is: rule X-1.52-A: unknown operator 'is'" in proc.stderr
    assert "Nothing was checked" in proc.stderr


def test_output_may_not_overwrite_an_input(tmp_path: Path) -> None:
    target = tmp_path / "s.yaml"
    target.write_bytes((EXAMPLES / "compliant.yaml").read_bytes())
    proc = run_cli("check", "--output", str(target), str(target))
    assert proc.returncode == 2 and "which this check reads" in proc.stderr
    assert target.read_bytes() == (EXAMPLES / "compliant.yaml").read_bytes()


def test_an_unwritable_output_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("check", "--output", str(blocker / "report.json"), "examples/compliant.yaml")
    assert proc.returncode == 2 and "cannot write the report to" in proc.stderr and "Traceback" not in proc.stderr


def test_help_names_the_commands_and_exit_codes() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0 and "check" in proc.stdout and "validate" in proc.stdout
    assert "Exit codes: 0" in proc.stdout


def test_rules_list_names_every_rule_with_its_severity_and_dates() -> None:
    proc = run_cli("rules", "list")
    assert proc.returncode == 0
    from ics_rules.rulesets import load_ruleset
    rules = load_ruleset(EXAMPLES.parent / "rulesets" / "ltp-2019.yaml").rules
    lines = [line.split() for line in proc.stdout.splitlines() if line.startswith("  LTP-")]
    assert [cols[0] for cols in lines] == [r.id for r in rules]
    single = next(cols for cols in lines if cols[0] == "LTP-1.51-SINGLE-CCG")
    assert single[1:7] == ["expected", "ics", "1.51", "from", "2019-01-07", "until"] and single[7] == "2022-07-01"
    data = json.loads(run_cli("rules", "list", "--format", "json").stdout)
    assert len(data[0]["rules"]) == len(rules) and data[0]["rules"][0]["citation"]["paragraph"] == "1.52"


def test_rules_show_gives_citation_quote_condition_in_words_and_remediation() -> None:
    proc = run_cli("rules", "show", "ltp-1.56-objectives-agreed")
    assert proc.returncode == 0
    out = proc.stdout
    assert out.startswith("LTP-1.56-OBJECTIVES-AGREED: System-wide objectives are agreed with the region's NHS England regional director")
    assert "severity     required" in out and "in force     from 2019-01-07" in out
    assert "citation     The NHS Long Term Plan, paragraph 1.56" in out
    assert "“ICSs will agree system-wide objectives with the relevant NHS England/NHS Improvement regional director”" in " ".join(out.split())
    assert "- `objectives_agreed_with_region` is `region`" in out
    assert "- `objectives_agreed_on` is on or before `as_of`" in out
    assert "remediation\n    Record under system_objectives who agreed the objectives" in out
    assert f"defined in   {REPO / 'rulesets' / 'ltp-2019.yaml'}:" in out and "named rulesets/ltp-2019.yaml in reports" in out
    review = run_cli("rules", "show", "LTP-1.52-CLINICAL-CAPACITY").stdout
    assert "passes report 'review'" in review and "- `clinical_capacity_organisation_count` is at least 2" in review
    missing = run_cli("rules", "show", "CHAIR")
    assert missing.returncode == 2 and "no rule 'CHAIR'. Did you mean: LTP-1.52-CHAIR-NON-EXECUTIVE, LTP-1.52-CHAIR-APPROVAL?" in missing.stderr


def test_the_cache_speeds_up_but_never_changes_or_breaks_a_check(tmp_path: Path) -> None:
    """Compiled templates and known-good rulesets are kept between runs (ics_rules/cache.py): a cold
    cache, a warm one, one turned off, an unwritable one and a corrupted one give the same report."""
    import os

    def run_with(cache: str) -> tuple[int, str]:
        proc = subprocess.run([sys.executable, "-m", "ics_rules", "check", "examples/non-compliant.yaml"], cwd=REPO,
                              capture_output=True, text=True, env={**os.environ, "ICS_RULES_CACHE_DIR": cache})
        assert "Traceback" not in proc.stderr
        return proc.returncode, proc.stdout
    folder = tmp_path / "cache"
    cold = run_with(str(folder))
    assert cold[0] == 1 and any((folder).glob("templates-*/*")) and any(folder.glob("rulesets-*/*"))
    assert run_with(str(folder)) == cold == run_with("off") == run_with("/proc/no-such-place")
    for entry in folder.glob("templates-*/*"):
        entry.write_bytes(b"not bytecode")
    assert run_with(str(folder)) == cold


@pytest.mark.parametrize("fake,words", [
    ("raise ImportError('/x/durable_rules_engine.cpython-313-x86_64-linux-gnu.so: undefined symbol: PyEval_CallObject')",
     ["was built without the flag Python", "undefined symbol: PyEval_CallObject",
      "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject pip install --no-cache-dir --force-reinstall"]),
    ("raise ModuleNotFoundError(\"No module named 'durable_rules_engine'\", name='durable_rules_engine')",
     ["durable-rules, its rules engine, is not installed for Python", "pip install 'durable-rules==2.0.28'"]),
])
@pytest.mark.parametrize("command", [["check", "examples/compliant.yaml"], ["check", "examples/compliant.yaml", "examples/non-compliant.yaml"],
                                     ["test"]])
def test_a_rules_engine_that_does_not_import_is_one_line_saying_why_and_what_to_do(
        fake: str, words: list[str], command: list[str], tmp_path: Path) -> None:
    (tmp_path / "durable_rules_engine.py").write_text(fake + "\n", encoding="utf-8")
    proc = run_cli(*command, env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("ics-rules cannot check anything: ") and all(w in line for w in words), line


def test_help_is_whole_and_names_nothing_an_installed_user_lacks() -> None:
    """Every command's --help at an 80-column terminal: no description cut short with '...', and no
    path into ics-rules' own source tree (an installed user has none), such as schemas/ or rulesets/."""
    commands = [[], ["check"], ["validate"], ["init"], ["schema"], ["rules"], ["rules", "list"], ["rules", "show"],
                ["rules", "matrix"], ["test"]]
    for command in commands:
        proc = subprocess.run([sys.executable, "-m", "ics_rules", *command, "--help"], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "80"}, cwd=REPO)
        described = [line for line in proc.stdout.splitlines() if not line.startswith("Usage:")]
        assert proc.returncode == 0 and not [line for line in described if "..." in line], (command, proc.stdout)
        assert not re.search(r"\b(schemas|rulesets|reports|reference)/", proc.stdout), (command, proc.stdout)


def test_counts_read_as_english_and_the_text_report_has_no_runs_of_blank_lines(tmp_path: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text("format: ics-waivers/1\nwaivers:\n  - {rule: LTP-1.52-PCN-CLINICAL-DIRECTOR, subject: U17992, justification: Merging with Mid Furness in June,"
                       " approved_by: Regional team, expires: 2023-06-30}\n", encoding="utf-8")
    text = run_cli("check", "examples/non-compliant.yaml", "--waivers", str(waivers)).stdout
    assert "1 result waived" in text and "\n\n\n" not in text, text[-600:]
    batch = run_cli("check", "examples/compliant.yaml", "examples/non-compliant.yaml", "--waivers", str(waivers)).stdout
    assert "\n\n\n" not in batch and "2 submissions checked" in batch
    markdown = run_cli("check", "examples/non-compliant.yaml", "--format", "markdown").stdout
    assert "1 submission checked" in markdown and "(s)" not in markdown
