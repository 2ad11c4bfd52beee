"""Dated reference data (reference/): geography editions, NHS trusts and primary care networks."""
from __future__ import annotations

from .geography import Geography, coverage, edition_for, editions
from .organisations import Table, pcns, trusts
from .view import Reference, canonical, name_of, reference_for

__all__ = ["Geography", "Reference", "Table", "canonical", "coverage", "edition_for", "editions", "name_of", "pcns",
           "reference_for", "trusts"]
