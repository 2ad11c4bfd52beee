"""JUnit XML: one test suite per submission (and one for the system checks and one for waivers), one
test case per rule and subject, with stable names, so CI dashboards track each requirement over time."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ..report import Report
from ..results import Result


def _case(suite: ET.Element, result: Result) -> str:
    s = result.subject
    case = ET.SubElement(suite, "testcase", {"classname": result.rule_id, "name": f"{s.kind} {s.id}", "time": "0"})
    if s.line is not None:
        case.set("file", s.file)
        case.set("line", str(s.line))
    detail = (f"{result.message}\n{s.location()}\nfix: {result.remediation}\n"
              f"source: {result.citation['document']}, paragraph {result.citation['paragraph']}")
    if result.status == "fail":
        ET.SubElement(case, "failure", {"message": result.message, "type": result.severity}).text = detail
    elif result.status == "error":
        ET.SubElement(case, "error", {"message": result.message, "type": "not evaluated"}).text = detail
    elif result.status in ("not_applicable", "waived"):
        ET.SubElement(case, "skipped", {"message": f"{result.status.replace('_', ' ')}: {result.message}"})
    elif result.status == "review":
        ET.SubElement(case, "system-out").text = f"for review: {detail}"
    return result.status


def _suite(root: ET.Element, name: str, results: list[Result], properties: dict[str, Any]) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", {"name": name})
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": str(value)})
    statuses = [_case(suite, r) for r in results]
    counts = {"tests": len(statuses), "failures": statuses.count("fail"), "errors": statuses.count("error"),
              "skipped": statuses.count("not_applicable") + statuses.count("waived"), "time": 0}
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def render(report: Report, *, color: bool = False, verbose: bool = False, fail_on: str = "required") -> str:
    root = ET.Element("testsuites", {"name": "ics-rules"})
    for entry, results in report.results_by_input():
        props = {"sha256": entry.sha256, "ics": entry.ics_code, "as_of": entry.as_of, "reference_geography": entry.geography}
        suite = _suite(root, entry.path, results, props)
        if entry.status != "checked":  # the input itself is the test that failed
            case = ET.SubElement(suite, "testcase", {"classname": "ics-rules.input", "name": "the submission can be checked", "file": entry.path, "time": "0"})
            text = "\n".join(str(p) for p in entry.problems)
            ET.SubElement(case, "error", {"message": f"{entry.status}: {len(entry.problems)} problem(s)", "type": entry.status}).text = text
            suite.set("tests", str(int(suite.get("tests", "0")) + 1))
            suite.set("errors", str(int(suite.get("errors", "0")) + 1))
    if report.system:
        _suite(root, "system checks", report.system_results(), {"as_of": report.system.as_of, "reference_geography": report.system.geography})
    if report.waivers:
        _suite(root, "waivers", report.waiver_findings(), {"file": report.waivers["file"]})
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root.findall("testsuite"))))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
