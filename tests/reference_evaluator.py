"""A plain-Python evaluator of the same parsed rules, independent of the compiler and the engine.

It reads the condition tree directly, with the semantics documented in ics_rules/conditions.py, so a
difference from the engine points at the compiler, the engine pattern or durable_rules itself.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ics_rules.conditions import All, AnyOf, Condition, Count, FieldRef, FieldTest, Not
from ics_rules.facts import Entity
from ics_rules.rulesets import Rule


def field_test(t: FieldTest, fields: dict[str, Any]) -> bool:
    v = fields.get(t.field)
    if isinstance(t.value, FieldRef):
        w = fields.get(t.value.field)
        known = v is not None and w is not None
        if t.op == "ne":
            return not (known and v == w)
        return known and {"eq": v == w, "lt": v < w, "le": v <= w, "gt": v > w, "ge": v >= w}[t.op]
    if t.op == "present":
        return (v is not None) == t.value
    if t.op == "eq":
        return v is not None and v == t.value
    if t.op == "ne":
        return not (v is not None and v == t.value)
    if t.op == "in":
        return v is not None and v in t.value
    if t.op == "not_in":
        return not (v is not None and v in t.value)
    if v is None:
        return False
    return {"lt": v < t.value, "le": v <= t.value, "gt": v > t.value, "ge": v >= t.value}[t.op]


def holds(cond: Condition, entity: Entity, by_type: dict[str, list[Entity]]) -> bool:
    if isinstance(cond, FieldTest):
        return field_test(cond, entity.fields)
    if isinstance(cond, All):
        return all(holds(c, entity, by_type) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(holds(c, entity, by_type) for c in cond.items)
    if isinstance(cond, Not):
        return not holds(cond.item, entity, by_type)
    assert isinstance(cond, Count)
    n = 0
    for other in by_type.get(cond.of, []):
        joined = all(other.fields.get(rf) is not None and other.fields.get(rf) == entity.fields.get(sf) for rf, sf in cond.on)
        if joined and (cond.where is None or holds(cond.where, other, by_type)):
            n += 1
    return (cond.at_least is None or n >= cond.at_least) and (cond.at_most is None or n <= cond.at_most)


def statuses(rules: list[Rule], entities: list[Entity], as_of: str) -> dict[tuple[str, str], str]:
    """(rule id, entity fact id) -> status, for rules whose data is all present (no reference gaps)."""
    by_type: dict[str, list[Entity]] = defaultdict(list)
    for e in entities:
        by_type[e.type].append(e)
    out = {}
    for rule in rules:
        for e in by_type.get(rule.scope, []):
            if not rule.in_force(as_of):
                status = "not_applicable"
            elif rule.when is not None and not holds(rule.when, e, by_type):
                status = "not_applicable"
            elif holds(rule.require, e, by_type):
                status = "review" if rule.outcome == "review" else "pass"
            elif rule.review_if is not None and holds(rule.review_if, e, by_type):
                status = "review"
            else:
                status = "fail"
            out[(rule.id, e.fact_id)] = status
    return out
