"""Batches: worker processes, crash isolation, progress on a terminal, and the system rules."""
from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections import Counter
from pathlib import Path

import ics_rules
from ics_rules.batch import CRASH_ENV, WorkerPool
from conftest import EXAMPLES, REPO, run_cli

NATIONAL = EXAMPLES / "national"
FAULTY = EXAMPLES / "national-faulty"
SYSTEM_KINDS = {"national_area", "batch_ics", "batch_organisation", "batch_pcn", "region_icb"}


def test_the_national_example_covers_england_once_and_passes_every_system_rule() -> None:
    report = ics_rules.check([str(NATIONAL)])
    assert len(report.inputs) == 42 and {i.status for i in report.inputs} == {"checked"}
    assert report.system is not None and report.system.submissions == 42 and len(report.system.regions) == 7
    system = report.system_results()
    assert Counter(r.rule_id for r in system) == {
        "LTP-1.51-AREA-COVERED-ONCE": 106, "LTP-1.52-SENATE-WHOLE-ICS": 106, "LTP-1.52-ALLIANCE-WHOLE-ICS": 42,
        "LTP-1.51-ICB-SUBMITTED": 42, "LTP-1.51-BATCH-ONE-EDITION": 42,
        "LTP-1.51-ORGANISATION-ONE-ICS": len({r.subject.id for r in system if r.rule_id == "LTP-1.51-ORGANISATION-ONE-ICS"}),
        "LTP-1.51-PCN-ONE-ICS": len({r.subject.id for r in system if r.rule_id == "LTP-1.51-PCN-ONE-ICS"})}
    assert {r.status for r in system} == {"pass"}
    assert report.exit_code() == 0  # what fails (populations outside 1 to 3 million) is only expected


def test_the_faulty_national_example_names_each_gap_overlap_split_and_double_claim() -> None:
    report = ics_rules.check([str(FAULTY)])
    failing = sorted((r.rule_id, r.subject.id) for r in report.system_results() if r.status == "fail")
    assert failing == [
        ("LTP-1.51-AREA-COVERED-ONCE", "00P"),  # a gap: QHM left it out
        ("LTP-1.51-AREA-COVERED-ONCE", "00T"),  # an overlap: QE1 and QOP
        ("LTP-1.51-ORGANISATION-ONE-ICS", "R0A"),
        ("LTP-1.51-PCN-ONE-ICS", "U00203"),  # RX7, listed by QE1 with hosted: false and by QYG unsaid, is no double claim
        ("LTP-1.52-ALLIANCE-WHOLE-ICS", "QE1"),
        ("LTP-1.52-ALLIANCE-WHOLE-ICS", "QYG"),
        ("LTP-1.52-SENATE-WHOLE-ICS", "00T"),
    ]
    messages = {(r.rule_id, r.subject.id): r.message for r in report.system_results()}
    assert messages[("LTP-1.51-AREA-COVERED-ONCE", "00P")] == (
        "NHS North East and North Cumbria ICB - 00P (00P) is covered by no ICS in this batch; on 2023-04-01 it belongs to "
        "NHS North East and North Cumbria Integrated Care Board (QHM).")
    assert "(QE1, " in messages[("LTP-1.51-AREA-COVERED-ONCE", "00T")]
    assert "national-faulty/QE1-lancashire-and-south-cumbria.yaml:27), Greater Manchester Integrated Care System (QOP, " \
        in messages[("LTP-1.51-AREA-COVERED-ONCE", "00T")]
    assert messages[("LTP-1.52-ALLIANCE-WHOLE-ICS", "QYG")].endswith(
        "Lancashire & South Cumbria Cancer Alliance (E56000018: 02M).")
    # 02M moved from QE1 to QYG: not a gap and not an overlap, but QYG is now split.
    assert messages[("LTP-1.51-AREA-COVERED-ONCE", "02M")].endswith("is covered by Cheshire and Merseyside Integrated Care System (QYG).")


def test_a_crash_in_one_worker_costs_that_submission_only(tmp_path: Path) -> None:
    env = dict(os.environ, **{CRASH_ENV: "QE1-"})  # that worker kills itself with SIGSEGV, as an engine crash would
    proc = subprocess.run([sys.executable, "-m", "ics_rules", "check", "--format", "json", str(NATIONAL)], cwd=REPO,
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    statuses = Counter(i["status"] for i in report["inputs"])
    assert statuses == {"checked": 41, "error": 1}
    crashed = next(i for i in report["inputs"] if i["status"] == "error")
    assert crashed["path"].endswith("QE1-lancashire-and-south-cumbria.yaml")
    assert "the rules engine crashed while checking this submission: the process checking it stopped (signal SIGSEGV)" in crashed["problems"][0]["message"]
    checked_files = {r["subject"]["file"] for r in report["results"] if r["subject"]["kind"] not in SYSTEM_KINDS}
    assert len(checked_files) == 41 and not any("QE1" in f for f in checked_files)
    # The system checks ran without it, and say so: its ICB has no submission checked (once, not a gap per area).
    assert report["system"]["left_out"] == [crashed["path"]] and report["system"]["submissions"] == 41
    failing = sorted((r["rule_id"], r["subject"]["id"]) for r in report["results"]
                     if r["subject"]["kind"] in SYSTEM_KINDS and r["status"] == "fail")
    assert failing == [("LTP-1.51-ICB-SUBMITTED", "QE1")]


def test_a_pool_replaces_a_dead_worker_and_keeps_going() -> None:
    os.environ[CRASH_ENV] = "non-compliant"
    try:
        with WorkerPool(2, None) as pool:
            tasks = [("check", (str(EXAMPLES / name), None, None)) for name in ("compliant.yaml", "non-compliant.yaml", "compliant.yaml", "invalid.yaml")]
            outcomes = pool.run(tasks)
            assert len(pool.workers) == 2 and all(p.is_alive() for p, _ in pool.workers)
    finally:
        del os.environ[CRASH_ENV]
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Checked", "Crash", "Checked", "Checked"]
    assert outcomes[0][0].status == "checked" and outcomes[3][0].status == "invalid"


def test_an_unreadable_file_in_a_batch_is_reported_and_the_rest_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for path in (NATIONAL / "QE1-lancashire-and-south-cumbria.yaml", NATIONAL / "QOP-greater-manchester.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "broken.yaml").write_bytes(b"ics: {name: [\n")
    (folder / "binary.yaml").write_bytes(b"\x00\xff\xfe")
    proc = run_cli("check", "--format", "json", str(folder))
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert Counter(i["status"] for i in report["inputs"]) == {"checked": 2, "invalid": 2}
    assert report["system"]["submissions"] == 2 and len(report["system"]["left_out"]) == 2


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with standard error on a pseudo-terminal, as a reviewer's shell would."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ics_rules", *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=300), b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_and_nowhere_else() -> None:
    code, err = _run_on_a_terminal(["check", str(NATIONAL)])
    assert code == 0
    assert "42/42" in err and "\r[" in err and "#" * 30 in err
    quiet = run_cli("check", str(NATIONAL))
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_national_html_has_an_index_and_a_page_per_submission(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("check", str(NATIONAL), "--format", "html", "--output", str(out) + "/")
    assert proc.returncode == 0, proc.stderr
    pages = sorted(p.name for p in out.glob("*.html"))
    assert len(pages) == 43 and "index.html" in pages
    assert {p.removesuffix(".html") for p in pages} - {"index"} == {p.stem for p in NATIONAL.glob("*.yaml")}
    index = (out / "index.html").read_text(encoding="utf-8")
    for stem in (p.stem for p in NATIONAL.glob("*.yaml")):
        assert f'href="{stem}.html"' in index
    single = run_cli("check", str(NATIONAL), "--format", "html", "--output", str(tmp_path / "one.html"))
    assert single.returncode == 2 and "give --output DIRECTORY" in single.stderr


def test_a_resubmission_supersedes_the_earlier_submission_of_its_ics_in_the_system_checks(tmp_path: Path) -> None:
    """A batch holding two submissions of one ICS (a reviewer's archive) checks the system with the latest
    of each, by as_at, and names the earlier one, instead of reporting every area as claimed twice."""
    north_west = sorted(NATIONAL.glob("Q[EY]*.yaml"))[:2] + sorted(NATIONAL.glob("QOP*.yaml"))
    qe1 = next(p for p in north_west if p.name.startswith("QE1"))
    earlier = tmp_path / "QE1-2022.yaml"
    earlier.write_text(qe1.read_text(encoding="utf-8").replace("as_at: '2023-04-01'", "as_at: '2022-12-01'"), encoding="utf-8")
    report = ics_rules.check([str(earlier)] + [str(p) for p in north_west])
    assert report.system is not None and report.system.superseded == [str(earlier)]
    assert report.system.submissions == len(north_west)
    assert not [r for r in report.system_results() if r.status == "fail"]
    assert [i.status for i in report.inputs] == ["checked"] * (len(north_west) + 1)  # still checked on its own
    later = tmp_path / "QE1-2024.yaml"
    later.write_text(qe1.read_text(encoding="utf-8").replace("as_at: '2023-04-01'", "as_at: '2024-01-01'"), encoding="utf-8")
    report = ics_rules.check([str(later)] + [str(p) for p in north_west])
    assert report.system is not None and report.system.superseded == [str(qe1)] and report.system.as_of == "2024-01-01"
    text = run_cli("check", str(later), *map(str, north_west)).stdout
    assert f"Superseded by a later submission of the same ICS, so not included: 1 ({qe1})" in text


def test_workers_are_forked_only_from_a_process_that_has_not_loaded_the_engine() -> None:
    """Forking copies the parent; durable_rules' C state must never be copied into a worker."""
    import durable_rules_engine  # noqa: F401  (as this test process has, once any rule was evaluated)

    from ics_rules.batch import start_method

    assert start_method() == "spawn"
    fresh = subprocess.run([sys.executable, "-c", "import ics_rules.cli, sys; from ics_rules.batch import start_method; "
                            "print(start_method(), 'durable_rules_engine' in sys.modules)"], capture_output=True, text=True, check=True)
    assert fresh.stdout.split() == ["fork", "False"]
