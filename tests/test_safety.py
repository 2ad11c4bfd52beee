"""The guarantees of docs/security.md that are not about bad input: nothing lost, nothing runs that
should not, and the same inputs give the same bytes."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from ics_rules.output import REPORT_MARK, write_directory, write_file
from ics_rules.problems import InputError
from ics_rules.rulesets import load_ruleset
from conftest import EXAMPLES, REPO, run_cli
from test_rulesets import ruleset_text

NATIONAL = EXAMPLES / "national"


# --- nothing lost -------------------------------------------------------------------------------

SLOW_WRITER = """
import sys, time
from ics_rules.output import write_directory, write_file
def pieces():
    for i in range(1000):
        yield f"piece {i}\\n"
        if i == 3:
            print("started", flush=True)
        time.sleep(0.01)
if sys.argv[1] == "file":
    write_file(sys.argv[2], pieces())
else:
    write_directory(sys.argv[2], ((f"page-{i}.html", text) for i, text in enumerate(pieces())))
"""


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_a_run_killed_while_writing_leaves_the_old_report(tmp_path: Path, kind: str) -> None:
    target = tmp_path / ("report.json" if kind == "file" else "report")
    if kind == "file":
        target.write_text("the old report\n")
    else:
        write_directory(target, [("index.html", "old index"), ("page-1.html", "old page")])
    before = {p.name: p.read_bytes() for p in ([target] if kind == "file" else target.iterdir())}
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, kind, str(target)], stdout=subprocess.PIPE, cwd=REPO)
    assert writer.stdout is not None and writer.stdout.readline() == b"started\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    after = {p.name: p.read_bytes() for p in ([target] if kind == "file" else target.iterdir())}
    assert after == before


def test_a_report_that_fails_while_rendering_leaves_the_old_one_and_no_temporary_files(tmp_path: Path) -> None:
    def failing() -> Iterator[str]:
        yield "{\n"
        raise RuntimeError("renderer failed")

    def failing_pages() -> Iterator[tuple[str, str]]:
        yield "a.html", "a page"
        raise RuntimeError("renderer failed")
    (tmp_path / "r.json").write_text("old")
    with pytest.raises(RuntimeError):
        write_file(tmp_path / "r.json", failing())
    with pytest.raises(RuntimeError):
        write_directory(tmp_path / "pages", failing_pages())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"] and (tmp_path / "r.json").read_text() == "old"


def test_the_real_command_killed_at_any_moment_leaves_the_old_report_or_a_whole_new_one(tmp_path: Path) -> None:
    report = tmp_path / "national.json"
    report.write_text("old")
    seen = set()
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 30):
        proc = subprocess.Popen([sys.executable, "-m", "ics_rules", "check", str(NATIONAL), "--format", "json", "--output", str(report)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the workers too
            proc.wait()
        text = report.read_text()
        if text == "old":
            seen.add("old")
        else:
            assert json.loads(text)["summary"]["inputs"]["checked"] == 42  # whole, never a prefix
            seen.add("new")
            report.write_text("old")
    assert "new" in seen  # the last run, never killed, did finish


def test_ctrl_c_exits_130_quietly_and_leaves_the_old_report(tmp_path: Path) -> None:
    for copy in range(20):  # 840 submissions: long enough to interrupt on an idle machine too
        shutil.copytree(NATIONAL, tmp_path / "subs" / str(copy))
    report = tmp_path / "r.json"
    report.write_text("old")
    proc = subprocess.Popen([sys.executable, "-m", "ics_rules", "check", str(tmp_path / "subs"), "--format", "json", "-o", str(report)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the command and its workers
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Interrupted" in err.decode() and "Traceback" not in err.decode(), err.decode()[-2000:]
    assert report.read_text() == "old"


def test_an_output_that_would_replace_an_input_is_refused_before_any_work(tmp_path: Path) -> None:
    submissions = tmp_path / "subs"
    shutil.copytree(EXAMPLES, submissions, ignore=shutil.ignore_patterns("national*"))
    rules = tmp_path / "rules.yaml"
    rules.write_bytes((REPO / "rulesets" / "ltp-2019.yaml").read_bytes())
    waivers = tmp_path / "w.yaml"
    waivers.write_text("format: ics-waivers/1\nwaivers: []\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for args in (["check", str(submissions), "-o", str(submissions / "compliant.yaml")],       # a file inside a directory given
                 ["check", str(submissions / "compliant.yaml"), "--ruleset", str(rules), "-o", str(rules)],
                 ["check", str(submissions / "compliant.yaml"), "--waivers", str(waivers), "-o", str(waivers)],
                 ["check", str(submissions), "--format", "html", "-o", str(tmp_path)],            # a directory holding inputs
                 ["validate", str(submissions), "-o", str(submissions / "invalid.yaml")]):
        proc = run_cli(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert "which this check reads" in proc.stderr or "holds files ics-rules did not write" in proc.stderr, proc.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


READ_BY_ICS_RULES = ["rulesets/ltp-2019.yaml", "rulesets/matrix/ltp-2019.yaml", "rulesets/tests/ltp-2019.yaml",
                     "schemas/submission.schema.json", "reports/templates/text.j2", "reports/templates/html/report.css",
                     "reference/geography-2022-07-01.json", "examples/compliant.yaml", "ics_rules/cli.py"]


@pytest.mark.parametrize("target", READ_BY_ICS_RULES + ["rulesets", "reports/templates/html/"])
def test_an_output_over_anything_ics_rules_reads_is_refused(target: str, tmp_path: Path) -> None:
    """From a checkout (tests/test_packaging.py does the same from a wheel), run from the checkout and from elsewhere."""
    before = {p: p.read_bytes() for p in REPO.glob("[rsei]*/**/*") if p.is_file() and ".venv" not in p.parts}
    fmt = "html" if not Path(target).suffix else "json"
    for cwd, named in ((REPO, target), (tmp_path, str(REPO / target))):
        proc = run_cli("check", str(EXAMPLES / "non-compliant.yaml"), "--format", fmt, "--output", named, cwd=cwd)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "which ics-rules reads" in proc.stderr or "which this check reads" in proc.stderr, proc.stderr
    proc = run_cli("init", target, "--force")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert {p: p.read_bytes() for p in REPO.glob("[rsei]*/**/*") if p.is_file() and ".venv" not in p.parts} == before


def test_a_report_inside_a_directory_being_checked_is_refused(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(EXAMPLES / "compliant.yaml", subs / "a.yaml")
    (tmp_path / "link").symlink_to(subs)
    for fmt, output in (("json", subs / "report.json"), ("json", subs / "deeper" / "r.json"), ("html", subs / "html"),
                        ("json", tmp_path / "link" / "r.json")):
        proc = run_cli("check", str(subs), "--format", fmt, "--output", str(output))
        assert proc.returncode == 2 and "which is being checked" in proc.stderr, proc.stderr
    assert sorted(p.name for p in subs.rglob("*")) == ["a.yaml"]
    assert run_cli("check", str(subs), "--format", "json", "--output", str(tmp_path / "r.json")).returncode == 0


def _read_fifo(path: Path, into: list[bytes]) -> Any:
    import threading

    def read() -> None:
        with open(path, "rb") as fh:
            into.append(fh.read())
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("via_link", [False, True])
def test_a_fifo_is_written_through_never_replaced(tmp_path: Path, via_link: bool) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    target = fifo
    if via_link:
        target = tmp_path / "link"
        target.symlink_to(fifo)
    for command in (["check", str(EXAMPLES / "compliant.yaml"), "--format", "json", "--output", str(target)],
                    ["init", str(target)]):
        got: list[bytes] = []
        reader = _read_fifo(fifo, got)
        proc = run_cli(*command)
        reader.join(timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert got and got[0].startswith(b"{" if command[0] == "check" else b"# yaml-language-server"), got
        assert fifo.is_fifo() and (not via_link or target.is_symlink())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link"][: 1 + via_link]  # no temporary files left


def test_devices_and_links_to_them_are_written_through(tmp_path: Path) -> None:
    """Run as root (as CI does), renaming over /dev/stdout would succeed and make it a regular file."""
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    for target in (os.devnull, str(link)):
        assert run_cli("check", str(EXAMPLES / "compliant.yaml"), "--format", "json", "--output", target).returncode == 0
        assert run_cli("init", target).returncode == 0
    assert link.is_symlink() and Path(os.devnull).is_char_device()
    proc = run_cli("init", "/dev/stdout", "--force")
    assert proc.returncode == 0 and proc.stdout.startswith("# yaml-language-server") and "FILL IN" in proc.stderr
    proc = run_cli("check", str(EXAMPLES / "compliant.yaml"), "--format", "json", "--output", "/dev/stdout")
    assert proc.returncode == 0 and json.loads(proc.stdout)["summary"]["by_status"]["fail"] == 0
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == "/proc/self/fd/1"


def test_a_link_to_a_report_keeps_the_link_and_updates_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "2026-12.json"
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    assert run_cli("check", str(EXAMPLES / "compliant.yaml"), "--format", "json", "--output", str(link)).returncode == 0
    assert link.is_symlink() and json.loads(real.read_text())["format"] == "ics-rules-report/1"


def test_dash_is_standard_output_for_check_validate_and_init(tmp_path: Path) -> None:
    for args in (["check", str(EXAMPLES / "compliant.yaml"), "--format", "json"], ["validate", str(EXAMPLES / "compliant.yaml"), "--format", "json"]):
        proc = run_cli(*args, "--output", "-", cwd=tmp_path)
        assert proc.returncode == 0 and json.loads(proc.stdout)["command"] == args[0], proc.stderr
    proc = run_cli("init", "-", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == (EXAMPLES / "starter.yaml").read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_init_into_a_directory_writes_the_starter_inside_it(tmp_path: Path) -> None:
    proc = run_cli("init", "new/", cwd=tmp_path)
    assert proc.returncode == 0 and (tmp_path / "new" / "submission.yaml").is_file(), proc.stderr
    assert "ics-rules check new/submission.yaml" in proc.stderr
    (tmp_path / "there").mkdir()
    assert run_cli("init", "there", cwd=tmp_path).returncode == 0 and (tmp_path / "there" / "submission.yaml").is_file()
    again = run_cli("init", "there", cwd=tmp_path)
    assert again.returncode == 2 and "there/submission.yaml exists" in again.stderr


def test_a_directory_report_replaces_only_a_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run_cli("check", str(NATIONAL), "--format", "html", "--output", str(out)).returncode == 0
    first = sorted(p.name for p in out.iterdir())
    assert REPORT_MARK in first and "index.html" in first and len(first) == 44
    # a smaller batch replaces the whole report: no page of the earlier batch is left behind
    assert run_cli("check", str(EXAMPLES / "compliant.yaml"), str(EXAMPLES / "non-compliant.yaml"),
                   "--format", "html", "--output", str(out)).returncode == 1
    assert len([p for p in out.iterdir() if p.suffix == ".html"]) == 3
    # a directory of someone else's files is never replaced
    (out / "notes.txt").write_text("mine")
    proc = run_cli("check", str(EXAMPLES / "compliant.yaml"), "--format", "html", "--output", str(out) + "/")
    assert proc.returncode == 2 and "holds files ics-rules did not write (notes.txt)" in proc.stderr
    assert (out / "notes.txt").read_text() == "mine"
    (tmp_path / "a-file").write_text("mine")
    proc = run_cli("check", str(EXAMPLES / "compliant.yaml"), "--format", "html", "--output", str(tmp_path / "a-file"))
    assert proc.returncode == 2 and "is a file" in proc.stderr and (tmp_path / "a-file").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging directory left behind


# --- nothing runs that should not --------------------------------------------------------------

def test_yaml_tags_in_any_input_are_refused_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = f"!!python/object/apply:os.system ['touch {marker}']"
    for name, text in [("s.yaml", f"format: ics-submission/1\nics: {payload}\n"),
                       ("r.yaml", ruleset_text(("A", "ics", "{field: chair_name, present: true}")).replace("id: test", f"id: {payload}")),
                       ("w.yaml", f"format: ics-waivers/1\nwaivers: {payload}\n")]:
        (tmp_path / name).write_text(text)
    runs = [run_cli("check", str(tmp_path / "s.yaml")),
            run_cli("check", str(EXAMPLES / "compliant.yaml"), "--ruleset", str(tmp_path / "r.yaml")),
            run_cli("check", str(EXAMPLES / "compliant.yaml"), "--waivers", str(tmp_path / "w.yaml"))]
    for proc in runs:
        assert proc.returncode == 2 and "tags are not allowed here" in proc.stdout + proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize("template, words", [
    ("{{ ''.__class__.__mro__ }}", "names starting with '_' are not fields"),
    ("{{ name._private }}", "names starting with '_' are not fields"),
    ("{{ name | attr('__class__') }}", "the filter 'attr'"),
    ("{{ 'x' * 1000000000 }}", "multiplies"),
    ("{{ 10 ** 10 ** 10 }}", "raises to a power"),
    ("{% for i in range(1000000000) %}x{% endfor %}", "calls a function or method"),
    ("{{ '{0.__class__}'.format(name) }}", "calls a function or method"),
    ("{% include 'x.html' %}", "uses 'Include'"),
    ("{% macro m() %}x{% endmacro %}", "uses 'Macro'"),
    ("{{ members | map('pprint') | join }}", "map('pprint')"),
    ("{{ name | mystery }}", "the filter 'mystery'"),
])
def test_a_ruleset_message_may_only_show_data(write: Callable[..., Path], template: str, words: str) -> None:
    path = write(ruleset_text(("A", "ics", "{field: chair_name, present: true}"), message=template.replace('"', '\\"')), "rules.yaml")
    with pytest.raises(InputError) as info:
        load_ruleset(path, "rules.yaml")
    (problem,) = info.value.problems
    assert problem.line and words in problem.message and "rule T-1.52-A" in problem.message, problem


EVIL = {"ics_name": "{{ 7*7 }} \x1b]0;pwned\x07 ICS\rPASS", "org_name": "<script>alert(1)</script><img src=https://example.com/t.gif>\n  PASS  FAKE",
        "chair": "{% raw %}{{ ''.__class__ }}", "pcn": "![b](https://example.com/beacon.png) \u202eevil"}


@pytest.fixture
def evil_submission(submission: dict[str, Any], write: Callable[..., Path]) -> Path:
    submission["ics"]["name"] = EVIL["ics_name"]
    submission["organisations"][1]["name"] = EVIL["org_name"]
    submission["partnership_board"]["chair"]["name"] = EVIL["chair"]
    submission["primary_care_networks"][0]["name"] = EVIL["pcn"]
    return write(submission, "evil.json")


def test_submitted_text_is_data_in_every_format(evil_submission: Path, tmp_path: Path) -> None:
    outputs = {fmt: run_cli("check", str(evil_submission), "-v", "--format", fmt) for fmt in ("text", "json", "markdown", "github", "sarif", "junit")}
    for fmt, proc in outputs.items():
        assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, fmt
        assert re.search(r"\{\{ 7\\?\*7 \}\}", proc.stdout), fmt  # shown as written, in each format's escaping
        assert not re.search(r"49 (\\x1b|\x1b|\\u001b|%1B)", proc.stdout, re.I), fmt  # never rendered
    messages = [r["message"] for r in json.loads(outputs["json"].stdout)["results"]]
    shown = lambda text: " ".join(text.split())  # noqa: E731 - messages put every run of white space as one space
    assert any(shown(EVIL["ics_name"]) in m for m in messages) and any(shown(EVIL["chair"]) in m for m in messages)
    for fmt in ("text", "markdown"):  # terminal and comment: no control character, no forged line
        out = outputs[fmt].stdout
        assert not any(c in out for c in "\x1b\x07\r\u202e") and "pwned" in out, fmt
        assert not any(line.lstrip().startswith("PASS  FAKE") for line in out.splitlines()), fmt
    assert "<script>" not in outputs["markdown"].stdout and "![b](" not in outputs["markdown"].stdout
    page = tmp_path / "evil.html"
    assert run_cli("check", str(evil_submission), "--format", "html", "--output", str(page)).returncode in (0, 1)
    html = page.read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=https://example.com" not in html


class _References(HTMLParser):
    """Every address a browser would load or follow: attributes that take one, and CSS url()/@import."""

    ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background", "xlink:href", "manifest"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.found.append(value)
            if name == "style" and value:
                self.handle_data(value, force=True)

    def handle_data(self, data: str, force: bool = False) -> None:
        if self._in_style or force:
            self.found += re.findall(r"url\(\s*['\"]?([^'\")]*)", data) + ["@import"] * data.count("@import")


def test_no_report_refers_to_anything_on_the_network(evil_submission: Path, tmp_path: Path) -> None:
    """Self-contained: every address in a page is a fragment, another page of the report or inline
    data (submitted URLs are only ever text)."""
    out = tmp_path / "html"
    assert run_cli("check", str(NATIONAL), str(evil_submission), "--format", "html", "--output", str(out)).returncode in (0, 1)
    pages = {p.name for p in out.glob("*.html")}
    for page in out.glob("*.html"):
        parser = _References()
        parser.feed(page.read_text())
        leaving = [a for a in parser.found if not (a.startswith(("#", "data:")) or a.split("#")[0] in pages)]
        assert leaving == [], (page.name, leaving[:3])


# Calls that run code or reach the network, by module. pickle only reads back the report's own spool:
# an unnamed temporary file this process wrote (report.py), never an input.
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "os.system", "os.popen", "yaml.load", "yaml.unsafe_load",
                    "yaml.full_load", "yaml.load_all", "marshal.loads", "pickle.loads", "pickle.load", "shelve.open"}
_ALLOWED = {("report.py", "pickle.loads")}
_NETWORK_MODULES = {"socket", "urllib", "http", "ftplib", "smtplib", "requests", "httpx", "aiohttp", "xmlrpc", "webbrowser", "subprocess"}
# String handling only: SARIF's URIs are percent-encoded with urllib.parse.quote, which opens nothing.
_HARMLESS_MODULES = {"urllib.parse"}


def test_the_package_has_no_eval_no_unsafe_loading_and_no_network_code() -> None:
    import ast

    found = []
    for path in sorted((REPO / "ics_rules").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if (name in _FORBIDDEN_CALLS or name.startswith(("os.exec", "os.spawn"))) and (path.name, name) not in _ALLOWED:
                    found.append(f"{path.name}:{node.lineno}: {name}()")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{path.name}:{node.lineno}: import {m}" for m in modules
                          if m.split(".")[0] in _NETWORK_MODULES and m not in _HARMLESS_MODULES]
    assert found == []


def test_a_check_and_every_report_format_run_with_the_network_gone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import socket

    from ics_rules.api import check
    from ics_rules.renderers import RENDERERS, chunks_of, get_renderer, pages_of

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("something tried to use the network")
    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, no_network)
    report = check([str(EXAMPLES / "non-compliant.yaml")])
    for fmt in RENDERERS:
        renderer = get_renderer(fmt)
        pages = pages_of(renderer)
        text = "".join(t for _, t in pages(report, fail_on="required")) if pages else "".join(chunks_of(renderer, report, color=False, verbose=True, fail_on="required"))
        assert text, fmt


# --- same inputs, same bytes -------------------------------------------------------------------

def _report_bytes(cwd: Path, env: dict[str, str], *args: str) -> dict[str, bytes]:
    out = cwd / "out"
    shutil.rmtree(out, ignore_errors=True)
    run_env = {k: v for k, v in os.environ.items() if k not in ("TZ", "LANG", "LC_ALL", "PYTHONHASHSEED")}
    subprocess.run([sys.executable, "-m", "ics_rules", "check", "subs", "--format", "json", "--output", "out/r.json", *args],
                   cwd=cwd, env={**run_env, **env}, check=False, capture_output=True)
    subprocess.run([sys.executable, "-m", "ics_rules", "check", "subs", "--format", "html", "--output", "out/html", *args],
                   cwd=cwd, env={**run_env, **env}, check=False, capture_output=True)
    subprocess.run([sys.executable, "-m", "ics_rules", "check", "subs/QE1-lancashire-and-south-cumbria.yaml", "--format", "html",
                    "--output", "out/one.html", *args], cwd=cwd, env={**run_env, **env}, check=False, capture_output=True)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_json_and_html_reports_are_byte_identical_across_runs_and_machines(tmp_path: Path) -> None:
    """Two "machines": different directories, time zones, locales, hash seeds, worker counts and
    caches; the same inputs and SOURCE_DATE_EPOCH must give the same bytes."""
    machines = []
    for name, env, jobs in [("a", {"TZ": "UTC", "LANG": "C.UTF-8", "PYTHONHASHSEED": "1", "ICS_RULES_CACHE_DIR": "off"}, "1"),
                            ("b", {"TZ": "Pacific/Chatham", "LANG": "en_GB.UTF-8", "PYTHONHASHSEED": "4242",
                                   "ICS_RULES_CACHE_DIR": str(tmp_path / "cache")}, "2")]:
        home = tmp_path / name
        shutil.copytree(NATIONAL, home / "subs")
        machines.append(_report_bytes(home, {**env, "SOURCE_DATE_EPOCH": "1700000000"}, "--jobs", jobs))
    a, b = machines
    assert len(a) == 46 and a.keys() == b.keys()  # json, one html page, 42 pages + index + mark
    assert [name for name in a if a[name] != b[name]] == []
    assert b'"generated_at": "2023-11-14T22:13:20Z"' in a["r.json"] and b"2023-11-14" in a["html/index.html"]


def test_every_jinja2_environment_is_sandboxed() -> None:
    from jinja2.sandbox import SandboxedEnvironment

    from ics_rules import templating
    from ics_rules.renderers import html

    assert isinstance(templating._environment(), SandboxedEnvironment) and isinstance(html._environment(), SandboxedEnvironment)
    # the text renderer builds its own per report: no module may build any other kind
    assert not [p for p in (REPO / "ics_rules").rglob("*.py") if re.search(r"(?<!Sandboxed)Environment\(", p.read_text())]


# ---- hostile input, round two: paths that are not files, and workers that outlive their parent ----

def test_a_fifo_given_as_a_submission_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "link.yaml"
    link.symlink_to(fifo)
    for target in (fifo, link):
        proc = subprocess.run([sys.executable, "-m", "ics_rules", "check", str(target)], cwd=REPO, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 2 and "is a FIFO, not a file; only files are checked" in proc.stdout + proc.stderr


def test_a_batch_reports_every_path_it_does_not_check(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    (subs / "inner").mkdir(parents=True)
    shutil.copy(NATIONAL / "QOP-greater-manchester.yaml", subs)
    shutil.copy(NATIONAL / "QE1-lancashire-and-south-cumbria.yaml", subs / "inner")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(NATIONAL / "QYG-cheshire-and-merseyside.yaml", elsewhere)
    (subs / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    (subs / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(subs / "pipe.yaml")
    (subs / "linked").symlink_to(elsewhere)
    proc = subprocess.run([sys.executable, "-m", "ics_rules", "check", str(subs), "--format", "json"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    inputs = {Path(i["path"]).name: (i["status"], [p["message"] for p in i["problems"]]) for i in json.loads(proc.stdout)["inputs"]}
    assert inputs["QOP-greater-manchester.yaml"][0] == inputs["QE1-lancashire-and-south-cumbria.yaml"][0] == "checked"
    assert inputs["dangling.yaml"] == ("invalid", ["a link whose target does not exist"])
    assert inputs["zero.yaml"] == ("invalid", ["is a device, not a file; only files are checked"])
    assert inputs["pipe.yaml"] == ("invalid", ["is a FIFO, not a file; only files are checked"])
    assert inputs["linked"][0] == "invalid" and "a link to a folder, which a folder's check does not follow" in inputs["linked"][1][0]
    assert "QYG-cheshire-and-merseyside.yaml" not in inputs


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent_however_it_dies(how: signal.Signals, tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "ics_rules", "check", str(NATIONAL), str(EXAMPLES / "national-faulty"),
                             "--format", "json", "--output", str(tmp_path / "r.json"), "--jobs", "2"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        found = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        workers = [int(w) for w in found]
    assert len(workers) >= 2, "the batch never started its workers"
    proc.send_signal(how)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [w for w in workers if _running(w)]
    assert alive == [], f"workers {alive} outlived their parent ({how.name})"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_text_format_lets_no_line_start_a_workflow_command_and_no_control_through(tmp_path: Path) -> None:
    name = "::stop-commands::tok.yaml"
    (tmp_path / name).write_text('format: ics-submission/1\nics: {name: X, code: QOP, region: Y62, as_at: 2023-04-01, '
                                 'footprint: ["00T\\n::error file=README.md,line=1::FORGED\\u001b[31m\\u0007"]}\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "ics_rules", "check", name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    out = proc.stdout + proc.stderr
    assert "stop-commands" in out and "FORGED" in out  # shown, escaped
    assert not [line for line in out.splitlines() if line.lstrip().startswith("::")]
    assert "\x1b" not in out and "\x07" not in out
