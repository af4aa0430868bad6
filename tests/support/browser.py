"""A real headless Chromium for the one browser test: Debian's ``chromium`` and
``chromium-driver``, driven by Selenium through ``/usr/bin/chromedriver``. Selenium is
given the driver (``Service``) and the browser explicitly, so its DriverFinder skips
Selenium Manager and never downloads a driver (``SE_OFFLINE`` too, in case)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver"
ATTEMPTS = 3


def _installed() -> bool:
    return all(os.access(path, os.X_OK) for path in (CHROMIUM, CHROMEDRIVER))


def ensure_chromium() -> None:
    """Install Debian's Chromium and its driver when missing and running as root (with
    retries); otherwise fail, printing the command."""
    if _installed():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"Chromium and chromedriver are missing; install them with: {INSTALL}")
    for _ in range(ATTEMPTS):
        done = subprocess.run(
            ["/bin/sh", "-c", INSTALL],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            check=False,
            timeout=900,
        )
        if done.returncode == 0 and _installed():
            return
    pytest.fail(f"installing Chromium failed {ATTEMPTS} times; run: {INSTALL}")


@pytest.fixture
def browser() -> Iterator[object]:
    ensure_chromium()
    os.environ["SE_OFFLINE"] = "true"  # the autouse fixture restores the environment
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        # These machines have no outside network: Chromium's own background connections
        # (updates, sync, first-run pages) would only fail, many at a time.
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
