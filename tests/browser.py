"""Headless Debian Chromium for the HTML report tests and the README screenshots (tools/screenshots.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None. `make test` installs what is missing."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "Debian's chromium and chromium-driver are not installed (make test installs them)"
    if not AXE.is_file():
        return "axe-core is not installed (make test runs npm ci)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def start(width: int = 1280, height: int = 1000) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver", env=dict(os.environ, SE_AVOID_STATS="true"))
    return webdriver.Chrome(options=options, service=service)


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page now loaded."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}}).then(r => done(r.violations), e => done([{id: 'axe-error', help: String(e)}]));",
        WCAG_21_AA)
    return [{"id": v["id"], "help": v.get("help"), "nodes": [n.get("target") for n in v.get("nodes", [])][:5]} for v in result]


def full_page_screenshot(driver: Any, path: Path, width: int = 1280, max_height: int = 2400) -> None:
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), max_height)
    driver.set_window_size(width, height)
    driver.save_screenshot(str(path))
