"""Which results a run reports: rules chosen by id or glob (`--rule`, `--skip-rule`) and severities
(`--severity`). Applied in one place, before the report is built, so every format and the exit code
see the same results."""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from .problems import InputError, Problem
from .results import SEVERITIES, InputReport, Result
from .rulesets import Ruleset

if TYPE_CHECKING:
    from .waivers import WaiverLedger


@dataclass(frozen=True)
class Selection:
    rules: tuple[str, ...] = ()  # ids or globs; empty means every rule
    skip_rules: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()  # empty means every severity

    def check(self, rulesets: list[Ruleset]) -> None:
        """A pattern that matches no rule is a mistake worth stopping for (a typo would silently skip checks)."""
        ids = [r.id for rs in rulesets for r in rs.rules]
        problems = [Problem(f"--{option}", f"'{pattern}' matches no rule; `ics-rules rules list` shows them", kind="usage")
                    for option, patterns in (("rule", self.rules), ("skip-rule", self.skip_rules))
                    for pattern in patterns if not any(fnmatchcase(i, pattern.upper()) for i in ids)]
        problems += [Problem("--severity", f"'{s}' is not a severity; use {', '.join(SEVERITIES)}", kind="usage")
                     for s in self.severities if s not in SEVERITIES]
        if problems:
            raise InputError(problems)

    def wants_rule(self, rule_id: str) -> bool:
        chosen = not self.rules or any(fnmatchcase(rule_id, p.upper()) for p in self.rules)
        return chosen and not any(fnmatchcase(rule_id, p.upper()) for p in self.skip_rules)

    def wants_severity(self, severity: str) -> bool:
        return not self.severities or severity in self.severities

    def to_dict(self) -> dict[str, Any]:
        return {"rules": list(self.rules), "skip_rules": list(self.skip_rules), "severities": list(self.severities)}


EVERYTHING = Selection()


@dataclass
class ResultFilter:
    """What a run keeps of each submission's results: the selected rules, with waivers applied (they see
    every severity), at the selected severities. Batch workers run it, so the parent never unpacks
    a submission's results; it gathers which waivers each worker used or found expired."""

    selection: Selection
    ledger: "WaiverLedger | None"

    def __call__(self, results: list[Result], entries: dict[str, InputReport]) -> list[Result]:
        results = [r for r in results if self.selection.wants_rule(r.rule_id)]
        if self.ledger is not None:
            results = self.ledger.apply(results, entries)
        return [r for r in results if self.selection.wants_severity(r.severity)]

    def waivers_seen(self) -> tuple[frozenset[int], frozenset[int]]:
        """The waivers used, and found expired, so far (by index)."""
        if self.ledger is None:
            return frozenset(), frozenset()
        return frozenset(self.ledger.used), frozenset(self.ledger.expired)

    def merge(self, used: frozenset[int], expired: frozenset[int]) -> None:
        if self.ledger is not None:
            self.ledger.used |= used
            self.ledger.expired |= expired
