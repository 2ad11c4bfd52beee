"""ics-rules: check Integrated Care System submissions against the NHS Long Term Plan.

The public API returns data (a Report, rulesets, matrices, rule-test reports) and never exits; the
CLI is a thin shell over it.
"""
from __future__ import annotations

from .version import __version__
from .api import check, compile_rules, load_rules, run_rule_tests, traceability, validate  # noqa: E402

__all__ = ["__version__", "check", "validate", "compile_rules", "load_rules", "traceability", "run_rule_tests"]
