"""The BigBlueButton provider against the local BigBlueButton in a thread: create makes no
call, the join details, starting, joining and ending a conference's meeting."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from local.fakes.bbb_server import BBBServer
from shared.conferences.conference_data import validate_conference_data
from shared.conferences.meeting_spec import MeetingSpec
from shared.conferences.solutions import Solution, deployed_solutions
from shared.config import load_settings
from shared.errors import ConfigurationError, ProviderAccountFailure
from shared.providers.bigbluebutton.client import BigBlueButtonClient
from shared.providers.bigbluebutton.meeting_ids import derive_meeting_id
from shared.providers.bigbluebutton.provider import (
    BigBlueButtonProvider,
    create_options,
    meeting_name,
)
from tests.support.bbb_fixtures import ClientFactory, meeting_of

JOIN_BASE = "https://join.example.org/j/"
LOGO = "https://lh3.googleusercontent.com/logo=s32"
SOLUTIONS = deployed_solutions(["jitsi", "bigbluebutton"])
GUESTS = SOLUTIONS["bigbluebutton-1"]
DOMAIN = SOLUTIONS["bigbluebutton-2"]
SPEC = MeetingSpec(
    title="Planning",
    description="",
    start=datetime(2030, 1, 7, 9, tzinfo=UTC),
    end=datetime(2030, 1, 7, 10, tzinfo=UTC),
    time_zone="UTC",
)


@pytest.fixture
def provider(bbb: BBBServer, bbb_client: BigBlueButtonClient) -> BigBlueButtonProvider:
    return BigBlueButtonProvider(
        bbb_client, secret=bbb.secret, join_base_url=JOIN_BASE, logo_url=LOGO
    )


def test_create_calls_nothing_and_joins_through_the_join_function(
    bbb: BBBServer, provider: BigBlueButtonProvider
) -> None:
    meeting = provider.create(SPEC, GUESTS, "host@example.com", "key-1")

    conference_id = meeting.meeting_id
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", conference_id)
    assert bbb.calls() == []
    data = meeting.conference_data
    validate_conference_data(data)
    assert data["conferenceId"] == conference_id
    assert data["entryPoints"] == [
        {
            "entryPointType": "video",
            "uri": JOIN_BASE + conference_id,
            "label": "join.example.org/j/" + conference_id,
        }
    ]
    assert data["conferenceSolution"]["name"] == "BigBlueButton"
    assert data["conferenceSolution"]["iconUri"] == LOGO
    assert data["parameters"]["addOnParameters"]["parameters"] == {"solutionId": "bigbluebutton-1"}


def test_every_creation_gets_its_own_unguessable_id(provider: BigBlueButtonProvider) -> None:
    ids = {provider.create(SPEC, GUESTS, "h@example.com", "same-key").meeting_id for _ in range(50)}

    assert len(ids) == 50


def test_edits_never_call_the_server_and_keep_the_join_details(
    bbb: BBBServer, provider: BigBlueButtonProvider
) -> None:
    meeting = provider.create(SPEC, GUESTS, "host@example.com", "key-1")
    moved = MeetingSpec(
        title="Renamed",
        description="x",
        start=datetime(2030, 2, 1, 9, tzinfo=UTC),
        end=datetime(2030, 2, 1, 11, tzinfo=UTC),
        time_zone="Europe/Berlin",
    )

    assert provider.relevant(SPEC) == provider.relevant(moved) == {}
    assert provider.update(meeting.meeting_id, moved, GUESTS, "host@example.com") == meeting
    assert bbb.calls() == []


def test_the_meeting_id_is_derived_stable_and_distinct(
    bbb: BBBServer, provider: BigBlueButtonProvider
) -> None:
    first = provider.meeting_id_for("conference-a")

    assert first == provider.meeting_id_for("conference-a")
    assert first == derive_meeting_id("conference-a", bbb.secret)
    assert first != provider.meeting_id_for("conference-b")
    assert "conference-a" not in first


def test_start_meeting_creates_it_once_with_the_solutions_options(
    bbb: BBBServer, provider: BigBlueButtonProvider
) -> None:
    first = provider.start_meeting("conference-a", "Planning", GUESTS)
    again = provider.start_meeting("conference-a", "Renamed since", GUESTS)

    assert first == again == provider.meeting_id_for("conference-a")
    meeting = meeting_of(bbb, first)
    assert meeting["name"] == "Planning"
    assert meeting["record"] is True
    assert meeting["guestPolicy"] == "ASK_MODERATOR"
    assert len(bbb.meetings()) == 1
    sent = bbb.calls("create")[0].query
    assert sent["allowStartStopRecording"] == "true"
    assert sent["autoStartRecording"] == "false"
    assert [call.message_key for call in bbb.calls("create")] == [None, "duplicateWarning"]


def test_a_meeting_without_a_usable_title_takes_the_solutions_name() -> None:
    assert meeting_name("  ", GUESTS) == "BigBlueButton"
    assert meeting_name("x", GUESTS) == "BigBlueButton"
    assert meeting_name("", Solution("1", "Z", {}, "bigbluebutton")) == "Meeting"
    assert meeting_name(" Weekly ", DOMAIN) == "Weekly"


def test_recording_follows_the_solution() -> None:
    plain = Solution("1", "BBB", {"guestPolicy": "ALWAYS_ACCEPT"}, "bigbluebutton")

    assert create_options(plain) == {
        "record": False,
        "auto_start_recording": False,
        "allow_start_stop_recording": False,
        "guest_policy": "ALWAYS_ACCEPT",
    }
    assert create_options(DOMAIN)["record"] is True


@pytest.mark.parametrize(
    ("moderator", "guest", "role", "guest_flag", "status"),
    [
        (True, False, "MODERATOR", "false", "ALLOW"),
        (False, False, "VIEWER", "false", "ALLOW"),
        (False, True, "VIEWER", "true", "WAIT"),
    ],
)
def test_join_urls_carry_the_role_and_guest_flag_and_no_passwords(
    bbb: BBBServer,
    provider: BigBlueButtonProvider,
    moderator: bool,
    guest: bool,
    role: str,
    guest_flag: str,
    status: str,
) -> None:
    meeting_id = provider.start_meeting("conference-a", "Planning", GUESTS)

    url = provider.join_url("conference-a", "Ada", moderator=moderator, guest=guest, user_id="u1")

    query = dict(parse_qsl(urlsplit(url).query))
    assert query["role"] == role
    assert query["guest"] == guest_flag
    assert query["meetingID"] == meeting_id
    assert query["userID"] == "u1"
    assert not {"password", "attendeePW", "moderatorPW"} & set(query)
    answer = requests.get(url, timeout=5, allow_redirects=False)
    assert answer.status_code == 302
    user = meeting_of(bbb, meeting_id)["users"][0]
    assert (user["role"], user["guestStatus"]) == (role, status)


def test_a_join_without_a_user_id_gets_one(provider: BigBlueButtonProvider) -> None:
    url = provider.join_url("conference-a", "Guest", moderator=False, guest=True)

    assert dict(parse_qsl(urlsplit(url).query))["userID"].startswith("guest-")


def test_delete_ends_a_running_meeting(bbb: BBBServer, provider: BigBlueButtonProvider) -> None:
    meeting_id = provider.start_meeting("conference-a", "Planning", GUESTS)
    bbb.set_running(meeting_id)

    provider.delete("conference-a")

    assert bbb.meeting(meeting_id) is None
    assert [m["meetingID"] for m in bbb.ended_meetings()] == [meeting_id]


def test_deleting_a_meeting_the_server_does_not_have_is_success(
    bbb: BBBServer, provider: BigBlueButtonProvider
) -> None:
    provider.delete("never-started")

    assert [call.message_key for call in bbb.calls("end")] == ["notFound"]


def test_a_wrong_secret_is_the_accounts_failure(
    bbb: BBBServer, make_bbb_client: ClientFactory
) -> None:
    wrong = BigBlueButtonProvider(
        make_bbb_client(secret="wrong"), secret="wrong", join_base_url=JOIN_BASE, logo_url=LOGO
    )

    with pytest.raises(ProviderAccountFailure):
        wrong.delete("conference-a")


def test_from_settings_builds_it_and_never_shows_the_secret(bbb: BBBServer) -> None:
    settings = load_settings(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "SYNC_WEBHOOK_URL": "https://sync.example.com/",
            "ADDON_OAUTH_CLIENT_ID": "client",
            "ADDON_LOGO_URL": LOGO,
            "CALENDAR_CREDENTIALS": "anonymous",
            "CONFERENCE_PROVIDERS": "bigbluebutton",
            "BBB_API_URL": bbb.api_url,
            "BBB_SECRET": bbb.secret,
            "JOIN_BASE_URL": JOIN_BASE,
        }
    )

    provider = BigBlueButtonProvider.from_settings(settings)

    assert provider.name == "bigbluebutton"
    assert bbb.secret not in repr(provider)
    meeting_id = provider.start_meeting("conference-a", "Planning", GUESTS)
    assert meeting_of(bbb, meeting_id)["name"] == "Planning"


def test_from_settings_needs_the_bigbluebutton_settings() -> None:
    settings = load_settings(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "SYNC_WEBHOOK_URL": "https://sync.example.com/",
            "ADDON_OAUTH_CLIENT_ID": "client",
            "ADDON_LOGO_URL": LOGO,
            "CALENDAR_CREDENTIALS": "anonymous",
        }
    )

    with pytest.raises(ConfigurationError):
        BigBlueButtonProvider.from_settings(settings)


def test_a_join_base_url_must_end_with_a_slash(bbb_client: BigBlueButtonClient) -> None:
    with pytest.raises(ConfigurationError):
        BigBlueButtonProvider(bbb_client, secret="s", join_base_url="https://j/x", logo_url=LOGO)
