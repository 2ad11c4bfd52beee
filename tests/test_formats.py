"""Every output format from the same report, each read back by a real consumer or checked by its schema."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any, Callable

import jsonschema

from conftest import EXAMPLES, REPO, SHARED, needs, run_cli

NODE_MODULES = REPO / "node_modules"
SARIF_SCHEMA = SHARED / "data" / "sarif" / "sarif-schema-2.1.0.json"


def report(*args: str) -> dict[str, Any]:
    proc = run_cli("check", "--format", "json", *args)
    return json.loads(proc.stdout)


def test_every_format_is_registered_and_renders_the_same_report() -> None:
    from ics_rules.renderers import RENDERERS

    assert set(RENDERERS) == {"text", "json", "html", "junit", "sarif", "markdown", "github"}
    for fmt in RENDERERS:
        proc = run_cli("check", "--format", fmt, "examples/non-compliant.yaml")
        assert proc.returncode == 1 and proc.stdout and "Traceback" not in proc.stderr, fmt


def sarif_validator() -> jsonschema.Draft7Validator:
    """The OASIS schema from its real root: the file keeps it under definitions/Root and constrains
    nothing at the top, so validating against the file as it is accepts any JSON at all."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator({**schema, "$ref": "#/definitions/Root"}, format_checker=jsonschema.FormatChecker())
    # proof it can fail: a document that is not SARIF, and a location that is not a URI reference
    assert not validator.is_valid({"any": "json"})
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [
        {"physicalLocation": {"artifactLocation": {"uri": "a b#c<d>.yaml"}}}]}]}]}
    assert [e.validator for e in validator.iter_errors(bad)] == ["format"]
    return validator


def test_sarif_of_a_batch_is_valid_at_the_schema_s_real_root_with_any_file_name(tmp_path: Path) -> None:
    awkward = tmp_path / "sub dir #1"
    awkward.mkdir()
    for name in ("a b.yaml", "hash#tag.yaml", "<angle>.yaml", "naïve.yaml", "per%cent.yaml"):
        (awkward / name).write_bytes((EXAMPLES / "non-compliant.yaml").read_bytes())
    proc = run_cli("check", "--format", "sarif", str(REPO / "examples" / "national-faulty"), str(awkward), "-",
                   stdin=(EXAMPLES / "compliant.yaml").read_bytes())
    sarif = json.loads(proc.stdout)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(sarif)]
    assert errors == [], errors[:5]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"] for loc in r["locations"]
            if "physicalLocation" in loc}
    assert "%3Cstdin%3E" in uris and "file://" + str(awkward).replace(" ", "%20").replace("#", "%23") + "/a%20b.yaml" in uris
    assert any(u.endswith("/na%C3%AFve.yaml") for u in uris) and any(u.endswith("/per%25cent.yaml") for u in uris)


def test_sarif_is_valid_sarif_2_1_0_with_a_descriptor_per_rule_and_located_results(tmp_path: Path, write: Callable[..., Path]) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text("format: ics-waivers/1\nwaivers:\n  - {rule: LTP-1.52-PCN-CLINICAL-DIRECTOR, subject: U17992, justification: Merging with Mid Furness in June,"
                       " approved_by: Regional team, expires: 2023-06-30}\n", encoding="utf-8")
    proc = run_cli("check", "--format", "sarif", "--waivers", str(waivers), "examples/non-compliant.yaml", "examples/invalid.yaml")
    sarif = json.loads(proc.stdout)
    sarif_validator().validate(sarif)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    expected = json.loads(run_cli("rules", "list", "--format", "json").stdout)[0]["rules"]
    assert [r["id"] for r in rules] == [r["id"] for r in expected]
    board = next(r for r in rules if r["id"] == "LTP-1.52-PCN-CLINICAL-DIRECTOR")
    assert board["defaultConfiguration"]["level"] == "error" and board["properties"]["citation"]["paragraph"] == "1.52"
    assert "Name the PCN's clinical director" in board["help"]["text"] and "paragraph 1.52" in board["help"]["text"]
    pcn = next(r for r in run["results"] if r["ruleId"] == "LTP-1.52-PCN-CLINICAL-DIRECTOR" and r["properties"]["subject"]["id"] == "U27624")
    assert pcn["level"] == "error" and pcn["kind"] == "fail" and rules[pcn["ruleIndex"]]["id"] == pcn["ruleId"]
    assert pcn["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "examples/non-compliant.yaml"}, "region": {"startLine": 57, "startColumn": 5}}
    role = next(r for r in run["results"] if r["ruleId"] == "LTP-1.52-BOARD-MEMBER-ROLE")
    assert role["level"] == "warning"  # expected -> warning
    waived = next(r for r in run["results"] if r["properties"]["status"] == "waived")
    assert waived["suppressions"][0]["kind"] == "external" and "Merging with Mid Furness" in waived["suppressions"][0]["justification"]
    assert not run["invocations"][0]["executionSuccessful"]
    bad = run["invocations"][0]["toolExecutionNotifications"][0]
    assert bad["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 9}


def test_junit_reads_back_with_a_junit_reader_one_case_per_rule_and_subject() -> None:
    from junitparser import Error, Failure, JUnitXml, Skipped

    proc = run_cli("check", "--format", "junit", "examples/non-compliant.yaml", "examples/invalid.yaml")
    xml = JUnitXml.fromstring(proc.stdout.encode())
    suites = {s.name: s for s in xml}
    suite = suites["examples/non-compliant.yaml"]
    data = report("examples/non-compliant.yaml")
    assert suite.tests == len(data["results"]) and suite.failures == 20 and suite.skipped == 17
    cases = {(c.classname, c.name): c for c in suite}
    assert len(cases) == suite.tests  # names are unique and stable: rule id + subject
    pcn = cases[("LTP-1.52-PCN-CLINICAL-DIRECTOR", "primary_care_network U17992")]
    (failure,) = [r for r in pcn.result if isinstance(r, Failure)]
    assert failure.message == "PCN U17992 Barrow and Millom PCN has no named clinical director." and failure.type == "required"
    assert "examples/non-compliant.yaml:52:5" in failure.text
    assert any(isinstance(r, Skipped) for r in cases[("LTP-1.52-PCN-CD-ACCOUNTABLE", "primary_care_network U17992")].result)
    invalid = suites["examples/invalid.yaml"]
    (case,) = list(invalid)
    assert isinstance(case.result[0], Error) and "examples/invalid.yaml:7:9" in case.result[0].text


def _node(script: str, stdin: str) -> str:
    return subprocess.run(["node", "-e", script], input=stdin, capture_output=True, text=True, check=True, cwd=REPO,
                          env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/local/bin:/usr/bin:/bin"}).stdout


needs_npm = needs(None if (NODE_MODULES / "@actions" / "core").is_dir() else "npm packages not installed (make test runs npm ci)")


@needs_npm
def test_github_annotations_match_what_githubs_own_toolkit_writes(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    submission["organisations"][2]["name"] = "Trust, with: 100% odd name"  # commas, colons and percent need escaping
    del submission["provider_contracts"][1]["collaboration_clause"]
    path = write(submission)
    ours = run_cli("check", "--format", "github", str(path)).stdout.splitlines()
    data = run_cli("check", "--format", "json", str(path)).stdout
    # The mapping (severity -> command) is ours; the format and escaping are @actions/core's.
    theirs = _node("""
const core = require('@actions/core');
const report = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const commands = {required: 'error', expected: 'warning', advisory: 'notice'};
for (const r of report.results) {
  const name = r.status === 'fail' ? commands[r.severity] : r.status === 'error' ? 'error' : r.status === 'review' ? 'notice' : null;
  if (!name) continue;
  core[name](r.message, {title: `${r.rule_id} (${r.status}, ${r.severity})`, file: r.subject.file, startLine: r.subject.line, startColumn: r.subject.column});
}""", data).splitlines()
    assert ours[:-1] == theirs and ours
    assert any("::Contract GM-NHSSC-2023-002 with Trust, with: 100%25 odd name has no requirement" in line
               and "title=LTP-1.52-CONTRACT-COLLABORATION (fail%2C required)" in line for line in ours)


@needs_npm
def test_markdown_renders_as_tables_and_submitted_text_cannot_inject_html(submission: dict[str, Any], write: Callable[..., Path]) -> None:
    submission["organisations"][2]["name"] = "<script>alert(1)</script> | pipe *stars*"
    del submission["provider_contracts"][1]["collaboration_clause"]
    del submission["primary_care_networks"][0]["clinical_director"]
    md = run_cli("check", "--format", "markdown", str(write(submission))).stdout
    html = _node("const md = require('markdown-it')({html: true}); process.stdout.write(md.render(require('fs').readFileSync(0, 'utf8')));", md)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; | pipe *stars*" in html
    failures = html.split("<h3>Failures</h3>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", failures, re.S)
    assert len(rows) == 1 + 2  # header + the two failures: the contract and the director
    assert all(len(re.findall(r"<t[dh]>", row)) == 6 for row in rows)
    assert re.search(r"<code>[^<\\]*submission\.yaml:\d+:\d+</code>", failures)  # locations are code, unescaped
    reviews = sum(r["status"] == "review" for r in json.loads(run_cli("check", "--format", "json", str(write(submission))).stdout)["results"])
    assert reviews > 1 and f"<details><summary>{reviews} results for a reviewer's judgement</summary>" in html
    invalid = run_cli("check", "--format", "markdown", "examples/invalid.yaml", "examples/non-compliant.yaml")
    assert invalid.returncode == 2 and invalid.stdout.startswith("## ics-rules: Some inputs are invalid")
    assert "- `examples/invalid.yaml:7:9` ics.code: 'XX12' is not in the right format" in invalid.stdout


def test_text_has_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    import os
    import pty
    import sys

    def on_terminal(env: dict[str, str]) -> str:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "ics_rules", "check", "examples/non-compliant.yaml"], cwd=REPO, stdout=follower,
                                stderr=subprocess.DEVNULL, env=env)
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait()
        os.close(leader)
        return out.decode()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[31;1mFAIL\x1b[0m" in on_terminal(env)
    assert "\x1b[" not in on_terminal(dict(env, NO_COLOR="1"))
    assert "\x1b[" not in run_cli("check", "examples/non-compliant.yaml").stdout
