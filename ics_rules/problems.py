"""One shape for everything wrong with an input, so every layer reports file, line and field alike."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A defect in an input file: where it is and what is wrong, in words a user can act on."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str = ""
    kind: str = "schema"  # syntax | schema | reference | ruleset | io

    def location(self) -> str:
        return format_location(self.file, self.line, self.column)

    def __str__(self) -> str:
        parts = [self.location()]
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class InputError(Exception):
    """Raised when an input cannot be used at all; carries every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class EngineUnavailable(RuntimeError):
    """durable-rules, the rules engine, cannot be imported here. The message says why and what to do,
    on one line: an installation problem, not a defect of any input."""


def format_location(file: str, line: int | None, column: int | None) -> str:
    """`file:line:column`, as far as it is known: the form editors and terminals link to."""
    if line is None:
        return file
    return f"{file}:{line}" + (f":{column}" if column is not None else "")


def split_pointer(pointer: str) -> list[str]:
    """A JSON pointer's reference tokens, unescaped: /a~1b/2 -> ["a/b", "2"]."""
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def pointer_to_field(pointer: str) -> str:
    """Turn a JSON pointer into the dotted form users read: /a/b/2/c -> a.b[2].c."""
    out = ""
    for part in split_pointer(pointer):
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def join_pointer(pointer: str, key: str | int) -> str:
    text = str(key).replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{text}"
