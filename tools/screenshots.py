"""Screenshots of the HTML report for the README (docs/screenshots/), from the faulty national example.

Run after `make test` has installed Chromium and axe-core: .venv/bin/python tools/screenshots.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import browser  # noqa: E402


def main() -> None:
    out_dir = REPO / "docs" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "report"
        subprocess.run([sys.executable, "-m", "ics_rules", "check", "examples/national-faulty", "--format", "html", "--output", str(pages)],
                       cwd=REPO, env={"SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/bin:/bin"}, check=False)
        driver = browser.start(1280, 900)
        try:
            driver.get((pages / "index.html").as_uri())
            browser.full_page_screenshot(driver, out_dir / "index.png", max_height=1500)
            driver.get((pages / "QE1-lancashire-and-south-cumbria.html").as_uri())
            for status in ("review", "pass", "not_applicable"):
                driver.find_element("css selector", f"input[name=status][value={status}]").click()
            browser.full_page_screenshot(driver, out_dir / "submission-failures.png", max_height=1700)
        finally:
            driver.quit()
    print(f"wrote {out_dir}/index.png and submission-failures.png")


if __name__ == "__main__":
    main()
