"""A non-editable install into a fresh venv works from another directory: the data ships in the wheel.
`make test` runs this on every supported CPython the machine has."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from conftest import EXAMPLES, REPO


def durable_cppflags() -> str:
    """The flag the Makefile (and the README, for pip and pipx) builds durable-rules with."""
    (flags,) = re.findall(r"^DURABLE_CPPFLAGS := (.+)$", (REPO / "Makefile").read_text(encoding="utf-8"), re.M)
    return flags


def test_wheel_installs_into_a_fresh_venv_and_runs_elsewhere(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("ics_rules-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("ics_rules/_data/rulesets/ltp-2019.yaml", "ics_rules/_data/schemas/submission.schema.json",
                    "ics_rules/_data/schemas/ruleset.schema.json", "ics_rules/_data/schemas/report.schema.json",
                    "ics_rules/_data/reports/templates/text.j2", "ics_rules/_data/reference/geography-2022-07-01.json",
                    "ics_rules/_data/reference/geography-2026-04-01.json", "ics_rules/_data/reference/pcns.json",
                    "ics_rules/_data/reference/organisations.json", "ics_rules/reference/view.py",
                    "ics_rules/_data/rulesets/tests/ltp-2019.yaml", "ics_rules/_data/rulesets/matrix/ltp-2019.yaml",
                    "ics_rules/_data/examples/compliant.yaml", "ics_rules/_data/schemas/ruleset-tests.schema.json"):
        assert shipped in names, shipped
    assert not any(n.startswith(("tests/", "examples/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # As the README tells pip users, with the locked versions of what the wheel needs.
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    env = dict(os.environ, CPPFLAGS=durable_cppflags())
    subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(REPO / "requirements" / "build.txt")], check=True,
                   capture_output=True, timeout=900)
    subprocess.run([*pip, "--require-hashes", "--no-cache-dir", "--no-build-isolation", "-r", str(REPO / "requirements" / "runtime.txt")],
                   check=True, capture_output=True, timeout=900, env=env)
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, capture_output=True, timeout=900)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sub.yaml").write_bytes((EXAMPLES / "non-compliant.yaml").read_bytes())
    where = subprocess.run([str(python), "-c", "import ics_rules, sys; print(ics_rules.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where
    proc = subprocess.run([str(env_dir / "bin" / "ics-rules"), "check", "--format", "json", "sub.yaml"], cwd=elsewhere,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["rulesets"][0]["path"] == "rulesets/ltp-2019.yaml"
    assert report["summary"]["by_status"]["fail"] == 20
    text = subprocess.run([str(env_dir / "bin" / "ics-rules"), "check", "sub.yaml"], cwd=elsewhere, capture_output=True, text=True)
    assert "FAIL  LTP-1.52-PCN-CLINICAL-DIRECTOR" in text.stdout
    data = Path(where.strip()).parent / "_data"
    for inside in ("rulesets/ltp-2019.yaml", "rulesets/tests/ltp-2019.yaml", "schemas/report.schema.json",
                   "reports/templates/text.j2", "reference/geography-2022-07-01.json"):
        before = (data / inside).read_bytes()
        proc = subprocess.run([str(env_dir / "bin" / "ics-rules"), "check", "sub.yaml", "--format", "json", "--output", str(data / inside)],
                              cwd=elsewhere, capture_output=True, text=True)
        assert proc.returncode == 2 and "which ics-rules reads" in proc.stderr and (data / inside).read_bytes() == before, proc.stderr
    for command in (["test"], ["rules", "matrix"], ["rules", "show", "LTP-1.52-CHAIR-APPROVAL"]):
        proc = subprocess.run([str(env_dir / "bin" / "ics-rules"), *command], cwd=elsewhere, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr)
