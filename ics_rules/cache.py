"""What ics-rules keeps between runs, as Python keeps bytecode in __pycache__: compiled Jinja2
templates, and which ruleset files have already passed every check.

Compiling templates and re-checking an unchanged ruleset are most of what a one-file check spends
beyond importing its libraries (bench/README.md). Entries are keyed by content: a template by its
name and a checksum of its source; a ruleset by the digest of its bytes together with the version,
the ruleset schema and the source of the modules that judge rulesets, so an edited ruleset, schema
or checker is checked afresh. The cache lives in $ICS_RULES_CACHE_DIR, else $XDG_CACHE_HOME/ics-rules,
else ~/.cache/ics-rules; ICS_RULES_CACHE_DIR=off turns it off, and a directory that cannot be written
only means the work is done every run. Like __pycache__, it is trusted as the user's own files.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .version import __version__

# The modules whose code decides whether a ruleset is good: a change to any of them invalidates the marks.
_JUDGES = ("rulesets.py", "conditions.py", "facts.py", "templating.py", "validation.py", "loading.py", "problems.py")
# The modules that configure Jinja2 environments: a compiled template depends on the environment's
# settings (finalize, autoescape, whitespace), which Jinja2's own cache key leaves out.
_TEMPLATE_BUILDERS = ("templating.py", "renderers/text.py", "renderers/html.py")


@lru_cache(maxsize=None)
def cache_directory(kind: str) -> Path | None:
    """The folder for one kind of entry, made if needed; None when turned off or impossible."""
    chosen = os.environ.get("ICS_RULES_CACHE_DIR")
    if chosen == "off":
        return None
    base = Path(chosen) if chosen else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ics-rules"
    folder = base / f"{kind}-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


@lru_cache(maxsize=None)
def bytecode_cache() -> Any:
    """The template cache every Jinja2 environment of the run shares (None when there is none): one
    that never fails a run, as unreadable or unwritable entries are simply not used."""
    from jinja2 import FileSystemBytecodeCache

    class QuietBytecodeCache(FileSystemBytecodeCache):
        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return super().get_cache_key(name, f"{filename}|{_digest(_TEMPLATE_BUILDERS)}")

        def load_bytecode(self, bucket: Any) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, EOFError, ValueError, TypeError):
                bucket.reset()

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    folder = cache_directory("templates")
    return QuietBytecodeCache(str(folder)) if folder is not None else None


@lru_cache(maxsize=None)
def _digest(modules: tuple[str, ...], *extra: bytes) -> str:
    """The version, anything else given, and the source of these modules of the package."""
    h = hashlib.sha256(__version__.encode())
    for data in extra:
        h.update(data)
    package = Path(__file__).resolve().parent
    for name in modules:
        h.update((package / name).read_bytes())
    return h.hexdigest()


def _judges_digest() -> str:
    from .resources import schema_path

    return _digest(_JUDGES, schema_path("ruleset").read_bytes())


def _mark(ruleset_sha256: str) -> Path | None:
    folder = cache_directory("rulesets")
    if folder is None:
        return None
    return folder / hashlib.sha256(f"{_judges_digest()}:{ruleset_sha256}".encode()).hexdigest()


def ruleset_known_good(ruleset_sha256: str) -> bool:
    """True when a ruleset with exactly these bytes passed every check, by this code, before."""
    mark = _mark(ruleset_sha256)
    return mark is not None and mark.is_file()


def remember_good_ruleset(ruleset_sha256: str) -> None:
    mark = _mark(ruleset_sha256)
    if mark is not None:
        try:
            mark.touch()
        except OSError:
            pass
