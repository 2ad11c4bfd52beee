"""Every benchmark figure of bench/README.md, measured in one run: `make bench` (or
`.venv/bin/python bench/run.py [--quick]`; --quick leaves out the 10,000-submission batch).

It prints a Markdown table and writes bench/results.json. A benchmark, not a test: nothing here
fails a build, and the figures depend on the machine (bench/README.md names the one they came from).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/ is not a package)

DATA = HERE / ".data" / f"generator-{generate.GENERATOR_VERSION}"
DEPENDENCIES = "import durable.engine, yaml, jsonschema, click, jinja2"  # what a one-file check loads


def batch(count: int, scale: int = 1) -> Path:
    """The generated batch of `count` submissions, made once and kept in bench/.data."""
    folder = DATA / f"{count}-x{scale}"
    done = folder / ".complete"
    if not done.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        generate.write_batch(count, folder, scale)
        done.touch()
    return folder


def _tree_rss(root: int) -> tuple[int, int]:
    """(resident bytes of `root`, of `root` and all its descendants) from /proc."""
    def rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            return 0

    def children(pid: int) -> list[int]:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return [int(c) for c in f.read().split()]
        except OSError:
            return []
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss(pid)
        todo.extend(children(pid))
    return rss(root), total


def timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall time of a command, and the peak resident memory of its process and of its whole tree
    (sampled every 10 ms from /proc: the workers of a batch are children of the command)."""
    peak = {"main": 0, "tree": 0}
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            main, tree = _tree_rss(proc.pid)
            peak["main"], peak["tree"] = max(peak["main"], main), max(peak["tree"], tree)
            stop.wait(0.01)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    return {"seconds": round(wall, 3), "peak_mb": round(peak["main"] / 2**20, 1), "tree_peak_mb": round(peak["tree"] / 2**20, 1)}


def batch_against_floor(count: int, jobs: int, out: Path) -> dict[str, Any]:
    folder = batch(count)
    floor = timed([str(BIN / "python"), str(HERE / "floor.py"), str(folder), "--jobs", str(jobs)])
    ours = timed([str(BIN / "ics-rules"), "check", str(folder), "--jobs", str(jobs), "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))["summary"]
    out.unlink()
    return {"submissions": count, "jobs": jobs, "results": report["results"], "floor": floor, "ics_rules": ours,
            "ratio": round(ours["seconds"] / floor["seconds"], 3)}


def cli_latency(runs: int) -> dict[str, Any]:
    """Median wall time of one-file checks against the bare import of the libraries they load; the
    first check with a fresh cache (templates compiled, ruleset checked) is reported apart."""
    cache = tempfile.mkdtemp(prefix="ics-rules-bench-cache-")
    env = {**os.environ, "ICS_RULES_CACHE_DIR": cache}
    check = [str(BIN / "ics-rules"), "check", "examples/compliant.yaml"]
    cold = timed(check, env)["seconds"]
    warm = statistics.median(timed(check, env)["seconds"] for _ in range(runs))
    off = statistics.median(timed(check, {**os.environ, "ICS_RULES_CACHE_DIR": "off"})["seconds"] for _ in range(max(3, runs // 3)))
    imports = statistics.median(timed([str(BIN / "python"), "-c", DEPENDENCIES])["seconds"] for _ in range(runs))
    shutil.rmtree(cache, ignore_errors=True)
    return {"runs": runs, "check_s": round(warm, 3), "first_check_s": round(cold, 3), "no_cache_s": round(off, 3),
            "bare_imports_s": round(imports, 3), "ratio": round(warm / imports, 3), "imports": DEPENDENCIES}


def per_document(documents: list[Any], evaluator: Any) -> float:
    """Median milliseconds of facts + engine + results per document."""
    from ics_rules.reference import reference_for

    times = []
    for doc in documents:
        as_of = doc.data["ics"]["as_at"]
        geography = reference_for(as_of)
        t0 = time.perf_counter()
        evaluator.evaluate(doc, as_of, geography)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def scaling(n: int) -> dict[str, Any]:
    """Time per document as rules (x1, x2, x4: the ruleset's rules repeated under new ids) and as
    entities per submission (x1, x2, x4: PCNs, board members and contracts multiplied) grow."""
    import yaml

    from ics_rules.api import compile_rules
    from ics_rules.compiler import compile_rulesets
    from ics_rules.evaluation import Evaluator
    from ics_rules.loading import load_file
    from ics_rules.rulesets import Ruleset

    (ruleset,), compiled = compile_rules()
    base_docs = [load_file(p) for p in sorted(batch(n).glob("*.yaml"))]
    rules = {}
    for factor in (1, 2, 4):
        copies = [r if k == 0 else r.__class__(**{**r.__dict__, "id": f"{r.id}-COPY{k}"}) for k in range(factor) for r in ruleset.rules]
        scaled = compile_rulesets([Ruleset(**{**ruleset.__dict__, "rules": tuple(copies)})])
        evaluator = Evaluator(scaled)
        results = sum(len(evaluator.evaluate(d, d.data["ics"]["as_at"], None)) for d in base_docs[:3])
        rules[f"x{factor}"] = {"rules": len(copies), "ms": round(per_document(base_docs, evaluator), 3), "results_in_3_docs": results}
    entities = {}
    evaluator = Evaluator(compiled)
    for factor in (1, 2, 4):
        docs = [load_file(p) for p in sorted(batch(n, factor).glob("*.yaml"))]
        count = statistics.median(len(d.data["primary_care_networks"]) + len(d.data["partnership_board"]["members"])
                                  + len(d.data["provider_contracts"]) for d in docs)
        entities[f"x{factor}"] = {"pcns_members_contracts": count, "ms": round(per_document(docs, evaluator), 3)}
    del yaml
    return {"documents": n, "rules": rules, "entities": entities}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run every benchmark of bench/README.md.")
    parser.add_argument("--quick", action="store_true", help="leave out the 10,000-submission batch")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sizes = (42, 1000) if args.quick else (42, 1000, 10000)
    sys.path.insert(0, str(REPO))
    from peer import compare

    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
                               "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory() as tmp:
        results["batches"] = []
        for count in sizes:
            print(f"batch of {count} ...", file=sys.stderr, flush=True)
            results["batches"].append(batch_against_floor(count, args.jobs, Path(tmp) / "report.json"))
    print("Rego peer ...", file=sys.stderr, flush=True)
    results["peer"] = compare(batch(1000), 200)
    print("CLI latency ...", file=sys.stderr, flush=True)
    results["cli"] = cli_latency(15)
    print("scaling ...", file=sys.stderr, flush=True)
    results["scaling"] = scaling(100)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))


def table(r: dict[str, Any]) -> str:
    rows = ["| figure | measured | target |", "|---|---|---|"]
    for b in r["batches"]:
        rows.append(f"| batch of {b['submissions']:,} ({b['results']:,} results, {b['jobs']} jobs): ics-rules / floor | "
                    f"{b['ics_rules']['seconds']} s / {b['floor']['seconds']} s = **{b['ratio']}x** | ≤ 1.5x |")
    for b in r["batches"]:
        rows.append(f"| peak memory, batch of {b['submissions']:,}: ics-rules process / with its workers | "
                    f"{b['ics_rules']['peak_mb']} MB / {b['ics_rules']['tree_peak_mb']} MB | |")
    big = {b["submissions"]: b for b in r["batches"]}
    if 1000 in big and 10000 in big:
        for key, label in (("peak_mb", "process"), ("tree_peak_mb", "with workers")):
            growth = big[10000]["ics_rules"][key] / big[1000]["ics_rules"][key] - 1
            rows.append(f"| peak memory growth 1,000 → 10,000 ({label}) | **{growth:+.1%}** | within 10% |")
    p = r["peer"]
    rows.append(f"| per document, {p['rules']} core rules, {p['documents']} documents ({p['results_agreed']:,} results agree): "
                f"ics-rules / Rego (regopy) | {p['ics_rules_ms']} ms / {p['rego_ms']} ms = **{p['ratio']}x** | ≤ 1x |")
    c = r["cli"]
    rows.append(f"| one-file check / bare import of its libraries (median of {c['runs']}) | "
                f"{c['check_s']} s / {c['bare_imports_s']} s = **{c['ratio']}x** | ≤ 1.5x |")
    rows.append(f"| one-file check, first run with an empty cache / with the cache off | {c['first_check_s']} s / {c['no_cache_s']} s | |")
    s = r["scaling"]
    for kind in ("rules", "entities"):
        base = s[kind]["x1"]["ms"]
        cells = ", ".join(f"{k} {v['ms']} ms ({v['ms'] / base:.2f})" for k, v in s[kind].items())
        rows.append(f"| per document as {kind} grow (x1, x2, x4) | {cells} | linear |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
