from __future__ import annotations

import json
from typing import Any, Iterator

from hypothesis import given, strategies as st

from ics_rules.loading import load_file, parse_text
from ics_rules.validation import load_schema, validate_submission
from conftest import EXAMPLES, tree_nodes


def problems(data: Any, name: str = "s.json") -> list[str]:
    return [str(p) for p in validate_submission(parse_text(name, json.dumps(data, indent=1).encode()))]


def test_invalid_example_gives_each_problem_with_file_line_column_and_field() -> None:
    doc = load_file(EXAMPLES / "invalid.yaml", "examples/invalid.yaml")
    found = [str(p) for p in validate_submission(doc)]
    expected_prefixes = [
        "examples/invalid.yaml:7:9: ics.code: 'XX12' is not in the right format",
        "examples/invalid.yaml:9:10: ics.as_at: '2023-02-30' is not a valid date",
        "examples/invalid.yaml:10:15: ics.population: expected a whole number, got text 'many'",
        "examples/invalid.yaml:15:60: organisations[1].type: text 'hospital' is not allowed",
        "examples/invalid.yaml:18:3: partnership_board: missing required field 'chair'",
        "examples/invalid.yaml:18:3: partnership_board.chiar: unknown field 'chiar'",
        "examples/invalid.yaml:21:69: partnership_board.members[0].non_executive: expected true or false, got text 'yes please'",
        "examples/invalid.yaml:24:11: primary_care_networks[0].code: 'U1234' is not in the right format",
        "examples/invalid.yaml:26:59: primary_care_networks[0].clinical_director.gmc_number: '12345' is not in the right format",
    ]
    assert len(found) == len(expected_prefixes)
    for got, want in zip(found, expected_prefixes, strict=True):
        assert got.startswith(want), (got, want)


def test_compliant_and_non_compliant_examples_are_valid() -> None:
    for name in ("compliant.yaml", "non-compliant.yaml"):
        assert validate_submission(load_file(EXAMPLES / name)) == []


def test_unquoted_yes_where_text_belongs_is_caught(submission: dict[str, Any]) -> None:
    doc = parse_text("s.yaml", b"format: ics-submission/1\nics: {name: yes}\n")
    found = [str(p) for p in validate_submission(doc)]
    assert "s.yaml:2:13: ics.name: expected text, got true (YAML reads an unquoted yes, no, on or off as true or false: quote it if you meant text)" in found


def test_a_board_member_from_an_unlisted_organisation_is_named(submission: dict[str, Any]) -> None:
    submission["partnership_board"]["members"][1]["organisation"] = "st-elsewhere"
    (message,) = problems(submission)
    assert "partnership_board.members[1].organisation: organisation 'st-elsewhere' is not listed in organisations" in message
    assert message.startswith("s.json:")


def test_every_organisation_reference_is_checked(submission: dict[str, Any]) -> None:
    submission["provider_contracts"][0]["commissioner"] = "ghost-ccg"
    submission["ics"]["places"][0]["local_authority"] = "ghost-council"
    found = problems(submission)
    assert any("provider_contracts[0].commissioner: organisation 'ghost-ccg'" in p for p in found)
    assert any("ics.places[0].local_authority: organisation 'ghost-council'" in p for p in found)


def test_duplicate_identifiers_are_refused(submission: dict[str, Any]) -> None:
    submission["organisations"].append(dict(submission["organisations"][0]))
    submission["primary_care_networks"].append(dict(submission["primary_care_networks"][0]))
    found = problems(submission)
    assert any("organisation id 'gm-icb' is listed twice" in p for p in found)
    assert any("PCN code 'U07506' is listed twice" in p for p in found)


def test_extension_fields_are_allowed_but_unknown_fields_are_not(submission: dict[str, Any]) -> None:
    submission["x-local-note"] = "kept"
    submission["ics"]["x-owner"] = "team"
    assert problems(submission) == []
    submission["ics"]["populaton"] = 5
    (message,) = problems(submission)
    assert "ics.populaton: unknown field 'populaton'" in message


def _properties(schema: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, sub in schema.items():
            if key != "properties":
                yield from _properties(sub, path)
        for name, sub in schema.get("properties", {}).items():
            yield from _properties(sub, f"{path}.{name}")
    elif isinstance(schema, list):
        for item in schema:
            yield from _properties(item, path)


def test_every_schema_property_is_described() -> None:
    for name in ("submission", "ruleset", "report"):
        props = list(_properties(load_schema(name)))
        assert props, name
        undescribed = [p for p, sub in props if not (isinstance(sub, dict) and sub.get("description"))]
        assert undescribed == [], (name, undescribed)


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**8), st.text(max_size=12), st.sampled_from(
    ["2023-02-30", "U12345", "Q1X", "yes", "E06000018", "", " ", "1234567"]), st.just([]), st.just({}), st.just({"x": 1}))


@given(st.data())
def test_the_inlined_schema_finds_exactly_what_the_schema_as_written_finds(compliant_data: dict[str, Any], data: st.DataObject) -> None:
    """Validation uses the submission schema with its definitions inlined (validation.inline_definitions);
    on documents broken at random places it must report the same errors as the schema file itself."""
    import copy

    from jsonschema import Draft202012Validator, FormatChecker

    from ics_rules.validation import validator

    doc = copy.deepcopy(compliant_data)
    targets = [p for p, _ in tree_nodes(doc) if p]
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(targets))
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this place

    def seen(v: Draft202012Validator) -> list[tuple[Any, ...]]:
        return sorted((tuple(map(str, e.absolute_path)), e.validator, e.message, json.dumps(e.schema.get("description")))
                      for e in v.iter_errors(doc))
    as_written = Draft202012Validator(load_schema("submission"), format_checker=FormatChecker())
    assert seen(validator("submission")) == seen(as_written)
