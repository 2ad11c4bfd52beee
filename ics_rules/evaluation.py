"""From engine firings to exactly one result per rule per in-scope entity."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from .compiler import CompiledRule, CompiledRulesets, PAll, PAny, PAtom, PCount, Plan, PNot
from .engine import Hits, RuleEngine
from .facts import ENTITY_TYPES, LIST_POINTERS, Entity, build_entities
from .loading import Document
from .reference import Reference
from .reference.view import ALWAYS
from .referencing import Findings
from .system import system_entities
from .results import Evidence, Result, Subject
from .rulesets import Rule
from .templating import UNDEFINED, fill, plain_template, render


def _document_order(fact_id: str) -> int:
    """Fact ids are `<type>:<index>`; the index is the entity's place in the document."""
    return int(fact_id.rsplit(":", 1)[1])


def _truth(plan: Plan, entity: Entity, hits: Hits, matched: dict[str, list[str]]) -> bool:
    if isinstance(plan, PAtom):
        return entity.fact_id in hits.alpha.get(plan.atom, ())
    if isinstance(plan, PCount):
        related = sorted(hits.pairs.get(plan.atom, {}).get(entity.fact_id, ()), key=_document_order)
        if plan.name:
            matched[plan.name] = related
        n = len(related)
        return (plan.at_least is None or n >= plan.at_least) and (plan.at_most is None or n <= plan.at_most)
    if isinstance(plan, PAll):
        values = [_truth(p, entity, hits, matched) for p in plan.items]  # no short cut: fill every `as` name
        return all(values)
    if isinstance(plan, PAny):
        values = [_truth(p, entity, hits, matched) for p in plan.items]
        return any(values)
    assert isinstance(plan, PNot)
    return not _truth(plan.item, entity, hits, matched)


def _in_force_text(rule: Rule) -> str:
    return f"in force from {rule.in_force_from}" + (f" until {rule.in_force_until}" if rule.in_force_until else "")


def _evidence(fields: tuple[str, ...], entity: Entity, doc: Document, counted: tuple[str, ...] = ()) -> tuple[Evidence, ...]:
    """The places in the submission the rule's own fields come from, for fields read from outside the
    subject's node: the value when it is written, else the section it belongs in, if that is written;
    and for an ICS-level rule, the lists it counts from."""
    sources = ENTITY_TYPES[entity.type].sources
    out, seen = [], set()
    lists = [(kind, LIST_POINTERS[kind]) for kind in counted if kind in LIST_POINTERS] if entity.type == "ics" else []
    for name, pointer in [(n, sources.get(n)) for n in fields] + lists:
        if pointer is None:
            continue
        at = pointer if pointer in doc.positions else pointer.rsplit("/", 1)[0]
        if at in seen or at not in doc.positions or at in ("", entity.pointer):
            continue
        seen.add(at)
        line, column = doc.positions[at]
        out.append(Evidence(name, at, line, column))
    return tuple(sorted(out, key=lambda e: (e.line or 0, e.column or 0)))


def _plain_values(entity: Entity, matched: dict[str, list[str]], by_fact: dict[str, Entity], as_of: str,
                 status: str) -> Callable[[str], Any]:
    """Values for a plain template: what `_context` would give those names, without building it."""
    special = {"key": entity.key, "name": entity.name, "as_of": as_of, "status": status}
    declared = ENTITY_TYPES[entity.type].fields

    def value(name: str) -> Any:
        if name in matched:
            return [_related(by_fact[f]) for f in matched[name]]
        if name in special:
            return special[name]
        if name in declared:
            return entity.fields.get(name)
        return UNDEFINED
    return value


def _related(entity: Entity) -> dict[str, Any]:
    """A related entity as templates see it (a `count ... as NAME` list holds these)."""
    return dict(entity.fields, key=entity.key, name=entity.name)


_MAPPINGS = frozenset({"subject", "rule"})  # context names that are mappings or lists: those go through Jinja2


class Evaluator:
    """Holds the compiled rules and their engine; evaluates one validated submission at a time."""

    def __init__(self, compiled: CompiledRulesets) -> None:
        self.compiled = compiled
        self.engine = RuleEngine(compiled)

    def evaluate(self, doc: Document, as_of: str, geography: Reference, found: Findings | None = None) -> list[Result]:
        """One submission's results (system-scope rules have no entities in it, so give none); `found`
        is the reference stage's findings, when the caller has them already."""
        return self.evaluate_entities(build_entities(doc, geography, as_of, found), doc, as_of, geography)

    def evaluate_system(self, summaries: list[dict[str, Any]], as_of: str, geography: Reference) -> list[Result]:
        """A batch's system-scope results, from the submissions' summaries (system.summarise)."""
        batch = Document(path="<batch>", data={}, sha256="")
        return self.evaluate_entities(system_entities(summaries, geography), batch, as_of, geography)

    def evaluate_entities(self, entities: list[Entity], doc: Document, as_of: str, geography: Reference) -> list[Result]:
        by_type: dict[str, list[Entity]] = defaultdict(list)
        by_fact: dict[str, Entity] = {}
        for e in entities:
            by_type[e.type].append(e)
            by_fact[e.fact_id] = e
        hits = self.engine.run(self.compiled.facts(entities))
        failed_atoms = {a for i in hits.failed_chunks for a in self.compiled.chunks[i]}
        results = []
        for cr in self.compiled.rules:
            problem = self._cannot_evaluate(cr, geography, failed_atoms, hits, as_of)
            for entity in by_type.get(cr.rule.scope, []):
                results.append(self._result(cr, entity, doc, hits, by_fact, as_of, problem))
        return results

    def _cannot_evaluate(self, cr: CompiledRule, geography: Reference, failed: set[str], hits: Hits, as_of: str) -> str | None:
        bad = [a for a in cr.atoms if a in failed]
        if bad:
            return "Could not be evaluated: " + hits.failed_chunks[self.compiled.chunk_of[bad[0]]]
        if cr.reference_fields - ALWAYS:
            if geography.geography is None:
                return f"Could not be evaluated: {geography.gap()}."
            missing = sorted(cr.reference_fields - geography.provides)
            if missing:
                return (f"Could not be evaluated: the reference data in force on {as_of} ({geography.id}) "
                        f"has no {', '.join(m.replace('_', ' ') for m in missing)}.")
        return None

    def _result(self, cr: CompiledRule, entity: Entity, doc: Document, hits: Hits, by_fact: dict[str, Entity],
                as_of: str, problem: str | None) -> Result:
        rule = cr.rule
        matched: dict[str, list[str]] = {}
        if not rule.in_force(as_of):
            status, message = "not_applicable", f"Not in force on {as_of} ({_in_force_text(rule)})."
        elif problem:
            status, message = "error", problem
        elif cr.when is not None and not _truth(cr.when, entity, hits, matched):
            status = "not_applicable"
            message = (render(rule.not_applicable_message, self._context(entity, matched, by_fact, as_of, rule, status))
                       if rule.not_applicable_message else f"Does not apply to this {ENTITY_TYPES[entity.type].label}.")
        else:
            ok = _truth(cr.require, entity, hits, matched)
            unsettled = not ok and cr.review_if is not None and _truth(cr.review_if, entity, hits, matched)
            status = "review" if unsettled else ("review" if rule.outcome == "review" else "pass") if ok else "fail"
            template: str = (rule.review_message or "") if unsettled else rule.message if not ok else (rule.pass_message or rule.title)
            plain = plain_template(template)
            message = fill(plain, _plain_values(entity, matched, by_fact, as_of, status)) if plain and _MAPPINGS.isdisjoint(plain.names) else None
            if message is None:
                message = render(template, self._context(entity, matched, by_fact, as_of, rule, status))
        if entity.location is not None:
            file, line, column = entity.location
        else:
            pos = doc.position(entity.pointer)
            file, line, column = doc.path, (pos[0] if pos else None), (pos[1] if pos else None)
        subject = Subject(entity.type, entity.key, entity.name, file, entity.pointer, line, column)
        return Result(rule.id, rule.title, rule.severity, status, message, cr.citation, rule.remediation, subject, rule.ruleset,
                      _evidence(cr.fields, entity, doc, cr.counted))

    @staticmethod
    def _context(entity: Entity, matched: dict[str, list[str]], by_fact: dict[str, Entity], as_of: str, rule: Any, status: str) -> dict[str, Any]:
        fields = {name: entity.fields.get(name) for name in ENTITY_TYPES[entity.type].fields}
        ctx: dict[str, Any] = dict(fields)
        ctx.update(subject=fields, key=entity.key, name=entity.name, as_of=as_of, status=status,
                   rule={"id": rule.id, "title": rule.title})
        for name, fact_ids in matched.items():
            ctx[name] = [_related(by_fact[f]) for f in fact_ids]
        return ctx
