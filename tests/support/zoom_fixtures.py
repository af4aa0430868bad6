"""Fixtures for the Zoom tests: one local Zoom per session, reset and seeded per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from local.fakes.zoom_server import ZoomServer
from local.stack import LOGO_URL
from shared.conferences.solutions import Solution, solutions_for
from shared.providers.base import MeetingSpec
from shared.providers.zoom.provider import ZoomProvider

ACCOUNT_ID = "acct-test"
CLIENT_ID = "client-test"
CLIENT_SECRET = "secret-test"
HOST_EMAIL = "host@example.com"
OTHER_ACCOUNT_ID = "acct-other"
OTHER_CLIENT_ID = "client-other"
OTHER_HOST_EMAIL = "stranger@example.org"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2031, 3, 4, 10, 0, tzinfo=STOCKHOLM)  # a Tuesday


def spec(**changes: Any) -> MeetingSpec:
    """A 45-minute event in Stockholm on 4 March 2031 at 10:00, with ``changes``."""
    base = MeetingSpec(
        title="Planning",
        description="Budget review",
        start=START,
        end=START + timedelta(minutes=45),
        time_zone="Europe/Stockholm",
    )
    return replace(base, **changes)


class FakeClock:
    """A monotonic clock that only moves when told to, or when ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def zoom_server() -> Iterator[ZoomServer]:
    server = ZoomServer().start()
    yield server
    server.stop()


@pytest.fixture
def zoom(zoom_server: ZoomServer) -> ZoomServer:
    """The local Zoom, empty but for one account with its app and host, and another
    account with a user of its own."""
    zoom_server.reset()
    zoom_server.add_account(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
    zoom_server.add_user(ACCOUNT_ID, HOST_EMAIL, user_id="host-user-id")
    zoom_server.add_account(OTHER_ACCOUNT_ID, OTHER_CLIENT_ID, "other-secret")
    zoom_server.add_user(OTHER_ACCOUNT_ID, OTHER_HOST_EMAIL)
    return zoom_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ProviderFactory = Callable[..., ZoomProvider]


@pytest.fixture
def make_provider(zoom: ZoomServer, clock: FakeClock) -> Iterator[ProviderFactory]:
    """Providers aimed at the local Zoom with the fake clock; keywords override."""
    made: list[ZoomProvider] = []

    def make(**overrides: Any) -> ZoomProvider:
        options: dict[str, Any] = {
            "account_id": ACCOUNT_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "logo_url": LOGO_URL,
            "api_base": zoom.api_base,
            "oauth_url": zoom.oauth_url,
            "clock": clock,
            "sleep": clock.sleep,
            "timeout": 5.0,
        }
        options.update(overrides)
        provider = ZoomProvider(**options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def provider(make_provider: ProviderFactory) -> ZoomProvider:
    return make_provider()


@pytest.fixture
def solution() -> Solution:
    """The plain Zoom solution ("1": no recording, no SIP)."""
    return solutions_for("zoom")["1"]


@pytest.fixture
def recorded_solution() -> Solution:
    return solutions_for("zoom")["2"]


class RawClient:
    """Plain HTTP against the local Zoom, for the conformance tests."""

    def __init__(self, server: ZoomServer) -> None:
        self.server = server

    def token(self, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
        answer = requests.post(
            self.server.oauth_url,
            params={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
            auth=(client_id, secret),
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return requests.request(
            method,
            self.server.api_base + path,
            headers=headers,
            json=json,
            params=params,
            timeout=timeout,
        )

    def create(self, body: dict[str, Any], user: str = HOST_EMAIL) -> requests.Response:
        return self.call("POST", f"/users/{user}/meetings", json=body)


@pytest.fixture
def raw(zoom: ZoomServer) -> RawClient:
    return RawClient(zoom)
