"""Rule messages are Jinja2 templates run in a sandbox: data in a ruleset can format text, never run code."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

# Messages are plain text; renderers that emit markup escape them at output time.
_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


class TemplateProblem(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def check_template(source: str, allowed: Iterable[str]) -> None:
    """Refuse a template that does not parse or names a variable the context will not have."""
    try:
        ast = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"message template does not parse: {exc.message}", exc.lineno) from None
    unknown = sorted(meta.find_undeclared_variables(ast) - set(allowed))
    if unknown:
        raise TemplateProblem(f"message template names unknown variable(s) {', '.join(unknown)}; "
                              f"available: {', '.join(sorted(allowed))}")


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    return _ENV.from_string(source)


def render(source: str, context: dict[str, Any]) -> str:
    return " ".join(_compiled(source).render(context).split())
