"""Read YAML or JSON into plain data while remembering where every value and key was written.

Scalars keep the text the user wrote where YAML would otherwise guess (unquoted dates stay strings,
so the schema's `format: date` judges them); duplicate keys, unknown tags and alias bombs are refused
with the file, line and column.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from .problems import InputError, Problem, join_pointer, pointer_to_field

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Far above any real input (the largest bench submission is 90 KB, the bundled ruleset 51 KB). An alias
# bomb expands past the value limit; a file past the byte limit is refused before it is parsed, because
# composing 4 MB of YAML already takes about 3 s and 300 MB (measured: docs/security.md).
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 250_000
MAX_DEPTH = 100


_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
MAX_DIGITS = 4300  # Python's own limit on converting text to int (sys.get_int_max_str_digits)


class _PositionLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader without the timestamp resolver: dates stay as the user's text."""


_PositionLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

Position = tuple[int, int]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("map", "seq", "str", "int", "float", "bool", "null")}


@dataclass
class Document:
    """A parsed input with the 1-based line and column of each JSON pointer."""

    path: str
    data: Any
    sha256: str
    positions: dict[str, Position] = field(default_factory=dict)
    key_positions: dict[str, Position] = field(default_factory=dict)

    def position(self, pointer: str, key: bool = False) -> Position | None:
        """Position of the value at `pointer` (or of its key), falling back to the nearest parent."""
        table = self.key_positions if key else self.positions
        if pointer in table:
            return table[pointer]
        while pointer:
            pointer = pointer.rsplit("/", 1)[0]
            if pointer in self.positions:
                return self.positions[pointer]
        return self.positions.get("")

    def problem(self, pointer: str, message: str, kind: str = "schema", key: bool = False) -> Problem:
        pos = self.position(pointer, key=key)
        return Problem(
            file=self.path,
            line=pos[0] if pos else None,
            column=pos[1] if pos else None,
            field=pointer_to_field(pointer),
            message=message,
            kind=kind,
        )


_BREAKS = re.compile(r"\r\n|\r|\n")
_BREAKS_BYTES = re.compile(rb"\r\n|\r|\n")
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")


class _Lines:
    """Lines and columns as editors count them: YAML also ends a line at U+0085, U+2028 and U+2029
    (pasted from web pages and word processors), which would put every later position on the wrong line."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] | None = None
        if any(ch in text for ch in _YAML_ONLY_BREAKS):
            self.starts = [0] + [m.end() for m in _BREAKS.finditer(text)]

    def of(self, mark: Any) -> Position:
        if self.starts is None:
            return mark.line + 1, mark.column + 1
        line = bisect_right(self.starts, mark.index)
        return line, mark.index - self.starts[line - 1] + 1


def _mark_problem(path: str, mark: Any, message: str, lines: _Lines, kind: str = "syntax") -> Problem:
    if mark is None:
        return Problem(file=path, message=message, kind=kind)
    line, column = lines.of(mark)
    return Problem(file=path, line=line, column=column, message=message, kind=kind)


class _TooBig(InputError):
    """Past MAX_NODES or MAX_DEPTH: refused for JSON as for YAML, though json.loads would read it."""


class _Walker:
    """Turns a composed YAML node graph into Python data, recording positions as it goes."""

    def __init__(self, path: str, loader: Any, lines: _Lines, keep_values: bool = True) -> None:
        self.path = path
        self.loader = loader
        self.lines = lines
        self.keep_values = keep_values
        self.positions: dict[str, Position] = {}
        self.key_positions: dict[str, Position] = {}
        self.nodes = 0

    def _fail(self, node: Any, message: str) -> InputError:
        return InputError([_mark_problem(self.path, node.start_mark, message, self.lines)])

    def walk(self, node: Any, pointer: str = "", depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(self._fail(node, f"document expands to more than {MAX_NODES:,} values (each use of a YAML alias counts)").problems)
        if depth > MAX_DEPTH:
            raise _TooBig(self._fail(node, f"nesting deeper than {MAX_DEPTH} levels").problems)
        self.positions[pointer] = self.lines.of(node.start_mark)
        if node.tag not in _ALLOWED_TAGS:
            raise self._fail(node, f"tags are not allowed here ('{node.tag}'); write plain values")
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._fail(key_node, "merge keys ('<<') are not supported; write the fields out")
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._fail(key_node, "a key must be plain text, not a list or mapping")
                key = str(key_node.value)
                child = join_pointer(pointer, key)
                if key in out or child in self.key_positions:
                    first = self.key_positions.get(child)
                    where = f" (first at line {first[0]})" if first else ""
                    raise self._fail(key_node, f"duplicate key '{key}'{where}")
                self.key_positions[child] = self.lines.of(key_node.start_mark)
                out[key] = self.walk(value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, join_pointer(pointer, i), depth + 1) for i, item in enumerate(node.value)]
        if not self.keep_values:
            return None
        if node.tag in (_INT_TAG, _FLOAT_TAG):
            self._check_number(node)
        try:
            value = self.loader.construct_object(node)
        except yaml.YAMLError as exc:
            problem_mark = getattr(exc, "problem_mark", None) or node.start_mark
            raise InputError([_mark_problem(self.path, problem_mark, _yaml_reason(exc, self.lines), self.lines)]) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(node, f"'{node.value}' is not a finite number; write a number")
        return value


    def _check_number(self, node: Any) -> None:
        """One reading of numbers, YAML 1.2's (what editors use), and no number the two readings would
        take differently: a leading zero (YAML 1.1's octal: 010 is 8), base 60 (1:20 is 80), binary,
        digits grouped with '_'; nor one of more than 4,300 digits, which Python will not convert."""
        text = str(node.value)
        digits = text.lstrip("+-").lower()
        why = None
        if "_" in digits:
            why = "digits grouped with '_' make a number only in YAML 1.1"
        elif ":" in digits:
            why = "it is a base-60 number in YAML 1.1 (1:20 is 80) and text in YAML 1.2"
        elif digits.startswith("0b"):
            why = "it is a binary number in YAML 1.1 only"
        elif node.tag == _INT_TAG and len(digits) > 1 and digits.startswith("0") and not digits.startswith("0x"):
            why = "with its leading zero YAML 1.1 reads it as octal (010 is 8) and YAML 1.2 as decimal"
        if why:
            raise self._fail(node, f"'{text}' is ambiguous: {why}; quote it, or write the number plainly")
        if len(digits) > MAX_DIGITS:
            raise self._fail(node, f"a number of {len(digits):,} digits; a number may have at most {MAX_DIGITS:,}")


def _yaml_reason(exc: yaml.YAMLError, lines: _Lines) -> str:
    """PyYAML's problem, with where the construct it was reading began when that is another place
    (an unclosed list is noticed only at the next key, lines later)."""
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if not problem:
        return str(exc).splitlines()[0]
    if not context:
        return str(problem)
    start, here = getattr(exc, "context_mark", None), getattr(exc, "problem_mark", None)
    if start is not None and here is not None and (start.line, start.column) != (here.line, here.column):
        line, column = lines.of(start)
        context += f" that starts at line {line}, column {column}"
    return f"{context}, {problem}"


# libyaml as PyYAML 6.0.4 bundles it refuses more than 1,000 levels of nesting while scanning (earlier
# releases have no limit, and their composer recurses in C until the process crashes, 100,000 levels
# down). ics-rules composes itself and stops at MAX_DEPTH, and the scanner reads at most a simple key's
# 1,024 characters ahead of the composer, so it never reaches this limit: the user sees ics-rules' own,
# whichever PyYAML is installed.
_SCANNER_NESTING = MAX_DEPTH + 4096
try:
    from yaml import _yaml as _libyaml
except ImportError:  # PyYAML without libyaml: the pure-Python scanner has no limit
    _libyaml = None
if hasattr(_libyaml, "_set_max_nest_level"):
    _libyaml._set_max_nest_level(max(_libyaml._get_max_nest_level(), _SCANNER_NESTING))


def _compose(path: str, text: str, keep_values: bool) -> tuple[Any, _Walker]:
    lines = _Lines(text)
    loader = _PositionLoader(text)
    try:
        walker = _Walker(path, loader, lines, keep_values)
        node = _compose_events(loader)
        return (None if node is None else walker.walk(node)), walker
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise InputError([_mark_problem(path, mark, "invalid YAML: " + _yaml_reason(exc, lines), lines)]) from None
    finally:
        loader.dispose()


_NODE_KINDS: dict[type, type] = {yaml.ScalarEvent: yaml.ScalarNode, yaml.SequenceStartEvent: yaml.SequenceNode,
                                 yaml.MappingStartEvent: yaml.MappingNode}


def _compose_events(loader: Any) -> Any:
    """PyYAML's composer (yaml.composer.Composer: the same nodes, anchors and errors, in libyaml's
    words), without recursion, and stopping at the first value past MAX_DEPTH or MAX_NODES as _Walker
    counts them (it counts values, not keys, and each use of an alias at least once). What was read by
    then is returned, the value that passed the limit as a leaf, so _Walker, reading in document order
    as before, reports the first problem up to there, at the latest the limit there. A problem after
    it is not reached; neither is PyYAML's own nesting limit, nor its composer's recursion."""
    from yaml.composer import ComposerError

    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    anchors: dict[str, Any] = {}
    open_: list[list[Any]] = []  # open collections, each [node, its key awaiting a value (mappings)]
    root: Any = None
    values = 0
    while True:
        event = loader.get_event()
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            open_.pop()[0].end_mark = event.end_mark
            if not open_:
                break
            continue
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise ComposerError(None, None, "found undefined alias", event.start_mark)
            node = anchors[event.anchor]
        else:
            if event.anchor is not None and event.anchor in anchors:
                raise ComposerError("found duplicate anchor; first occurrence", anchors[event.anchor].start_mark,
                                    "second occurrence", event.start_mark)
            kind = _NODE_KINDS[type(event)]
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, event.value if kind is yaml.ScalarNode else None, event.implicit)
            if kind is yaml.ScalarNode:
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            else:
                node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if event.anchor is not None:
                anchors[event.anchor] = node
        parent = open_[-1] if open_ else None
        is_key = parent is not None and isinstance(parent[0], yaml.MappingNode) and parent[1] is None
        if parent is None:
            root = node
        elif isinstance(parent[0], yaml.SequenceNode):
            parent[0].value.append(node)
        elif is_key:
            parent[1] = node
        else:
            parent[0].value.append((parent[1], node))
            parent[1] = None
        values += not is_key
        collection = isinstance(node, (yaml.SequenceNode, yaml.MappingNode))
        if len(open_) > MAX_DEPTH and (collection or not is_key) or values > MAX_NODES and not is_key:
            for mapping, key in open_:  # keys still open are collections, which _Walker refuses when it reaches them
                if key is not None:
                    mapping.value.append((key, key))
            return root
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_.append([node, None])
        elif not open_:
            break
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        raise ComposerError("expected a single document in the stream", root.start_mark, "but found another document",
                            event.start_mark)
    return root


def _reject_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key '{key}'")
        out[key] = value
    return out


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _place(raw: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte (or character) offset, lines ending at \\n, \\r\\n or \\r."""
    breaks = list((_BREAKS_BYTES if isinstance(raw, bytes) else _BREAKS).finditer(raw, 0, offset))  # type: ignore[arg-type]
    return len(breaks) + 1, offset - (breaks[-1].end() if breaks else 0) + 1


def _syntax(path: str, raw: bytes | str, offset: int, message: str) -> InputError:
    line, column = _place(raw, offset)
    return InputError([Problem(file=path, line=line, column=column, message=message, kind="syntax")])


_WIDE_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def _decode(path: str, raw: bytes) -> str:
    """UTF-8 text, or an error saying where and why it is not (binary, another encoding, a bad byte)."""
    for bom, name in _WIDE_BOMS.items():
        if raw.startswith(bom):
            raise InputError([Problem(file=path, line=1, column=1, kind="syntax",
                                      message=f"{name} text: save the file as UTF-8 and try again")])
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _syntax(path, raw, nul, "binary file (a NUL byte), not YAML or JSON text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start:exc.start + 1].hex()
        raise _syntax(path, raw, exc.start, f"not UTF-8 text: byte 0x{byte} cannot start or continue a character "
                                            "(save the file as UTF-8)") from None


def _json_depth_error(path: str, text: str) -> InputError:
    """Where JSON nesting first passes MAX_DEPTH: json.loads only says it ran out of stack."""
    depth = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _syntax(path, text, match.start(), f"nesting deeper than {MAX_DEPTH} levels")
        elif token in "]}":
            depth -= 1
    return InputError([Problem(file=path, message="nesting too deep to read", kind="syntax")])


def _json_value_error(path: str, text: str, exc: ValueError) -> InputError:
    """json's hooks know what is wrong (a duplicate key, a number that is not finite) but not where."""
    try:
        _compose(path, text, keep_values=False)  # JSON is YAML: duplicate keys come back with both lines
    except InputError as found:
        return found
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|(-?\d{%d,})' % (MAX_DIGITS + 1), text):
        if match.group(1):
            return _syntax(path, text, match.start(), f"a number of {len(match.group(1).lstrip('-')):,} digits; a number may have at most {MAX_DIGITS:,}")
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?[eE][-+]?\d+|\bNaN\b|-?\bInfinity\b)', text):
        literal = match.group(1)  # None for a string, skipped whole
        if literal and (literal in ("NaN", "Infinity", "-Infinity") or not math.isfinite(float(literal))):
            return _syntax(path, text, match.start(), f"invalid JSON: {literal} is not a finite number")
    return InputError([Problem(file=path, message=f"invalid JSON: {exc}", kind="syntax")])


def parse_text(path: str, raw: bytes) -> Document:
    """Parse bytes already read from `path` (a name used only in messages and for the format)."""
    if len(raw) > MAX_BYTES:
        raise _too_large(path, raw)
    digest = hashlib.sha256(raw).hexdigest()
    text = _decode(path, raw)
    if not text.strip():
        raise InputError([Problem(file=path, line=1, column=1, message="the file is empty", kind="syntax")])
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text, object_pairs_hook=_reject_duplicate_json_keys, parse_constant=_json_constant,
                              parse_float=_json_float)
        except json.JSONDecodeError as exc:
            raise InputError([Problem(file=path, line=exc.lineno, column=exc.colno, message=f"invalid JSON: {exc.msg}", kind="syntax")]) from None
        except RecursionError:
            raise _json_depth_error(path, text) from None
        except ValueError as exc:
            raise _json_value_error(path, text, exc) from None
        try:  # JSON is YAML flow syntax: reuse the YAML composer for positions only
            _, walker = _compose(path, text, keep_values=False)
            positions, key_positions = walker.positions, walker.key_positions
        except _TooBig:
            raise
        except InputError:  # JSON that YAML cannot read (a DEL character in a string): no positions
            positions, key_positions = {}, {}
        _refuse_surrogates(path, data, positions)
        return Document(path, data, digest, positions, key_positions)
    data, walker = _compose(path, text, keep_values=True)
    _refuse_surrogates(path, data, walker.positions)
    return Document(path, data, digest, walker.positions, walker.key_positions)


def _refuse_surrogates(path: str, data: Any, positions: dict[str, tuple[int, int]]) -> None:
    """A lone surrogate ("\\ud800" escaped in JSON or YAML) is no character: nothing can print or
    encode it, so it is refused where it was written rather than crashing a report later."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = join_pointer(pointer, key)
                if _SURROGATE.search(key):
                    raise _surrogate(path, child, positions)
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((join_pointer(pointer, i), item) for i, item in enumerate(value))
        elif isinstance(value, str) and _SURROGATE.search(value):
            raise _surrogate(path, pointer, positions)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate(path: str, pointer: str, positions: dict[str, tuple[int, int]]) -> InputError:
    line, column = positions.get(pointer, (None, None))
    return InputError([Problem(file=path, line=line, column=column, field=pointer.strip("/").replace("/", "."), kind="syntax", message=(
        "a lone surrogate escape (\\ud800 to \\udfff without its pair) is not a character; remove it"))])


def _too_large(path: str, raw: bytes) -> InputError:
    line, _ = _place(raw, MAX_BYTES)
    return InputError([Problem(file=path, line=line, kind="io", message=(
        f"larger than the {MAX_BYTES // 2**20} MB an input may be (the limit is passed on this line); "
        "a whole system's submission is well under 1 MB"))])


def read_limited(stream: BinaryIO) -> bytes:
    """At most one byte past MAX_BYTES: parse_text refuses a huge or endless input without holding it all."""
    return stream.read(MAX_BYTES + 1)


def load_file(path: str | Path, display: str | None = None) -> Document:
    """Read and parse one file; `display` is the name shown in messages (defaults to the path)."""
    name = display or str(path)
    try:
        # Opened without waiting (a FIFO with no writer would block for ever), then refused unless it is
        # a plain file: a FIFO, device or socket is not a submission.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = "FIFO" if stat.S_ISFIFO(mode) else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "socket or other special file"
                raise InputError([Problem(file=name, kind="io", message=f"is a {kind}, not a file; only files are checked")])
            raw = read_limited(fh)
    except FileNotFoundError:
        why = "a link whose target does not exist" if os.path.islink(path) else "no such file"
        raise InputError([Problem(file=name, message=why, kind="io")]) from None
    except IsADirectoryError:
        raise InputError([Problem(file=name, message="is a directory, not a file", kind="io")]) from None
    except OSError as exc:
        raise InputError([Problem(file=name, message=f"cannot be read: {exc.strerror}", kind="io")]) from None
    return parse_text(name, raw)
