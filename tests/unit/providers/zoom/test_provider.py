"""The ``zoom`` provider against the local Zoom: meetings and their ConferenceData."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.fakes.zoom_server import DialInNumber, ZoomServer
from local.stack import LOGO_URL
from shared.clock import utcnow
from shared.conferences.conference_data import validate_conference_data
from shared.conferences.solutions import Solution
from shared.config import load_settings
from shared.providers import provider_from_settings
from shared.providers.base import MeetingSpec, fingerprint_of
from shared.providers.zoom.provider import (
    LISTED_AGENDA_SAFE,
    ZoomProvider,
    creation_marker,
    marked_agenda,
)
from tests.support.zoom_fixtures import (
    ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    HOST_EMAIL,
    START,
    STOCKHOLM,
    spec,
)


def sent(zoom: ZoomServer, operation: str = "create") -> dict[str, Any]:
    """The JSON body of the last ``operation`` call the local Zoom received."""
    body = zoom.calls(operation)[-1].body
    assert isinstance(body, dict)
    return body


def entry_points(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in data["entryPoints"] if e["entryPointType"] == kind]


# -- create ----------------------------------------------------------------------------------


def test_create_schedules_a_single_meeting(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "key-1")

    body = sent(zoom)
    stored = zoom.meeting(meeting.meeting_id)
    assert zoom.calls("create")[0].path == "/v2/users/host@example.com/meetings"
    assert body["type"] == 2
    assert (body["start_time"], body["timezone"]) == ("2031-03-04T10:00:00", "Europe/Stockholm")
    assert (body["duration"], body["topic"]) == (45, "Planning")
    assert body["agenda"] == f"Budget review\n\n{creation_marker('key-1')}"
    assert body["settings"] == {"auto_recording": "none"}
    assert stored is not None
    assert stored["start_time"] == "2031-03-04T09:00:00Z"
    assert meeting.meeting_id == str(stored["id"])


def test_the_host_email_is_quoted_in_the_path(zoom: ZoomServer, provider: ZoomProvider) -> None:
    zoom.add_user(ACCOUNT_ID, "o'brien+cal@example.com")

    provider.create(spec(), Solution("1", "Zoom"), "o'brien+cal@example.com", "k")

    call = zoom.calls("create")[0]
    assert call.status == 201
    assert call.raw_path == "/v2/users/o%27brien%2Bcal%40example.com/meetings"


# -- the creation marker ---------------------------------------------------------------------


def test_the_marker_is_a_stable_one_way_hash_of_the_request_key() -> None:
    key = "3f1c0a9e5b7d4c2a8e6f0b1d3c5a7e9f"

    marker = creation_marker(key)

    assert marker == creation_marker(key)
    assert marker != creation_marker(key + "x")
    assert re.fullmatch(r"gcal-ref-[0-9a-f]{20}", marker)
    assert key not in marker
    assert marker.removeprefix("gcal-ref-") not in hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.parametrize(
    ("agenda", "expected"),
    [
        ("", "MARK"),
        ("Budget review", "Budget review\n\nMARK"),
        ("x" * 190, "x" * 190 + "\n\nMARK"),
        ("x" * 200, "MARK\n\n" + "x" * 200),
        ("😀" * 98, "MARK\n\n" + "😀" * 98),  # 104 characters, but 202 UTF-16 units
    ],
    ids=["empty", "short", "fits-last", "too-long-for-last", "counted-in-utf-16"],
)
def test_the_marker_goes_where_zooms_list_shows_it(agenda: str, expected: str) -> None:
    marked = marked_agenda(agenda, "MARK")

    assert marked == expected
    assert "MARK" in marked[:LISTED_AGENDA_SAFE]


def test_a_marked_agenda_stays_within_zooms_limit() -> None:
    marker = creation_marker("k")

    marked = marked_agenda("d" * 2000, marker)

    assert len(marked.encode("utf-16-le")) // 2 <= 2000
    assert marked.startswith(marker + "\n\n")


def test_an_update_leaves_the_marker_out(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    provider.update(meeting.meeting_id, spec(description="New"), solution, HOST_EMAIL)

    assert sent(zoom, "update")["agenda"] == "New"


def test_an_event_without_time_zone_is_sent_in_gmt(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    provider.create(spec(time_zone=None), solution, HOST_EMAIL, "k")

    body = sent(zoom)
    assert body["start_time"] == "2031-03-04T09:00:00Z"
    assert "timezone" not in body


def test_titles_and_descriptions_are_fitted_to_zoom(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    provider.create(spec(title="🎉" * 150, description="d" * 5000), solution, HOST_EMAIL, "k")
    provider.create(
        spec(title="   ", description="<p>One<br>Two &amp; three</p>"), solution, HOST_EMAIL, "k2"
    )

    long_one, empty_one = (call.body for call in zoom.calls("create"))
    assert isinstance(long_one, dict)
    assert isinstance(empty_one, dict)
    assert len(long_one["topic"].encode("utf-16-le")) // 2 <= 200
    assert long_one["topic"].endswith("…")
    assert len(long_one["agenda"]) <= 2000
    assert long_one["agenda"].startswith(creation_marker("k") + "\n\nddd")
    assert long_one["agenda"].endswith("…")
    assert empty_one["topic"] == "Meeting"
    assert empty_one["agenda"] == f"One\nTwo & three\n\n{creation_marker('k2')}"
    assert [call.status for call in zoom.calls("create")] == [201, 201]


def test_an_all_day_event_starts_at_midnight_and_lasts_a_day(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    midnight = datetime(2031, 3, 4, tzinfo=STOCKHOLM)

    provider.create(
        spec(start=midnight, end=midnight + timedelta(days=1), all_day=True),
        solution,
        HOST_EMAIL,
        "k",
    )

    body = sent(zoom)
    assert (body["type"], body["start_time"], body["duration"]) == (2, "2031-03-04T00:00:00", 1440)


@pytest.mark.parametrize(
    ("start", "end", "all_day"),
    [
        (datetime(2031, 3, 4, tzinfo=STOCKHOLM), datetime(2031, 3, 7, tzinfo=STOCKHOLM), True),
        (START, START + timedelta(days=2, hours=3), False),
    ],
)
def test_multi_day_events_are_capped_at_a_day(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    start: datetime,
    end: datetime,
    all_day: bool,
) -> None:
    provider.create(spec(start=start, end=end, all_day=all_day), solution, HOST_EMAIL, "k")

    assert sent(zoom)["duration"] == 1440


def test_a_placeholder_starts_soon_with_a_default_duration(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    before = utcnow()

    provider.create(
        MeetingSpec("", "", None, None, "Europe/Stockholm", placeholder=True),
        solution,
        HOST_EMAIL,
        "k",
    )

    body = sent(zoom)
    starts = datetime.fromisoformat(body["start_time"]).replace(tzinfo=STOCKHOLM)
    assert (body["type"], body["duration"], body["topic"]) == (2, 60, "Meeting")
    assert before - timedelta(seconds=1) <= starts <= before + timedelta(minutes=5)
    assert starts.minute % 5 == 0


def test_a_placeholder_of_a_series_has_no_fixed_time(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    placeholder = MeetingSpec(
        "", "", None, None, None, recurrence=("RRULE:FREQ=WEEKLY",), placeholder=True
    )

    provider.create(placeholder, solution, HOST_EMAIL, "k")

    assert sent(zoom)["type"] == 3


@pytest.mark.parametrize(
    ("rule", "recurrence"),
    [
        (
            "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6",
            {"type": 2, "repeat_interval": 1, "weekly_days": "3,5", "end_times": 6},
        ),
        (
            "RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20310320T225959Z",
            {"type": 1, "repeat_interval": 2, "end_date_time": "2031-03-20T22:59:59Z"},
        ),
        (
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=4;COUNT=5",
            {"type": 3, "repeat_interval": 1, "monthly_day": 4, "end_times": 5},
        ),
        (
            "RRULE:FREQ=MONTHLY;BYDAY=1TU;COUNT=3",
            {
                "type": 3,
                "repeat_interval": 1,
                "monthly_week": 1,
                "monthly_week_day": 3,
                "end_times": 3,
            },
        ),
    ],
)
def test_a_mappable_series_becomes_a_fixed_time_recurring_meeting(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    rule: str,
    recurrence: dict[str, Any],
) -> None:
    meeting = provider.create(spec(recurrence=(rule,)), solution, HOST_EMAIL, "k")

    body = sent(zoom)
    stored = zoom.meeting(meeting.meeting_id)
    assert body["type"] == 8
    assert body["recurrence"] == recurrence
    assert body["start_time"] == "2031-03-04T10:00:00"
    assert stored is not None
    assert stored["occurrences"][0]["start_time"] == "2031-03-04T09:00:00Z"


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=YEARLY;COUNT=3",
        "RRULE:FREQ=WEEKLY;BYDAY=TU",  # no end
        "RRULE:FREQ=WEEKLY;COUNT=51",
        "RRULE:FREQ=MONTHLY;BYDAY=2TU,4TU;COUNT=4",
        "RRULE:FREQ=WEEKLY;INTERVAL=13;COUNT=2",
    ],
)
def test_an_unmappable_series_becomes_a_meeting_without_fixed_time(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, rule: str
) -> None:
    meeting = provider.create(spec(recurrence=(rule,)), solution, HOST_EMAIL, "k")

    body = sent(zoom)
    stored = zoom.meeting(meeting.meeting_id)
    assert body["type"] == 3
    assert "start_time" not in body
    assert "recurrence" not in body
    assert stored is not None
    assert stored["type"] == 3


def test_a_meeting_shared_at_different_times_has_no_fixed_time(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    shared = spec(end=None, fixed_time=False)

    meeting = provider.create(shared, solution, HOST_EMAIL, "k")

    body = sent(zoom)
    stored = zoom.meeting(meeting.meeting_id)
    assert body["type"] == 3
    assert {"start_time", "timezone", "duration", "recurrence"}.isdisjoint(body)
    assert (body["topic"], body["agenda"].split("\n")[0]) == ("Planning", "Budget review")
    assert stored is not None
    assert (stored["type"], stored.get("start_time"), stored.get("recurrence")) == (3, None, None)


@pytest.mark.parametrize(
    ("shared", "zoom_type"),
    [
        (spec(fixed_time=False), 3),
        (spec(recurrence=("RRULE:FREQ=WEEKLY;COUNT=10",)), 8),  # the covering of a split
        (spec(recurrence=("RRULE:FREQ=WEEKLY;COUNT=51",)), 3),  # beyond Zoom's 50
    ],
    ids=["no-fixed-time", "one-recurrence", "one-recurrence-over-50"],
)
def test_update_turns_a_series_into_the_meeting_its_events_share_and_back(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    shared: MeetingSpec,
    zoom_type: int,
) -> None:
    series = spec(recurrence=("RRULE:FREQ=WEEKLY;COUNT=2",))
    meeting = provider.create(series, solution, HOST_EMAIL, "k")

    provider.update(meeting.meeting_id, shared, solution, HOST_EMAIL)
    during = zoom.meeting(meeting.meeting_id)
    provider.update(meeting.meeting_id, series, solution, HOST_EMAIL)
    after = zoom.meeting(meeting.meeting_id)

    assert during is not None
    assert after is not None
    assert during["type"] == zoom_type
    assert len(during.get("occurrences", [])) == (10 if zoom_type == 8 else 0)
    assert (after["type"], after["start_time"]) == (8, "2031-03-04T09:00:00Z")
    assert after["recurrence"]["end_times"] == 2


def test_a_recorded_solution_sets_cloud_recording(
    zoom: ZoomServer, provider: ZoomProvider, recorded_solution: Solution
) -> None:
    meeting = provider.create(spec(), recorded_solution, HOST_EMAIL, "k")

    stored = zoom.meeting(meeting.meeting_id)
    assert sent(zoom)["settings"] == {"auto_recording": "cloud"}
    assert stored is not None
    assert stored["settings"]["auto_recording"] == "cloud"


# -- ConferenceData --------------------------------------------------------------------------


def test_conference_data_has_video_phones_and_more(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    data = meeting.conference_data
    stored = zoom.meeting(meeting.meeting_id)
    assert stored is not None
    validate_conference_data(data)
    assert data["conferenceId"] == str(stored["id"])
    assert data["conferenceSolution"] == {
        "key": {"type": "addOn"},
        "name": solution.name,
        "iconUri": LOGO_URL,
    }
    [video] = entry_points(data, "video")
    assert video == {
        "entryPointType": "video",
        "uri": stored["join_url"],
        "label": stored["join_url"].removeprefix("https://"),
        "meetingCode": str(stored["id"]),
        "passcode": stored["password"],
    }
    phones = entry_points(data, "phone")
    assert len(phones) == 3
    assert phones[0]["uri"] == f"tel:+18778535247,,{stored['id']}#,,,,*{stored['pstn_password']}#"
    assert all(p["passcode"] == stored["pstn_password"] for p in phones)
    assert entry_points(data, "more") == [
        {"entryPointType": "more", "uri": "https://us05web.zoom.us/zoomconference"}
    ]
    assert entry_points(data, "sip") == []
    assert data["parameters"]["addOnParameters"]["parameters"] == {
        "meetingUuid": stored["uuid"],
        "solutionId": solution.id,
    }


def test_phones_carry_region_and_toll_features(provider: ZoomProvider, solution: Solution) -> None:
    data = provider.create(spec(), solution, HOST_EMAIL, "k").conference_data

    phones = entry_points(data, "phone")
    assert [(p["regionCode"], p["entryPointFeatures"], p["label"]) for p in phones] == [
        ("US", ["toll_free"], "+1 8778535247"),
        ("US", ["toll"], "+1 6465588656"),
        ("US", ["toll"], "+1 6699006833"),
    ]


def test_the_two_most_useful_numbers_come_first(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.add_user(ACCOUNT_ID, "uk@example.com", dial_in_countries=("GB", "US"))

    data = provider.create(spec(), solution, "uk@example.com", "k").conference_data

    numbers = [(p["regionCode"], p["entryPointFeatures"][0]) for p in entry_points(data, "phone")]
    assert numbers == [
        ("GB", "toll_free"),
        ("GB", "toll"),
        ("US", "toll"),
        ("US", "toll"),
        ("US", "toll_free"),
    ]


def test_without_toll_free_the_first_two_toll_numbers_lead(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.add_account(
        ACCOUNT_ID,
        CLIENT_ID,
        CLIENT_SECRET,
        dial_in_numbers=(
            DialInNumber("DE", "Germany", "Frankfurt", "+49 69 5050 2596", "toll"),
            DialInNumber("DE", "Germany", "Berlin", "+49 30 5679 5800", "toll"),
            DialInNumber("DE", "Germany", "Berlin", "+49 30 5679 5800", "toll"),  # repeated
        ),
    )
    zoom.add_user(ACCOUNT_ID, "de@example.com", dial_in_countries=("DE",))

    data = provider.create(spec(), solution, "de@example.com", "k").conference_data

    assert [p["uri"].split(",")[0] for p in entry_points(data, "phone")] == [
        "tel:+496950502596",
        "tel:+493056795800",
    ]


def test_no_dial_in_means_no_phones_and_no_more_link(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.add_account(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, dial_in_numbers=())

    data = provider.create(spec(), solution, HOST_EMAIL, "k").conference_data

    assert [e["entryPointType"] for e in data["entryPoints"]] == ["video"]


def test_the_host_start_url_never_reaches_the_conference_data(
    zoom: ZoomServer, provider: ZoomProvider, recorded_solution: Solution
) -> None:
    meeting = provider.create(spec(), recorded_solution, HOST_EMAIL, "k")
    updated = provider.update(meeting.meeting_id, spec(), recorded_solution, HOST_EMAIL)

    for data in (meeting.conference_data, updated.conference_data):
        text = json.dumps(data)
        assert "zak=" not in text
        assert f"/s/{meeting.meeting_id}" not in text


def test_sip_only_when_the_solution_asks(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    with_sip = Solution("3", "Zoom (SIP)", {"sip": True})

    plain = provider.create(spec(), solution, HOST_EMAIL, "k1").conference_data
    sip = provider.create(spec(), with_sip, HOST_EMAIL, "k2").conference_data

    stored = zoom.meeting(sip["conferenceId"])
    assert stored is not None
    assert entry_points(plain, "sip") == []
    assert entry_points(sip, "sip") == [
        {
            "entryPointType": "sip",
            "uri": f"sip:{stored['id']}.{stored['h323_password']}@zoomcrc.com",
            "label": f"{stored['id']}@zoomcrc.com",
            "meetingCode": str(stored["id"]),
            "passcode": stored["h323_password"],
        }
    ]
    validate_conference_data(sip)


def test_int64_meeting_ids_stay_exact(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = 2**53 + 1  # not representable as a float
    monkeypatch.setattr(zoom.store, "_new_id", lambda: big)

    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    assert meeting.meeting_id == str(big)
    assert meeting.conference_data["conferenceId"] == str(big)
    assert f",,{big}#" in entry_points(meeting.conference_data, "phone")[0]["uri"]


# -- update and delete -----------------------------------------------------------------------


def test_update_patches_then_rebuilds_from_the_meeting(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    later = START + timedelta(days=1, hours=2)

    updated = provider.update(
        meeting.meeting_id,
        spec(title="Planning v2", start=later, end=later + timedelta(minutes=30)),
        solution,
        HOST_EMAIL,
    )

    body = sent(zoom, "update")
    stored = zoom.meeting(meeting.meeting_id)
    assert stored is not None
    assert zoom.calls("update")[0].path == f"/v2/meetings/{meeting.meeting_id}"
    assert (body["topic"], body["start_time"], body["duration"]) == (
        "Planning v2",
        "2031-03-05T12:00:00",
        30,
    )
    assert (zoom.count("update"), zoom.count("get")) == (1, 1)
    assert (stored["topic"], stored["start_time"]) == ("Planning v2", "2031-03-05T11:00:00Z")
    assert updated.meeting_id == meeting.meeting_id
    assert updated.conference_data == meeting.conference_data
    validate_conference_data(updated.conference_data)


def test_update_turns_a_single_meeting_into_a_series(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    provider.update(
        meeting.meeting_id,
        spec(recurrence=("RRULE:FREQ=DAILY;COUNT=3",)),
        solution,
        HOST_EMAIL,
    )

    stored = zoom.meeting(meeting.meeting_id)
    assert stored is not None
    assert stored["type"] == 8
    assert len(stored["occurrences"]) == 3


def test_update_leaves_out_a_start_in_the_past(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    yesterday = utcnow() - timedelta(days=1)

    provider.update(
        meeting.meeting_id,
        spec(title="Retro", start=yesterday, end=yesterday + timedelta(minutes=20)),
        solution,
        HOST_EMAIL,
    )

    body = sent(zoom, "update")
    stored = zoom.meeting(meeting.meeting_id)
    assert stored is not None
    assert "start_time" not in body
    assert (body["topic"], body["duration"]) == ("Retro", 20)
    assert (stored["topic"], stored["start_time"]) == ("Retro", "2031-03-04T09:00:00Z")


def test_update_reanchors_a_running_series_on_its_next_occurrence(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    now = utcnow().astimezone(STOCKHOLM)
    first = (now - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    running = spec(
        start=first, end=first + timedelta(hours=1), recurrence=("RRULE:FREQ=DAILY;COUNT=10",)
    )
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    provider.update(meeting.meeting_id, running, solution, HOST_EMAIL)

    body = sent(zoom, "update")
    next_start = datetime.fromisoformat(body["start_time"]).replace(tzinfo=STOCKHOLM)
    assert next_start > now
    assert next_start - now <= timedelta(days=1)
    assert next_start.hour == 9
    skipped = (next_start.date() - first.date()).days
    assert body["recurrence"]["end_times"] == 10 - skipped
    stored = zoom.meeting(meeting.meeting_id)
    assert stored is not None
    assert len(stored["occurrences"]) == 10 - skipped


def test_update_of_a_finished_series_sends_no_schedule(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    long_ago = datetime(2020, 1, 6, 9, 0, tzinfo=STOCKHOLM)
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    provider.update(
        meeting.meeting_id,
        spec(
            start=long_ago,
            end=long_ago + timedelta(hours=1),
            recurrence=("RRULE:FREQ=DAILY;COUNT=3",),
        ),
        solution,
        HOST_EMAIL,
    )

    body = sent(zoom, "update")
    stored = zoom.meeting(meeting.meeting_id)
    assert body["type"] == 8
    assert "start_time" not in body
    assert zoom.calls("update")[0].status == 204
    assert stored is not None
    assert stored["start_time"] == "2031-03-04T09:00:00Z"  # Zoom keeps its schedule


def test_a_placeholder_becoming_an_event_changes_the_fingerprint(
    provider: ZoomProvider,
) -> None:
    placeholder = MeetingSpec("", "", None, None, "Europe/Stockholm", placeholder=True)
    real = MeetingSpec("", "", START, START + timedelta(hours=1), "Europe/Stockholm")

    assert fingerprint_of(provider.relevant(placeholder)) != fingerprint_of(provider.relevant(real))
    assert "placeholder" not in provider.relevant(real)


def test_relevant_holds_what_zoom_uses(provider: ZoomProvider) -> None:
    base = spec(recurrence=("RRULE:FREQ=DAILY;COUNT=2",))

    same = fingerprint_of(provider.relevant(replace(base)))
    changes = [
        replace(base, title="Other"),
        replace(base, description="Other"),
        replace(base, start=START + timedelta(minutes=5)),
        replace(base, end=START + timedelta(hours=2)),
        replace(base, time_zone="UTC"),
        replace(base, all_day=True),
        replace(base, recurrence=("RRULE:FREQ=DAILY;COUNT=3",)),
    ]

    assert same == fingerprint_of(provider.relevant(base))
    assert all(fingerprint_of(provider.relevant(c)) != same for c in changes)


def test_only_title_and_description_matter_without_fixed_time(provider: ZoomProvider) -> None:
    shared = spec(end=None, fixed_time=False)
    same = fingerprint_of(provider.relevant(shared))
    moved = replace(shared, start=START + timedelta(days=3), end=START, time_zone="UTC")

    assert fingerprint_of(provider.relevant(moved)) == same
    assert fingerprint_of(provider.relevant(replace(shared, title="Other"))) != same
    assert fingerprint_of(provider.relevant(replace(shared, description="Other"))) != same
    assert fingerprint_of(provider.relevant(replace(shared, fixed_time=True))) != same
    assert "fixedTime" not in provider.relevant(spec())  # fingerprints of events stay


def test_delete_removes_the_meeting_without_a_reminder(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    provider.delete(meeting.meeting_id)

    call = zoom.calls("delete")[0]
    assert zoom.meetings() == []
    assert (call.path, call.query, call.status) == (
        f"/v2/meetings/{meeting.meeting_id}",
        {"schedule_for_reminder": "false"},
        204,
    )


def test_deleting_a_meeting_already_gone_succeeds(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    provider.delete(meeting.meeting_id)

    provider.delete(meeting.meeting_id)

    assert [call.status for call in zoom.calls("delete")] == [204, 404]


def test_the_deployment_logo_is_the_conference_icon(zoom: ZoomServer, solution: Solution) -> None:
    logo = "https://storage.googleapis.com/acme-logos/zoom-128.png"
    settings = load_settings(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "SYNC_WEBHOOK_URL": "https://sync.example.com/",
            "ADDON_OAUTH_CLIENT_ID": "client",
            "ADDON_LOGO_URL": logo,
            "CALENDAR_CREDENTIALS": "anonymous",
            "CONFERENCE_PROVIDER": "zoom",
            "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
            "ZOOM_CLIENT_ID": CLIENT_ID,
            "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
            "ZOOM_API_BASE": zoom.api_base,
            "ZOOM_OAUTH_URL": zoom.oauth_url,
        }
    )
    provider = provider_from_settings(settings)

    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    assert meeting.conference_data["conferenceSolution"]["iconUri"] == logo


def test_no_network_at_construction(zoom: ZoomServer) -> None:
    ZoomProvider(
        account_id=ACCOUNT_ID,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        logo_url=LOGO_URL,
        api_base=zoom.api_base,
        oauth_url=zoom.oauth_url,
    )

    assert zoom.calls() == []


def test_a_timestamp_in_utc_is_sent_as_local_time(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    in_utc = datetime(2031, 7, 1, 8, 0, tzinfo=UTC)

    provider.create(
        spec(start=in_utc, end=in_utc + timedelta(hours=1), time_zone="America/New_York"),
        solution,
        HOST_EMAIL,
        "k",
    )

    body = sent(zoom)
    assert (body["start_time"], body["timezone"]) == ("2031-07-01T04:00:00", "America/New_York")


def test_an_unparsable_join_url_is_a_transient_failure_not_a_crash() -> None:
    from shared.conferences.solutions import solutions_for
    from shared.errors import TransientFailure
    from shared.providers.zoom.entry_points import build_conference_data

    meeting = {"id": 81234567890, "join_url": "https://[x/j/81234567890", "settings": {}}

    with pytest.raises(TransientFailure):
        build_conference_data(meeting, solutions_for("zoom")["1"], LOGO_URL)
