"""ics-rules: check Integrated Care System submissions against the NHS Long Term Plan.

The public API returns data (a Report) and never exits; the CLI is a thin shell over it.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .api import check, compile_rules, validate  # noqa: E402

__all__ = ["__version__", "check", "validate", "compile_rules"]
