"""Find the data folders whether running from a checkout or from an installed wheel."""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE / "_data"  # where the wheel puts rulesets/, schemas/, reports/, reference/
_CHECKOUT = _PACKAGE.parent


def data_dir(name: str) -> Path:
    """Return the folder `name` (e.g. "schemas"), preferring the copy shipped inside the wheel."""
    for base in (_INSTALLED, _CHECKOUT):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ics-rules data folder {name!r} is missing from the installation")


def schema_path(name: str) -> Path:
    return data_dir("schemas") / f"{name}.schema.json"


def default_ruleset_paths() -> list[Path]:
    return sorted(data_dir("rulesets").glob("*.yaml"))


DATA_FOLDERS = ("rulesets", "schemas", "reports", "reference", "examples")


def read_locations() -> list[Path]:
    """Everything ics-rules reads to run, whichever install it is: its package and its data folders."""
    found = [_PACKAGE]
    for name in DATA_FOLDERS:
        try:
            found.append(data_dir(name).resolve())
        except FileNotFoundError:
            pass
    return found
