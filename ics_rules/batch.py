"""Check many submissions in worker processes, so a crash in the rules engine costs one submission.

durable_rules is C and can take its process down (DESIGN.md section 9). Each worker compiles the rules
once and checks one submission at a time; the parent hands out work, collects results in input order,
and when a worker dies it records that submission as an `error` and starts a replacement.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple

from .results import InputReport

if TYPE_CHECKING:
    from .selection import ResultFilter

# Test hook: a worker given a path containing this text kills itself the way a segfault in the
# engine would, so tests can prove a crash costs one submission. Never set in normal use.
CRASH_ENV = "ICS_RULES_TEST_CRASH_ON"


class Checked(NamedTuple):
    """One submission checked in a worker: its results already filtered (selection, waivers) and pickled."""

    entry: InputReport
    packed: bytes  # the results, packed (ics_rules/packing.py)
    count: int
    tally: dict[str, Any]
    summary: dict[str, Any] | None  # what the system rules need (None if it was not valid)
    waivers_used: frozenset[int]
    waivers_expired: frozenset[int]


@dataclass(frozen=True)
class Crash:
    """A task that produced no result: its worker died (`died`), or raised an unexpected exception."""

    why: str
    died: bool = True


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _die_with_parent(parent_pid: int, inherited: list[Connection]) -> None:
    """A worker must not outlive the batch, however the parent goes (SIGTERM from a CI runner, SIGKILL):
    it closes the parent's ends of every pipe it inherited (so its own reads see end-of-file), and on
    Linux asks the kernel to kill it when the parent dies."""
    for end in inherited:
        end.close()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _receive(conn: Connection) -> Any:
    """The next task, or None (stop) when the parent has gone and the pipe is closed."""
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None


def _worker(conn: Connection, ruleset_paths: list[str] | None, keep: "ResultFilter | None",
            parent_pid: int | None = None, inherited: list[Connection] | None = None) -> None:
    """Compile the rules once, then answer tasks until told to stop (a None task) or the parent goes.
    Ctrl-C is the parent's to handle: a worker ignores it rather than print a traceback of whatever it
    was checking."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent_pid is not None:
        _die_with_parent(parent_pid, inherited or [])
    from .checking import check_one, compile_rules
    from .reference import reference_for
    from .packing import pack
    from .problems import EngineUnavailable
    from .report import tally

    rule_parts: dict = {}  # each rule's shared JSON, encoded once per worker
    try:
        _, compiled = compile_rules(ruleset_paths)
    except Exception:  # a bad ruleset: the parent checks the same rules and reports it, with file and line
        return
    try:
        from .evaluation import Evaluator

        evaluator = Evaluator(compiled)
    except EngineUnavailable as exc:  # every task gets the reason, and the parent stops the run with it
        while _receive(conn) is not None:
            conn.send(exc)
        return
    crash_on = os.environ.get(CRASH_ENV)
    while True:
        task = _receive(conn)
        if task is None:
            return
        kind, payload = task
        try:
            if kind == "check":
                path, as_of, stdin = payload
                if crash_on and crash_on in path:
                    os.kill(os.getpid(), signal.SIGSEGV)
                entry, results, summary = check_one(path, as_of, evaluator, stdin)
                if keep is not None:
                    results = keep(results, {entry.path: entry})
                used, expired = keep.waivers_seen() if keep is not None else (frozenset(), frozenset())
                conn.send(Checked(entry, pack(results, rule_parts), len(results), tally(results),
                                  summary, used, expired))
            else:  # "system"
                summaries, as_of = payload
                conn.send(evaluator.evaluate_system(summaries, as_of, reference_for(as_of)))
        except Exception as exc:  # a bug, not bad input (that is reported as a problem): cost this task only
            conn.send(Crash(f"internal error: {type(exc).__name__}: {exc}", died=False))


class WorkerPool:
    """A fixed number of worker processes; `run` maps tasks to results, surviving worker deaths."""

    def __init__(self, size: int, ruleset_paths: list[str | Path] | None, keep: "ResultFilter | None" = None) -> None:
        """`keep` filters each submission's results in the worker (see selection.ResultFilter)."""
        self.keep = keep
        self.size = max(1, size)
        self.ruleset_paths = [str(p) for p in ruleset_paths] if ruleset_paths else None
        self.context = multiprocessing.get_context(start_method())
        self.workers: list[tuple[Any, Connection]] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            for process, conn in self.workers:  # interrupted: the work in hand is not wanted
                process.kill()
        for _process, conn in self.workers:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for process, conn in self.workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
            conn.close()
        self.workers = []

    def start(self) -> None:
        """Start every worker now rather than with the first tasks."""
        while len(self.workers) < self.size:
            self.workers.append(self._start())

    def _start(self) -> tuple[Any, Connection]:
        parent, child = self.context.Pipe()
        # The parent's ends a forked worker holds copies of (a spawned one inherits none).
        inherited = [parent, *(c for _, c in self.workers)] if self.context.get_start_method() == "fork" else []
        process = self.context.Process(target=_worker, args=(child, self.ruleset_paths, self.keep, os.getpid(), inherited),
                                        daemon=True)
        process.start()
        child.close()
        return process, parent

    def run(self, tasks: list[tuple[str, Any]], on_done: Callable[[int, Any], None] | None = None) -> list[Any]:
        """Results in task order; a task whose worker died gets a Crash instead."""
        return [result for _, result in self.imap(tasks, on_done)]

    def imap(self, tasks: list[tuple[str, Any]], on_done: Callable[[int, Any], None] | None = None) -> Iterator[tuple[int, Any]]:
        """(index, result) in task order, each as soon as it and every task before it are done, so a
        caller can handle and drop results while the batch runs; `on_done` hears of each completion."""
        early: dict[int, Any] = {}  # finished before an earlier task
        next_out = 0
        pending = deque(range(len(tasks)))
        while len(self.workers) < min(self.size, len(tasks)):
            self.workers.append(self._start())
        busy: dict[int, int] = {}  # worker slot -> task index

        def hand_out(slot: int) -> None:
            if not pending:
                return
            index = pending.popleft()
            busy[slot] = index
            try:
                self.workers[slot][1].send(tasks[index])
            except (BrokenPipeError, OSError):  # it died while idle: replace it and send again
                self.workers[slot][0].join(timeout=5)
                self.workers[slot] = self._start()
                self.workers[slot][1].send(tasks[index])

        for slot in range(len(self.workers)):
            hand_out(slot)
        while busy:
            handles: dict[Any, int] = {self.workers[slot][1]: slot for slot in busy}
            handles.update({self.workers[slot][0].sentinel: slot for slot in busy})
            for ready in wait(list(handles)):
                slot = handles.get(ready, -1)
                if slot not in busy:
                    continue
                process, conn = self.workers[slot]
                if ready is not conn and ready != process.sentinel:
                    continue  # a handle of a worker already replaced in this round
                index = busy.pop(slot)
                try:
                    if ready is conn or conn.poll():
                        result = conn.recv()
                    else:
                        raise EOFError
                except (EOFError, OSError):
                    process.join(timeout=5)
                    result = Crash(f"the process checking it stopped ({_describe_exit(process.exitcode)})")
                    conn.close()
                    self.workers[slot] = self._start()
                early[index] = result
                if on_done:
                    on_done(index, result)
                hand_out(slot)
            while next_out in early:
                yield next_out, early.pop(next_out)
                next_out += 1


def start_method() -> str:
    """`fork` while this process has not loaded the rules engine, else `spawn`: no engine state is ever
    copied into a worker. A forked worker starts with the modules this process already imported, in
    a tenth of the time a spawned one takes to import them, which is most of a national batch's
    fixed cost (bench/README.md)."""
    forkable = "fork" in multiprocessing.get_all_start_methods() and "durable_rules_engine" not in sys.modules
    return "fork" if forkable else "spawn"


def default_jobs() -> int:
    """Both cores (or however many the machine has)."""
    return os.cpu_count() or 1
