"""Which results a run reports: rules chosen by id or glob (`--rule`, `--skip-rule`) and severities
(`--severity`). Applied in one place, before the report is built, so every format and the exit code
see the same results."""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from .problems import InputError, Problem
from .results import SEVERITIES
from .rulesets import Ruleset


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
