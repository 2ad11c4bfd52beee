from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import ics_rules.engine as engine_module
from ics_rules import compiler
from ics_rules.compiler import CompileError, alpha_expr, compile_rulesets, fnv1a32
from ics_rules.conditions import All, FieldTest, Not
from ics_rules.evaluation import Evaluator
from ics_rules.facts import ENTITY_TYPES, EntityType, build_entities
from ics_rules.loading import load_file
from ics_rules.reference import reference_for
from ics_rules.rulesets import load_ruleset
from conftest import EXAMPLES, REPO
from reference_evaluator import statuses


def test_fnv1a32_matches_the_engines_hash_and_known_collision() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("costarring") == fnv1a32("liquid")  # the research's colliding pair


def test_colliding_field_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ENTITY_TYPES, "clash", EntityType("clash", "clash", {"costarring": "string", "liquid": "string"}))
    with pytest.raises(CompileError, match="'costarring' and 'liquid' have the same engine hash"):
        compiler.check_field_names()


def test_too_many_properties_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = {f"f{i}": "string" for i in range(250)}
    monkeypatch.setitem(ENTITY_TYPES, "wide", EntityType("wide", "wide", fields))
    with pytest.raises(CompileError, match="more than 240 fields"):
        compiler.check_field_names()


def test_negation_is_pushed_to_the_leaves_with_missing_fields_explicit() -> None:
    cond = Not(All((FieldTest("code", "eq", "U1"), FieldTest("member_practice_count", "lt", 3))))
    assert alpha_expr(cond) == {"$or": [
        {"$or": [{"$nex": {"code": 1}}, {"$neq": {"code": "U1"}}]},
        {"$or": [{"$nex": {"member_practice_count": 1}}, {"$gte": {"member_practice_count": 3}}]},
    ]}


def _many_rules_text(n: int) -> str:
    rules = "".join(f"""  - id: T-1.52-R{i}
    title: rule {i}
    citation: {{paragraph: "1.52"}}
    severity: required
    in_force: {{from: "2019-01-07"}}
    scope: primary_care_network
    require: {{field: member_practice_count, greater_or_equal: {i % 4}}}
    message: "{{{{ code }}}} has {{{{ member_practice_count }}}}"
    remediation: Fix it.
""" for i in range(n))
    return ('format: ics-ruleset/1\nid: many\ntitle: Many\nversion: 1.0.0\nsource: {title: T, date: "2019-01-07"}\nrules:\n' + rules)


def test_large_catalogues_are_split_below_the_fan_out_limit_and_stay_correct(write: Callable[..., Path]) -> None:
    ruleset = load_ruleset(write(_many_rules_text(130), "many.yaml"))
    compiled = compile_rulesets([ruleset])
    assert len(compiled.chunks) == 3
    assert all(len(chunk) <= compiler.MAX_RULES_PER_TYPE for chunk in compiled.chunks)
    doc = load_file(EXAMPLES / "non-compliant.yaml")  # member_practice_count 0 on three PCNs, 3 on none
    geography = reference_for("2023-04-01")
    results = Evaluator(compiled).evaluate(doc, "2023-04-01", geography)
    expected = statuses(list(ruleset.rules), build_entities(doc, geography, "2023-04-01"), "2023-04-01")
    got = {(r.rule_id, f"primary_care_network:{int(r.subject.pointer.rsplit('/', 1)[1])}"): r.status for r in results}
    assert got == expected
    assert sorted(set(got.values())) == ["fail", "pass"]


def test_state_is_deleted_after_every_document_beyond_the_live_state_limit() -> None:
    compiled = compile_rulesets([load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")])
    evaluator = Evaluator(compiled)
    doc = load_file(EXAMPLES / "non-compliant.yaml")
    geography = reference_for("2023-04-01")
    first = evaluator.evaluate(doc, "2023-04-01", geography)
    for _ in range(1100):  # durable_rules allows 1,024 live states per ruleset
        evaluator.engine.run([e.fact() for e in build_entities(doc, geography, "2023-04-01")])
    assert evaluator.evaluate(doc, "2023-04-01", geography) == first
    engine = evaluator.engine
    with pytest.raises(Exception):  # error 309: the last document's state no longer exists
        engine.host.get_state(engine.names[0], "doc-1101")


def test_an_engine_failure_is_reported_as_error_and_the_engine_recovers(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = compile_rulesets([load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")])
    evaluator = Evaluator(compiled)
    doc = load_file(EXAMPLES / "compliant.yaml")
    geography = reference_for("2023-04-01")
    real = engine_module.durable_rules_engine.assert_facts

    def broken(handle: Any, payload: str) -> Any:
        raise RuntimeError("simulated crash in the C engine")
    monkeypatch.setattr(engine_module.durable_rules_engine, "assert_facts", broken)
    old_host = evaluator.engine.host
    results = evaluator.evaluate(doc, "2023-04-01", geography)
    in_force = [r for r in results if r.status != "not_applicable"]
    assert in_force and {r.status for r in in_force} == {"error"}
    # a state the engine refused may be half-built, and deleting one can crash durable_rules (research
    # REPORT 2.1.4): the whole host is replaced instead, so nothing of that document is seen again
    assert evaluator.engine.host is not old_host
    assert "simulated crash in the C engine" in in_force[0].message
    monkeypatch.setattr(engine_module.durable_rules_engine, "assert_facts", real)
    assert {r.status for r in evaluator.evaluate(doc, "2023-04-01", geography)} == {"pass", "review", "not_applicable"}


def test_an_action_error_swallowed_by_durable_rules_is_still_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = compile_rulesets([load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")])
    evaluator = Evaluator(compiled)
    doc = load_file(EXAMPLES / "compliant.yaml")

    def failing_collect(self: Any, *args: Any) -> None:
        raise ValueError("action bookkeeping failed")
    monkeypatch.setattr(engine_module.RuleEngine, "_collect", failing_collect)
    engine = evaluator.engine
    deleted: list[tuple[str, str]] = []
    real_delete = engine.host.delete_state

    def recording_delete(name: str, sid: str) -> Any:
        deleted.append((name, sid))
        return real_delete(name, sid)
    monkeypatch.setattr(engine.host, "delete_state", recording_delete)
    results = evaluator.evaluate(doc, "2023-04-01", reference_for("2023-04-01"))
    assert "pass" not in {r.status for r in results}
    assert any("action bookkeeping failed" in r.message for r in results)
    # the failed document's state is gone from every chunk's ruleset all the same
    (sid,) = {sid for _, sid in deleted}
    assert sorted(name for name, _ in deleted) == sorted(engine.names)
    for name in engine.names:
        with pytest.raises(Exception, match="309"):
            engine.host.get_state(name, sid)


def test_plain_messages_filled_in_directly_read_exactly_as_jinja_renders_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most messages skip Jinja2 (templating.plain_template); with that shortcut switched off every message
    of every result, passes and failures, on both examples, with missing fields, and of the system rules
    over the faulty national batch (`claims[0].ics_name`), must be the same."""
    import ics_rules.evaluation as evaluation
    from ics_rules.api import check_one
    from ics_rules.templating import UNDEFINED, fill, plain_template, render

    compiled = compile_rulesets([load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")])
    geography = reference_for("2023-04-01")
    docs = [load_file(EXAMPLES / name) for name in ("compliant.yaml", "non-compliant.yaml")]
    summaries = [check_one(str(p), None, Evaluator(compiled))[2] for p in sorted((EXAMPLES / "national-faulty").glob("*.yaml"))]

    def everything() -> list[list[str]]:
        evaluator = Evaluator(compiled)
        runs = [evaluator.evaluate(doc, "2023-04-01", geography) for doc in docs]
        runs.append(evaluator.evaluate_system(summaries, "2023-04-01", geography))
        return [[r.message for r in results] for results in runs]
    fast = everything()
    rules = {rule.id: rule for rule in compiled.rulesets[0].rules}
    templates = {rule.message for rule in rules.values()} | {rule.pass_message or rule.title for rule in rules.values()}
    assert sum(plain_template(t) is not None for t in templates) >= 40  # the shortcut really is taken
    assert any(v.index is not None for t in templates if plain_template(t) for v in plain_template(t).variables)
    monkeypatch.setattr(evaluation, "plain_template", lambda source: None)
    assert fast == everything()
    for template, values in [("a {{ x }} b {{y}} c {{ n }}  d", {"x": None, "n": 1.5}), ("{{ y }}", {}),
                             ("{{ c[0].a }}|{{ c[3] }}|{{ c[0].b }}|{{ d.a }}|{{ e[0] }}|{{ e.a }}|{{ f[1] }}",
                              {"c": [{"a": 1}], "d": None, "e": "xy", "f": {1: "one"}})]:
        assert fill(plain_template(template), lambda name: values.get(name, UNDEFINED)) == render(template, values), template
    assert fill(plain_template("{{ c[3].a }}"), lambda name: [{"a": 1}]) is None  # Jinja2 raises: it is left to raise
    assert plain_template("{{ c[0].items }}") is None and plain_template("{{ s.upper }}") is None  # Jinja2 finds methods
