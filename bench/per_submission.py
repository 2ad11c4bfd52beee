"""Time each stage of checking one submission, repeated: load, validate, build facts, engine, results.

Run: .venv/bin/python bench/per_submission.py [N]   (default N=500, on examples/non-compliant.yaml)
A benchmark, not a test: it prints figures and asserts nothing. "results" is the full evaluate()
less this iteration's separately timed facts and engine stages, so it is an estimate.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from ics_rules.api import compile_rules
from ics_rules.evaluation import Evaluator
from ics_rules.facts import build_entities
from ics_rules.loading import load_file
from ics_rules.reference import reference_for
from ics_rules.validation import validate_submission

REPO = Path(__file__).resolve().parent.parent


def main(n: int) -> None:
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "examples" / "non-compliant.yaml"
    t0 = time.perf_counter()
    _, compiled = compile_rules()
    evaluator = Evaluator(compiled)
    setup = time.perf_counter() - t0
    geography = reference_for("2023-04-01")
    stages: dict[str, list[float]] = {k: [] for k in ("load", "validate", "facts", "engine", "results", "total")}
    for _ in range(n):
        a = time.perf_counter()
        doc = load_file(path)
        b = time.perf_counter()
        assert not validate_submission(doc)
        c = time.perf_counter()
        entities = build_entities(doc, geography, "2023-04-01")
        d = time.perf_counter()
        evaluator.engine.run(compiled.facts(entities))
        e = time.perf_counter()
        results = evaluator.evaluate(doc, "2023-04-01", geography)  # facts + engine + results again
        f = time.perf_counter()
        stages["load"].append(b - a)
        stages["validate"].append(c - b)
        stages["facts"].append(d - c)
        stages["engine"].append(e - d)
        stages["results"].append((f - e) - (e - c))
        stages["total"].append((c - a) + (f - e))
    print(f"compile + register rules once: {setup * 1000:.1f} ms; {len(results)} results per submission; n={n}")
    for k, v in stages.items():
        print(f"{k:9s} median {statistics.median(v) * 1000:7.3f} ms   p95 {sorted(v)[int(0.95 * len(v))] * 1000:7.3f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
