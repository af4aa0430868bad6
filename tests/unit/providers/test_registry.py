"""The enabled providers: names, the record's provider, deployed solutions, and building
each provider only when it is first used (a Jitsi creation never imports Zoom or
BigBlueButton code)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import Settings, load_settings
from shared.errors import ConfigurationError
from shared.providers.base import Provider
from shared.providers.jitsi import JitsiProvider
from shared.providers.registry import ProviderRegistry, build_provider

ROOT = Path(__file__).resolve().parents[3]
LOGO = "https://lh3.googleusercontent.com/logo=s32"
ENV = {
    "GOOGLE_CLOUD_PROJECT": "p",
    "SYNC_WEBHOOK_URL": "https://sync.example.com/",
    "ADDON_OAUTH_CLIENT_ID": "client",
    "ADDON_LOGO_URL": LOGO,
    "CALENDAR_CREDENTIALS": "anonymous",
    "CONFERENCE_PROVIDERS": "jitsi,bigbluebutton,zoom",
    "BBB_API_URL": "https://bbb.example.org/bigbluebutton/api/",
    "BBB_SECRET": "bbb-secret",
    "JOIN_BASE_URL": "https://join.example.org/",
    "ZOOM_ACCOUNT_ID": "a",
    "ZOOM_CLIENT_ID": "c",
    "ZOOM_CLIENT_SECRET": "s",
}


def settings(**overrides: str) -> Settings:
    return load_settings({**ENV, **overrides})


class Counting:
    def __init__(self) -> None:
        self.built: list[str] = []

    def __call__(self, settings: Settings, entry: str) -> Provider:
        self.built.append(entry)
        return build_provider(settings, entry)


def test_builtin_names_need_no_building_and_each_provider_is_built_once() -> None:
    build = Counting()
    registry = ProviderRegistry(settings(), build)

    assert registry.names == ("jitsi", "bigbluebutton", "zoom")
    assert registry.primary == "jitsi"
    assert build.built == []
    first = registry.get("bigbluebutton")
    assert registry.get("bigbluebutton") is first
    assert first.name == "bigbluebutton"
    assert build.built == ["bigbluebutton"]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, "jitsi"),  # a record written before records named their provider
        ("", "jitsi"),
        ("zoom", "zoom"),
        ("bigbluebutton", "bigbluebutton"),
        ("webex", None),
    ],
)
def test_a_records_provider_is_its_stored_one_or_the_primary(
    stored: str | None, expected: str | None
) -> None:
    assert ProviderRegistry(settings()).enabled_name(stored) == expected


def test_a_provider_no_longer_enabled_is_none_and_cannot_be_got() -> None:
    registry = ProviderRegistry(settings(CONFERENCE_PROVIDERS="zoom,jitsi"))

    assert registry.enabled_name("bigbluebutton") is None
    assert registry.enabled_name(None) == "zoom"
    with pytest.raises(ConfigurationError):
        registry.get("bigbluebutton")


def test_the_solutions_are_every_enabled_providers_under_deployed_ids() -> None:
    registry = ProviderRegistry(settings())

    assert list(registry.solutions) == [
        "1",
        "bigbluebutton-1",
        "bigbluebutton-2",
        "zoom-1",
        "zoom-2",
    ]
    solution = registry.solution("zoom-2")
    assert solution is not None
    assert solution.provider == "zoom"
    assert registry.solution("2") is None


def test_a_custom_provider_is_built_to_learn_its_name() -> None:
    registry = ProviderRegistry(
        settings(CONFERENCE_PROVIDERS=f"{__name__}:make_custom", CONFERENCE_PROVIDER="")
    )

    assert registry.names == ("jitsi",)
    assert isinstance(registry.get("jitsi"), JitsiProvider)


def make_custom(settings: Settings) -> Provider:
    return JitsiProvider("https://meet.example.org", logo_url=settings.addon_logo_url)


def test_a_custom_provider_that_cannot_be_loaded_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        build_provider(settings(), "no.such.module:make")


PROBE = """
import json, sys
from shared.config import load_settings
from shared.runtime import Runtime
runtime = Runtime(load_settings())
runtime.providers.get("jitsi")
runtime.providers.solutions
import shared.creation.creator, shared.sync.changes, shared.sync.sweep
before = sorted(m for m in sys.modules if m.startswith(("shared.providers.zoom",
    "shared.providers.bigbluebutton")))
assert runtime.bigbluebutton.name == "bigbluebutton"
after = sorted(m for m in sys.modules if m.startswith("shared.providers.bigbluebutton"))
print(json.dumps([before, after]))
"""


def test_a_jitsi_creation_imports_no_zoom_or_bigbluebutton_code() -> None:
    answer = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**ENV, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    before, after = json.loads(answer.stdout)
    assert before == []
    assert "shared.providers.bigbluebutton.provider" in after
