"""Conditions in words, for `rules show` and the docs: a reviewer should not need to read YAML."""
from __future__ import annotations

from typing import Any

from .conditions import All, AnyOf, Condition, Count, FieldRef, FieldTest, Not
from .facts import ENTITY_TYPES

_ORDER = {
    "date": {"lt": "is before", "le": "is on or before", "gt": "is after", "ge": "is on or after"},
    "integer": {"lt": "is less than", "le": "is at most", "gt": "is more than", "ge": "is at least"},
}


def _value(v: Any) -> str:
    if isinstance(v, FieldRef):
        return f"`{v.field}`"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _field_test(t: FieldTest, entity: str) -> str:
    name = f"`{t.field}`"
    if t.op == "present":
        return f"{name} is given" if t.value else f"{name} is not given"
    if t.op == "eq":
        return f"{name} is {_value(t.value)}"
    if t.op == "ne":
        return f"{name} is not {_value(t.value)} (or is not given)"
    if t.op == "in":
        return f"{name} is one of {', '.join(_value(v) for v in t.value)}"
    if t.op == "not_in":
        return f"{name} is none of {', '.join(_value(v) for v in t.value)} (or is not given)"
    ftype = ENTITY_TYPES[entity].fields.get(t.field, "integer")
    return f"{name} {_ORDER.get(ftype, _ORDER['integer'])[t.op]} {_value(t.value)}"


def _count_head(c: Count, entity: str) -> str:
    label = ENTITY_TYPES[c.of].label
    if c.at_least == 1 and c.at_most is None:
        amount = f"there is a {label}"
    elif c.at_least is not None and c.at_most is not None:
        amount = f"there are {c.at_least} to {c.at_most} {label} entries"
    elif c.at_least is not None:
        amount = f"there are at least {c.at_least} {label} entries"
    else:
        amount = f"there are at most {c.at_most} {label} entries"
    default = ENTITY_TYPES[entity].relations.get(c.of)
    own = ENTITY_TYPES[entity].label
    if default is not None and dict(c.on) == dict(default):
        amount += f" for this {own}"
    else:
        amount += " matched by " + " and ".join(f"its `{rf}` = this {own}'s `{sf}`" for rf, sf in c.on)
    return amount


def describe(cond: Condition, entity: str, indent: int = 0) -> list[str]:
    """Lines of plain English, nested by indentation, for a condition about an entity of type `entity`."""
    pad = "  " * indent
    if isinstance(cond, FieldTest):
        return [pad + _field_test(cond, entity)]
    if isinstance(cond, (All, AnyOf)):
        head = "all of:" if isinstance(cond, All) else "at least one of:"
        lines = [pad + head]
        for item in cond.items:
            sub = describe(item, entity, indent + 1)
            sub[0] = "  " * (indent + 1) + "- " + sub[0].lstrip()
            lines += sub
        return lines
    if isinstance(cond, Not):
        return [pad + "not:"] + describe(cond.item, entity, indent + 1)
    assert isinstance(cond, Count)
    head = pad + _count_head(cond, entity)
    if cond.where is None:
        return [head]
    where = describe(cond.where, cond.of, indent + 1)
    if len(where) == 1:
        return [f"{head} where {where[0].strip()}"]
    return [head + " where"] + where
