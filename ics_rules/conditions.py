"""The closed condition vocabulary of rulesets: parsed into a small typed tree, checked against the
entity registry, so that a misspelt operator or field is an error with a line, never a silent pass.

Semantics (the engine and the tests' reference evaluator both follow them):
- A field test on a missing field is false, except `not_equals`, `not_in` and `present: false`, which are
  the exact negations of `equals`, `in` and `present: true`.
- A comparison's value may be another field of the same entity, written `{field: <name>}`; it is false when
  either field is missing (and its negation true).
- `count` counts the related entities joined by equality on `on` that satisfy `where`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

from .facts import ENTITY_TYPES
from .loading import Document
from .problems import Problem, join_pointer

FIELD_OPERATORS = {
    "equals": "eq", "not_equals": "ne", "in": "in", "not_in": "not_in", "less_than": "lt",
    "less_or_equal": "le", "greater_than": "gt", "greater_or_equal": "ge", "present": "present",
}
ORDERED_TYPES = {"integer", "date"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldRef:
    """The value of another field of the same entity, as the right-hand side of a comparison."""

    field: str


@dataclass(frozen=True)
class FieldTest:
    field: str
    op: str  # eq ne in not_in lt le gt ge present
    value: Any  # a constant, a tuple of constants (in/not_in), or a FieldRef


@dataclass(frozen=True)
class All:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    item: "Condition"


@dataclass(frozen=True)
class Count:
    of: str
    on: tuple[tuple[str, str], ...]  # (related field, subject field) equality pairs
    where: "Condition | None"
    at_least: int | None
    at_most: int | None
    name: str | None  # the `as` name templates use for the matched entities


Condition = Union[FieldTest, All, AnyOf, Not, Count]


def has_count(cond: Condition | None) -> bool:
    if cond is None or isinstance(cond, FieldTest):
        return False
    if isinstance(cond, Count):
        return True
    if isinstance(cond, Not):
        return has_count(cond.item)
    return any(has_count(c) for c in cond.items)


def counts_in(cond: Condition | None) -> list[Count]:
    if cond is None or isinstance(cond, FieldTest):
        return []
    if isinstance(cond, Count):
        return [cond]
    if isinstance(cond, Not):
        return counts_in(cond.item)
    return [c for item in cond.items for c in counts_in(item)]


class _Errors(Exception):
    pass


class ConditionParser:
    """Parses one rule's condition, collecting problems that name the ruleset file, rule id and line."""

    def __init__(self, doc: Document, rule_id: str) -> None:
        self.doc = doc
        self.rule_id = rule_id
        self.problems: list[Problem] = []

    def _fail(self, pointer: str, message: str, key: bool = False) -> _Errors:
        self.problems.append(self.doc.problem(pointer, f"rule {self.rule_id}: {message}", kind="ruleset", key=key))
        return _Errors()

    def parse(self, node: Any, pointer: str, entity: str) -> Condition | None:
        try:
            return self._parse(node, pointer, entity, nested_count=False)
        except _Errors:
            return None

    def _parse(self, node: Any, pointer: str, entity: str, nested_count: bool) -> Condition:
        if not isinstance(node, dict) or not node:
            raise self._fail(pointer, "a condition must be a mapping such as {field: ..., equals: ...}, "
                                      "{all: [...]}, {any: [...]}, {not: ...}, {count: ...} or {exists: ...}")
        keys = set(node)
        if "field" in node:
            return self._field_test(node, pointer, entity)
        known = {"all", "any", "not", "count", "exists"}
        unknown = keys - known
        if unknown:
            word = sorted(unknown)[0]
            raise self._fail(join_pointer(pointer, word), f"unknown operator '{word}'; a condition is one of: "
                             "field (with equals, not_equals, in, not_in, less_than, less_or_equal, greater_than, "
                             "greater_or_equal or present), all, any, not, count, exists", key=True)
        if len(keys) != 1:
            raise self._fail(pointer, f"a condition has exactly one of all/any/not/count/exists, found {', '.join(sorted(keys))}")
        (op,) = keys
        body = node[op]
        child = join_pointer(pointer, op)
        if op in ("all", "any"):
            if not isinstance(body, list) or not body:
                raise self._fail(child, f"'{op}' takes a non-empty list of conditions")
            items = tuple(self._parse(c, join_pointer(child, i), entity, nested_count) for i, c in enumerate(body))
            return All(items) if op == "all" else AnyOf(items)
        if op == "not":
            return Not(self._parse(body, child, entity, nested_count))
        if nested_count:
            raise self._fail(child, f"'{op}' cannot be nested inside another count's 'where'")
        return self._count(body, child, entity, exists=(op == "exists"))

    def _count(self, body: Any, pointer: str, entity: str, exists: bool) -> Count:
        allowed = {"of", "on", "where", "as"} | (set() if exists else {"at_least", "at_most"})
        if not isinstance(body, dict):
            raise self._fail(pointer, "takes a mapping with 'of' (an entity type) and optionally " + ", ".join(sorted(allowed - {"of"})))
        for k in body:
            if k not in allowed:
                raise self._fail(join_pointer(pointer, k), f"unknown key '{k}'; expected {', '.join(sorted(allowed))}", key=True)
        of = body.get("of")
        if of not in ENTITY_TYPES:
            raise self._fail(join_pointer(pointer, "of"), f"'of' must be an entity type: {', '.join(ENTITY_TYPES)}")
        on_node = body.get("on")
        if on_node is None:
            default = ENTITY_TYPES[entity].relations.get(of)
            if default is None:
                raise self._fail(pointer, f"no default join from {entity} to {of}; say how with on: {{<{of} field>: <{entity} field>}}")
            on_node = dict(default)
        if not isinstance(on_node, dict) or not on_node:
            raise self._fail(join_pointer(pointer, "on"), "'on' is a mapping {related field: subject field}")
        pairs = []
        for related_field, own_field in on_node.items():
            at = join_pointer(join_pointer(pointer, "on"), related_field)
            related_type = self._check_field(related_field, of, at, key=True)
            if not isinstance(own_field, str):
                raise self._fail(at, "join fields are field names")
            own_type = self._check_field(own_field, entity, at)
            if own_type != related_type:
                raise self._fail(at, f"cannot join {of}.{related_field} ({related_type}) to {entity}.{own_field} ({own_type})")
            pairs.append((related_field, own_field))
        where: Condition | None = None
        if "where" in body:
            where = self._parse(body["where"], join_pointer(pointer, "where"), of, nested_count=True)
        bounds = {}
        for k in ("at_least", "at_most"):
            v = body.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise self._fail(join_pointer(pointer, k), f"'{k}' must be a whole number, 0 or more")
            bounds[k] = v
        if exists:
            bounds["at_least"] = 1
        if bounds["at_least"] is None and bounds["at_most"] is None:
            raise self._fail(pointer, "a count needs at_least or at_most")
        name = body.get("as")
        if name is not None and (not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name)):
            raise self._fail(join_pointer(pointer, "as"), "'as' is a lower-case name for use in messages")
        return Count(of, tuple(pairs), where, bounds["at_least"], bounds["at_most"], name)

    def _check_field(self, name: Any, entity: str, pointer: str, key: bool = False) -> str:
        fields = ENTITY_TYPES[entity].fields
        if name not in fields:
            raise self._fail(pointer, f"{entity} has no field '{name}'; its fields are: {', '.join(fields)}", key=key)
        return fields[name]

    def _field_test(self, node: dict[str, Any], pointer: str, entity: str) -> FieldTest:
        ftype = self._check_field(node["field"], entity, join_pointer(pointer, "field"))
        ops = [k for k in node if k != "field"]
        unknown = [k for k in ops if k not in FIELD_OPERATORS]
        if unknown:
            raise self._fail(join_pointer(pointer, unknown[0]), f"unknown operator '{unknown[0]}'; expected one of: "
                             + ", ".join(FIELD_OPERATORS), key=True)
        if len(ops) != 1:
            raise self._fail(pointer, "a field test has exactly one operator, found " + (", ".join(ops) or "none"))
        word = ops[0]
        op, value = FIELD_OPERATORS[word], node[word]
        vp = join_pointer(pointer, word)
        if op == "present":
            if not isinstance(value, bool):
                raise self._fail(vp, "'present' takes true or false")
            return FieldTest(node["field"], op, value)
        if op in ("lt", "le", "gt", "ge") and ftype not in ORDERED_TYPES:
            raise self._fail(vp, f"'{word}' compares numbers or dates, but {node['field']} is {ftype}")
        if isinstance(value, dict):
            return FieldTest(node["field"], op, self._reference(value, op, word, ftype, node["field"], entity, vp))
        values = value if op in ("in", "not_in") else [value]
        if op in ("in", "not_in") and (not isinstance(value, list) or not value):
            raise self._fail(vp, f"'{word}' takes a non-empty list")
        for v in values:
            self._check_value(v, ftype, node["field"], vp)
        return FieldTest(node["field"], op, tuple(value) if op in ("in", "not_in") else value)

    def _reference(self, value: dict[str, Any], op: str, word: str, ftype: str, name: str, entity: str, pointer: str) -> FieldRef:
        if set(value) != {"field"} or not isinstance(value["field"], str):
            raise self._fail(pointer, f"'{word}' takes a value, or {{field: <name>}} to compare with another field")
        if op in ("in", "not_in"):
            raise self._fail(pointer, f"'{word}' takes a list of values, not another field")
        other = self._check_field(value["field"], entity, join_pointer(pointer, "field"))
        if other != ftype:
            raise self._fail(pointer, f"cannot compare {name} ({ftype}) with {value['field']} ({other})")
        return FieldRef(value["field"])

    def _check_value(self, value: Any, ftype: str, name: str, pointer: str) -> None:
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53,
            "boolean": isinstance(value, bool),
            "date": isinstance(value, str) and bool(_DATE.match(value)),
        }[ftype]
        if not ok:
            raise self._fail(pointer, f"{name} is {ftype}{' (YYYY-MM-DD)' if ftype == 'date' else ''}, but the value {value!r} is not")
