"""The HTML report in a real browser: filters work, submitted text cannot run, WCAG 2.1 AA holds.

Headless Debian Chromium through chromium-driver and selenium; axe-core from npm (package-lock.json).
`make test` installs all three when missing, and fails rather than skips when one is still missing.
"""
from __future__ import annotations

import time

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import browser
from conftest import EXAMPLES, needs, run_cli

pytestmark = needs(browser.missing())

XSS = '<script>window.__xss = 1; alert(1)</script>'
XSS_IMG = '<img src=x onerror="window.__xss = 2">'


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    d = browser.start()
    yield d
    d.quit()


@pytest.fixture(scope="module")
def batch_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "out"
    proc = run_cli("check", "examples/national-faulty", "--format", "html", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    return out


def visible(driver: Any, selector: str) -> list[Any]:
    return [e for e in driver.find_elements("css selector", selector) if e.is_displayed()]


def test_filters_hide_and_show_results_by_status_and_severity(driver: Any, batch_pages: Path) -> None:
    driver.set_window_size(1280, 1000)
    driver.get((batch_pages / "QE1-lancashire-and-south-cumbria.html").as_uri())
    items = driver.find_elements("css selector", "[data-status][data-severity]")
    total = len(items)
    assert driver.find_element("id", "shown").text == f"{total} of {total} results shown"
    fails = [e for e in items if e.get_attribute("data-status") == "fail"]
    assert fails and all(e.is_displayed() for e in fails)
    # Only failures: untick every other status.
    for status in ("error", "review", "waived", "pass", "not_applicable"):
        driver.find_element("css selector", f"input[name=status][value={status}]").click()
    shown = [e for e in items if e.get_attribute("hidden") is None]
    assert {e.get_attribute("data-status") for e in shown} == {"fail"} and len(shown) == len(fails)
    assert driver.find_element("id", "shown").text == f"{len(fails)} of {total} results shown"
    assert not visible(driver, "details.passes")  # groups with nothing left to show are hidden
    # And only the expected severity: the required failures go too.
    driver.find_element("css selector", "input[name=severity][value=required]").click()
    shown = [e for e in items if e.get_attribute("hidden") is None]
    assert all(e.get_attribute("data-severity") != "required" for e in shown)
    # Tick everything back.
    for box in driver.find_elements("css selector", ".filters input:not(:checked)"):
        box.click()
    assert driver.find_element("id", "shown").text == f"{total} of {total} results shown"


def test_passes_are_listed_collapsed(driver: Any, batch_pages: Path) -> None:
    driver.get((batch_pages / "QOP-greater-manchester.html").as_uri())
    details = driver.find_elements("css selector", "details.passes")
    assert details and all(d.get_attribute("open") is None for d in details)
    first = details[0]
    assert not first.find_element("css selector", "li").is_displayed()
    first.find_element("css selector", "summary").click()
    assert first.find_element("css selector", "li").is_displayed()


def test_index_links_every_page_and_names_the_system_faults(driver: Any, batch_pages: Path) -> None:
    driver.get((batch_pages / "index.html").as_uri())
    deadline = time.monotonic() + 20  # a loaded machine may still be laying out the index's table
    while True:
        links = {a.get_attribute("href").rsplit("/", 1)[-1] for a in driver.find_elements("css selector", "tbody a")}
        if len(links) >= 42 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert len(links) == 42 and all((batch_pages / name).is_file() for name in links)
    text = driver.find_element("tag name", "main").text
    assert "NHS North East and North Cumbria ICB - 00P (00P) is covered by no ICS in this batch" in text
    assert "NHS Greater Manchester ICB - 00T (00T) is claimed by 2 ICSs" in text
    assert "Cheshire and Merseyside Integrated Care System (QYG) is split across 2 Cancer Alliances" in text


def test_submitted_text_is_shown_as_text_and_never_runs(driver: Any, submission: dict[str, Any], write: Callable[..., Path], tmp_path: Path) -> None:
    submission["ics"]["name"] = XSS
    submission["organisations"][2]["name"] = XSS_IMG  # The Christie, named in a failing contract below
    del submission["provider_contracts"][1]["collaboration_clause"]
    page = tmp_path / "xss.html"
    proc = run_cli("check", str(write(submission)), "--format", "html", "--output", str(page))
    assert proc.returncode == 1, proc.stderr
    html = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__xss = 1" in html and XSS not in html and XSS_IMG not in html
    driver.get(page.as_uri())
    assert driver.execute_script("return window.__xss === undefined")
    from selenium.common.exceptions import NoAlertPresentException
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    assert XSS in driver.find_element("tag name", "h1").text
    assert f"Contract GM-NHSSC-2023-002 with {XSS_IMG} has no requirement to collaborate" in driver.find_element("tag name", "main").text


def test_pages_have_no_wcag_2_1_aa_violations(driver: Any, batch_pages: Path) -> None:
    for name in ("index.html", "QE1-lancashire-and-south-cumbria.html"):
        driver.get((batch_pages / name).as_uri())
        assert browser.axe_violations(driver) == [], name


def test_pages_are_self_contained(batch_pages: Path) -> None:
    for page in batch_pages.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<link" not in html and " src=" not in html and "@import" not in html and "url(" not in html, page.name
        assert "http://" not in html and "https://" not in html, page.name


def test_a_single_submission_page_and_print_layout(driver: Any, tmp_path: Path) -> None:
    page = tmp_path / "compliant.html"
    proc = run_cli("check", str(EXAMPLES / "compliant.yaml"), "--format", "html", "--output", str(page))
    assert proc.returncode == 0, proc.stderr
    driver.get(page.as_uri())
    assert "NHS Greater Manchester Integrated Care (QOP)" in driver.find_element("tag name", "h1").text
    summary = driver.find_element("css selector", ".panel dl").text
    for words in ("SHA-256", "As of\n2023-04-01", "ltp-2019 0.2.1"):
        assert words in summary
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not visible(driver, ".filters")
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True})
    assert len(pdf["data"]) > 10000  # an A4 PDF was produced
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
