"""The traceability matrix: verbatim to the sources, complete, and consistent with the ruleset."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path


from ics_rules.matrix import consistency_problems, load_matrix
from ics_rules.rulesets import load_ruleset
from conftest import REPO, SHARED, run_cli

RULESET = load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")
MATRIX = load_matrix(REPO / "rulesets" / "matrix" / "ltp-2019.yaml")
SEEDS = SHARED / "seeds"

# Words that mark a sentence as asking, expecting or promising something.
REQUIREMENT_WORDS = re.compile(r"\b(will|must|should|shall|expects?|expected|expectation|required?|requirements?|need|needs|needing|were to)\b", re.I)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def seed_text(source: str) -> str:
    return (SEEDS / MATRIX.sources[source].seed).read_text(encoding="utf-8")


def sentences(text: str) -> list[str]:
    """Sentences and list items, the units a requirement is written in."""
    out = []
    for line in text.split("\n"):
        for s in re.split(r"(?<=[.!?;])\s+(?=[A-Z“‘\"(•-])", line.strip()):
            s = s.strip().lstrip("•- ").strip()
            if s:
                out.append(squash(s))
    return out


def test_every_row_is_verbatim_in_its_source_and_in_the_paragraph_it_names() -> None:
    for row in MATRIX.rows:
        text = seed_text(row.source)
        assert row.text in squash(text), (row.source, row.text)
        if MATRIX.sources[row.source].numbering.startswith("the plan"):
            before = squash(text)[: squash(text).index(row.text)]
            marks = re.findall(r"\b(1\.5\d)\.", before)
            assert (marks[-1] if marks else "1.50") == row.paragraph, row.text
        else:
            paragraphs = [squash(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
            assert row.text in paragraphs[int(row.paragraph) - 1], (row.paragraph, row.text)


def test_every_requirement_sentence_of_every_source_has_a_row() -> None:
    texts = [squash(r.text).lstrip("•- ") for r in MATRIX.rows]
    missing = []
    for source in MATRIX.sources:
        for s in sentences(seed_text(source)):
            if REQUIREMENT_WORDS.search(s) and not any(t in s or s in t for t in texts):
                missing.append((source, s))
    assert missing == []


def test_matrix_and_ruleset_agree() -> None:
    assert consistency_problems(MATRIX, RULESET) == []
    summary = MATRIX.summary()
    assert summary["rules"] == len(RULESET.rules) and summary["checkable"] + summary["not_checkable"] == summary["rows"]
    assert all(r.not_checkable for r in MATRIX.rows if not r.rules)


def test_a_rule_missing_from_the_matrix_or_citing_an_unlisted_paragraph_is_reported() -> None:
    rows = tuple(r for r in MATRIX.rows if "LTP-1.52-CLINICAL-SENATE" not in r.rules)
    problems = [p.message for p in consistency_problems(replace(MATRIX, rows=rows), RULESET)]
    assert any("rule LTP-1.52-CLINICAL-SENATE is in no row of the matrix" in m for m in problems)
    rule = next(r for r in RULESET.rules if r.id == "LTP-1.52-CLINICAL-SENATE")
    moved = replace(RULESET, rules=tuple(replace(r, citation=replace(r.citation, paragraph="1.49")) if r is rule else r for r in RULESET.rules))
    problems = [p.message for p in consistency_problems(MATRIX, moved)]
    assert problems == ["rule LTP-1.52-CLINICAL-SENATE cites paragraph 1.49 of 'The NHS Long Term Plan', which the matrix rulesets/matrix/ltp-2019.yaml does not list"
                        .replace("rulesets/matrix/ltp-2019.yaml", MATRIX.path)]


def test_a_row_naming_a_missing_rule_fails_the_matrix_command(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    (rules_dir / "matrix").mkdir(parents=True)
    (rules_dir / "ltp-2019.yaml").write_bytes((REPO / "rulesets" / "ltp-2019.yaml").read_bytes())
    text = (REPO / "rulesets" / "matrix" / "ltp-2019.yaml").read_text(encoding="utf-8")
    (rules_dir / "matrix" / "ltp-2019.yaml").write_text(text.replace("- LTP-1.53-PREVENTION-SERVICES", "- LTP-1.53-NO-SUCH-RULE"), encoding="utf-8")
    proc = run_cli("rules", "matrix", "--ruleset", str(rules_dir / "ltp-2019.yaml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "row names rule 'LTP-1.53-NO-SUCH-RULE', which ltp-2019 does not have" in proc.stderr
    assert "rule LTP-1.53-PREVENTION-SERVICES is in no row of the matrix" in proc.stderr


def test_matrix_command_prints_each_row_and_the_summary() -> None:
    proc = run_cli("rules", "matrix")
    assert proc.returncode == 0, proc.stderr
    s = MATRIX.summary()
    assert f"{s['rows']} requirement rows: {s['checkable']} checked by {s['rules']} rules, {s['not_checkable']} not machine-checkable" in proc.stdout
    assert "not checkable: A duty on the Care Quality Commission's regulation, not on the ICS." in proc.stdout
    data = json.loads(run_cli("rules", "matrix", "--format", "json").stdout)
    assert data[0]["summary"] == s and data[0]["problems"] == []
