"""The traceability matrix: from each requirement sentence of the sources to the rules that check it.

It is data (`rulesets/matrix/<ruleset>.yaml`), checked against the ruleset it traces: every rule must
appear in a row, cite a paragraph the matrix lists, and every rule a row names must exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .loading import load_file
from .problems import InputError, Problem
from .rulesets import Ruleset
from .validation import schema_problems


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    seed: str
    numbering: str
    date: str | None


@dataclass(frozen=True)
class Row:
    source: str
    paragraph: str
    text: str
    rules: tuple[str, ...]
    note: str | None
    not_checkable: str | None
    line: int | None


@dataclass(frozen=True)
class Matrix:
    ruleset: str
    path: str
    sources: dict[str, Source]
    rows: tuple[Row, ...]

    def summary(self) -> dict[str, int]:
        covered = [r for r in self.rows if r.rules]
        return {"rows": len(self.rows), "checkable": len(covered), "not_checkable": len(self.rows) - len(covered),
                "rules": len({rule for r in covered for rule in r.rules})}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset, "summary": self.summary(),
            "sources": [s.__dict__ for s in self.sources.values()],
            "rows": [{k: v for k, v in {"source": r.source, "paragraph": r.paragraph, "text": r.text, "rules": list(r.rules),
                                        "note": r.note, "not_checkable": r.not_checkable}.items() if v not in (None, [])}
                     for r in self.rows],
        }


def matrix_path_for(ruleset_path: str | Path) -> Path:
    """Where a ruleset's matrix lives by convention: `matrix/<ruleset file name>` beside it."""
    path = Path(ruleset_path)
    return path.parent / "matrix" / path.name


def load_matrix(path: str | Path, display: str | None = None) -> Matrix:
    doc = load_file(path, display)
    problems = schema_problems(doc, "matrix")
    if problems:
        raise InputError(problems)
    data = doc.data
    sources = {s["id"]: Source(s["id"], s["title"], s["seed"], s["numbering"], s.get("date")) for s in data["sources"]}
    rows, bad = [], []
    for i, raw in enumerate(data["rows"]):
        if raw["source"] not in sources:
            bad.append(doc.problem(f"/rows/{i}/source", f"unknown source '{raw['source']}'; the sources are {', '.join(sources)}"))
        pos = doc.position(f"/rows/{i}")
        rows.append(Row(raw["source"], raw["paragraph"], " ".join(raw["text"].split()), tuple(raw.get("rules", [])),
                        raw.get("note"), raw.get("not_checkable"), pos[0] if pos else None))
    if bad:
        raise InputError(bad)
    return Matrix(data["ruleset"], doc.path, sources, tuple(rows))


def consistency_problems(matrix: Matrix, ruleset: Ruleset) -> list[Problem]:
    """Where the matrix and the ruleset disagree: each problem names the file and line to fix."""
    problems = []
    if matrix.ruleset != ruleset.id:
        problems.append(Problem(matrix.path, f"the matrix traces ruleset '{matrix.ruleset}', not '{ruleset.id}'", kind="ruleset"))
    rule_ids = {r.id for r in ruleset.rules}
    named: set[str] = set()
    for row in matrix.rows:
        for rule_id in row.rules:
            named.add(rule_id)
            if rule_id not in rule_ids:
                problems.append(Problem(matrix.path, f"row names rule '{rule_id}', which {ruleset.id} does not have", row.line, None, "", "ruleset"))
    cited = {(matrix.sources[r.source].title, r.paragraph) for r in matrix.rows}
    for rule in ruleset.rules:
        if rule.id not in named:
            problems.append(Problem(ruleset.path, f"rule {rule.id} is in no row of the matrix {matrix.path}", rule.line, None, "", "ruleset"))
        if (rule.citation.document, rule.citation.paragraph) not in cited:
            problems.append(Problem(ruleset.path, f"rule {rule.id} cites paragraph {rule.citation.paragraph} of "
                                    f"'{rule.citation.document}', which the matrix {matrix.path} does not list", rule.line, None, "", "ruleset"))
    return problems
