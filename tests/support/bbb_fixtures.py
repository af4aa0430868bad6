"""Fixtures for the BigBlueButton tests: one local BigBlueButton per session, reset per
test, plain signed HTTP against it (:class:`RawBBB`) and clients aimed at it."""

from __future__ import annotations

import hashlib
import http.client
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from local.fakes.bbb_server import DEFAULT_SUPPORTED, BBBServer
from shared.providers.bigbluebutton.client import BigBlueButtonClient
from tests.support.zoom_fixtures import FakeClock

MEETING_ID = "meeting-0001"
MEETING_NAME = "Planning"


@pytest.fixture(scope="session")
def bbb_server() -> Iterator[BBBServer]:
    server = BBBServer().start()
    yield server
    server.stop()


@pytest.fixture
def bbb(bbb_server: BBBServer) -> BBBServer:
    """The local BigBlueButton, empty, accepting every checksum algorithm."""
    bbb_server.reset()
    bbb_server.set_algorithms(DEFAULT_SUPPORTED)
    return bbb_server


def signed_url(
    server: BBBServer,
    call: str,
    query: str,
    *,
    algorithm: str = "sha256",
    secret: str | None = None,
) -> str:
    """``{api}/{call}?{query}&checksum=...``, the checksum over ``query`` as given."""
    data = call + query + (server.secret if secret is None else secret)
    checksum = hashlib.new(algorithm, data.encode("utf-8")).hexdigest()
    separator = "&" if query else ""
    return f"{server.api_url}{call}?{query}{separator}checksum={checksum}"


@dataclass(frozen=True)
class Sent:
    """An answer to :func:`send_exactly`."""

    status_code: int
    headers: CaseInsensitiveDict[str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def send_exactly(url: str, *, timeout: float = 5.0) -> Sent:
    """GET ``url`` byte for byte, without following redirects: ``requests`` (urllib3)
    would turn ``%7E`` into ``~`` and ``%c3`` into ``%C3``; ``http.client`` sends the
    request target as given."""
    parts = urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return Sent(response.status, CaseInsensitiveDict(response.getheaders()), response.read())
    finally:
        connection.close()


def xml_of(answer: Sent | requests.Response) -> ET.Element:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/xml")
    return ET.fromstring(answer.content)  # noqa: S314 (the local server, in this process)


def meeting_of(server: BBBServer, meeting_id: str = MEETING_ID) -> dict[str, Any]:
    """The meeting as the server's control shows it; it must exist."""
    meeting = server.meeting(meeting_id)
    assert meeting is not None, f"no meeting {meeting_id}"
    return meeting


class RawBBB:
    """Plain signed HTTP against the local BigBlueButton, for the conformance tests."""

    def __init__(self, server: BBBServer) -> None:
        self.server = server

    def get(
        self,
        call: str,
        query: str | dict[str, str] = "",
        *,
        algorithm: str = "sha256",
        secret: str | None = None,
        timeout: float = 5.0,
    ) -> Sent:
        text = query if isinstance(query, str) else urlencode(query)
        url = signed_url(self.server, call, text, algorithm=algorithm, secret=secret)
        return send_exactly(url, timeout=timeout)

    def xml(self, call: str, query: str | dict[str, str] = "", **options: Any) -> ET.Element:
        return xml_of(self.get(call, query, **options))

    def create(
        self, meeting_id: str = MEETING_ID, name: str = MEETING_NAME, **params: str
    ) -> ET.Element:
        return self.xml("create", {"name": name, "meetingID": meeting_id, **params})

    def join(self, full_name: str, meeting_id: str = MEETING_ID, **params: str) -> Sent:
        return self.get("join", {"fullName": full_name, "meetingID": meeting_id, **params})

    def enter(self, full_name: str, meeting_id: str = MEETING_ID, **params: str) -> str:
        """Join and load the client (the user enters); returns the session token."""
        answer = self.join(full_name, meeting_id, **params)
        assert answer.status_code == 302, answer.text
        page = requests.get(answer.headers["Location"], timeout=5, allow_redirects=False)
        assert page.status_code == 200, page.text
        return answer.headers["Location"].rsplit("sessionToken=", 1)[1]


@pytest.fixture
def raw_bbb(bbb: BBBServer) -> RawBBB:
    return RawBBB(bbb)


ClientFactory = Callable[..., BigBlueButtonClient]


@pytest.fixture
def make_bbb_client(bbb: BBBServer) -> Iterator[ClientFactory]:
    """Clients aimed at the local BigBlueButton with a fake clock; keywords override."""
    made: list[BigBlueButtonClient] = []

    def make(**overrides: Any) -> BigBlueButtonClient:
        clock = FakeClock()
        options: dict[str, Any] = {
            "api_url": bbb.api_url,
            "secret": bbb.secret,
            "timeout": 5.0,
            "clock": clock,
            "sleep": clock.sleep,
        }
        options.update(overrides)
        client = BigBlueButtonClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def bbb_client(make_bbb_client: ClientFactory) -> BigBlueButtonClient:
    return make_bbb_client()
