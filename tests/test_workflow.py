"""Fitting ICS teams' and reviewers' workflows: exit policy, rule and severity filters, waivers,
init and schema, and the pre-commit hook run by pre-commit itself."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import ics_rules
from ics_rules.validation import load_schema
from ics_rules.report import Report
from ics_rules.results import InputReport, Result, Subject
from ics_rules.selection import Selection
from test_packaging import durable_cppflags
from conftest import EXAMPLES, REPO, run_cli


def _result(status: str, severity: str) -> Result:
    return Result("R-1", "t", severity, status, "m", {"document": "d", "paragraph": "1", "quote": None}, "fix",
                  Subject("ics", "Q", "Q", "f.yaml", "/ics", 1, 1), "rs")


@pytest.mark.parametrize("statuses, fail_on, code", [
    ([], "required", 0),
    ([("fail", "required")], "required", 1),
    ([("fail", "expected")], "required", 0),
    ([("fail", "expected")], "expected", 1),
    ([("fail", "advisory")], "expected", 0),
    ([("fail", "advisory")], "advisory", 1),
    ([("fail", "required")], "never", 0),
    ([("error", "advisory")], "advisory", 1),
    ([("error", "advisory")], "required", 0),
    ([("review", "required"), ("waived", "required"), ("not_applicable", "required")], "advisory", 0),
])
def test_exit_policy_lives_in_one_place(statuses: list[tuple[str, str]], fail_on: str, code: int) -> None:
    def report_with(*extra: InputReport) -> Report:
        report = Report(command="check", as_of=None)
        report.add(InputReport("f.yaml", "0" * 64, "checked"), [_result(s, sev) for s, sev in statuses])
        for entry in extra:
            report.add(entry, [])
        return report
    assert report_with().exit_code(fail_on) == code
    assert report_with(InputReport("bad.yaml", None, "invalid")).exit_code(fail_on) == 2  # bad input wins over everything
    assert report_with(InputReport("crashed.yaml", None, "error")).exit_code(fail_on) == 1  # could not be checked: never a pass


def test_fail_on_and_severity_on_the_command_line() -> None:
    assert run_cli("check", "examples/non-compliant.yaml", "--fail-on", "never").returncode == 0
    expected_only = run_cli("check", "examples/non-compliant.yaml", "--severity", "expected", "--format", "json")
    assert expected_only.returncode == 0  # the required failures are not reported, so they cannot fail the run
    data = json.loads(expected_only.stdout)
    assert {r["severity"] for r in data["results"]} == {"expected"} and data["selection"]["severities"] == ["expected"]
    assert run_cli("check", "examples/non-compliant.yaml", "--severity", "expected", "--fail-on", "expected").returncode == 1


def test_rule_and_skip_rule_take_ids_and_globs() -> None:
    report = ics_rules.check([str(EXAMPLES / "non-compliant.yaml")], select=Selection(("ltp-1.52-pcn-*", "LTP-1.56-OBJECTIVES-AGREED"), ("*-CD-*",)))
    assert {r.rule_id for r in report.results} == {"LTP-1.52-PCN-CLINICAL-DIRECTOR", "LTP-1.52-PCN-KNOWN", "LTP-1.56-OBJECTIVES-AGREED"}
    skipped = run_cli("check", "examples/non-compliant.yaml", "--skip-rule", "LTP-1.52-*", "--skip-rule", "LTP-1.51-*",
                      "--skip-rule", "LTP-1.54-*", "--skip-rule", "LTP-1.56-*", "--skip-rule", "LTP-FIN-*", "--skip-rule", "LTP-WORKFORCE-*")
    assert skipped.returncode == 0 and "FAIL" not in skipped.stdout
    typo = run_cli("check", "examples/non-compliant.yaml", "--rule", "LTP-1.52-PCN-CLINICAL-DIRETCOR")
    assert typo.returncode == 2 and "--rule: 'LTP-1.52-PCN-CLINICAL-DIRETCOR' matches no rule" in typo.stderr


WAIVERS = """format: ics-waivers/1
waivers:
  - rule: LTP-1.52-PCN-CLINICAL-DIRECTOR
    subject: U17992
    justification: The PCN merges with Mid Furness in June; one director will cover both.
    approved_by: Jane Doe, NHS England North West
    expires: 2023-06-30
  - rule: LTP-1.52-CHAIR-*
    submission: QE1
    justification: The approval meeting is on 12 April 2023.
    approved_by: Jane Doe, NHS England North West
    expires: 2023-03-31
  - rule: LTP-1.53-*
    justification: Nothing fails this, so the waiver is unused.
    approved_by: Jane Doe, NHS England North West
    expires: 2024-01-01
"""


def test_waivers_mark_results_waived_and_report_expired_and_unmatched_waivers(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    report = ics_rules.check([str(EXAMPLES / "non-compliant.yaml")], waivers=waivers)
    by = {(r.rule_id, r.subject.id): r for r in report.results}
    waived = by[("LTP-1.52-PCN-CLINICAL-DIRECTOR", "U17992")]
    assert waived.status == "waived" and waived.waiver and waived.waiver["approved_by"] == "Jane Doe, NHS England North West"
    assert waived.message.endswith("Waived until 2023-06-30 by Jane Doe, NHS England North West: The PCN merges with Mid Furness in June; one director will cover both.")
    assert by[("LTP-1.52-PCN-CLINICAL-DIRECTOR", "U27624")].status == "fail"  # another subject: not waived
    assert by[("LTP-1.52-CHAIR-APPROVAL", "QE1")].status == "fail"  # its waiver expired the day before the as-of date
    findings = {r.rule_id: r for r in report.waiver_findings()}
    assert set(findings) == {"WAIVER-EXPIRED", "WAIVER-UNMATCHED"}
    assert findings["WAIVER-EXPIRED"].message.startswith("The waiver of LTP-1.52-CHAIR-* expired on 2023-03-31")
    assert (findings["WAIVER-EXPIRED"].subject.file, findings["WAIVER-EXPIRED"].subject.line) == (str(waivers), 8)
    assert findings["WAIVER-UNMATCHED"].subject.line == 13
    # Checked as of a date the expired waiver still covered, it applies.
    early = ics_rules.check([str(EXAMPLES / "non-compliant.yaml")], as_of="2023-03-01", waivers=waivers)
    assert {(r.rule_id, r.status) for r in early.results if r.rule_id == "LTP-1.52-CHAIR-APPROVAL"} == {("LTP-1.52-CHAIR-APPROVAL", "waived")}
    # Every format carries the same: the JSON validates, the HTML shows the waiver and the findings.
    as_json = run_cli("check", "--format", "json", "--waivers", str(waivers), "examples/non-compliant.yaml")
    data = json.loads(as_json.stdout)
    jsonschema.Draft202012Validator(load_schema("report"), format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["waivers"] == {"file": str(waivers), "count": 3}
    page = tmp_path / "report.html"
    run_cli("check", "--format", "html", "--output", str(page), "--waivers", str(waivers), "examples/non-compliant.yaml")
    html = page.read_text(encoding="utf-8")
    assert "WAIVER-EXPIRED" in html and "WAIVER-UNMATCHED" in html and "Approved by Jane Doe, NHS England North West, until 2023-06-30" in html
    # Reviewers see the raw picture.
    raw = run_cli("check", "--format", "json", "--waivers", str(waivers), "--no-waivers", "examples/non-compliant.yaml")
    assert "waived" not in {r["status"] for r in json.loads(raw.stdout)["results"]} and json.loads(raw.stdout)["waivers"] is None


def test_a_waiver_without_an_expiry_is_refused_with_its_line(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS.replace("    expires: 2023-06-30\n", "", 1), encoding="utf-8")
    proc = run_cli("check", "--waivers", str(waivers), "examples/non-compliant.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{waivers}:3:5: waivers[0]: missing required field 'expires'" in proc.stderr


def test_init_writes_a_starter_that_validates_and_schema_prints_each_schema(tmp_path: Path) -> None:
    target = tmp_path / "submission.yaml"
    assert run_cli("init", str(target)).returncode == 0
    text = target.read_text(encoding="utf-8")
    for section in ("ics:", "organisations:", "partnership_board:", "primary_care_networks:", "provider_contracts:", "commissioning:",
                    "clinical_leadership:", "capacity:", "cancer_alliance:", "clinical_senate:", "integration:", "system_objectives:",
                    "pooled_budgets:", "workforce_strategy:", "finance:"):
        assert f"\n{section}" in text, section
    assert run_cli("validate", str(target)).returncode == 0
    again = run_cli("init", str(target))
    assert again.returncode == 2 and "exists" in again.stderr
    for name in ("submission", "ruleset", "report", "waivers"):
        proc = run_cli("schema", name)
        assert proc.returncode == 0 and json.loads(proc.stdout)["$id"].endswith(f"/{name}.schema.json")
    assert run_cli("schema", "nonsense").returncode == 2


def _git(*args: str, cwd: Path) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.mark.skipif(not (REPO / ".git").exists() or shutil.which("git") is None, reason="needs this project as a git checkout")
def test_pre_commit_runs_the_hook_on_a_sample_repository(tmp_path: Path) -> None:
    # The hook is installed from a commit of this project, as an ICS team's config would name it.
    source = tmp_path / "ics-rules"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(source)], check=True)
    if _git("status", "--porcelain", cwd=REPO):  # uncommitted work: test the working tree as a commit
        shutil.copytree(REPO, source, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", ".hypothesis", "__pycache__"))
        _git("add", "-A", cwd=source)
        _git("commit", "--quiet", "-m", "working tree", cwd=source)
    rev = _git("rev-parse", "HEAD", cwd=source)
    team = tmp_path / "team"
    (team / "submissions").mkdir(parents=True)
    _git("init", "--quiet", cwd=team)
    (team / "submissions" / "qe1.yaml").write_bytes((EXAMPLES / "non-compliant.yaml").read_bytes())
    (team / "notes.yaml").write_text("not: a submission\n", encoding="utf-8")  # outside `files`: never checked
    (team / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: ics-rules-check\n        files: ^submissions/\n", encoding="utf-8")
    _git("add", "-A", cwd=team)
    # pre-commit installs the hook's environment with pip: hold it to the locked versions (pip reads
    # PIP_CONSTRAINT in its build environments too), and build durable-rules as the Makefile does.
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("".join(line.split(" \\")[0] + "\n" for lock in ("runtime.txt", "build.txt")
                                   for line in (REPO / "requirements" / lock).read_text(encoding="utf-8").splitlines()
                                   if line[:1].isalnum()), encoding="utf-8")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), PIP_CONSTRAINT=str(constraints), PIP_NO_CACHE_DIR="1",
               CPPFLAGS=durable_cppflags())
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    failing = subprocess.run(pre_commit, cwd=team, capture_output=True, text=True, env=env, timeout=900)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "ics-rules check" in failing.stdout and "FAIL  LTP-1.52-PCN-CLINICAL-DIRECTOR" in failing.stdout
    assert "notes.yaml" not in failing.stdout
    (team / "submissions" / "qe1.yaml").write_bytes((EXAMPLES / "compliant.yaml").read_bytes())
    _git("add", "-A", cwd=team)
    passing = subprocess.run(pre_commit, cwd=team, capture_output=True, text=True, env=env, timeout=900)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


def test_the_readme_ci_commands_work(tmp_path: Path) -> None:
    """Every `$ .venv/bin/ics-rules ...` line of the README's "Use it in CI" section, run as written."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it in CI", 1)[1].split("\n## ", 1)[0]
    commands = [line.removeprefix("$ .venv/bin/ics-rules ").split() for line in section.splitlines() if line.startswith("$ .venv/bin/ics-rules ")]
    assert len(commands) >= 3
    for args in commands:
        args = [str(tmp_path / a) if a.startswith("out.") else a for a in args]
        proc = run_cli(*args)
        assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, (args, proc.stderr)
        if "--output" in args:
            assert Path(args[args.index("--output") + 1]).stat().st_size > 0


def test_results_spooled_to_disk_read_back_exactly_and_stream_as_the_same_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's results come from the workers packed as JSON lines and, beyond ResultLog's budget, wait
    in a temporary file; every format must still see exactly the results an in-process check makes,
    and the streamed JSON must be the report model."""
    import ics_rules.report as report_module
    from ics_rules.packing import ENCODER
    from ics_rules.renderers import get_renderer, json_report

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    paths = [str(EXAMPLES / "non-compliant.yaml"), str(EXAMPLES / "compliant.yaml"), str(EXAMPLES / "invalid.yaml")]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    singly = {p: list(ics_rules.check([p], waivers=waivers).log) for p in paths}  # never packed
    held = ics_rules.check(paths, waivers=waivers, jobs=1)
    monkeypatch.setattr(report_module, "IN_MEMORY_RESULTS", 0)
    monkeypatch.setattr(report_module, "IN_MEMORY_INPUTS", 1)
    spooled = ics_rules.check(paths, waivers=waivers, jobs=1)
    assert spooled.log.spooled and not held.log.spooled and spooled.inputs[2].path == paths[2]
    assert [e.path for e in spooled.inputs] == paths and len(spooled.inputs) == 3
    assert [(e.path, rs) for e, rs in spooled.results_by_input()] == [(p, singly[p]) for p in paths]
    assert list(spooled.results) == list(held.results) and len(spooled.results) == len(held.results) > 200
    assert {r.status for r in spooled.results} >= {"pass", "fail", "waived"}
    for fmt in ("json", "text", "junit", "sarif", "markdown", "github"):
        assert get_renderer(fmt).render(spooled) == get_renderer(fmt).render(held), fmt
    text = json_report.render(spooled)
    assert json.loads(text) == json.loads(json.dumps(held.to_dict()))
    lines = [line.strip().rstrip(",") for line in text.splitlines() if line.startswith('    {"rule_id"')]
    assert lines == [ENCODER.encode(r.to_dict()) for r in held.results]  # packing.encode_result is the encoder's output
