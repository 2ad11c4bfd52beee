from __future__ import annotations

import copy
import json
import os
import tempfile
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, settings

# Property tests run 150 examples each in CI; `HYPOTHESIS_PROFILE=long` runs 5,000 (docs/engine.md) and
# `HYPOTHESIS_PROFILE=fuzz` (make fuzz) 25,000 (docs/security.md).
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=25_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# The run's own cache (ics_rules/cache.py), so tests start cold and never touch the user's.
os.environ.setdefault("ICS_RULES_CACHE_DIR", tempfile.mkdtemp(prefix="ics-rules-test-cache-"))

from ics_rules.loading import load_file

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SHARED = REPO.parent / "shared"
# `make test` sets this: what the suite needs (a browser, the lowest PyYAML) must be there, not skipped.
STRICT = bool(os.environ.get("ICS_RULES_STRICT") or os.environ.get("CI"))


def pytest_configure(config: pytest.Config) -> None:
    if not (SHARED / "seeds").is_dir() or not (SHARED / "data").is_dir():
        raise pytest.UsageError(f"the tests need ../shared (the source texts and reference data) beside this checkout, at {SHARED}")


def needs(missing: str | None) -> pytest.MarkDecorator:
    """A skip for tests whose prerequisite is `missing` (why, or None when present); under STRICT the
    missing prerequisite is a collection error instead, so `make test` cannot pass without it."""
    if missing and STRICT:
        raise RuntimeError(f"make test cannot run these tests: {missing}")
    return pytest.mark.skipif(missing is not None, reason=missing or "")


def run_cli(*args: str, cwd: Path | None = None, stdin: bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command as a user would, from a separate process (`env`: variables to add)."""
    return subprocess.run([sys.executable, "-m", "ics_rules", *args], cwd=cwd or REPO, input=stdin.decode() if stdin else None,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env} if env else None)


def tree_nodes(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, value) for every value of a parsed document, mappings and lists included, root first."""
    yield path, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from tree_nodes(value, path + (key,))


@pytest.fixture(scope="session")
def compliant_data() -> dict[str, Any]:
    return load_file(EXAMPLES / "compliant.yaml").data


@pytest.fixture
def submission(compliant_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh, mutable copy of the compliant example."""
    return copy.deepcopy(compliant_data)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    def _write(data: Any, name: str = "submission.yaml") -> Path:
        path = tmp_path / name
        if isinstance(data, (bytes, str)):
            path.write_bytes(data.encode() if isinstance(data, str) else data)
        elif name.endswith(".json"):
            path.write_text(json.dumps(data, indent=2))
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path
    return _write
