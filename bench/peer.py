"""The Rego peer: the same ten core rules in Rego (bench/peer/core.rego), evaluated by rego-cpp through
regopy, against ics-rules evaluating exactly those rules, on the same parsed documents.

    .venv/bin/python bench/peer.py DIR [N]     (N documents from DIR, default 200)

Both start from the document PyYAML's C loader made, so neither is charged for reading it; both give
one result per rule per subject, and the script stops if any result differs.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CORE_RULES = (
    "LTP-1.52-BOARD-COMMISSIONERS", "LTP-1.52-BOARD-TRUSTS", "LTP-1.52-BOARD-PCNS", "LTP-1.52-BOARD-LOCAL-AUTHORITIES",
    "LTP-1.52-BOARD-VOLUNTARY-SECTOR", "LTP-1.52-CHAIR-NON-EXECUTIVE", "LTP-1.52-CHAIR-APPROVAL",
    "LTP-1.52-PCN-CLINICAL-DIRECTOR", "LTP-1.52-PCN-CD-ACCOUNTABLE", "LTP-1.52-CONTRACT-COLLABORATION",
)


def _documents(folder: Path, n: int) -> list[tuple[str, Any, Any]]:
    from ics_rules.loading import parse_text

    out = []
    for path in sorted(folder.glob("*.yaml"))[:n]:
        raw = path.read_bytes()
        out.append((str(path), yaml.load(raw, Loader=yaml.CSafeLoader), parse_text(str(path), raw)))  # noqa: S506
    return out


def compare(folder: Path, n: int = 200) -> dict[str, Any]:
    """Median milliseconds per document for each, their ratio, and how many results agreed."""
    from regopy import Input, Interpreter

    from ics_rules.api import compile_rules
    from ics_rules.compiler import compile_rulesets
    from ics_rules.evaluation import Evaluator
    from ics_rules.reference import reference_for
    from ics_rules.rulesets import Ruleset

    (ruleset,), _ = compile_rules()
    core = Ruleset(**{**ruleset.__dict__, "rules": tuple(r for r in ruleset.rules if r.id in CORE_RULES)})
    assert len(core.rules) == len(CORE_RULES)
    evaluator = Evaluator(compile_rulesets([core]))
    rego = Interpreter()
    rego.add_module("core", (HERE / "peer" / "core.rego").read_text(encoding="utf-8"))
    docs = _documents(folder, n)
    ours, theirs, agreed = [], [], 0
    for _, data, doc in docs:
        as_of = data["ics"]["as_at"]
        geography = reference_for(as_of)
        t0 = time.perf_counter()
        results = evaluator.evaluate(doc, as_of, geography)
        t1 = time.perf_counter()
        rego.set_input(Input(data))
        output = rego.query("x = data.ics.results")
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
        mine = sorted((r.rule_id, r.subject.id, r.status) for r in results)
        peer = sorted((r["rule"], r["subject"], r["status"]) for r in json.loads(output.binding("x").json()))
        if mine != peer:
            raise SystemExit(f"ics-rules and the Rego peer disagree: {sorted(set(mine) ^ set(peer))[:5]}")
        agreed += len(mine)
    ms_ours, ms_rego = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
    return {"documents": len(docs), "results_agreed": agreed, "rules": len(CORE_RULES), "ics_rules_ms": round(ms_ours, 3),
            "rego_ms": round(ms_rego, 3), "ratio": round(ms_ours / ms_rego, 3)}


if __name__ == "__main__":
    print(compare(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200))
