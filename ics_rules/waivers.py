"""The one place waivers are applied: whatever the output format, a report carries waived results and
the waivers' own findings (expired, or matching nothing) the same way."""
from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from .loading import load_file
from .problems import InputError
from .results import InputReport, Result, Subject
from .validation import schema_problems

WAIVABLE = ("fail", "review")  # an engine error is never waived: the rule did not run


@dataclass(frozen=True)
class Waiver:
    rule: str
    submission: str | None
    subject: str | None
    justification: str
    approved_by: str
    expires: str
    reference: str | None
    file: str
    line: int | None
    column: int | None

    def matches(self, result: Result, entry: InputReport | None) -> bool:
        if not fnmatchcase(result.rule_id, self.rule):
            return False
        if self.subject is not None and result.subject.id != self.subject:
            return False
        if self.submission is not None:
            names = [result.subject.file] + ([entry.ics_code] if entry and entry.ics_code else [])
            return any(n is not None and (n == self.submission or fnmatchcase(n, self.submission)) for n in names)
        return True

    def describe(self) -> dict[str, str | int | None]:
        return {"rule": self.rule, "submission": self.submission, "subject": self.subject, "justification": self.justification,
                "approved_by": self.approved_by, "expires": self.expires, "reference": self.reference,
                "file": self.file, "line": self.line}


def load_waivers(path: str | Path) -> list[Waiver]:
    """Read and check a waivers file; InputError with file, line and problem if it is not right."""
    doc = load_file(path)
    problems = schema_problems(doc, "waivers")
    if problems:
        raise InputError(problems)
    out = []
    for i, w in enumerate(doc.data["waivers"]):
        pos = doc.position(f"/waivers/{i}")
        out.append(Waiver(w["rule"], w.get("submission"), w.get("subject"), w["justification"], w["approved_by"], w["expires"],
                          w.get("reference"), doc.path, pos[0] if pos else None, pos[1] if pos else None))
    return out


def _finding(waiver: Waiver, rule_id: str, title: str, message: str, remediation: str) -> Result:
    subject = Subject("waiver", waiver.rule + (f" for {waiver.subject}" if waiver.subject else ""), f"waiver of {waiver.rule}",
                      waiver.file, "", waiver.line, waiver.column)
    citation = {"document": "ics-rules waivers", "paragraph": "0", "quote": None}
    return Result(rule_id, title, "advisory", "fail", message, citation, remediation, subject, "waivers", waiver=waiver.describe())


class WaiverLedger:
    """Applies waivers to results as they arrive, remembering which were used or found expired, so the
    findings about the waivers themselves come once at the end."""

    def __init__(self, waivers: list[Waiver]) -> None:
        self.waivers = waivers
        self.used: set[int] = set()
        self.expired: set[int] = set()

    def apply(self, results: list[Result], entries: dict[str, InputReport]) -> list[Result]:
        """The results with those an unexpired waiver covers marked as waived; `entries` by input path."""
        if not self.waivers:
            return results
        out = []
        for r in results:
            entry = entries.get(r.subject.file)
            as_of = (entry.as_of if entry else None) or ""
            for n, w in enumerate(self.waivers):
                if r.status in WAIVABLE and w.matches(r, entry):
                    if as_of and as_of > w.expires:
                        self.expired.add(n)
                        continue
                    self.used.add(n)
                    r = replace(r, status="waived", waiver=w.describe(),
                                message=f"{r.message} Waived until {w.expires} by {w.approved_by}: {w.justification}")
                    break
            out.append(r)
        return out

    def findings(self) -> list[Result]:
        """A finding for each waiver that expired (and covered nothing still in force) or matched nothing."""
        out = []
        for n, w in enumerate(self.waivers):
            if n in self.expired and n not in self.used:
                out.append(_finding(w, "WAIVER-EXPIRED", "A waiver has expired",
                                    f"The waiver of {w.rule}{' for ' + w.subject if w.subject else ''} expired on {w.expires}; "
                                    "the results it covered are reported as they are.",
                                    "Renew the waiver with a new approval and expiry, or meet the requirement."))
            elif n not in self.used:
                out.append(_finding(w, "WAIVER-UNMATCHED", "A waiver matches no result",
                                    f"The waiver of {w.rule}{' for ' + w.subject if w.subject else ''}"
                                    f"{' in ' + w.submission if w.submission else ''} matches no failing or for-review result.",
                                    "Remove the waiver, or correct its rule, submission or subject."))
        return out
