from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from ics_rules.problems import InputError
from ics_rules.rulesets import load_ruleset, load_rulesets
from conftest import REPO, SHARED

HEADER = """format: ics-ruleset/1
id: test
title: Test rules
version: 1.0.0
source: {title: Test, date: "2019-01-07"}
rules:
"""

RULE = """  - id: T-1.52-{name}
    title: A rule
    citation: {{paragraph: "1.52"}}
    severity: required
    in_force: {{from: "2019-01-07"}}
    scope: {scope}
    require: {require}
    message: "{message}"
    remediation: Fix it.
"""


def ruleset_text(*rules: tuple[str, str, str], message: str = "{{ name }} fails") -> str:
    return HEADER + "".join(RULE.format(name=n, scope=s, require=r, message=message) for n, s, r in rules)


def errors(write: Callable[..., Path], text: str) -> list[str]:
    path = write(text, "rules.yaml")
    with pytest.raises(InputError) as info:
        load_ruleset(path, "rules.yaml")
    return [str(p) for p in info.value.problems]


def test_bundled_ruleset_loads_and_every_rule_cites_a_paragraph_of_its_source() -> None:
    rs = load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")
    assert len(rs.rules) >= 40
    for rule in rs.rules:
        if rule.citation.document == rs.source_title:  # the plan itself: paragraphs 1.50 to 1.59
            major, minor = rule.citation.paragraph.split(".")
            assert major == "1" and 50 <= int(minor) <= 59, rule.id
            assert rule.id.startswith(f"LTP-{rule.citation.paragraph}-")
        else:  # a report of a dated commitment, cited by the paragraph's position in it
            assert rule.citation.paragraph.isdigit(), rule.id
        assert rule.pass_message, f"{rule.id}: a pass should say what evidence was found"


def test_ruleset_schema_offers_exactly_the_registered_entity_types() -> None:
    from ics_rules.facts import ENTITY_TYPES
    from ics_rules.validation import load_schema

    defs = load_schema("ruleset")["$defs"]
    assert set(defs["rule"]["properties"]["scope"]["enum"]) == set(ENTITY_TYPES) - {"reference_area"}
    assert set(defs["count"]["properties"]["of"]["enum"]) == set(defs["exists"]["properties"]["of"]["enum"]) == set(ENTITY_TYPES)


def test_every_quote_is_verbatim_in_the_seed_text() -> None:
    squash = lambda s: re.sub(r"\s+", " ", s)  # noqa: E731
    seeds = squash(" ".join(p.read_text(encoding="utf-8") for p in (SHARED / "seeds").glob("*.txt")))
    for rule in load_ruleset(REPO / "rulesets" / "ltp-2019.yaml").rules:
        assert rule.citation.quote and squash(rule.citation.quote) in seeds, rule.id


def test_unknown_operator_names_file_rule_and_line(write: Callable[..., Path]) -> None:
    text = ruleset_text(("A", "ics", "{field: chair_name, equalz: x}"))
    assert errors(write, text) == [
        "rules.yaml:13:34: rules[0].require.equalz: rule T-1.52-A: unknown operator 'equalz'; expected one of: "
        "equals, not_equals, in, not_in, less_than, less_or_equal, greater_than, greater_or_equal, present"]


def test_unknown_condition_keyword(write: Callable[..., Path]) -> None:
    (message,) = errors(write, ruleset_text(("A", "ics", "{every: []}")))
    assert message.startswith("rules.yaml:13:15: rules[0].require.every: rule T-1.52-A: unknown operator 'every'")


def test_unknown_field_lists_the_entity_fields(write: Callable[..., Path]) -> None:
    (message,) = errors(write, ruleset_text(("A", "primary_care_network", "{field: director, present: true}")))
    assert "rule T-1.52-A: primary_care_network has no field 'director'; its fields are: ics, code, name" in message
    assert message.startswith("rules.yaml:13:")


@pytest.mark.parametrize("require, words", [
    ("{field: population, equals: lots}", "population is integer, but the value 'lots' is not"),
    ("{field: chair_non_executive, equals: 'yes'}", "chair_non_executive is boolean, but the value 'yes' is not"),
    ("{field: chair_name, less_than: B}", "'less_than' compares numbers or dates, but chair_name is string"),
    ("{field: chair_approval_date, greater_than: '2019'}", "chair_approval_date is date (YYYY-MM-DD), but the value '2019' is not"),
    ("{field: region, in: []}", "'in' takes a non-empty list"),
    ("{count: {of: board_member}}", "a count needs at_least or at_most"),
    ("{count: {of: spaceship, at_least: 1}}", "'of' must be an entity type"),
    ("{exists: {of: primary_care_network, on: {code: population}}}", "cannot join primary_care_network.code (string) to ics.population (integer)"),
    ("{exists: {of: board_member, where: {exists: {of: organisation}}}}", "cannot be nested inside another count"),
    ("{all: [{field: chair_name, present: true}, {not: {any: []}}]}", "'any' takes a non-empty list of conditions"),
    ("{field: chair_name, present: true, equals: x}", "a field test has exactly one operator"),
])
def test_condition_mistakes_are_explained(write: Callable[..., Path], require: str, words: str) -> None:
    found = errors(write, ruleset_text(("A", "ics", require)))
    assert any(words in f and "rule T-1.52-A" in f and f.startswith("rules.yaml:") for f in found), found


def test_duplicate_rule_id_is_refused(write: Callable[..., Path]) -> None:
    text = ruleset_text(("A", "ics", "{field: chair_name, present: true}"), ("A", "ics", "{field: chair_name, present: true}"))
    (message,) = errors(write, text)
    assert message == "rules.yaml:16:9: rules[1].id: rule id 'T-1.52-A' is used twice (first at line 7)"


def test_template_may_not_name_unknown_variables_or_fail_to_parse(write: Callable[..., Path]) -> None:
    (message,) = errors(write, ruleset_text(("A", "ics", "{field: chair_name, present: true}"), message="{{ chiar_name }}"))
    assert "rule T-1.52-A: message template names unknown variable(s) chiar_name" in message
    (message,) = errors(write, ruleset_text(("A", "ics", "{field: chair_name, present: true}"), message="{% if %}"))
    assert "message template does not parse" in message


def test_schema_level_mistakes_name_the_rule(write: Callable[..., Path]) -> None:
    text = ruleset_text(("A", "ics", "{field: chair_name, present: true}")).replace("severity: required", "severity: mandatory")
    (message,) = errors(write, text)
    assert message.startswith("rules.yaml:10:15: rules[0].severity: rule T-1.52-A: text 'mandatory' is not allowed")
    text = ruleset_text(("A", "galaxy", "{field: chair_name, present: true}"))
    assert any("rules[0].scope: rule T-1.52-A:" in m for m in errors(write, text))


def test_the_same_rule_id_in_two_rulesets_is_refused(write: Callable[..., Path], tmp_path: Path) -> None:
    text = ruleset_text(("A", "ics", "{field: chair_name, present: true}"))
    a = write(text, "a.yaml")
    b = write(text.replace("id: test", "id: test-b"), "b.yaml")
    with pytest.raises(InputError) as info:
        load_rulesets([a, b])
    assert "rule id 'T-1.52-A' is also defined in" in str(info.value)


def test_docs_list_every_entity_field() -> None:
    from ics_rules.facts import ENTITY_TYPES

    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for entity in ENTITY_TYPES.values():
        section = text.split(f"### `{entity.name}`", 1)[1].split("###", 1)[0]
        for name, ftype in entity.fields.items():
            assert f"| `{name}` | {ftype} |" in section, (entity.name, name)


def test_the_light_template_check_names_what_jinja_finds_undeclared_in_every_bundled_message() -> None:
    """templating.free_names stands in for jinja2.meta.find_undeclared_variables (at a third of the cost)."""
    from jinja2 import meta

    from ics_rules.templating import free_names, parse

    templates = [t for rule in load_ruleset(REPO / "rulesets" / "ltp-2019.yaml").rules for t in (rule.message, rule.pass_message) if t]
    assert len(templates) > 90
    for source in templates + ["{% for c in claims %}{{ c.file }}{{ ', ' if not loop.last }}{% endfor %} {{ missing }}",
                               "{% set n = claims | length %}{{ n }} {{ other }}"]:
        ast = parse(source)
        assert free_names(ast) == meta.find_undeclared_variables(ast), source
