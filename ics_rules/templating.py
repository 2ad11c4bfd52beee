"""Rule messages are Jinja2 templates run in a sandbox: data in a ruleset can format text, never run code.

Most messages are plain: text with `{{ name }}` or `{{ list[0].field }}` variables. Those are checked
and filled in without Jinja2 (which is then loaded only for the others): filling one in directly gives
what Jinja2 renders at a fraction of its cost per call, and one message is rendered per result.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, NamedTuple


class TemplateProblem(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Variable(NamedTuple):
    name: str
    index: int | None  # {{ name[0] }}
    field: str | None  # {{ name[0].field }} or {{ name.field }}


class Plain(NamedTuple):
    texts: tuple[str, ...]  # one more than variables
    variables: tuple[Variable, ...]

    @property
    def names(self) -> set[str]:
        return {v.name for v in self.variables}


_VARIABLE = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*}}")
UNDEFINED = object()


_ATTRIBUTES = frozenset(a for t in (dict, list, tuple, str, int, float, bool, type(None)) for a in dir(t))


@lru_cache(maxsize=4096)
def plain_template(source: str) -> Plain | None:
    """The template as text and plain variables, or None if it uses anything else of Jinja2's (or a
    field that is also an attribute of a built-in type, which Jinja2 would look up as the attribute)."""
    parts = _VARIABLE.split(source)
    texts = tuple(parts[0::4])
    if any("{" in t for t in texts):
        return None
    variables = []
    for name, index, field in zip(parts[1::4], parts[2::4], parts[3::4], strict=True):
        if field and (field in _ATTRIBUTES or field.startswith("_")):  # Jinja2's reading, and its refusal
            return None
        variables.append(Variable(name, int(index) if index else None, field or None))
    return Plain(texts, tuple(variables))


def fill(template: Plain, values: Callable[[str], Any]) -> str | None:
    """A plain template filled in as Jinja2 would: str() of each value, nothing for an undefined one
    (a missing name, an index past the end, a field the mapping lacks). `values(name)` gives UNDEFINED
    for a name it does not know. None where Jinja2 would raise (a field of something undefined), so
    the caller renders with Jinja2 and gets its error."""
    out = [template.texts[0]]
    for variable, text in zip(template.variables, template.texts[1:], strict=True):
        value = values(variable.name)
        if value is not UNDEFINED and variable.index is not None:
            try:
                value = value[variable.index]
            except (TypeError, LookupError):
                value = UNDEFINED
        if variable.field is not None:
            if value is UNDEFINED:
                return None
            try:
                value = value[variable.field] if isinstance(value, dict) else UNDEFINED
            except LookupError:
                value = UNDEFINED
        out.append("" if value is UNDEFINED else str(value))
        out.append(text)
    return " ".join("".join(out).split())


_SOURCES: dict[str, str] = {}  # template name (a digest of the text) -> message text


@lru_cache(maxsize=None)
def _environment() -> Any:
    """The sandbox, with each message a template named by a digest of its text so compiled messages can
    come from the on-disk cache. Messages are plain text; renderers that emit markup escape them."""
    from jinja2 import FunctionLoader
    from jinja2.sandbox import SandboxedEnvironment

    from .cache import bytecode_cache

    env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False, loader=FunctionLoader(_SOURCES.get),
                               bytecode_cache=bytecode_cache(), cache_size=0)
    env.filters["thousands"] = _thousands
    return env


def _thousands(value: Any) -> str:
    """1234567 -> 1,234,567: what `'{:,}'.format(n)` did, without calling a method from a template."""
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


# What a message may be made of: text, names, fields and items, literals, if/for/set, comparisons and
# these filters and tests. No calls, no macros, includes or imports, no multiplication or powers (a
# string times a large number exhausts memory) and nothing named with a leading underscore. The
# sandbox would stop most of this at render time; refusing it when the ruleset loads says where.
_NODES = frozenset({"Template", "Output", "TemplateData", "Name", "Const", "Getattr", "Getitem", "Slice", "Filter", "Test",
                    "If", "For", "Assign", "List", "Tuple", "Dict", "Pair", "CondExpr", "Not", "And", "Or", "Compare",
                    "Operand", "Concat", "Add", "Sub", "Neg", "Pos", "Keyword"})
FILTERS = frozenset({"abs", "capitalize", "count", "default", "first", "float", "int", "join", "last", "length", "list",
                     "lower", "map", "max", "min", "reject", "rejectattr", "replace", "round", "select", "selectattr", "sort",
                     "string", "sum", "thousands", "title", "trim", "truncate", "unique", "upper"})
TESTS = frozenset({"defined", "undefined", "none", "number", "string", "sameas", "eq", "equalto", "ne", "in", "true",
                   "false", "boolean", "integer", "iterable", "mapping", "sequence", "lt", "le", "gt", "ge", "odd", "even"})
# filters that name another filter or test by a string: map('upper'), select('none')
_NAMING = {"map": FILTERS, "select": TESTS, "reject": TESTS, "selectattr": TESTS, "rejectattr": TESTS}


def _refuse_code(ast: Any) -> None:
    from jinja2 import nodes

    for node in ast.find_all(nodes.Node):
        kind = type(node).__name__
        if kind not in _NODES:
            what = {"Call": "calls a function or method", "Mul": "multiplies", "Pow": "raises to a power"}.get(kind, f"uses '{kind}'")
            raise TemplateProblem(f"message template {what}; messages may only show fields, with if, for, set, "
                                  f"and the filters {', '.join(sorted(FILTERS))}", getattr(node, "lineno", None))
        name = getattr(node, "attr", None) if kind == "Getattr" else getattr(getattr(node, "arg", None), "value", None)
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateProblem(f"message template reads '{name}': names starting with '_' are not fields", node.lineno)
        if kind in ("Filter", "Test"):
            allowed = FILTERS if kind == "Filter" else TESTS
            if node.name not in allowed:
                raise TemplateProblem(f"message template uses the {kind.lower()} '{node.name}'; allowed: {', '.join(sorted(allowed))}",
                                      node.lineno)
            named = [a.value for a in node.args[(1 if node.name in ("selectattr", "rejectattr") else 0):][:1]
                     if isinstance(a, nodes.Const) and isinstance(a.value, str)]
            if node.name in _NAMING and named and named[0] not in _NAMING[node.name]:
                raise TemplateProblem(f"message template's {node.name}('{named[0]}') names a filter or test that is not allowed",
                                      node.lineno)


def check_template(source: str, allowed: Iterable[str]) -> None:
    """Refuse a template that does not parse, is more than a message (_refuse_code) or names a variable
    the context will not have."""
    plain = plain_template(source)
    if plain is not None:
        unknown = sorted(plain.names - set(allowed))
    else:
        from jinja2 import TemplateSyntaxError

        try:
            ast = _environment().parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(f"message template does not parse: {exc.message}", exc.lineno) from None
        _refuse_code(ast)
        unknown = sorted(free_names(ast) - set(allowed))
    if unknown:
        raise TemplateProblem(f"message template names unknown variable(s) {', '.join(unknown)}; "
                              f"available: {', '.join(sorted(allowed))}")


def free_names(ast: Any) -> set[str]:
    """Names a template reads that it does not bind itself (loop targets, `set`, `loop`). Jinja2's own
    meta.find_undeclared_variables runs its code generator's scope analysis and costs twice the parse;
    this ignores where in the template a name is bound, which only matters for a name used both
    inside and outside a loop that binds it (it then renders as nothing outside)."""
    from jinja2 import nodes

    loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
    bound = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    return loaded - bound - {"loop"}


def parse(source: str) -> Any:
    return _environment().parse(source)


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    name = "message-" + hashlib.sha256(source.encode("utf-8")).hexdigest()
    _SOURCES[name] = source
    return _environment().get_template(name)


def render(source: str, context: dict[str, Any]) -> str:
    return " ".join(_compiled(source).render(context).split())
