"""The only module that touches durable_rules, used strictly in the pattern the research proved correct:
a Host without background threads, one C-level assert of the whole document with the sentinel last,
actions run synchronously, a guard rule that always fires, and the state deleted in `finally`.
"""
from __future__ import annotations

import itertools
import json
import logging
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from .compiler import GUARD, SENTINEL_TYPE, Atom, CompiledRulesets, durable_definition
from .problems import EngineUnavailable

DURABLE = "durable-rules==2.0.28"
DURABLE_CPPFLAGS = "-DPyEval_CallObject=PyObject_CallObject"  # the Makefile's and the README's too


def _why_not(exc: ImportError) -> str:
    """What went wrong importing durable-rules, and what to do, on one line."""
    python = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    reason = " ".join(str(exc).split())
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in ("durable_rules_engine", "durable"):
        return (f"ics-rules cannot check anything: durable-rules, its rules engine, is not installed for {python} "
                f"({sys.executable}); install it with: CPPFLAGS={DURABLE_CPPFLAGS} pip install '{DURABLE}' (it compiles, so a C compiler is needed)")
    if "PyEval_CallObject" in reason:
        return (f"ics-rules cannot check anything: durable-rules, its rules engine, was built without the flag {python} needs "
                f"({reason}); rebuild it with: CPPFLAGS={DURABLE_CPPFLAGS} pip install --no-cache-dir --force-reinstall --no-deps '{DURABLE}'")
    return (f"ics-rules cannot check anything: durable-rules, its rules engine, does not import on {python} ({reason}); "
            f"reinstall it with: CPPFLAGS={DURABLE_CPPFLAGS} pip install --no-cache-dir --force-reinstall --no-deps '{DURABLE}'")


try:
    import durable_rules_engine
    from durable import engine as durable_engine
except ImportError as exc:
    raise EngineUnavailable(_why_not(exc)) from None

logging.getLogger("durable").setLevel(logging.CRITICAL)

_NOT_HANDLED = 1  # some facts matched no rule: expected, they are simply not stored


class _QuietHost(durable_engine.Host):
    """durable's Host starts two polling threads that race with synchronous use; this one starts none."""

    def _run(self) -> None:
        return None


@dataclass
class Hits:
    """What the engine matched for one document."""

    alpha: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # atom -> fact ids
    pairs: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    failed_chunks: dict[int, str] = field(default_factory=dict)  # chunk -> why it could not be evaluated


_instances = itertools.count()


class RuleEngine:
    """Compiled rules registered once; evaluate any number of documents, one live state at a time."""

    def __init__(self, compiled: CompiledRulesets) -> None:
        self.compiled = compiled
        self._docs = itertools.count()
        self._register()

    @staticmethod
    def _action(atom: Atom | None) -> Callable[[Any], None]:
        """durable_rules requires an action per rule; `run` drives the C action loop itself, so none is called."""
        def unused(c: Any) -> None:  # exactly one positional parameter: durable would treat it as synchronous
            return None
        return unused

    def _register(self) -> None:
        """(Re)build a host with every chunk; after an engine failure the old host's state is not trusted."""
        self.host = _QuietHost()
        instance = next(_instances)
        self.names = [f"ics-rules@{self.compiled.digest}#{instance}.{i}" for i in range(len(self.compiled.chunks))]
        self.host.set_rulesets({
            name: durable_definition(self.compiled, i, self._action) for i, name in enumerate(self.names)
        })
        self.rulesets = [self.host.get_ruleset(name) for name in self.names]

    def run(self, facts: list[dict[str, Any]]) -> Hits:
        """Evaluate one document's facts against every chunk and collect what fired."""
        hits = Hits()
        sid = f"doc-{next(self._docs)}"
        payload = json.dumps([{**f, "sid": sid} for f in facts] + [{"t": SENTINEL_TYPE, "sid": sid}],
                             ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        broken = False
        for i, (name, ruleset) in enumerate(zip(self.names, self.rulesets, strict=True)):
            handle = ruleset._handle
            try:
                code, offset = durable_rules_engine.assert_facts(handle, payload)
            except Exception as exc:  # the state may be half-built: do not touch it, rebuild the host after
                hits.failed_chunks[i] = f"the engine rejected the document: {exc}"
                broken = True
                continue
            try:
                if code not in (0, _NOT_HANDLED):
                    raise RuntimeError(f"the engine merged facts it should have kept apart (code {code})")
                self._drain(handle, offset, hits)
            except Exception as exc:
                hits.failed_chunks[i] = f"the engine failed: {exc}"
            finally:
                self.host.delete_state(name, sid)
        if broken:
            self._register()
        return hits

    def _drain(self, handle: Any, offset: Any, hits: Hits) -> None:
        """Run the C action loop directly: each step hands over one rule's matches (up to `cap` frames at
        once) as JSON. durable's own loop wraps every step in Python closures, promises and a state
        update we do not use, which cost most of the time (research REPORT section 4)."""
        started = durable_rules_engine.start_action_for_state(handle, offset)
        message = started[1] if started else None
        try:
            while message:
                self._collect(hits, json.loads(message))
                message = durable_rules_engine.complete_and_start_action(handle, offset)
        except BaseException:
            durable_rules_engine.abandon_action(handle, offset)
            raise

    def _collect(self, hits: Hits, message: dict[str, Any]) -> None:
        alpha = self.compiled.alpha_atoms
        for atom_id, frames in message.items():
            if atom_id == GUARD:
                continue
            if not isinstance(frames, list):
                frames = [frames]
            if atom_id in alpha:
                hits.alpha[atom_id].update(frame["a"]["id"] for frame in frames)
            else:
                pairs = hits.pairs[atom_id]
                for frame in frames:
                    pairs[frame["a"]["id"]].add(frame["w"]["id"])
