"""Property-based fuzzing of the loader, the schema layer and the engine (docs/security.md).

Each test states what must hold for *any* input: the loader returns a document or an InputError with
the file and a line inside the file; validation returns problems, never raises; the engine gives one
result per rule per entity in scope and never fails to evaluate. CI runs each test 150 times; `make
fuzz` runs the same tests with the `fuzz` profile (tens of thousands of documents each) and the
coverage-guided atheris run of fuzz/pipeline.py.
"""
from __future__ import annotations

import copy
import json
import re
from collections import Counter
from typing import Any, Iterator

import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from ics_rules.api import check_one
from ics_rules.compiler import compile_rulesets
from ics_rules.evaluation import Evaluator
from ics_rules.loading import Document, parse_text
from ics_rules.problems import InputError
from ics_rules.reference import reference_for
from ics_rules.rulesets import load_ruleset
from ics_rules.system import summarise
from ics_rules.validation import validate_submission
from conftest import EXAMPLES, REPO, tree_nodes

LTP = load_ruleset(REPO / "rulesets" / "ltp-2019.yaml")
EVALUATOR = Evaluator(compile_rulesets([LTP]))
# The one `error` a valid document may get: the dated reference data lacks what a rule reads (no
# edition for the date, or an edition without that table, as 2026-04 has no Cancer Alliances).
REFERENCE_GAP = re.compile(r"Could not be evaluated: (there is no reference geography for |the reference data in force on .+ has no )")
SEED_FILES = sorted([*EXAMPLES.glob("*.yaml"), *(EXAMPLES / "national").glob("*.yaml"),
                     *(REPO / "tests" / "bad-inputs").rglob("*.y*ml"), *(REPO / "tests" / "bad-inputs").rglob("*.json")])
SEEDS = [p.read_bytes() for p in SEED_FILES if p.stat().st_size < 100_000]
VALID = [parse_text(p.name, p.read_bytes()).data for p in [EXAMPLES / "compliant.yaml", EXAMPLES / "non-compliant.yaml", EXAMPLES / "merged-icb-2026.yaml",
                                                           *sorted((EXAMPLES / "national").glob("*.yaml"))]]

# Fragments that have broken YAML loaders: anchors and aliases, tags (Python object tags included),
# merge keys, directives, document markers, block scalars, odd numbers, encodings and control bytes.
TOKENS = [b"&a ", b"*a", b"&b [*a, *a, *a] ", b"!!python/object/apply:os.system ['true'] ", b"!!binary aGk= ", b"!!set ",
          b"!!timestamp 2001-12-14 ", b"!custom ", b"<<: *a\n", b"%YAML 1.1\n", b"%TAG ! tag:x,2000:\n", b"---\n", b"...\n",
          b"? ", b": ", b"- ", b"|\n", b">-\n", b"{", b"}", b"[", b"]", b",", b"'", b'"', b"#", b"\n", b"\r\n", b"\t", b"  ",
          b"~", b"null", b"yes", b"no", b"on", b"off", b"2023-02-30", b"2023-04-01T00:00:00Z", b".nan", b".inf", b"-.inf",
          b"1e999", b"0x1F", b"0o17", b"1_000", b"12:30:00", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\x00", b"\x85", b"\x1b[31m",
          "\u2028".encode(), "\ufeff".encode(), "Zoë".encode(), b"{{ 7*7 }}", b"{% for x in y %}", b"<script>", b"\\u0000",
          b"x" * 300, b"[" * 120, b"- " * 60]


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """A real input (an example or a corpus file) with a few bytes inserted, deleted, repeated or cut."""
    raw = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(raw)))
        op = draw(st.sampled_from(["token", "bytes", "delete", "repeat", "truncate"]))
        if op == "token":
            raw = raw[:at] + draw(st.sampled_from(TOKENS)) + raw[at:]
        elif op == "bytes":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
        elif op == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 40)):]
        elif op == "repeat":
            raw = raw[:at] + raw[at:at + draw(st.integers(1, 200))] * draw(st.integers(2, 4)) + raw[at:]
        else:
            raw = raw[:at]
    return raw


def any_input() -> st.SearchStrategy[bytes]:
    return st.one_of(mutated_bytes(), st.binary(max_size=400), st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join))


def lines_of(raw: bytes) -> int:
    return raw.count(b"\n") + raw.count(b"\r") + 2  # any newline convention, plus the line after the last


def _leaves(data: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    return ((path, value) for path, value in tree_nodes(data) if not isinstance(value, (dict, list)))


def _key(path: tuple[Any, ...]) -> str:
    """The field a leaf is, wherever it is: provider_contracts/type, not a contract's position."""
    return "/".join(p for p in path if isinstance(p, str))


# Every value each field takes in the valid examples: swapping one for another keeps a document
# mostly valid, so the engine (not only the schema) sees the result.
VALUES_BY_KEY: dict[str, list[Any]] = {}
for _doc in VALID:
    for _path, _value in _leaves(_doc):
        VALUES_BY_KEY.setdefault(_key(_path), [])
        if _value not in VALUES_BY_KEY[_key(_path)]:
            VALUES_BY_KEY[_key(_path)].append(_value)
FREE_TEXT = {"name", "role", "title", "reference", "appointed_by", "by", "health_and_wellbeing_board", "description", "document"}
ORG_REFERENCES = {"organisation", "provider", "commissioner", "local_authority", "drawn_from", "partners", "holder", "lead_provider"}
WILD_TEXT = st.one_of(st.text(min_size=1, max_size=40), st.sampled_from([
    "{{ 7*7 }}", "{% for x in range(10**9) %}x{% endfor %}", "<script>alert(1)</script>", "' OR 1=1 --", "Zoë Ødegård",
    "\u202eevil", "NHS England and NHS Improvement", "x" * 2000, "a\nb", "\x1b[31mred", "$(rm -rf /)", "%s%n"]))


@st.composite
def edited_valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A real submission with values swapped for others the same field takes elsewhere, free text made
    wild, optional parts removed and list items dropped or repeated."""
    doc = copy.deepcopy(draw(st.sampled_from(VALID)))
    leaves = list(_leaves(doc))
    for _ in range(draw(st.integers(1, 12))):
        path, _old = draw(st.sampled_from(leaves))
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            op = draw(st.sampled_from(["swap", "swap", "swap", "text", "remove", "drop_item", "repeat_item"]))
            field = _key(path).rsplit("/", 1)[-1]
            if op == "swap" and field in ORG_REFERENCES:
                parent[path[-1]] = draw(st.sampled_from([o["id"] for o in doc["organisations"]]))
            elif op == "swap":
                parent[path[-1]] = draw(st.sampled_from(VALUES_BY_KEY[_key(path)]))
            elif op == "text" and field in FREE_TEXT:
                parent[path[-1]] = draw(WILD_TEXT)
            elif op == "remove" and isinstance(parent, dict):
                del parent[path[-1]]
            elif op in ("drop_item", "repeat_item"):
                holder: Any = doc
                for part in path[:-2]:
                    holder = holder[part]
                items = holder[path[-2]] if len(path) >= 2 else None
                if isinstance(items, list) and items:
                    i = draw(st.integers(0, len(items) - 1))
                    if op == "drop_item":
                        items.pop(i)
                    elif isinstance(items[i], dict) and not {"id", "code"} & items[i].keys():
                        items.append(copy.deepcopy(items[i]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this place
    return doc


ANY_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), WILD_TEXT,
              st.sampled_from(["2023-02-30", "2023-04-01", "U12345", "QOP", "E54000057", "00T", "yes", "", " "])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12)


@st.composite
def broken_documents(draw: st.DrawFn) -> dict[str, Any]:
    """An edited submission with a few values replaced by anything at all: wrong types, unknown fields."""
    doc = draw(edited_valid_documents())
    places = [path for path, _ in _leaves(doc)]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(places))[:draw(st.integers(1, 4))]
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = draw(ANY_VALUE)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def serialise(data: Any, as_json: bool) -> bytes:
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=1).encode()
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def assert_problems_point_inside(problems: list[Any], name: str, raw: bytes) -> None:
    assert problems
    for p in problems:
        assert p.file == name and p.message.strip(), p
        assert p.line is None or 1 <= p.line <= lines_of(raw), (p, lines_of(raw))
        assert p.column is None or p.column >= 1, p


@given(raw=any_input(), as_json=st.booleans())
def test_the_loader_returns_a_document_or_says_where_the_input_is_wrong(raw: bytes, as_json: bool) -> None:
    name = "fuzz.json" if as_json else "fuzz.yaml"
    try:
        doc = parse_text(name, raw)
    except InputError as exc:
        assert_problems_point_inside(exc.problems, name, raw)
        event(f"refused: {exc.problems[0].kind}")
        return
    event("loaded")
    assert all(1 <= line <= lines_of(raw) for line, _ in doc.positions.values())
    json.dumps(doc.data)  # plain data only: nothing a tag or a loader could have constructed


@given(data=st.data(), as_json=st.booleans())
def test_validation_of_whatever_loads_gives_problems_inside_the_file_never_an_exception(data: st.DataObject, as_json: bool) -> None:
    name = "fuzz.json" if as_json else "fuzz.yaml"
    raw = data.draw(st.one_of(mutated_bytes(), broken_documents().map(lambda d: serialise(d, as_json))))
    try:
        doc = parse_text(name, raw)
    except InputError:
        event("refused by the loader")
        return
    problems = validate_submission(doc)
    event("invalid" if problems else "valid")
    if problems:
        assert_problems_point_inside(problems, name, raw)


def check_valid(doc: Document) -> list[Any]:
    """The engine's invariants on one valid document: one result per rule per entity in scope, and
    `error` only where the dated geography lacks what a rule needs."""
    from ics_rules.facts import build_entities

    when = doc.data["ics"]["as_at"]
    geography = reference_for(when)
    results = EVALUATOR.evaluate(doc, when, geography)
    in_scope = Counter(e.type for e in build_entities(doc, geography, when))
    per_rule = Counter(r.rule_id for r in results)
    assert per_rule == Counter({cr.rule.id: in_scope[cr.rule.scope] for cr in EVALUATOR.compiled.rules if in_scope[cr.rule.scope]})
    for r in results:
        assert r.status != "error" or REFERENCE_GAP.match(r.message), r
        assert r.message and "{{" not in r.message.replace("{{ 7*7 }}", ""), r.message
    summarise(doc)
    return results


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=edited_valid_documents(), as_json=st.booleans())
def test_the_engine_gives_one_result_per_rule_and_entity_for_any_valid_document(data: dict[str, Any], as_json: bool) -> None:
    name = "fuzz.json" if as_json else "fuzz.yaml"
    raw = serialise(data, as_json)
    doc = parse_text(name, raw)
    problems = validate_submission(doc)
    if problems:
        assert_problems_point_inside(problems, name, raw)
    assume(not problems)
    check_valid(doc)


@given(raw=mutated_bytes())
def test_the_whole_check_of_one_submission_never_raises(raw: bytes) -> None:
    entry, results, summary = check_one("-", None, EVALUATOR, stdin=raw)
    event(entry.status if entry.status == "checked" else f"invalid: {entry.problems[0].kind}")
    assert entry.status in ("checked", "invalid")
    assert (entry.status == "invalid") == bool(entry.problems) == (summary is None)
    assert all(r.status != "error" or REFERENCE_GAP.match(r.message) for r in results)


def test_the_seeds_cover_valid_invalid_and_unreadable_inputs() -> None:
    """The mutations start from every kind of input, so the fuzzing reaches every layer."""
    outcomes = Counter()
    for raw in SEEDS:
        entry, _, _ = check_one("-", None, EVALUATOR, stdin=raw)
        outcomes[entry.status if entry.status == "checked" else entry.problems[0].kind] += 1
    assert outcomes["checked"] >= 40 and outcomes["syntax"] >= 8 and outcomes["schema"] >= 5, outcomes


def test_every_valid_seed_meets_the_engine_invariants_unedited() -> None:
    """Each valid example, as written, before any edit: the property tests may never draw one bare."""
    for data in VALID:
        check_valid(parse_text("seed.yaml", serialise(data, False)))
