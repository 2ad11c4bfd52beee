"""The benchmarks' own inputs are right: generated submissions are valid and of the promised sizes,
and the Rego peer gives the same verdicts as ics-rules (bench/README.md compares their speed)."""
from __future__ import annotations

import sys
from pathlib import Path

from ics_rules.loading import load_file
from ics_rules.validation import validate_submission
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402


def test_generated_submissions_are_valid_and_sized_like_real_ones(tmp_path: Path) -> None:
    paths = generate.write_batch(45, tmp_path / "b")
    sizes = []
    for path in paths:
        doc = load_file(path)
        assert validate_submission(doc) == [], path
        d = doc.data
        sizes.append((len(d["primary_care_networks"]), len(d["partnership_board"]["members"]), len(d["provider_contracts"])))
    assert all(30 <= p <= 150 and 10 <= m <= 25 and 10 <= c <= 60 for p, m, c in sizes), sizes
    assert load_file(paths[42]).data["ics"]["code"] == load_file(paths[0]).data["ics"]["code"]  # a resubmission
    doubled = generate.make_submission(3, scale=2)
    single = generate.make_submission(3)
    assert len(doubled["primary_care_networks"]) == 2 * len(single["primary_care_networks"])


def test_the_rego_peer_gives_ics_rules_own_verdicts(tmp_path: Path) -> None:
    import peer

    generate.write_batch(6, tmp_path / "b")
    outcome = peer.compare(tmp_path / "b", 6)  # stops with the differences if any verdict differs
    assert outcome["documents"] == 6 and outcome["results_agreed"] > 6 * 50
