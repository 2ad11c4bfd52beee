"""Rule messages are Jinja2 templates run in a sandbox: data in a ruleset can format text, never run code."""
from __future__ import annotations

from functools import lru_cache
import re
from typing import Any, Callable, Iterable

from jinja2 import FunctionLoader, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from .cache import bytecode_cache

# Messages are plain text; renderers that emit markup escape them at output time. Each message is a
# template named by its own text, so compiled messages can come from the on-disk cache.
_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False, loader=FunctionLoader(lambda source: source),
                            bytecode_cache=bytecode_cache(), cache_size=0)


class TemplateProblem(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def check_template(source: str, allowed: Iterable[str]) -> None:
    """Refuse a template that does not parse or names a variable the context will not have. A plain
    template's names are known without Jinja2 parsing it, which for a whole ruleset is most of the
    time a one-file check takes."""
    plain = plain_template(source)
    if plain is not None:
        unknown = sorted(set(plain[1]) - set(allowed))
    else:
        try:
            ast = _ENV.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(f"message template does not parse: {exc.message}", exc.lineno) from None
        unknown = sorted(_free_names(ast) - set(allowed))
    if unknown:
        raise TemplateProblem(f"message template names unknown variable(s) {', '.join(unknown)}; "
                              f"available: {', '.join(sorted(allowed))}")


def _free_names(ast: nodes.Template) -> set[str]:
    """Names a template reads that it does not bind itself (loop targets, `set`, `loop`). Jinja2's own
    meta.find_undeclared_variables runs its code generator's scope analysis and costs twice the parse;
    this ignores where in the template a name is bound, which only matters for a name used both
    inside and outside a loop that binds it (it then renders as nothing outside)."""
    loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
    bound = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    return loaded - bound - {"loop"}


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    return _ENV.get_template(source)


_PLAIN_VARIABLE = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")


@lru_cache(maxsize=4096)
def plain_template(source: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A template that is only text and `{{ name }}` variables, split into (texts, names); else None.

    Most messages are like that, and filling them in directly gives what Jinja2 renders (str() of the
    value, nothing for an undefined name) at a fraction of its cost per call, which at one render per
    result was as much as evaluating the rules."""
    parts = _PLAIN_VARIABLE.split(source)
    texts, names = tuple(parts[0::2]), tuple(parts[1::2])
    return None if any("{" in t for t in texts) else (texts, names)


def fill(template: tuple[tuple[str, ...], tuple[str, ...]], values: Callable[[str], Any]) -> str:
    """A plain template filled in; `values(name)` returns the value, or UNDEFINED."""
    texts, names = template
    out = [texts[0]]
    for name, text in zip(names, texts[1:], strict=True):
        value = values(name)
        out.append("" if value is UNDEFINED else str(value))
        out.append(text)
    return " ".join("".join(out).split())


UNDEFINED = object()


def render(source: str, context: dict[str, Any]) -> str:
    return " ".join(_compiled(source).render(context).split())
