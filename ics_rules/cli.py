"""The `ics-rules` command: parse options, call the library, print, choose the exit code. Nothing else."""
from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from .version import __version__
from .output import STDOUT, cannot_replace, why_not, write_directory, write_file, writes_through
from .problems import EngineUnavailable, InputError
from .renderers import RENDERERS, chunks_of, get_renderer, pages_of
from .report import FAIL_ON_LEVELS, Report
from .results import SEVERITIES


class _OutputError(click.ClickException):
    exit_code = 2  # a place we cannot write to is a usage problem, not a finding


def _as_of(_ctx: Any, _param: Any, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _wants_directory(output: str, fmt: str) -> bool:
    if output == STDOUT or writes_through(output):
        return False
    return output.endswith(("/", os.sep)) or Path(output).is_dir() or (fmt == "html" and not output.lower().endswith((".html", ".htm")))


def _emit(report: Report, fmt: str, output: str | None, verbose: bool, fail_on: str) -> None:
    output = None if output == STDOUT else output
    renderer = get_renderer(fmt)
    several = len(report.inputs) > 1
    if output and _wants_directory(output, fmt):
        render_pages = pages_of(renderer)
        if render_pages is None:
            raise click.UsageError(f"--format {fmt} writes one file; give a file name to --output, not a directory")
        try:
            written = write_directory(output, render_pages(report, fail_on=fail_on))  # each page written as rendered
        except FileExistsError as exc:
            raise click.UsageError(str(exc)) from None
        except OSError as exc:
            raise _OutputError(f"cannot write the report to {output}: {exc.strerror or exc}") from None
        click.echo(f"Wrote {written} pages to {output} (start at {Path(output) / 'index.html'}).", err=True)
        return
    if several and pages_of(renderer) is not None:
        raise click.UsageError(f"--format {fmt} writes an index and one page per submission for a batch: give --output DIRECTORY")
    color = fmt == "text" and output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    chunks = chunks_of(renderer, report, color=color, verbose=verbose, fail_on=fail_on)
    if output:
        try:
            write_file(output, chunks)
        except OSError as exc:
            raise _OutputError(f"cannot write the report to {output}: {exc.strerror or exc}") from None
    else:
        pending: list[str] = []
        for chunk in chunks:  # a few large writes, not one per result
            pending.append(chunk)
            if len(pending) >= 1000:
                click.echo("".join(pending), nl=False)
                pending.clear()
        click.echo("".join(pending), nl=False)


def _check_output_plan(inputs: list[str], fmt: str, output: str | None) -> None:
    """Refuse an impossible or destructive output before doing any work, not after a long batch."""
    has_pages = pages_of(get_renderer(fmt)) is not None
    to_directory = bool(output) and _wants_directory(output or "", fmt)
    if to_directory and not has_pages:
        raise click.UsageError(f"--format {fmt} writes one file; give a file name to --output, not a directory")
    if has_pages and not to_directory and len(inputs) > 1:
        raise click.UsageError(f"--format {fmt} writes an index and one page per submission for a batch: give --output DIRECTORY")
    refusal = cannot_replace(output) if output and to_directory else None
    if refusal:
        raise click.UsageError(f"--output {refusal}")


def _progress_bar() -> Any:
    """A one-line counter on standard error, only when it is a terminal (never in logs or pipes)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, path: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        name = Path(path).name[:40]
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<40}")
        if done >= total:
            sys.stderr.write("\r" + " " * (width + 55) + "\r")
        sys.stderr.flush()
    return show


def _refuse_overwriting_inputs(paths: tuple[str, ...], reads: list[str], output: str | None) -> None:
    """A report written over anything the run reads would lose it, and one written into a directory
    being checked would be read as a submission next time: refuse before any work."""
    refusal = why_not(output, reads, [p for p in paths if p != STDOUT and Path(p).is_dir()]) if output else None
    if refusal:
        raise click.UsageError(f"--output {refusal}")


_format = click.option("--format", "fmt", type=click.Choice(list(RENDERERS)), default="text", show_default=True,
                       help="Output format.")
_output = click.option("--output", "-o", type=click.Path(), help="Write the report to this file (- for standard output), whole "
                       "or not at all; never over a file the check reads, nor into a directory it checks; a device or FIFO "
                       "is written through. For --format html, a directory gets an index page and one page per submission, "
                       "replacing the directory whole: it must be new, empty or an earlier report.")


class _Group(click.Group):
    """Ctrl-C says so and exits 130, as shells expect: click's own "Aborted!" exits 1, which here means
    failures were found. A rules engine that cannot be imported says why and what to do, and exits 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nInterrupted; a report named by --output is left as it was.", err=True)
            ctx.exit(130)
        except EngineUnavailable as exc:  # an installation problem: what to do, not a traceback
            click.echo(str(exc), err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ics-rules")
def main() -> None:
    """Check Integrated Care System submissions against the NHS Long Term Plan (January 2019).

    Exit codes: 0 nothing fails at or above --fail-on; 1 failures; 2 bad input, bad ruleset or usage;
    130 interrupted (Ctrl-C).
    """


@main.command(short_help="Check submissions against the rules (files, directories, - for standard input).")
@click.argument("paths", nargs=-1, required=True)
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(dir_okay=False),
              help="A ruleset file (repeatable). Default: the bundled rulesets.")
@click.option("--as-of", callback=_as_of, metavar="YYYY-MM-DD",
              help="Date to check against. Default: each submission's ics.as_at.")
@_format
@_output
@click.option("--fail-on", type=click.Choice(FAIL_ON_LEVELS), default="required", show_default=True,
              help="Lowest severity whose failures make the exit code 1.")
@click.option("--verbose", "-v", is_flag=True, help="List passing and not-applicable results too.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for a batch. Default: one per core.")
@click.option("--rule", "rule_patterns", multiple=True, metavar="ID",
              help="Report only this rule (repeatable; globs such as 'LTP-1.52-BOARD-*').")
@click.option("--skip-rule", "skip_patterns", multiple=True, metavar="ID", help="Leave this rule out (repeatable; globs).")
@click.option("--severity", "severities", multiple=True, type=click.Choice(list(SEVERITIES)),
              help="Report only results of this severity (repeatable). What is not reported cannot fail the run.")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Agreed exceptions: a YAML file as `ics-rules schema waivers` describes.")
@click.option("--no-waivers", is_flag=True, help="Ignore --waivers: the raw picture, for reviewers.")
def check(paths: tuple[str, ...], rulesets: tuple[str, ...], as_of: str | None, fmt: str, output: str | None,
          fail_on: str, verbose: bool, jobs: int | None, rule_patterns: tuple[str, ...], skip_patterns: tuple[str, ...],
          severities: tuple[str, ...], waivers: str | None, no_waivers: bool) -> None:
    """Check submissions (files, directories, or - for standard input) against the rules.

    Several submissions are checked in worker processes (a crash costs one submission, reported as an
    error) and then together as a system: every area covered by exactly one ICS, Cancer Alliances and
    Clinical Senates made of whole ICSs, no trust or PCN claimed twice."""
    from .api import check as run_check, expand_paths

    submissions = expand_paths(paths)
    _refuse_overwriting_inputs(paths, [*submissions, *rulesets, *([waivers] if waivers else [])], output)
    _check_output_plan(submissions, fmt, output)
    from .selection import Selection

    try:
        report = run_check(paths, rulesets=list(rulesets) or None, as_of=as_of, jobs=jobs, progress=_progress_bar(),
                           select=Selection(rule_patterns, skip_patterns, severities), waivers=None if no_waivers else waivers)
    except InputError as exc:
        _fail_on_input(exc, "Nothing was checked: fix the problems above (a ruleset, the waivers file or an option).")
    _emit(report, fmt, output, verbose, fail_on)
    sys.exit(report.exit_code(fail_on))


@main.command(short_help="Check submissions against the schema and their organisation references only.")
@click.argument("paths", nargs=-1, required=True)
@_format
@_output
def validate(paths: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Run the schema and reference checks alone."""
    from .api import expand_paths, validate as run_validate

    _refuse_overwriting_inputs(paths, expand_paths(paths), output)
    report = run_validate(paths)
    _emit(report, fmt, output, False, "required")
    sys.exit(report.exit_code())


def _fail_on_input(exc: InputError, what: str) -> None:
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    click.echo(what, err=True)
    sys.exit(2)


_ruleset_option = click.option("--ruleset", "rulesets", multiple=True, type=click.Path(dir_okay=False, exists=True),
                               help="A ruleset file (repeatable). Default: the bundled rulesets.")
_listing_format = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                               help="Output format.")


def _echo_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@main.command(short_help="Write a starter submission to fill in.")
@click.argument("path", default="submission.yaml", type=click.Path())
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: str, force: bool) -> None:
    """Write a starter submission to PATH (default submission.yaml; into PATH if it is a directory; - for
    standard output) that validates and shows every section, and list the placeholders to fill in."""
    from .api import starter_placeholders, starter_submission

    if path != STDOUT and (path.endswith(("/", os.sep)) or Path(path).is_dir()):
        path = os.path.join(path, "submission.yaml")
    if path != STDOUT and not writes_through(path) and Path(path).exists() and not force:
        raise click.UsageError(f"{path} exists; choose another path or add --force")
    refusal = why_not(path, [])
    if refusal:
        raise click.UsageError(refusal)
    try:
        if path == STDOUT:
            click.echo(starter_submission(), nl=False)
        else:
            write_file(path, starter_submission())
    except OSError as exc:
        raise _OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    shown = "the starter" if path == STDOUT or writes_through(path) else path
    placeholders = starter_placeholders()
    click.echo(f"Wrote {shown}. It validates, but it will not check clean until you replace the {len(placeholders)} "
               "placeholders marked FILL IN with your ICS's own values:", err=True)
    for line, what in placeholders:
        click.echo(f"  line {line}: {what}", err=True)
    if shown == path:
        click.echo(f"Then: ics-rules check {path}", err=True)


@main.command(short_help="Print a JSON Schema: submission, ruleset, report, waivers, ruleset-tests or matrix.")
@click.argument("name", type=click.Choice(["submission", "ruleset", "report", "waivers", "ruleset-tests", "matrix"]))
def schema(name: str) -> None:
    """Print a JSON Schema: submission, ruleset, report, waivers, ruleset-tests or matrix."""
    from .api import schema_text

    click.echo(schema_text(name), nl=False)


@main.group(short_help="List the rules, show one, or print the traceability matrix.")
def rules() -> None:
    """List the rules, show one, or print the traceability matrix from the plan to the rules."""


@rules.command("list", short_help="Every rule: id, severity, scope, paragraph, dates in force, title.")
@_ruleset_option
@_listing_format
def rules_list(rulesets: tuple[str, ...], fmt: str) -> None:
    """Every rule: id, severity, scope, paragraph, dates in force and title."""
    from .api import load_rules
    from .listing import rule_to_dict, rules_table

    try:
        loaded = load_rules(list(rulesets) or None)
    except InputError as exc:
        _fail_on_input(exc, "The ruleset is invalid.")
    if fmt == "json":
        _echo_json([{"id": rs.id, "version": rs.version, "rules": [rule_to_dict(r) for r in rs.rules]} for rs in loaded])
    else:
        click.echo(rules_table(loaded), nl=False)


@rules.command("show", short_help="One rule in full: citation, dates, condition in words, remediation.")
@click.argument("rule_id")
@_ruleset_option
@_listing_format
def rules_show(rule_id: str, rulesets: tuple[str, ...], fmt: str) -> None:
    """One rule: title, severity, dates, citation and quote, its condition in words, and remediation."""
    from .api import load_rules
    from .listing import rule_detail, rule_to_dict

    try:
        loaded = load_rules(list(rulesets) or None)
    except InputError as exc:
        _fail_on_input(exc, "The ruleset is invalid.")
    found = [r for rs in loaded for r in rs.rules if r.id == rule_id.upper()]
    if not found:
        near = [r.id for rs in loaded for r in rs.rules if rule_id.upper() in r.id]
        hint = f" Did you mean: {', '.join(near[:5])}?" if near else " `ics-rules rules list` shows them all."
        raise click.UsageError(f"no rule '{rule_id}'.{hint}")
    if fmt == "json":
        _echo_json(rule_to_dict(found[0]))
    else:
        click.echo(rule_detail(found[0]), nl=False)


@rules.command("matrix", short_help="Every requirement sentence of the sources, with the rules that check it.")
@_ruleset_option
@_listing_format
def rules_matrix(rulesets: tuple[str, ...], fmt: str) -> None:
    """Every requirement sentence of the sources, with the rules covering it or why none can.

    Exits 2 when the matrix and the ruleset disagree (a rule in no row, a cited paragraph the matrix
    lacks, a row naming a rule that does not exist)."""
    from .api import traceability
    from .listing import matrix_text

    try:
        traced = traceability(list(rulesets) or None)
    except InputError as exc:
        _fail_on_input(exc, "The ruleset or its matrix is invalid.")
    if fmt == "json":
        _echo_json([{**matrix.to_dict(), "problems": [p.to_dict() for p in problems]} for _, matrix, problems in traced])
    else:
        for _, matrix, _problems in traced:
            click.echo(matrix_text(matrix), nl=False)
    problems = [p for _, _, ps in traced for p in ps]
    for p in problems:
        click.echo(f"MATRIX PROBLEM: {p}", err=True)
    sys.exit(2 if problems else 0)


@main.command("test", short_help="Run a ruleset's own cases and report per-rule coverage.")
@click.argument("ruleset", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--cases", type=click.Path(dir_okay=False, exists=True),
              help="The cases file. Default: tests/<ruleset file name> beside the ruleset.")
@_listing_format
def test_command(ruleset: str | None, cases: str | None, fmt: str) -> None:
    """Run a ruleset's own cases (default: the bundled rulesets) and report per-rule coverage.

    Each rule needs a passing case and a failing case. Exit 0 when every case holds and every rule is
    covered; 1 when a case fails or a rule lacks a case; 2 when the ruleset or the cases file is invalid."""
    from .api import run_rule_tests
    from .listing import ruletest_text

    try:
        reports = run_rule_tests([ruleset] if ruleset else None, cases)
    except InputError as exc:
        _fail_on_input(exc, "The ruleset or its cases are invalid; nothing was tested.")
    if fmt == "json":
        _echo_json([r.to_dict() for r in reports])
    else:
        for report in reports:
            click.echo(ruletest_text(report), nl=False)
    sys.exit(0 if all(r.ok for r in reports) else 1)


if __name__ == "__main__":
    main()
