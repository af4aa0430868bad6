"""Logo URLs: only Google's hosts, on the cases deploy.sh and the Node stand-in share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.logos import LOGO_HOSTS, is_google_hosted, logo_url_problems

CASES_FILE = Path(__file__).resolve().parents[2] / "addon" / "test" / "logo_urls.json"
CASES: dict[str, list[str]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))


def test_the_shared_cases_cover_each_host_and_the_lookalikes() -> None:
    accepted = " ".join(CASES["accepted"]).lower()
    for host in ("lh3.googleusercontent.com", "fonts.gstatic.com", "storage.googleapis.com"):
        assert host in accepted
    assert "https://evilgoogleusercontent.com/logo.png" in CASES["refused"]
    assert "https://googleusercontent.com.evil.org/logo.png" in CASES["refused"]
    assert "http://lh3.googleusercontent.com/logo.png" in CASES["refused"]
    assert LOGO_HOSTS == ("*.googleusercontent.com", "*.gstatic.com", "storage.googleapis.com")


@pytest.mark.parametrize("url", CASES["accepted"])
def test_google_hosted_urls_are_accepted(url: str) -> None:
    assert is_google_hosted(url)
    assert logo_url_problems("ADDON_LOGO_URL", url) == []


@pytest.mark.parametrize("url", CASES["refused"])
def test_other_urls_are_refused_with_the_setting_named(url: str) -> None:
    problems = logo_url_problems("ADDON_LOGO_URL", url)

    assert not is_google_hosted(url)
    assert len(problems) == 1
    assert problems[0].startswith("ADDON_LOGO_URL")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "is required"),
        ("http://lh3.googleusercontent.com/logo.png", "must start with https://"),
        ("https://meet.jit.si/images/favicon.svg", "'meet.jit.si' is not a Google host"),
        ("https://evilgoogleusercontent.com/logo.png", "not a Google host"),
        ("https://lh3.googleusercontent.com:443/logo.png", "not a Google host"),
        ("https://lh3.googleusercontent.com/", "must name an image after the host"),
        ("https://lh3.googleusercontent.com/a logo.png", "URL characters only"),
    ],
)
def test_the_problem_says_what_is_wrong(url: str, fragment: str) -> None:
    assert fragment in logo_url_problems("--logo-url", url)[0]
