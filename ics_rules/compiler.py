"""Compile rules into durable_rules definitions plus a small plan that turns engine firings into results.

Each rule's condition is split into atoms the engine can decide on its own:
- an alpha atom: a whole single-entity condition (fields, all/any/not) as one durable rule with a positive
  type test; it fires for every entity that satisfies it;
- a pair atom: an equality join from the subject to a related entity (for count/exists); it fires once per
  matching pair and counts are taken in Python.
The plan combines atom outcomes with all/any/not in Python. Nothing is ever inferred from a rule that did
not fire except "this entity was not among those the engine matched", which is how the research's
0-mismatch pattern computes results; `none()` is never used.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Union

from .conditions import All, AnyOf, Condition, Count, FieldRef, FieldTest, Not, has_count
from .facts import ENTITY_TYPES, RESERVED_FIELDS, Entity
from .rulesets import Rule, Ruleset

# durable_rules raises error 303 when one fact can reach more than 64 rule branches under one type
# test; stay below it, leaving room for the guard rule.
MAX_RULES_PER_TYPE = 60
MAX_FACT_PROPERTIES = 240  # 255 flattened properties segfault the engine
SENTINEL_TYPE = "$evaluate"
GUARD = "$done"  # the rule that always fires on the sentinel, so every state has run an action
# Matches handed to Python per step of the action loop. durable_rules fires `cap` rules with up to this
# many frames at once instead of one step per match, and each step is a JSON round trip.
FRAMES_PER_STEP = 100_000


# Entity types built from reference tables: a rule over them cannot be evaluated where the reference
# data in force lacks the table (no local authority districts in the April 2021 edition, say).
REFERENCE_TABLES: dict[str, frozenset[str]] = {
    "expected_pcn": frozenset({"pcns", "areas"}), "expected_trust": frozenset({"trusts", "icbs"}),
    "expected_local_authority": frozenset({"local_authorities"}), "national_area": frozenset({"areas"}),
    "region_icb": frozenset({"icbs"}),
}
# Fields the reference stage fills in from the geography in force: a rule that reads one cannot be
# evaluated outside every edition's dates (it would fail everything, or pass nothing, for no reason).
REFERENCE_FIELDS: dict[str, frozenset[str]] = {name: frozenset({"areas"}) for name in (
    "icb_known", "icb_note", "missing_area_count", "missing_areas", "code_current", "reference_status", "reference_icb",
    "host_icb", "host_settled")}


def _reference_tables(fields: set[str]) -> set[str]:
    return set().union(*(REFERENCE_FIELDS.get(f, frozenset()) for f in fields))


class CompileError(ValueError):
    """The ruleset asks for something the engine cannot do safely."""


@dataclass(frozen=True)
class AlphaAtom:
    id: str
    entity: str
    expr: dict[str, Any]  # durable expression, without the type test


@dataclass(frozen=True)
class PairAtom:
    id: str
    anchor: str
    related: str
    join: tuple[tuple[str, str], ...]
    expr: dict[str, Any] | None


Atom = Union[AlphaAtom, PairAtom]


@dataclass(frozen=True)
class PAtom:
    atom: str


@dataclass(frozen=True)
class PCount:
    atom: str
    at_least: int | None
    at_most: int | None
    name: str | None


@dataclass(frozen=True)
class PAll:
    items: tuple["Plan", ...]


@dataclass(frozen=True)
class PAny:
    items: tuple["Plan", ...]


@dataclass(frozen=True)
class PNot:
    item: "Plan"


Plan = Union[PAtom, PCount, PAll, PAny, PNot]


@dataclass
class CompiledRule:
    rule: Rule
    when: Plan | None
    require: Plan
    atoms: tuple[str, ...]
    reference_fields: frozenset[str]  # reference tables the rule relies on (reference/: areas, pcns, ...)
    fields: tuple[str, ...] = ()  # the subject's own fields the rule reads (results cite where they were written)
    review_if: Plan | None = None
    counted: tuple[str, ...] = ()  # entity types the rule counts (results cite the lists they come from)

    @cached_property
    def citation(self) -> dict[str, Any]:
        """One mapping shared by every result of the rule (read-only by convention), so a batch holds it once."""
        c = self.rule.citation
        return {"document": c.document, "paragraph": c.paragraph, "quote": c.quote}


@dataclass
class CompiledRulesets:
    rulesets: tuple[Ruleset, ...]
    rules: list[CompiledRule]
    atoms: dict[str, Atom]
    chunks: list[list[str]]  # atom ids per durable ruleset
    digest: str
    chunk_of: dict[str, int] = field(default_factory=dict)
    fact_fields: dict[str, frozenset[str]] = field(default_factory=dict)  # entity type -> fields atoms read

    def facts(self, entities: Iterable[Entity]) -> list[dict[str, Any]]:
        """The engine's facts: only entity types some atom matches, with only the fields atoms read. Every
        byte sent is parsed by the engine and every byte of a match comes back as JSON to Python."""
        keep = self.fact_fields
        return [e.fact(keep[e.type]) for e in entities if e.type in keep]

    @cached_property
    def alpha_atoms(self) -> frozenset[str]:
        return frozenset(a for a, atom in self.atoms.items() if isinstance(atom, AlphaAtom))


def fnv1a32(text: str) -> int:
    """The 32-bit hash durable_rules identifies property names by (C char is signed on x86-64)."""
    h = 0x811C9DC5
    for b in text.encode():
        h ^= (b - 256 if b >= 128 else b) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def check_field_names() -> None:
    """Refuse field names whose hashes collide: the engine would treat them as one property."""
    names = set(RESERVED_FIELDS) | {"$s"}
    for et in ENTITY_TYPES.values():
        if len(et.fields) + len(RESERVED_FIELDS) > MAX_FACT_PROPERTIES:
            raise CompileError(f"entity {et.name} has more than {MAX_FACT_PROPERTIES} fields, beyond what the engine handles")
        names |= set(et.fields)
    seen: dict[int, str] = {}
    for name in sorted(names):
        h = fnv1a32(name)
        if h in seen:
            raise CompileError(f"field names '{seen[h]}' and '{name}' have the same engine hash {h:#x}; rename one")
        seen[h] = name


def alpha_expr(cond: Condition, negate: bool = False) -> dict[str, Any]:
    """A durable expression for a count-free condition; negation is pushed to the leaves with missing
    fields handled explicitly (durable comparisons on a missing field match in neither direction)."""
    if isinstance(cond, Not):
        return alpha_expr(cond.item, not negate)
    if isinstance(cond, (All, AnyOf)):
        parts = [alpha_expr(c, negate) for c in cond.items]
        conj = isinstance(cond, All) != negate
        return parts[0] if len(parts) == 1 else {"$and" if conj else "$or": parts}
    if isinstance(cond, FieldTest):
        return _field_expr(cond, negate)
    raise CompileError("a count cannot be compiled as a single-entity test")


_OPPOSITE = {"lt": "$gte", "le": "$gt", "gt": "$lte", "ge": "$lt"}
_DIRECT = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def _reference_expr(t: FieldTest, negate: bool) -> dict[str, Any]:
    """A comparison with another field of the same fact (durable's `$m`); false when either is missing."""
    f, g = t.field, t.value.field
    op, ref = t.op, {"$m": t.value.field}
    if op == "ne":
        op, negate = "eq", not negate
    if not negate:
        test = {f: ref} if op == "eq" else {_DIRECT[op]: {f: ref}}
        return {"$and": [{"$ex": {f: 1}}, {"$ex": {g: 1}}, test]}
    opposite = {"$neq": {f: ref}} if op == "eq" else {_OPPOSITE[op]: {f: ref}}
    return {"$or": [{"$nex": {f: 1}}, {"$nex": {g: 1}}, opposite]}


def _field_expr(t: FieldTest, negate: bool) -> dict[str, Any]:
    if isinstance(t.value, FieldRef):
        return _reference_expr(t, negate)
    f = t.field
    missing = {"$nex": {f: 1}}
    op = t.op
    if op in ("ne", "not_in"):  # the exact negations of eq/in
        op, negate = {"ne": "eq", "not_in": "in"}[op], not negate
    if op == "present":
        positive = t.value != negate
        return {"$ex": {f: 1}} if positive else missing
    if op == "eq":
        return {f: t.value} if not negate else {"$or": [missing, {"$neq": {f: t.value}}]}
    if op == "in":
        values = list(t.value)
        if not negate:
            eqs = [{f: v} for v in values]
            return eqs[0] if len(eqs) == 1 else {"$or": eqs}
        neqs = [{"$neq": {f: v}} for v in values]
        return {"$or": [missing, neqs[0] if len(neqs) == 1 else {"$and": neqs}]}
    if op in _DIRECT:
        if not negate:
            return {_DIRECT[op]: {f: t.value}}
        return {"$or": [missing, {_OPPOSITE[op]: {f: t.value}}]}
    raise CompileError(f"unknown operator {t.op}")


class _RuleCompiler:
    def __init__(self, rule: Rule, atoms: dict[str, Atom]) -> None:
        self.rule = rule
        self.atoms = atoms
        self.mine: list[str] = []
        self.counter = itertools.count()
        self.reference_fields: set[str] = set()
        self.counted: list[str] = []

    def _new_id(self, kind: str) -> str:
        return f"{self.rule.id}#{kind}{next(self.counter)}"

    def plan(self, cond: Condition, entity: str) -> Plan:
        if not has_count(cond):
            alpha = AlphaAtom(self._new_id("a"), entity, alpha_expr(cond))
            self._add(alpha)
            return PAtom(alpha.id)
        if isinstance(cond, All):
            return PAll(tuple(self.plan(c, entity) for c in cond.items))
        if isinstance(cond, AnyOf):
            return PAny(tuple(self.plan(c, entity) for c in cond.items))
        if isinstance(cond, Not):
            return PNot(self.plan(cond.item, entity))
        assert isinstance(cond, Count)
        self.counted.append(cond.of)
        self.reference_fields |= _reference_tables(fields_of(cond.where))
        if cond.of == "reference_area":
            read = {rf for rf, _ in cond.on} | fields_of(cond.where)
            self.reference_fields |= {"cancer_alliances" if f.startswith("cancer_alliance") else "areas" for f in read}
        self.reference_fields |= REFERENCE_TABLES.get(cond.of, frozenset())
        atom = PairAtom(self._new_id("p"), entity, cond.of, cond.on, alpha_expr(cond.where) if cond.where else None)
        self._add(atom)
        return PCount(atom.id, cond.at_least, cond.at_most, cond.name)

    def _add(self, atom: Atom) -> None:
        self.atoms[atom.id] = atom
        self.mine.append(atom.id)


def fields_of(cond: Condition | None) -> set[str]:
    """Fields of the subject entity a condition reads (counts read other entities' fields)."""
    if cond is None:
        return set()
    if isinstance(cond, FieldTest):
        return {cond.field} | ({cond.value.field} if isinstance(cond.value, FieldRef) else set())
    if isinstance(cond, Not):
        return fields_of(cond.item)
    if isinstance(cond, Count):
        return set()
    return set().union(*(fields_of(c) for c in cond.items))


def _types_of(atom: Atom) -> list[str]:
    return [atom.entity] if isinstance(atom, AlphaAtom) else [atom.anchor, atom.related]


def _chunk(atoms: dict[str, Atom]) -> list[list[str]]:
    """Pack atoms into as few durable rulesets as keep every type under the fan-out limit."""
    chunks: list[list[str]] = []
    loads: list[dict[str, int]] = []
    for atom_id, atom in atoms.items():
        types = _types_of(atom)
        for chunk, load in zip(chunks, loads, strict=True):
            if all(load.get(t, 0) + types.count(t) <= MAX_RULES_PER_TYPE for t in set(types)):
                break
        else:
            chunk, load = [], {}
            chunks.append(chunk)
            loads.append(load)
        chunk.append(atom_id)
        for t in types:
            load[t] = load.get(t, 0) + 1
    return chunks


def compile_rulesets(rulesets: list[Ruleset]) -> CompiledRulesets:
    check_field_names()
    atoms: dict[str, Atom] = {}
    compiled = []
    for rs in rulesets:
        for rule in rs.rules:
            rc = _RuleCompiler(rule, atoms)
            when = rc.plan(rule.when, rule.scope) if rule.when is not None else None
            require = rc.plan(rule.require, rule.scope)
            review_if = rc.plan(rule.review_if, rule.scope) if rule.review_if is not None else None
            rc.reference_fields |= REFERENCE_TABLES.get(rule.scope, frozenset())
            rc.reference_fields |= _reference_tables(fields_of(rule.require) | fields_of(rule.when) | fields_of(rule.review_if))
            compiled.append(CompiledRule(rule, when, require, tuple(rc.mine), frozenset(rc.reference_fields),
                                         tuple(sorted(fields_of(rule.require) | fields_of(rule.when) | fields_of(rule.review_if))),
                                         review_if, tuple(dict.fromkeys(rc.counted))))
    chunks = _chunk(atoms)
    digest = hashlib.sha256("".join(rs.sha256 for rs in rulesets).encode()).hexdigest()[:12]
    chunk_of = {atom_id: i for i, chunk in enumerate(chunks) for atom_id in chunk}
    return CompiledRulesets(tuple(rulesets), compiled, atoms, chunks, digest, chunk_of, _fact_fields(atoms.values()))


def _expr_fields(expr: Any) -> set[str]:
    """Field names in a durable expression: keys that are not operators, and same-fact references."""
    out: set[str] = set()
    if isinstance(expr, dict):
        for k, v in expr.items():
            if k in ("$m", "$s") and isinstance(v, str):
                out.add(v)
            elif not k.startswith("$"):
                out.add(k)
            out |= _expr_fields(v)
    elif isinstance(expr, list):
        for item in expr:
            out |= _expr_fields(item)
    return out


def _fact_fields(atoms: Iterable[Atom]) -> dict[str, frozenset[str]]:
    needed: dict[str, set[str]] = {}
    for atom in atoms:
        if isinstance(atom, AlphaAtom):
            needed.setdefault(atom.entity, set()).update(_expr_fields(atom.expr))
        else:
            needed.setdefault(atom.anchor, set()).update(sf for _, sf in atom.join)
            needed.setdefault(atom.related, set()).update({rf for rf, _ in atom.join} | _expr_fields(atom.expr))
    return {t: frozenset(f - set(RESERVED_FIELDS)) for t, f in needed.items()}


def durable_definition(compiled: CompiledRulesets, chunk: int, action_for: Any) -> dict[str, Any]:
    """The durable_rules definition of one chunk; `action_for(atom)` returns its one-argument action.

    A fresh dict every call: durable_rules mutates definitions (it pops 'run')."""
    definition: dict[str, Any] = {}
    for atom_id in compiled.chunks[chunk]:
        atom = compiled.atoms[atom_id]
        pattern: list[dict[str, Any]]
        if isinstance(atom, AlphaAtom):
            pattern = [{"a": {"$and": [{"t": atom.entity}, atom.expr]}}]
        else:
            related: list[dict[str, Any]] = [{"t": atom.related}]
            related += [{rf: {"a": sf}} for rf, sf in atom.join]  # equality joins only
            if atom.expr:
                related.append(atom.expr)
            pattern = [{"a": {"t": atom.anchor}}, {"w": {"$and": related}}]
        definition[atom_id] = {"all": pattern, "cap": FRAMES_PER_STEP, "run": action_for(atom)}
    # The guard: every document fires at least one action, so delete_state never frees uninitialised memory.
    definition[GUARD] = {"all": [{"m": {"t": SENTINEL_TYPE}}], "run": action_for(None)}
    json.dumps({k: v["all"] for k, v in definition.items()})  # definitions must be plain JSON
    return definition
