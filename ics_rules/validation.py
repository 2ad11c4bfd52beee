"""Judge parsed documents against the JSON Schemas, with messages that name the field and the fix."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

from .loading import Document
from .problems import Problem, join_pointer
from .resources import schema_path

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "nothing"}


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


_ANNOTATIONS = frozenset({"description", "title", "examples", "default", "$comment", "deprecated", "markdownDescription"})


def _recursive_definitions(defs: dict[str, Any]) -> set[str]:
    """Definitions that can reach themselves through references: those stay references."""
    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            out = {node["$ref"][8:]} if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/") else set()
            return out.union(*(refs(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()
    edges = {name: refs(body) & set(defs) for name, body in defs.items()}
    recursive = set()
    for start in defs:
        seen, todo = set(), list(edges[start])
        while todo:
            name = todo.pop()
            if name == start:
                recursive.add(start)
                break
            if name not in seen:
                seen.add(name)
                todo.extend(edges[name])
    return recursive


def inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema with `#/$defs/...` references replaced by the definitions themselves, so the
    validator does not resolve a reference for each of the thousands of values in a submission (a
    quarter of validation time, and more of a one-file check). A reference's annotation siblings
    give way to the definition's own (error messages quote its description); other siblings are kept
    beside it under `allOf`. Recursive definitions (ruleset conditions) stay references."""
    defs = schema.get("$defs", {})
    recursive = _recursive_definitions(defs)

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs and ref[8:] not in recursive:
            target = inline(defs[ref[8:]])
            rest = {k: inline(v) for k, v in node.items() if k != "$ref"}
            if not rest.keys() - _ANNOTATIONS:
                return {**rest, **target} if isinstance(target, dict) else target
            return {"allOf": [target, rest]}
        return {k: inline(v) for k, v in node.items()}

    out = {k: inline(v) for k, v in schema.items() if k != "$defs"}
    if recursive:
        out["$defs"] = {name: inline(defs[name]) for name in sorted(recursive)}
    return out


@lru_cache(maxsize=None)
def ecma_pattern(pattern: str) -> "re.Pattern[str]":
    """A schema pattern as JSON Schema means it (ECMA-262): `$` is the end of the text. Python's `$`
    also matches before a final newline, so "R0A\\n" would pass `^R[A-Z0-9]{2}$`; here it is `\\Z`."""
    out, in_class, escaped = [], False, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == "]":
            in_class = False
            out.append(ch)
        else:
            out.append("\\Z" if ch == "$" and not in_class else ch)
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=None)
def validator(name: str) -> "Draft202012Validator":
    """jsonschema is loaded here, when something is first validated: a batch's parent process, checking
    an unchanged ruleset, never needs it (its workers validate the submissions)."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    strict = validators.extend(Draft202012Validator, {"pattern": _pattern})
    return strict(inline_definitions(load_schema(name)), format_checker=FormatChecker())


def _shown(value: Any) -> str:
    """A value as a message quotes it: control and other unprintable characters as escapes (a newline
    as \\n), so a value cannot break the line it is reported on."""
    text = str(value)
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads an unquoted yes, no, on or off as true or false: quote it if you meant text)"
    if isinstance(value, str):
        return f"text '{_shown(value)}'"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _pointer(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out = join_pointer(out, part)
    return out


def _allowed_keys(schema: dict[str, Any]) -> tuple[set[str], list[str]]:
    return set(schema.get("properties", {})), list(schema.get("patternProperties", {}))


def _problems_for(error: "ValidationError", doc: Document) -> list[Problem]:
    pointer = _pointer(error.absolute_path)
    v, inst, schema = error.validator, error.instance, error.schema
    if v == "additionalProperties" and isinstance(inst, dict):
        known, patterns = _allowed_keys(schema)
        extra = [k for k in inst if k not in known and not any(re.search(p, k) for p in patterns)]
        hint = f"; expected one of: {', '.join(sorted(known))}" if known else ""
        return [doc.problem(join_pointer(pointer, k), f"unknown field '{k}'{hint}", key=True) for k in extra]
    if v == "required":
        missing = [k for k in error.validator_value if isinstance(inst, dict) and k not in inst]
        return [doc.problem(pointer, f"missing required field '{k}'") for k in missing]
    if v == "type":
        want = error.validator_value
        wants = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in (want if isinstance(want, list) else [want]))
        return [doc.problem(pointer, f"expected {wants}, got {_describe(inst)}")]
    if v == "minLength" or (v == "pattern" and isinstance(inst, str) and not inst.strip()):
        return [doc.problem(pointer, "must not be empty")]
    if v == "pattern":
        desc = schema.get("description", "")
        return [doc.problem(pointer, f"'{_shown(inst)}' is not in the right format: {desc}".rstrip(": "))]
    if v == "format":
        return [doc.problem(pointer, f"'{_shown(inst)}' is not a valid {error.validator_value} (YYYY-MM-DD)")]
    if v == "enum":
        return [doc.problem(pointer, f"{_describe(inst)} is not allowed; use one of: {', '.join(map(str, error.validator_value))}")]
    if v == "const":
        return [doc.problem(pointer, f"must be '{error.validator_value}', got {_describe(inst)}")]
    if v == "minItems":
        return [doc.problem(pointer, f"needs at least {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}")]
    if v == "uniqueItems":
        return [doc.problem(pointer, "lists the same entry more than once")]
    return [doc.problem(pointer, error.message)]


def schema_problems(doc: Document, schema_name: str) -> list[Problem]:
    """Every schema violation in `doc`, each pinned to the line of the offending value or key."""
    problems: list[Problem] = []
    for error in validator(schema_name).iter_errors(doc.data):
        problems.extend(_problems_for(error, doc))
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in problems:
        key = (p.line, p.column, p.field, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0, p.field))


# Fields that name an entry of `organisations`, as (JSON pointer pattern with * for list items).
_ORG_REFERENCES = [
    "/ics/places/*/local_authority",
    "/partnership_board/chair/organisation",
    "/partnership_board/members/*/organisation",
    "/primary_care_networks/*/organisation",
    "/provider_contracts/*/provider",
    "/provider_contracts/*/commissioner",
    "/clinical_leadership/lead/organisation",
    "/capacity/clinical/drawn_from/*",
    "/capacity/management/drawn_from/*",
    "/integration/contracts/*/holder",
    "/pooled_budgets/*/partners/*",
    "/ics/places/*/better_care_fund/partners/*",
    "/finance/control_total/changes/*/organisation",
]


def _select(data: Any, parts: list[str], pointer: str = "") -> Iterable[tuple[str, Any]]:
    if not parts:
        yield pointer, data
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from _select(item, rest, join_pointer(pointer, i))
    elif isinstance(data, dict) and head in data:
        yield from _select(data[head], rest, join_pointer(pointer, head))


def _duplicates(doc: Document, list_pointer: str, key: str, what: str) -> list[Problem]:
    seen: dict[Any, str] = {}
    problems = []
    for pointer, value in _select(doc.data, (list_pointer + "/*/" + key).strip("/").split("/")):
        if value in seen:
            line = (doc.position(seen[value]) or (None,))[0]
            problems.append(doc.problem(pointer, f"{what} '{value}' is listed twice (first at line {line})", kind="reference"))
        else:
            seen[value] = pointer
    return problems


def reference_problems(doc: Document) -> list[Problem]:
    """Cross-references the schema cannot express: ids unique, and every organisation reference resolves."""
    data = doc.data
    problems = _duplicates(doc, "/organisations", "id", "organisation id")
    problems += _duplicates(doc, "/primary_care_networks", "code", "PCN code")
    problems += _duplicates(doc, "/provider_contracts", "id", "contract id")
    ids = {o.get("id") for o in data.get("organisations", []) if isinstance(o, dict)}
    for pattern in _ORG_REFERENCES:
        for pointer, value in _select(data, pattern.strip("/").split("/")):
            if isinstance(value, str) and value not in ids:
                problems.append(doc.problem(pointer, f"organisation '{value}' is not listed in organisations", kind="reference"))
    return problems


def validate_submission(doc: Document) -> list[Problem]:
    problems = schema_problems(doc, "submission")
    if not problems:  # references only mean something in a well-formed document
        problems = reference_problems(doc)
    return problems
