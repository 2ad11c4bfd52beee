"""The report: everything one run found, as data; every renderer and the exit code read only this."""
from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Iterable, Iterator

from .version import __version__
from .packing import RuleParts, pack, unpack
from .results import SEVERITIES, STATUSES, InputReport, Result
from .rulesets import Ruleset

REPORT_FORMAT = "ics-rules-report/1"
FAIL_ON_LEVELS = ("required", "expected", "advisory", "never")


def generated_at() -> str:
    """Now, or SOURCE_DATE_EPOCH when set, so the same inputs give the same report bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit() else datetime.now(timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def tally(results: Iterable[Result]) -> dict[str, Any]:
    """Counts by status and by severity and status: the summary every format shows."""
    counts = {"by_status": {s: 0 for s in STATUSES}, "by_severity": {sev: {s: 0 for s in STATUSES} for sev in SEVERITIES}}
    add_to_tally(counts, results)
    return counts


def add_to_tally(counts: dict[str, Any], results: Iterable[Result]) -> None:
    by_status, by_severity = counts["by_status"], counts["by_severity"]
    for r in results:
        by_status[r.status] += 1
        by_severity[r.severity][r.status] += 1


def merge_tally(into: dict[str, Any], other: dict[str, Any]) -> None:
    for s, n in other["by_status"].items():
        into["by_status"][s] += n
    for sev, row in other["by_severity"].items():
        for s, n in row.items():
            into["by_severity"][sev][s] += n


def gate(fail_on: str) -> tuple[str, ...]:
    """The severities whose failures fail a run at `fail_on` (none for "never")."""
    return () if fail_on == "never" else SEVERITIES[: SEVERITIES.index(fail_on) + 1]


@dataclass
class SystemReport:
    """The batch checked as a system: on which date, against which geography, and what was left out."""

    as_of: str
    geography: str | None
    submissions: int
    regions: list[str]
    left_out: list[str]  # inputs that could not be checked, so their claims are missing from the system checks
    superseded: list[str] = field(default_factory=list)  # earlier submissions of an ICS the batch holds a later one of
    status: str = "checked"  # checked | error
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "reference_geography": self.geography, "submissions": self.submissions,
                "regions": self.regions, "left_out": self.left_out, "superseded": self.superseded, "status": self.status, "problem": self.problem}


IN_MEMORY_RESULTS = 20_000  # results held in memory before blocks go to the spool file (about 20 MB)
IN_MEMORY_INPUTS = 1_000  # input entries held in memory before they go to the spool file


class _Spool:
    """An unnamed temporary file (gone when the run ends) of byte records, and where each one is."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._starts, self._sizes = array("q"), array("q")

    def put(self, data: bytes) -> int:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="ics-rules-")
        self._file.seek(0, os.SEEK_END)
        self._starts.append(self._file.tell())
        self._sizes.append(len(data))
        self._file.write(data)
        return len(self._starts) - 1

    def get(self, record: int) -> bytes:
        assert self._file is not None
        self._file.seek(self._starts[record])
        return self._file.read(self._sizes[record])

    @property
    def used(self) -> bool:
        return self._file is not None


class InputLog:
    """A run's input entries in order, counted by status as they arrive; beyond a budget they wait in
    a spool file, so a batch of any size holds a bounded number in memory."""

    def __init__(self, in_memory: int | None = None) -> None:
        self._budget = IN_MEMORY_INPUTS if in_memory is None else in_memory
        self._held: list[InputReport] = []
        self._spool = _Spool()
        self._records = array("q")  # spool record of each entry past the budget
        self.statuses = {s: 0 for s in ("checked", "invalid", "error")}

    def append(self, entry: InputReport) -> None:
        self.statuses[entry.status] += 1
        if len(self._held) < self._budget:
            self._held.append(entry)
        else:
            self._records.append(self._spool.put(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)))

    def __len__(self) -> int:
        return len(self._held) + len(self._records)

    def __iter__(self) -> Iterator[InputReport]:
        yield from self._held
        for record in self._records:
            yield pickle.loads(self._spool.get(record))

    def __getitem__(self, index: int) -> InputReport:
        index = index + len(self) if index < 0 else index
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index < len(self._held):
            return self._held[index]
        return pickle.loads(self._spool.get(self._records[index - len(self._held)]))  # type: ignore[no-any-return]


class ResultLog:
    """A run's results about its inputs: one block per input, in input order, counted as they arrive.

    Blocks beyond a budget wait in a spool file, so a batch of any size holds a bounded number of
    results in memory; reading them back is one pass per renderer. Iterating gives every result."""

    def __init__(self, in_memory: int | None = None) -> None:
        self._budget = IN_MEMORY_RESULTS if in_memory is None else in_memory
        self._held = 0
        self._blocks: dict[int, list[Result] | bytes] = {}  # block number -> held block
        self._spooled = array("q")  # block number -> spool record, or -1 when held
        self._spool = _Spool()
        self._rules: RuleParts = {}
        self.tally = tally([])
        self.count = 0

    def add(self, results: list[Result]) -> None:
        """The next input's results."""
        if self._held + len(results) <= self._budget:
            self.count += len(results)
            add_to_tally(self.tally, results)
            self._held += len(results)
            self._blocks[len(self._spooled)] = list(results)
            self._spooled.append(-1)
        else:
            self.add_packed(pack(results, self._rules), len(results), tally(results))

    def add_packed(self, packed: bytes, count: int, counts: dict[str, Any]) -> None:
        """The next input's results as a worker packed them (ics_rules/packing.py), with their number
        and tally: kept as they came, never decoded here, so the parent of a batch does no per-result work."""
        self.count += count
        merge_tally(self.tally, counts)
        if self._held + count <= self._budget:
            self._held += count
            self._blocks[len(self._spooled)] = packed
            self._spooled.append(-1)
        else:
            self._spooled.append(self._spool.put(packed))

    @property
    def spooled(self) -> bool:
        return self._spool.used

    def __len__(self) -> int:
        return self.count

    def raw_blocks(self) -> Iterator[list[Result] | bytes]:
        """Each input's block as stored: results, or packed results (read back from the spool if there)."""
        for number, record in enumerate(self._spooled):
            yield self._blocks[number] if record < 0 else self._spool.get(record)

    def blocks(self) -> Iterator[list[Result]]:
        for block in self.raw_blocks():
            yield unpack(block) if isinstance(block, bytes) else block

    def __iter__(self) -> Iterator[Result]:
        for block in self.blocks():
            yield from block


class ResultsView:
    """A report's results, read afresh on each iteration (they may be on disk)."""

    def __init__(self, report: "Report") -> None:
        self._report = report

    def __iter__(self) -> Iterator[Result]:
        yield from self._report.log
        yield from self._report.system_findings
        yield from self._report.waiver_results

    def __len__(self) -> int:
        return len(self._report.log) + len(self._report.system_findings) + len(self._report.waiver_results)

    def __getitem__(self, index: int) -> Result:
        if index < 0:
            index += len(self)
        for i, result in enumerate(self):
            if i == index:
                return result
        raise IndexError(index)


@dataclass
class Report:
    """Everything one run found. Results arrive per input (`add_results`), then the system checks' and
    the waivers' own findings; `results` iterates all of them in that order."""

    command: str  # check | validate
    as_of: str | None  # the --as-of given, else None (each input then uses its own as_at)
    rulesets: list[Ruleset] = field(default_factory=list)
    inputs: InputLog = field(default_factory=InputLog)
    system: SystemReport | None = None  # set when two or more submissions were checked together
    selection: Any = None  # the Selection applied (rules, skipped rules, severities)
    waivers: dict[str, Any] | None = None  # the waivers file applied, if any
    generated_at: str = field(default_factory=generated_at)
    log: ResultLog = field(default_factory=ResultLog)
    system_findings: list[Result] = field(default_factory=list)
    waiver_results: list[Result] = field(default_factory=list)

    def add(self, entry: InputReport, results: list[Result]) -> None:
        """The next input and its own results (none for one that could not be checked)."""
        self.inputs.append(entry)
        self.log.add(results)

    def add_packed(self, entry: InputReport, packed: bytes, count: int, counts: dict[str, Any]) -> None:
        self.inputs.append(entry)
        self.log.add_packed(packed, count, counts)

    @property
    def results(self) -> "ResultsView":
        """Every result: each input's, then the system checks', then the waivers' findings."""
        return ResultsView(self)

    def system_results(self) -> list[Result]:
        """Results about the batch as a whole: their subjects are system entities (ics_rules/system.py)."""
        return self.system_findings

    def waiver_findings(self) -> list[Result]:
        """Findings about the waivers file itself: waivers that expired or match nothing."""
        return self.waiver_results

    def results_by_input(self) -> Iterator[tuple[InputReport, list[Result]]]:
        """Each input with its own results (not the system checks, not the waivers' findings), in input order."""
        blocks = self.log.blocks()
        for entry in self.inputs:
            yield entry, next(blocks, [])

    def counts(self) -> dict[str, Any]:
        total = tally(self.system_findings + self.waiver_results)
        merge_tally(total, self.log.tally)
        return {"results": self.log.count + len(self.system_findings) + len(self.waiver_results), **total,
                "inputs": dict(self.inputs.statuses)}

    def exit_code(self, fail_on: str = "required") -> int:
        """0 nothing failing at or above `fail_on`; 1 failures (or rules, submissions or system checks that
        could not be evaluated: never a pass); 2 bad input."""
        if self.inputs.statuses["invalid"]:
            return 2
        if self.inputs.statuses["error"] or (self.system and self.system.status == "error"):
            return 1
        by_severity = self.counts()["by_severity"]
        if any(by_severity[sev]["fail"] or by_severity[sev]["error"] for sev in gate(fail_on)):
            return 1
        return 0

    def header(self, inputs: bool = True) -> dict[str, Any]:
        """The report model without its results (to_dict is this plus "results"); without the inputs'
        entries too unless `inputs` (their place is kept, empty, for a renderer that streams them)."""
        return {
            "format": REPORT_FORMAT,
            "tool": {"name": "ics-rules", "version": __version__},
            "command": self.command,
            "generated_at": self.generated_at,
            "as_of": self.as_of,
            "rulesets": [
                {"id": rs.id, "title": rs.title, "version": rs.version, "path": rs.path, "sha256": rs.sha256,
                 "source": {"title": rs.source_title, "date": rs.source_date}, "rules": len(rs.rules)}
                for rs in self.rulesets
            ],
            "inputs": [i.to_dict() for i in self.inputs] if inputs else [],
            "system": self.system.to_dict() if self.system else None,
            "selection": self.selection.to_dict() if self.selection is not None else None,
            "waivers": self.waivers,
            "summary": self.counts(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.header(), "results": [r.to_dict() for r in self.results]}
