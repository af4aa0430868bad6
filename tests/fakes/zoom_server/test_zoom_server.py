"""Conformance of the local Zoom with Zoom's documented behaviour, one test per behaviour."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.fakes.zoom_server import DialInNumber, ZoomServer
from local.ports import free_port, wait_until
from tests.support.zoom_fixtures import (
    ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    HOST_EMAIL,
    OTHER_HOST_EMAIL,
    RawClient,
)

FUTURE = "2031-03-04T10:00:00"


def _weekly(**recurrence: Any) -> dict[str, Any]:
    return {
        "topic": "Series",
        "type": 8,
        "start_time": FUTURE,
        "timezone": "Europe/Stockholm",
        "duration": 30,
        "recurrence": {"type": 2, "weekly_days": "3,5", "end_times": 4, **recurrence},
    }


# -- OAuth -----------------------------------------------------------------------------------


def test_token_is_issued_for_account_credentials(zoom: ZoomServer) -> None:
    answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    body = answer.json()
    assert answer.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert "meeting:write:admin" in body["scope"].split()
    assert body["api_url"] == zoom.base_url


@pytest.mark.parametrize(
    ("client_id", "secret"), [(CLIENT_ID, "wrong"), ("unknown-client", CLIENT_SECRET)]
)
def test_wrong_credentials_answer_invalid_client(
    zoom: ZoomServer, client_id: str, secret: str
) -> None:
    answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
        auth=(client_id, secret),
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client",
    }


def test_other_grant_types_are_unsupported(zoom: ZoomServer) -> None:
    answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "client_credentials", "account_id": ACCOUNT_ID},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_a_wrong_account_id_is_refused(zoom: ZoomServer) -> None:
    answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "someone-else"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_token_ttl_can_be_changed(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.set_token_ttl(120)

    answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    assert answer.json()["expires_in"] == 120


def test_a_call_without_a_valid_token_answers_124(raw: RawClient) -> None:
    answer = raw.call("GET", "/meetings/12345678901", token="not-a-token")

    assert answer.status_code == 401
    assert answer.json() == {"code": 124, "message": "Invalid access token."}


def test_an_expired_token_answers_124(zoom: ZoomServer, raw: RawClient) -> None:
    token = raw.token()
    zoom.expire_tokens()

    answer = raw.call("GET", "/meetings/12345678901", token=token)

    assert answer.status_code == 401
    assert answer.json() == {"code": 124, "message": "Access token is expired."}


def test_a_missing_scope_answers_4711(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.set_scopes(CLIENT_ID, ("meeting:read:admin",))

    answer = raw.create({"topic": "x"})

    assert answer.status_code == 400
    assert answer.json()["code"] == 4711
    assert "does not contain scopes:[meeting:write:meeting:admin" in answer.json()["message"]


def test_granular_scopes_are_enough(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.set_scopes(CLIENT_ID, ("meeting:write:meeting:admin", "meeting:read:meeting:admin"))

    created = raw.create({"topic": "x"})
    fetched = raw.call("GET", f"/meetings/{created.json()['id']}")

    assert (created.status_code, fetched.status_code) == (201, 200)


# -- Meetings --------------------------------------------------------------------------------


def test_create_answers_the_full_meeting_object(raw: RawClient) -> None:
    answer = raw.create(
        {
            "topic": "Planning",
            "type": 2,
            "start_time": FUTURE,
            "timezone": "Europe/Stockholm",
            "duration": 45,
            "agenda": "Budget",
            "settings": {"auto_recording": "cloud"},
        }
    )

    meeting = answer.json()
    assert answer.status_code == 201
    assert isinstance(meeting["id"], int)
    for key in ("uuid", "host_id", "join_url", "start_url", "password", "encrypted_password"):
        assert meeting[key]
    assert meeting["host_email"] == HOST_EMAIL
    assert (meeting["topic"], meeting["type"], meeting["agenda"]) == ("Planning", 2, "Budget")
    assert meeting["start_time"] == "2031-03-04T09:00:00Z"  # 10:00 in Stockholm, GMT
    assert (meeting["timezone"], meeting["duration"]) == ("Europe/Stockholm", 45)
    assert meeting["pstn_password"].isdigit()
    assert meeting["h323_password"] == meeting["pstn_password"]
    assert meeting["settings"]["auto_recording"] == "cloud"
    numbers = meeting["settings"]["global_dial_in_numbers"]
    assert {n["type"] for n in numbers} == {"toll", "tollfree"}
    assert set(numbers[0]) == {"country", "country_name", "city", "number", "type"}
    assert str(meeting["id"]) in meeting["join_url"]


def test_create_accepts_the_user_id_too(raw: RawClient) -> None:
    answer = raw.create({"topic": "x"}, user="host-user-id")

    assert answer.status_code == 201
    assert answer.json()["host_email"] == HOST_EMAIL


def test_a_start_time_in_gmt_is_kept(raw: RawClient) -> None:
    answer = raw.create({"type": 2, "start_time": "2031-03-04T10:00:00Z", "duration": 30})

    assert answer.json()["start_time"] == "2031-03-04T10:00:00Z"


def test_an_unknown_user_answers_1001(raw: RawClient) -> None:
    answer = raw.create({"topic": "x"}, user="nobody@example.com")

    assert answer.status_code == 404
    assert answer.json() == {"code": 1001, "message": "User does not exist: nobody@example.com."}


def test_a_user_of_another_account_answers_1010(raw: RawClient) -> None:
    answer = raw.create({"topic": "x"}, user=OTHER_HOST_EMAIL)

    assert answer.status_code == 400
    assert answer.json()["code"] == 1010


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("topic", "t" * 201),
        ("agenda", "a" * 2001),
        ("password", "p" * 11),
        ("password", "no spaces"),
        ("type", 5),
        ("start_time", "2031-03-04 10:00"),
        ("duration", "30"),
        ("timezone", "Mars/Olympus"),
    ],
)
def test_invalid_fields_answer_300_with_errors(raw: RawClient, field: str, value: Any) -> None:
    answer = raw.create({"topic": "ok", field: value})

    body = answer.json()
    assert answer.status_code == 400
    assert (body["code"], body["message"]) == (300, "Validation Failed.")
    assert {"field": field, "message": "Invalid field."} in body["errors"]


def test_limits_themselves_are_accepted(raw: RawClient) -> None:
    answer = raw.create({"topic": "t" * 200, "agenda": "a" * 2000, "password": "Ab1@-_*xyz"})

    assert answer.status_code == 201


def test_a_body_that_is_not_an_object_answers_300(raw: RawClient) -> None:
    answer = raw.create([1, 2])  # type: ignore[arg-type]

    assert answer.status_code == 400
    assert answer.json() == {"code": 300, "message": "Request Body should be a valid JSON object."}


def test_a_weekly_series_lists_its_occurrences(raw: RawClient) -> None:
    meeting = raw.create(_weekly()).json()

    starts = [o["start_time"] for o in meeting["occurrences"]]
    assert meeting["type"] == 8
    assert meeting["recurrence"]["weekly_days"] == "3,5"
    # 2031-03-04 is a Tuesday: Tuesdays and Thursdays, 10:00 in Stockholm (09:00 GMT).
    assert starts == [
        "2031-03-04T09:00:00Z",
        "2031-03-06T09:00:00Z",
        "2031-03-11T09:00:00Z",
        "2031-03-13T09:00:00Z",
    ]
    assert all(o["status"] == "available" and o["occurrence_id"] for o in meeting["occurrences"])


def test_occurrences_follow_daylight_saving_time(raw: RawClient) -> None:
    body = _weekly()
    body["start_time"] = "2031-03-25T10:00:00"  # Stockholm moves to summer time on 30 March
    body["recurrence"] = {"type": 1, "repeat_interval": 7, "end_times": 2}

    starts = [o["start_time"] for o in raw.create(body).json()["occurrences"]]

    assert starts == ["2031-03-25T09:00:00Z", "2031-04-01T08:00:00Z"]


def test_a_daily_series_ends_at_end_date_time(raw: RawClient) -> None:
    body = _weekly()
    body["recurrence"] = {"type": 1, "repeat_interval": 2, "end_date_time": "2031-03-09T23:00:00Z"}

    starts = [o["start_time"] for o in raw.create(body).json()["occurrences"]]

    assert starts == ["2031-03-04T09:00:00Z", "2031-03-06T09:00:00Z", "2031-03-08T09:00:00Z"]


def test_a_monthly_series_on_the_last_friday(raw: RawClient) -> None:
    body = _weekly()
    body["recurrence"] = {"type": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 2}

    starts = [o["start_time"] for o in raw.create(body).json()["occurrences"]]

    assert starts == ["2031-03-28T09:00:00Z", "2031-04-25T08:00:00Z"]


@pytest.mark.parametrize(
    "recurrence",
    [
        {"type": 1, "repeat_interval": 91, "end_times": 2},
        {"type": 2, "repeat_interval": 13, "weekly_days": "2", "end_times": 2},
        {"type": 3, "repeat_interval": 4, "monthly_day": 1, "end_times": 2},
        {"type": 2, "weekly_days": "0,8", "end_times": 2},
        {"type": 2, "weekly_days": "2", "end_times": 51},
        {"type": 2, "weekly_days": "2", "end_times": 2, "end_date_time": "2031-05-01T00:00:00Z"},
    ],
)
def test_recurrence_limits_are_enforced(raw: RawClient, recurrence: dict[str, Any]) -> None:
    body = _weekly()
    body["recurrence"] = recurrence

    answer = raw.create(body)

    assert answer.status_code == 400
    assert answer.json()["code"] == 300


def test_a_recurring_meeting_needs_its_recurrence(raw: RawClient) -> None:
    body = _weekly()
    del body["recurrence"]

    answer = raw.create(body)

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "recurrence"


def test_a_meeting_without_fixed_time_has_no_start(raw: RawClient) -> None:
    meeting = raw.create({"topic": "Any time", "type": 3}).json()

    assert meeting["type"] == 3
    assert "start_time" not in meeting
    assert "occurrences" not in meeting


def test_get_answers_the_meeting(raw: RawClient) -> None:
    created = raw.create({"topic": "Planning"}).json()

    answer = raw.call("GET", f"/meetings/{created['id']}")

    assert answer.status_code == 200
    assert answer.json()["join_url"] == created["join_url"]
    assert answer.json()["uuid"] == created["uuid"]


def test_patch_answers_204_and_changes_the_meeting(raw: RawClient) -> None:
    created = raw.create({"topic": "Old", "start_time": FUTURE, "timezone": "UTC"}).json()

    answer = raw.call(
        "PATCH",
        f"/meetings/{created['id']}",
        json={"topic": "New", "duration": 15, "start_time": "2031-03-05T08:00:00"},
    )
    meeting = raw.call("GET", f"/meetings/{created['id']}").json()

    assert (answer.status_code, answer.content) == (204, b"")
    assert (meeting["topic"], meeting["duration"]) == ("New", 15)
    assert meeting["start_time"] == "2031-03-05T08:00:00Z"


def test_patch_ignores_a_start_time_in_the_past(raw: RawClient) -> None:
    created = raw.create({"topic": "x", "start_time": FUTURE, "timezone": "UTC"}).json()

    answer = raw.call(
        "PATCH", f"/meetings/{created['id']}", json={"start_time": "2020-01-01T10:00:00Z"}
    )

    assert answer.status_code == 204
    assert raw.call("GET", f"/meetings/{created['id']}").json()["start_time"] == FUTURE + "Z"


def test_patch_of_a_series_with_a_past_start_keeps_its_recurrence(raw: RawClient) -> None:
    created = raw.create(_weekly()).json()

    raw.call(
        "PATCH",
        f"/meetings/{created['id']}",
        json={
            "start_time": "2020-01-01T10:00:00Z",
            "recurrence": {"type": 1, "end_times": 2},
        },
    )

    assert raw.call("GET", f"/meetings/{created['id']}").json()["recurrence"]["type"] == 2


def test_patch_of_a_series_with_a_future_start_needs_the_recurrence(raw: RawClient) -> None:
    created = raw.create(_weekly()).json()

    answer = raw.call(
        "PATCH", f"/meetings/{created['id']}", json={"start_time": "2031-04-01T10:00:00"}
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == 300


def test_patch_can_change_the_type(raw: RawClient) -> None:
    created = raw.create(_weekly()).json()

    raw.call("PATCH", f"/meetings/{created['id']}", json={"type": 3})

    meeting = raw.call("GET", f"/meetings/{created['id']}").json()
    assert meeting["type"] == 3
    assert "recurrence" not in meeting


def test_delete_answers_204_then_3001(zoom: ZoomServer, raw: RawClient) -> None:
    created = raw.create({"topic": "x"}).json()
    path = f"/meetings/{created['id']}"

    first = raw.call("DELETE", path, params={"schedule_for_reminder": "false"})
    second = raw.call("DELETE", path)

    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 404
    assert second.json() == {"code": 3001, "message": f"Meeting does not exist: {created['id']}."}
    assert zoom.calls("delete")[0].query == {"schedule_for_reminder": "false"}


@pytest.mark.parametrize(
    ("state", "code", "reason"), [("started", 3002, "is in progress"), ("ended", 3007, "has ended")]
)
@pytest.mark.parametrize(("method", "verb"), [("DELETE", "delete"), ("PATCH", "update")])
def test_a_meeting_in_progress_or_ended_refuses_changes(
    zoom: ZoomServer,
    raw: RawClient,
    state: str,
    code: int,
    reason: str,
    method: str,
    verb: str,
) -> None:
    created = raw.create({"topic": "Standup"}).json()
    zoom.set_meeting_state(created["id"], state)

    answer = raw.call(method, f"/meetings/{created['id']}", json={"topic": "x"})

    assert answer.status_code == 400
    assert answer.json() == {
        "code": code,
        "message": f"Sorry, you cannot {verb} this meeting since it {reason}.",
    }
    stored = zoom.meeting(created["id"])
    assert stored is not None
    assert stored["topic"] == "Standup"


def test_a_meeting_in_progress_shows_started_and_can_be_deleted_once_over(
    zoom: ZoomServer, raw: RawClient
) -> None:
    created = raw.create({"topic": "x"}).json()
    path = f"/meetings/{created['id']}"
    zoom.set_meeting_state(created["id"], "started")
    status_while_running = raw.call("GET", path).json()["status"]
    zoom.set_meeting_state(created["id"], "waiting")

    deleted = raw.call("DELETE", path)

    assert (status_while_running, raw.call("GET", path).status_code) == ("started", 404)
    assert deleted.status_code == 204


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_unknown_meeting_answers_3001(raw: RawClient, method: str) -> None:
    answer = raw.call(method, "/meetings/99999999999", json={} if method == "PATCH" else None)

    assert answer.status_code == 404
    assert answer.json() == {"code": 3001, "message": "Meeting does not exist: 99999999999."}


def test_a_meeting_of_another_account_is_not_found(zoom: ZoomServer, raw: RawClient) -> None:
    other = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "acct-other"},
        auth=("client-other", "other-secret"),
        timeout=5,
    ).json()["access_token"]
    created = raw.create({"topic": "mine"}).json()

    answer = raw.call("GET", f"/meetings/{created['id']}", token=other)

    assert answer.status_code == 404


# -- List meetings ---------------------------------------------------------------------------


def test_list_answers_the_hosts_meetings_with_the_listed_fields(
    zoom: ZoomServer, raw: RawClient
) -> None:
    created = raw.create({"topic": "Planning", "agenda": "a" * 300, "start_time": FUTURE}).json()
    raw.create({"topic": "Theirs"}, user=OTHER_HOST_EMAIL)

    answer = raw.call("GET", f"/users/{HOST_EMAIL}/meetings", params={"type": "scheduled"})

    body = answer.json()
    [listed] = body["meetings"]
    assert answer.status_code == 200
    assert (body["total_records"], body["page_size"], body["next_page_token"]) == (1, 30, "")
    assert set(listed) == {
        "uuid",
        "id",
        "host_id",
        "topic",
        "type",
        "start_time",
        "duration",
        "timezone",
        "agenda",
        "created_at",
        "join_url",
    }
    assert (listed["id"], listed["topic"], listed["type"]) == (created["id"], "Planning", 2)
    assert listed["agenda"] == "a" * 250  # truncated when listed
    assert raw.call("GET", f"/meetings/{created['id']}").json()["agenda"] == "a" * 300
    assert zoom.calls("list")[0].query == {"type": "scheduled"}


def test_list_pages_through_next_page_token(raw: RawClient) -> None:
    ids = [raw.create({"topic": f"m{n}"}).json()["id"] for n in range(5)]
    token = raw.token()
    seen: list[int] = []
    tokens: list[str] = []
    params = {"page_size": "2"}

    while True:
        body = raw.call("GET", "/users/host-user-id/meetings", token=token, params=params).json()
        seen += [meeting["id"] for meeting in body["meetings"]]
        tokens.append(body["next_page_token"])
        if not body["next_page_token"]:
            break
        params = {"page_size": "2", "next_page_token": body["next_page_token"]}

    assert sorted(seen) == sorted(ids)
    assert len(tokens) == 3
    assert tokens[-1] == ""


def test_list_filters_by_type(zoom: ZoomServer, raw: RawClient) -> None:
    live = raw.create({"topic": "live", "start_time": FUTURE}).json()["id"]
    ended = raw.create({"topic": "ended", "start_time": FUTURE}).json()["id"]
    upcoming = raw.create({"topic": "upcoming", "start_time": FUTURE}).json()["id"]
    anytime = raw.create({"topic": "anytime", "type": 3}).json()["id"]
    zoom.set_meeting_state(live, "started")
    zoom.set_meeting_state(ended, "ended")

    def listed(kind: str) -> set[int]:
        answer = raw.call("GET", f"/users/{HOST_EMAIL}/meetings", params={"type": kind})
        return {meeting["id"] for meeting in answer.json()["meetings"]}

    assert listed("scheduled") == {live, ended, upcoming, anytime}
    assert listed("live") == {live}
    assert listed("upcoming") == listed("upcoming_meetings") == {live, upcoming, anytime}
    assert listed("previous_meetings") == {ended}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "301"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"type": "x"}, "type"),
    ],
)
def test_list_refuses_invalid_parameters(
    raw: RawClient, params: dict[str, str], field: str
) -> None:
    answer = raw.call("GET", f"/users/{HOST_EMAIL}/meetings", params=params)

    assert answer.status_code == 400
    assert answer.json()["code"] == 300
    assert answer.json()["errors"] == [{"field": field, "message": "Invalid field."}]


def test_list_accepts_the_largest_page(raw: RawClient) -> None:
    answer = raw.call("GET", f"/users/{HOST_EMAIL}/meetings", params={"page_size": "300"})

    assert answer.status_code == 200
    assert answer.json()["page_size"] == 300


@pytest.mark.parametrize(
    ("user", "status", "code"), [("nobody@example.com", 404, 1001), (OTHER_HOST_EMAIL, 400, 1010)]
)
def test_list_of_a_user_outside_the_account_is_refused(
    raw: RawClient, user: str, status: int, code: int
) -> None:
    answer = raw.call("GET", f"/users/{user}/meetings")

    assert answer.status_code == status
    assert answer.json()["code"] == code


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (("meeting:write:meeting:admin", "meeting:read:meeting:admin"), 400),
        (("meeting:read:list_meetings:admin",), 200),
        (("meeting:read:admin",), 200),
    ],
    ids=["without-the-list-scope", "granular", "classic"],
)
def test_list_needs_the_list_scope(
    zoom: ZoomServer, raw: RawClient, scopes: tuple[str, ...], status: int
) -> None:
    zoom.set_scopes(CLIENT_ID, scopes)

    answer = raw.call("GET", f"/users/{HOST_EMAIL}/meetings")

    assert answer.status_code == status
    if status == 400:
        assert answer.json()["code"] == 4711
        assert "meeting:read:list_meetings:admin" in answer.json()["message"]
    assert answer.headers["X-RateLimit-Category"] == "Medium"


def test_invitation_answers_zooms_text(raw: RawClient) -> None:
    created = raw.create({"topic": "Planning"}).json()

    answer = raw.call("GET", f"/meetings/{created['id']}/invitation")

    text = answer.json()["invitation"]
    assert answer.status_code == 200
    assert created["join_url"] in text
    assert f",,{created['id']}#,,,,*{created['pstn_password']}#" in text


def test_dial_in_numbers_follow_the_hosts_countries(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.add_user(ACCOUNT_ID, "uk@example.com", dial_in_countries=("GB", "US"))

    numbers = raw.create({"topic": "x"}, user="uk@example.com").json()["settings"][
        "global_dial_in_numbers"
    ]

    assert [n["country"] for n in numbers] == ["GB", "GB", "US", "US", "US"]


def test_an_account_without_dial_in_has_no_numbers(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.add_account(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, dial_in_numbers=())

    meeting = raw.create({"topic": "x"}).json()

    assert meeting["settings"]["global_dial_in_numbers"] == []


# -- Rate limits -----------------------------------------------------------------------------


def test_every_api_answer_carries_rate_limit_headers(raw: RawClient) -> None:
    created = raw.create({"topic": "x"})
    fetched = raw.call("GET", f"/meetings/{created.json()['id']}")
    missing = raw.call("GET", "/meetings/1")

    for answer, category in ((created, "Medium"), (fetched, "Light"), (missing, "Light")):
        assert answer.headers["X-RateLimit-Category"] == category
        assert answer.headers["X-RateLimit-Type"] == "QPS"
        assert int(answer.headers["X-RateLimit-Limit"]) > 0
        assert int(answer.headers["X-RateLimit-Remaining"]) >= 0


def test_a_per_second_limit_answers_429_with_retry_after_seconds(
    zoom: ZoomServer, raw: RawClient
) -> None:
    zoom.inject("create", "rate_limit", retry_after="2")

    answer = raw.create({"topic": "x"})

    assert answer.status_code == 429
    assert answer.json() == {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. "
        "Try again later.",
    }
    assert answer.headers["Retry-After"] == "2"
    assert answer.headers["X-RateLimit-Type"] == "QPS"


def test_a_daily_limit_answers_429_with_an_iso_retry_after(
    zoom: ZoomServer, raw: RawClient
) -> None:
    zoom.inject("create", "rate_limit", daily=True)

    answer = raw.create({"topic": "x"})

    retry_at = datetime.fromisoformat(answer.headers["Retry-After"].replace("Z", "+00:00"))
    assert answer.status_code == 429
    assert answer.headers["X-RateLimit-Type"] == "Daily-limit"
    assert (retry_at.hour, retry_at.minute, retry_at.tzinfo) == (0, 0, UTC)
    assert timedelta(0) < retry_at - datetime.now(UTC) <= timedelta(days=1)
    assert "daily rate limit" in answer.json()["message"]


def test_the_per_host_daily_limit_can_be_enforced(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.set_daily_limit(2)

    statuses = [raw.create({"topic": str(n)}).status_code for n in range(3)]

    assert statuses == [201, 201, 429]


# -- Faults and the call log -----------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_injected_status_answers_the_next_calls(
    zoom: ZoomServer, raw: RawClient, status: int
) -> None:
    zoom.inject("create", "status", status=status, count=2)

    statuses = [raw.create({"topic": str(n)}).status_code for n in range(3)]

    assert statuses == [status, status, 201]
    assert len(zoom.meetings()) == 1


def test_faults_of_one_operation_leave_the_others_alone(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.inject("delete", "status", status=500)

    assert raw.create({"topic": "x"}).status_code == 201


def test_a_token_endpoint_fault(zoom: ZoomServer) -> None:
    zoom.inject("token", "status", status=503)

    answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": ACCOUNT_ID},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    assert answer.status_code == 503


def test_a_delay_makes_a_client_time_out(zoom: ZoomServer, raw: RawClient) -> None:
    token = raw.token()
    zoom.inject("get", "delay", delay=2.0)

    with pytest.raises(requests.Timeout):
        raw.call("GET", "/meetings/1", token=token, timeout=0.2)

    assert raw.call("GET", "/meetings/1", token=token).status_code == 404


def test_a_held_answer_is_lost_to_the_client_but_the_meeting_is_made(
    zoom: ZoomServer, raw: RawClient
) -> None:
    token = raw.token()
    zoom.inject("create", "hold")

    with pytest.raises(requests.Timeout):
        raw.call(
            "POST", f"/users/{HOST_EMAIL}/meetings", token=token, json={"topic": "x"}, timeout=0.3
        )
    held_while_timed_out = zoom.wait_until_held(1, timeout=5)
    made = [meeting["topic"] for meeting in zoom.meetings()]
    logged_before_release = zoom.count("create")

    assert zoom.release(timeout=5)
    assert held_while_timed_out
    assert made == ["x"]
    assert logged_before_release == 0
    assert [call.status for call in zoom.calls("create")] == [201]
    assert raw.create({"topic": "y"}, user=HOST_EMAIL).status_code == 201  # not held again


def test_a_reset_lets_held_answers_go(zoom: ZoomServer, raw: RawClient) -> None:
    token = raw.token()
    zoom.inject("create", "hold")
    answers: list[int] = []

    def call() -> None:
        answers.append(
            raw.call("POST", f"/users/{HOST_EMAIL}/meetings", token=token, json={}).status_code
        )

    caller = threading.Thread(target=call)
    caller.start()
    assert zoom.wait_until_held(1, timeout=5)
    zoom.reset()
    caller.join(timeout=5)

    assert answers == [201]
    assert zoom.store.held == 0
    assert zoom.calls() == []  # it belonged to the state before the reset


def test_a_non_json_body(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.inject("create", "non_json")

    answer = raw.create({"topic": "x"})

    assert answer.status_code == 201
    assert answer.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        answer.json()


def test_a_created_meeting_answered_without_fields(zoom: ZoomServer, raw: RawClient) -> None:
    zoom.inject("create", "missing_fields")

    answer = raw.create({"topic": "x"})

    assert answer.status_code == 201
    assert "id" not in answer.json()
    assert "join_url" not in answer.json()
    assert answer.json()["uuid"]
    assert len(zoom.meetings()) == 1  # the meeting exists all the same


def test_the_call_log_records_each_call(zoom: ZoomServer, raw: RawClient) -> None:
    created = raw.create({"topic": "Logged"}).json()
    raw.call("PATCH", f"/meetings/{created['id']}", json={"topic": "Again"})

    create, update = zoom.calls("create")[0], zoom.calls("update")[0]
    assert (create.method, create.path, create.status) == (
        "POST",
        f"/v2/users/{HOST_EMAIL}/meetings",
        201,
    )
    assert create.body == {"topic": "Logged"}
    assert (update.method, update.body, update.status) == ("PATCH", {"topic": "Again"}, 204)
    assert (zoom.count("token"), zoom.count("create"), zoom.count("update")) == (2, 1, 1)


def test_reset_forgets_everything(zoom: ZoomServer, raw: RawClient) -> None:
    raw.create({"topic": "x"})
    zoom.inject("create", "status", status=500)

    zoom.reset()

    assert zoom.meetings() == []
    assert zoom.calls() == []
    assert zoom.store.faults == []


# -- The control API for other processes -----------------------------------------------------


def test_the_control_api_configures_and_reports(zoom: ZoomServer) -> None:
    base = zoom.base_url + "/_control"

    def post(path: str, body: dict[str, Any] | None = None) -> requests.Response:
        answer = requests.post(base + path, json=body or {}, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer

    post("/reset")
    post("/accounts", {"account_id": "a2", "client_id": "c2", "client_secret": "s2"})
    user = post("/users", {"account_id": "a2", "email": "h2@example.com"}).json()
    post("/token_ttl", {"seconds": 60})
    token_answer = requests.post(
        zoom.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "a2"},
        auth=("c2", "s2"),
        timeout=5,
    )
    token = token_answer.json()["access_token"]
    post("/faults", {"operation": "create", "kind": "status", "status": 502})
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{zoom.api_base}/users/h2@example.com/meetings"
    failed = requests.post(url, json={"topic": "x"}, headers=headers, timeout=5)
    created = requests.post(url, json={"topic": "x"}, headers=headers, timeout=5)
    post("/expire_tokens")
    expired = requests.get(f"{zoom.api_base}/meetings/1", headers=headers, timeout=5)
    calls = requests.get(base + "/calls", timeout=5).json()
    meetings = requests.get(base + "/meetings", timeout=5).json()["meetings"]

    assert user["email"] == "h2@example.com"
    assert token_answer.json()["expires_in"] == 60
    assert (failed.status_code, created.status_code, expired.status_code) == (502, 201, 401)
    assert calls["counts"] == {"token": 1, "create": 2, "get": 1}
    assert [c["status"] for c in calls["calls"]] == [200, 502, 201, 401]
    assert [m["id"] for m in meetings] == [created.json()["id"]]
    assert "start_url" not in meetings[0]


def test_the_control_api_sets_scopes_and_dial_in_numbers(zoom: ZoomServer) -> None:
    base = zoom.base_url + "/_control"
    number = DialInNumber("SE", "Sweden", "Stockholm", "+46 850539728", "toll")
    requests.post(
        base + "/accounts",
        json={
            "account_id": ACCOUNT_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "dial_in_numbers": [number.as_json()],
        },
        timeout=5,
    )
    requests.post(
        base + "/users",
        json={"account_id": ACCOUNT_ID, "email": "se@example.com", "dial_in_countries": ["SE"]},
        timeout=5,
    )
    raw = RawClient(zoom)
    numbers = raw.create({"topic": "x"}, user="se@example.com").json()["settings"][
        "global_dial_in_numbers"
    ]
    requests.post(base + "/scopes", json={"client_id": CLIENT_ID, "scopes": []}, timeout=5)

    assert numbers == [number.as_json()]
    assert raw.create({"topic": "x"}).json()["code"] == 4711


def test_the_control_api_holds_answers_and_sets_meeting_states(
    zoom: ZoomServer, raw: RawClient
) -> None:
    base = zoom.base_url + "/_control"
    created = raw.create({"topic": "x"}).json()
    token = raw.token()
    set_state = requests.post(
        base + "/meeting_state", json={"meeting_id": created["id"], "state": "started"}, timeout=5
    )
    refused = raw.call("DELETE", f"/meetings/{created['id']}", token=token)
    bad_state = requests.post(
        base + "/meeting_state", json={"meeting_id": created["id"], "state": "x"}, timeout=5
    )
    requests.post(base + "/faults", json={"operation": "get", "kind": "hold"}, timeout=5)
    answers: list[int] = []
    caller = threading.Thread(
        target=lambda: answers.append(
            raw.call("GET", f"/meetings/{created['id']}", token=token).status_code
        )
    )
    caller.start()
    assert zoom.wait_until_held(1, timeout=5)
    held = requests.get(base + "/held", timeout=5).json()["held"]
    requests.post(base + "/release", timeout=5)
    caller.join(timeout=5)

    assert set_state.status_code == 200
    assert refused.json()["code"] == 3002
    assert bad_state.status_code == 400
    assert (held, answers) == (1, [200])


def test_a_bad_fault_is_refused(zoom: ZoomServer) -> None:
    answer = requests.post(
        zoom.base_url + "/_control/faults", json={"operation": "create", "kind": "x"}, timeout=5
    )

    assert answer.status_code == 400


def test_it_runs_standalone() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.fakes.zoom_server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: (
                requests.post(f"http://127.0.0.1:{port}/_control/reset", timeout=1).status_code
                == 200
            ),
            20,
            "the standalone Zoom server",
        )
        answer = requests.get(f"http://127.0.0.1:{port}/v2/meetings/1", timeout=5)
        assert answer.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
