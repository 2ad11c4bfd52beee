"""The only module that touches durable_rules, used strictly in the pattern the research proved correct:
a Host without background threads, one C-level assert of the whole document with the sentinel last,
actions run synchronously, a guard rule that always fires, and the state deleted in `finally`.
"""
from __future__ import annotations

import itertools
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import durable_rules_engine
from durable import engine as durable_engine

from .compiler import SENTINEL_TYPE, AlphaAtom, Atom, CompiledRulesets, durable_definition

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


def _collect_errors(errors: list[Any]) -> Callable[[Any, Any], None]:
    """The completion callback durable_rules calls after each action, with an error or None."""
    def callback(error: Any, _state: Any) -> None:
        if error:
            errors.append(error)
    return callback


class RuleEngine:
    """Compiled rules registered once; evaluate any number of documents, one live state at a time."""

    def __init__(self, compiled: CompiledRulesets) -> None:
        self.compiled = compiled
        self._sink: list[tuple[str, bool, Any]] = []
        self._docs = itertools.count()
        self._register()

    def _action(self, atom: Atom | None) -> Callable[[Any], None]:
        sink = self._sink
        if atom is None:
            def guard(c: Any) -> None:  # exactly one positional parameter keeps the action synchronous
                return None
            return guard
        atom_id, is_alpha = atom.id, isinstance(atom, AlphaAtom)

        def run(c: Any) -> None:
            sink.append((atom_id, is_alpha, c._m))
        return run

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
            self._sink.clear()
            try:
                code, offset = durable_rules_engine.assert_facts(ruleset._handle, payload)
            except Exception as exc:  # the state may be half-built: do not touch it, rebuild the host after
                hits.failed_chunks[i] = f"the engine rejected the document: {exc}"
                broken = True
                continue
            errors: list[Any] = []
            try:
                if code not in (0, _NOT_HANDLED):
                    raise RuntimeError(f"the engine merged facts it should have kept apart (code {code})")
                ruleset.do_actions(offset, _collect_errors(errors))
                state = self.host.get_state(name, sid)
                if errors or "exception" in state:  # durable swallows action errors into the state
                    raise RuntimeError(str(errors[0] if errors else state["exception"]))
                self._collect(hits)
            except Exception as exc:
                hits.failed_chunks[i] = f"the engine failed: {exc}"
            finally:
                self.host.delete_state(name, sid)
        self._sink.clear()
        if broken:
            self._register()
        return hits

    def _collect(self, hits: Hits) -> None:
        for atom_id, is_alpha, frame in self._sink:
            if is_alpha:
                hits.alpha[atom_id].add(frame["a"]["id"])
            else:
                hits.pairs[atom_id][frame["a"]["id"]].add(frame["w"]["id"])
