"""The bad-input corpus (tests/bad-inputs/cases.yaml): every case exits as promised, points at the
file and line, says what is wrong, and never shows a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import REPO, needs, run_cli

CORPUS = REPO / "tests" / "bad-inputs"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]
BASE = CORPUS / "valid-base.yaml"
PCN = "  - {code: U12345, name: Coast PCN, clinical_director: {name: Dr Sam Example}}\n"


def fifty_megabytes(path: Path) -> None:
    """The valid base followed by 50 MB of primary care networks: a plausible file, just far too big."""
    base = BASE.read_text(encoding="utf-8") + "primary_care_networks:\n"
    count = (50 * 2**20 - len(base)) // len(PCN) + 1
    with path.open("w", encoding="utf-8") as fh:
        fh.write(base)
        fh.writelines(PCN for _ in range(count))


GENERATORS: dict[str, Callable[[Path], None]] = {"large-50mb.yaml": fifty_megabytes}


# The corpus runs with the newest PyYAML allowed (the venv's, from requirements/test.txt) and with the
# lowest, which `make` installs beside it (requirements/pyyaml-lowest.txt): their own limits differ.
LOWEST = Path(sys.prefix) / "pyyaml-lowest"
PYYAMLS = {"newest PyYAML": {}, "lowest PyYAML": {"PYTHONPATH": str(LOWEST)}}
needs_lowest = needs(None if (LOWEST / "yaml").is_dir() else f"the lowest PyYAML allowed is not installed in {LOWEST} (make installs it)")


def pinned(lock: str) -> str:
    """The PyYAML version a requirements file pins for this interpreter."""
    for line in (REPO / "requirements" / lock).read_text(encoding="utf-8").splitlines():
        if line.lower().startswith("pyyaml=="):
            req = Requirement(line.split(" \\")[0])
            if req.marker is None or req.marker.evaluate():
                return str(req.specifier).removeprefix("==")
    raise AssertionError(f"{lock} pins no PyYAML for this interpreter")


def run(args: list[str], stdin: Path | None = None, pyyaml: str = "newest PyYAML") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=CORPUS, stdin=stdin.read_bytes() if stdin else None, env=PYYAMLS[pyyaml])


@pytest.mark.parametrize("pyyaml,lock", [("newest PyYAML", "test.txt"),
                                         pytest.param("lowest PyYAML", "pyyaml-lowest.txt", marks=needs_lowest)])
def test_the_corpus_runs_with_the_pyyaml_it_says(pyyaml: str, lock: str) -> None:
    proc = subprocess.run([sys.executable, "-c", "import yaml; print(yaml.__version__, yaml.__with_libyaml__)"],
                          capture_output=True, text=True, env={**os.environ, **PYYAMLS[pyyaml]}, check=True)
    assert proc.stdout.split() == [pinned(lock), "True"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("generated")


@pytest.mark.parametrize("pyyaml", ["newest PyYAML", pytest.param("lowest PyYAML", marks=needs_lowest)])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_bad_input_exits_as_promised_and_names_file_line_and_problem(case: dict[str, Any], pyyaml: str, generated: Path) -> None:
    if "generate" in case and not (generated / case["generate"]).exists():
        GENERATORS[case["generate"]](generated / case["generate"])
    fill = lambda text: text.replace("{generated}", str(generated))  # noqa: E731
    stdin = Path(fill(case["stdin"])) if "stdin" in case else None
    proc = run([fill(a) for a in case["args"]], stdin, pyyaml)
    out = proc.stdout + proc.stderr
    assert proc.returncode == case["exit"], out
    assert "Traceback" not in out, out
    assert fill(case["where"]) in out, out
    for words in case["words"]:
        assert words in out, (words, out)


def test_every_corpus_file_is_a_case_and_every_case_file_exists() -> None:
    named = {Path(a) for c in CASES for a in c["args"] if "/" in a and not a.startswith(("{", "../"))}
    named |= {Path(c["where"].split(":")[0]) for c in CASES if not c["where"].startswith(("{", "<"))}
    on_disk = {p.relative_to(CORPUS) for p in CORPUS.rglob("*") if p.is_file()} - {Path("cases.yaml"), Path("README.md"),
                                                                                  Path("valid-base.yaml"), Path("no-submissions/README.md")}
    assert on_disk <= named, on_disk - named
    missing = {p for p in named if not (CORPUS / p).exists()} - {Path("submissions/does-not-exist.yaml")}
    assert not missing


def test_the_base_the_cases_differ_from_is_valid() -> None:
    proc = run(["validate", "valid-base.yaml"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_batch_of_every_bad_submission_keeps_the_good_one_whole(tmp_path: Path) -> None:
    alone = run(["check", "valid-base.yaml", "--format", "json"])
    batch = run(["check", "submissions", "valid-base.yaml", "--format", "json"])
    assert batch.returncode == 2 and "Traceback" not in batch.stderr
    report, single = json.loads(batch.stdout), json.loads(alone.stdout)
    assert report["summary"]["inputs"] == {"checked": 1, "invalid": len(list((CORPUS / "submissions").iterdir())), "error": 0}
    inputs = {i["path"]: i for i in report["inputs"]}
    assert all(i["problems"] and all(p["file"] == path and p["message"] for p in i["problems"])
               for path, i in inputs.items() if path != "valid-base.yaml")
    as_text = lambda results: sorted(json.dumps(r, sort_keys=True) for r in results)  # noqa: E731
    assert single["results"] and as_text(report["results"]) == as_text(single["results"])
