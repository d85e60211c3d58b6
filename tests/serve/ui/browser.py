"""Headless Chromium from Debian's packages, driven by Selenium through Debian's chromedriver.

Selenium Manager is never asked for a driver (it would download one): the service is given
``/usr/bin/chromedriver`` and the browser ``/usr/bin/chromium``. The flags keep Chromium from
reaching for the network (closed here) and from needing a sandbox when run as root.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = os.environ.get("LITEMETA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LITEMETA_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--window-size=1280,900",
)
ARTIFACTS = Path(os.environ.get("LITEMETA_ARTIFACTS", Path(__file__).resolve().parents[3] / "artifacts")) / "ui"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def available() -> bool:
    """Whether Debian's chromium and chromedriver are installed (``.ci/run`` installs them)."""
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def start_browser(profile: str) -> Any:
    """A headless Chromium with a fresh profile folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the module's tests (skipped when it is not installed)."""
    if not available():
        if os.environ.get("CI"):  # .ci/run installs them: a missing browser there is a failure, not a skip
            pytest.fail(f"CI needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})")
        pytest.skip(
            f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
            f"apt-get install -y chromium chromium-driver"
        )
    profile = tempfile.mkdtemp(prefix="litemeta-chromium-")
    driver = start_browser(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: Any, name: str) -> Path:
    """Save the page as ``artifacts/ui/<name>.png`` (the folder is gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def axe_violations(driver: Any) -> list:  # type: ignore[type-arg]
    """axe-core's violations of the current page (WCAG 2.1 A and AA rules and best practices)."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
    )
    return list(result)
