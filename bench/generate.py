"""Synthetic submissions the size of real ones, for the benchmarks (never for tests of behaviour).

Each submission starts from one of the 42 national examples (real ICB, area, trust and PCN codes) and
is grown to a realistic size: at least 30 PCNs (each example lists every PCN of its ICB, up to 140), 10
to 25 board members and 10 to 40 provider contracts,
with a few faults of the kinds reviewers find (a clinical director not accountable, a contract with no
collaboration clause, an unapproved chair). Submission i uses example i mod 42, so a batch larger than
42 holds resubmissions of the same systems, as a reviewer's archive would. Everything is seeded by i.

    .venv/bin/python bench/generate.py COUNT OUTDIR [--scale K]

`--scale K` multiplies the PCNs, board members and contracts by K (the entity-scaling benchmark).
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((REPO / "examples" / "national").glob("*.yaml"))
GENERATOR_VERSION = "2"  # bump when the output changes, so cached batches are rebuilt

_FIRST = ["Aisha", "Ben", "Chloe", "Dev", "Eleanor", "Farid", "Grace", "Hannah", "Imran", "Jack", "Kiran", "Leah",
          "Mohammed", "Niamh", "Olivia", "Priya", "Rhys", "Sofia", "Tobias", "Usha", "Victor", "Wen", "Yusuf", "Zara"]
_LAST = ["Achebe", "Begum", "Castell", "Doherty", "Evans", "Fairweather", "Griffiths", "Hollis", "Iqbal", "Jessop",
         "Khan", "Lowe", "Marsden", "Nowak", "Okafor", "Patel", "Quinn", "Rahman", "Shah", "Underhill"]
_ROLES = ["Chief Executive", "Chair", "Director of Nursing", "Medical Director", "Director of Finance",
          "Director of Public Health", "Director of Adult Social Services", "Chief Operating Officer"]
_CONTRACT_TYPES = ["nhs_standard_contract", "nhs_standard_contract", "nhs_standard_contract", "gp_contract"]


def _person(rng: random.Random, title: str = "") -> str:
    return f"{title}{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _load_template(index: int) -> dict[str, Any]:
    with open(TEMPLATES[index % len(TEMPLATES)], encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.CSafeLoader)  # noqa: S506 (safe loader)


def _grow_pcns(doc: dict[str, Any], target: int, template: int, rng: random.Random) -> None:
    pcns = doc["primary_care_networks"]
    used = {p["code"] for p in pcns}
    number = 50000 + template * 1000
    while len(pcns) < target:
        code = f"U{number:05d}"
        number += 1
        if code in used:
            continue
        used.add(code)
        pcns.append({"code": code, "name": f"{rng.choice(_LAST)} Valley PCN {len(pcns) + 1}",
                     "clinical_director": {"name": _person(rng, "Dr "), "gmc_number": f"{rng.randrange(10**6, 10**7)}",
                                           "accountable": rng.random() > 0.03}})


def _grow_board(doc: dict[str, Any], target: int, rng: random.Random) -> None:
    members = doc["partnership_board"]["members"]
    orgs = [o["id"] for o in doc["organisations"]]
    while len(members) < target:
        members.append({"name": _person(rng), "organisation": rng.choice(orgs), "role": rng.choice(_ROLES),
                        "non_executive": rng.random() < 0.2, "voting": rng.random() < 0.8})


def _grow_contracts(doc: dict[str, Any], target: int, rng: random.Random) -> None:
    contracts = doc["provider_contracts"]
    providers = [o["id"] for o in doc["organisations"] if o["type"] in ("nhs_trust", "nhs_foundation_trust")]
    clause = dict(contracts[0]["collaboration_clause"]) if contracts else None
    code = doc["ics"]["code"]
    while len(contracts) < target:
        n = len(contracts) + 1
        contract: dict[str, Any] = {"id": f"{code}-NHSSC-2023-{n:03d}", "provider": rng.choice(providers),
                                    "commissioner": "icb", "type": rng.choice(_CONTRACT_TYPES),
                                    "start": "2023-04-01", "end": rng.choice(["2026-03-31", "2028-03-31", "2030-03-31"])}
        if clause and rng.random() > 0.08:
            contract["collaboration_clause"] = dict(clause)
        contracts.append(contract)


def make_submission(index: int, scale: int = 1) -> dict[str, Any]:
    """Submission `index`: the national example index mod 42, grown to a realistic size (times `scale`)."""
    rng = random.Random(index)
    template = index % len(TEMPLATES)
    doc = _load_template(template)
    copy = index // len(TEMPLATES)
    if copy:
        doc["ics"]["name"] += f" (resubmission {copy})"
    _grow_pcns(doc, rng.randint(30, 60) * scale, template, rng)
    _grow_board(doc, rng.randint(10, 25) * scale, rng)
    _grow_contracts(doc, rng.randint(10, 40) * scale, rng)
    if rng.random() < 0.1:
        del doc["partnership_board"]["chair"]["approval"]
    return doc


def write_batch(count: int, out: Path, scale: int = 1) -> list[Path]:
    """COUNT submissions as YAML files in OUT (created), named so a directory listing keeps their order."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        doc = make_submission(i, scale)
        path = out / f"{i:05d}-{doc['ics']['code']}.yaml"
        path.write_text(yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=120),
                        encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    write_batch(args.count, args.outdir, args.scale)


if __name__ == "__main__":
    main()
