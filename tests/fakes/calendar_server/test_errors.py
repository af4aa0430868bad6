"""Error bodies, auth, access, If-Match, injected faults, query checks, call log.

See docs/calendar-behaviour.md#errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from local.fakes.calendar_server import CalendarServer
from tests.fakes.calendar_server.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    Raw,
    error_of,
    timed_event,
)

Service = Callable[[str], Any]


def insert(calendar: Service, user: str = ALICE, calendar_id: str = ALICE) -> Any:
    return calendar(user).events().insert(calendarId=calendar_id, body=timed_event()).execute()


def assert_shape(body: dict[str, Any], code: int, domain: str, reason: str) -> None:
    """``{"error": {"errors": [{domain, reason, message, ...}], "code", "message"}}``."""
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"errors", "code", "message"}
    (item,) = error["errors"]
    assert (error["code"], item["domain"], item["reason"]) == (code, domain, reason)
    assert item["message"] == error["message"]
    assert error["message"]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ya29.real-looking-token", "Bearer local-user:", "Basic local-user:a@b.c"],
    ids=["missing", "other-token", "no-email", "not-bearer"],
)
def test_calls_without_local_user_token_are_401_auth_error(raw: Raw, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}

    answer = raw.call("GET", "calendars/primary/events", user=None, headers=headers)

    assert answer.status_code == 401
    assert_shape(answer.json(), 401, "global", "authError")
    assert error_of(answer)["errors"][0]["location"] == "Authorization"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "calendars/{cal}"),
        ("GET", "calendars/{cal}/events"),
        ("GET", "calendars/{cal}/events/{event}"),
        ("PATCH", "calendars/{cal}/events/{event}"),
        ("PUT", "calendars/{cal}/events/{event}"),
        ("DELETE", "calendars/{cal}/events/{event}"),
        ("POST", "calendars/{cal}/events"),
        ("POST", "calendars/{cal}/events/watch"),
        ("POST", "calendars/{cal}/events/{event}/move?destination=carol%40example.com"),
    ],
)
def test_user_without_access_gets_404_not_found(
    server: CalendarServer, raw: Raw, calendar: Service, method: str, path: str
) -> None:
    server.control.create_calendar(CAROL)
    event = insert(calendar)
    body: dict[str, Any] | None = None
    if method != "GET":
        body = {"id": "ch1", "type": "web_hook", "address": "https://example.com/hook"}
        body = body if "watch" in path else timed_event()

    answer = raw.call(method, path.format(cal=ALICE, event=event["id"]), user=CAROL, json=body)

    assert answer.status_code == 404
    assert_shape(answer.json(), 404, "global", "notFound")


@pytest.mark.parametrize("method", ["insert", "patch", "update", "delete", "move"])
def test_reader_write_is_403_required_access_level(calendar: Service, method: str) -> None:
    event = insert(calendar)
    events = calendar(BOB).events()
    calls = {
        "insert": lambda: events.insert(calendarId=ALICE, body=timed_event()),
        "patch": lambda: events.patch(calendarId=ALICE, eventId=event["id"], body={}),
        "update": lambda: events.update(calendarId=ALICE, eventId=event["id"], body=timed_event()),
        "delete": lambda: events.delete(calendarId=ALICE, eventId=event["id"]),
        "move": lambda: events.move(calendarId=ALICE, eventId=event["id"], destination=BOB),
    }

    with pytest.raises(HttpError) as failure:
        calls[method]().execute()

    assert failure.value.resp.status == 403
    body = {"error": error_of(failure.value)}
    assert_shape(body, 403, "calendar", "requiredAccessLevel")
    assert body["error"]["message"] == "You need to have writer access to this calendar."


def test_reader_can_read_and_writer_can_write(calendar: Service) -> None:
    event = insert(calendar, DAVE)

    assert calendar(BOB).events().get(calendarId=ALICE, eventId=event["id"]).execute()["id"]
    assert calendar(BOB).events().list(calendarId=ALICE).execute()["accessRole"] == "reader"


def test_deleting_a_deleted_event_is_410_deleted(calendar: Service) -> None:
    event = insert(calendar)
    events = calendar(ALICE).events()
    events.delete(calendarId=ALICE, eventId=event["id"]).execute()

    with pytest.raises(HttpError) as failure:
        events.delete(calendarId=ALICE, eventId=event["id"]).execute()

    assert_shape({"error": error_of(failure.value)}, 410, "global", "deleted")


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_stale_if_match_is_412_condition_not_met(calendar: Service, raw: Raw, method: str) -> None:
    event = insert(calendar)
    calendar(ALICE).events().patch(calendarId=ALICE, eventId=event["id"], body={}).execute()

    answer = raw.call(
        method,
        f"calendars/{ALICE}/events/{event['id']}",
        json=timed_event() if method != "DELETE" else None,
        headers={"If-Match": event["etag"]},
    )

    assert answer.status_code == 412
    assert answer.json() == {
        "error": {
            "errors": [
                {
                    "domain": "global",
                    "reason": "conditionNotMet",
                    "message": "Precondition Failed",
                    "locationType": "header",
                    "location": "If-Match",
                }
            ],
            "code": 412,
            "message": "Precondition Failed",
        }
    }


def test_current_if_match_lets_the_write_through(calendar: Service, raw: Raw) -> None:
    event = insert(calendar)

    answer = raw.call(
        "PATCH",
        f"calendars/{ALICE}/events/{event['id']}",
        json={"summary": "x"},
        headers={"If-Match": event["etag"]},
    )

    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (403, "userRateLimitExceeded", "usageLimits"),
        (403, "rateLimitExceeded", "usageLimits"),
        (403, "quotaExceeded", "usageLimits"),
        (403, "forbiddenForNonOrganizer", "calendar"),
        (404, "notFound", "global"),
        (410, "deleted", "global"),
        (410, "fullSyncRequired", "calendar"),
        (429, "rateLimitExceeded", "usageLimits"),
        (500, "backendError", "global"),
        (503, "backendError", "global"),
    ],
)
def test_injected_faults_answer_in_the_contract_shape(
    server: CalendarServer, raw: Raw, status: int, reason: str, domain: str
) -> None:
    server.control.fail_next("events.list", status, reason)

    answer = raw.call("GET", "calendars/primary/events")

    assert answer.status_code == status
    assert_shape(answer.json(), status, domain, reason)


def test_fault_hits_the_next_n_calls_only(server: CalendarServer, calendar: Service) -> None:
    event = insert(calendar)
    server.control.fail_next("events.get", 503, "backendError", count=2)
    get = calendar(ALICE).events().get(calendarId=ALICE, eventId=event["id"])

    statuses = []
    for _ in range(3):
        try:
            get.execute()
            statuses.append(200)
        except HttpError as failure:
            statuses.append(failure.resp.status)

    assert statuses == [503, 503, 200]


def test_fault_for_one_calendar_spares_the_others(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.fail_next("events.list", 500, "backendError", calendar_id=BOB)

    assert calendar(ALICE).events().list(calendarId="primary").execute()["items"] == []
    with pytest.raises(HttpError) as failure:
        calendar(BOB).events().list(calendarId="primary").execute()
    assert failure.value.resp.status == 500


def test_client_retries_recover_from_a_503(server: CalendarServer, calendar: Service) -> None:
    server.control.fail_next("calendars.get", 503, "backendError")
    request = calendar(ALICE).calendars().get(calendarId="primary")
    request._sleep = lambda seconds: None  # the library sleeps rand()*2**n between tries

    assert request.execute(num_retries=2)["id"] == ALICE
    assert [c.status for c in server.control.calls("calendars.get")] == [503, 200]


def test_fault_may_carry_retry_after(server: CalendarServer, raw: Raw) -> None:
    server.control.fail_next("events.list", 429, "rateLimitExceeded", retry_after=2)

    answer = raw.call("GET", "calendars/primary/events")

    assert answer.headers["Retry-After"] == "2"


def test_call_log_records_method_calendar_query_user_and_status(
    server: CalendarServer, calendar: Service
) -> None:
    server.control.clear_calls()
    calendar(BOB).events().list(calendarId=ALICE, maxResults=5).execute()
    with pytest.raises(HttpError):
        calendar(BOB).events().insert(calendarId=ALICE, body=timed_event()).execute()

    listed, inserted = server.control.calls()

    assert (listed.method, listed.calendar_id, listed.user, listed.status) == (
        "events.list",
        ALICE,
        BOB,
        200,
    )
    assert listed.params["maxResults"] == "5"
    assert listed["calendarId"] == ALICE  # records read like their JSON form too
    assert (inserted.method, inserted.status) == ("events.insert", 403)
    server.control.clear_calls()
    assert server.control.calls() == []


@pytest.mark.parametrize(
    "params",
    [
        {"maxResult": "5"},
        {"calendarId": ALICE},
        {"destination": BOB},
    ],
    ids=["typo", "path-parameter", "other-methods-parameter"],
)
def test_query_parameter_the_method_does_not_define_is_400(
    raw: Raw, params: dict[str, str]
) -> None:
    answer = raw.call("GET", "calendars/primary/events", params=params)

    assert answer.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"maxResults": "many"},
        {"maxResults": "0"},
        {"singleEvents": "yes"},
        {"orderBy": "title"},
        {"timeMin": "2030-01-01T00:00:00"},
        {"alt": "xml"},
    ],
    ids=["not-integer", "below-minimum", "not-boolean", "not-in-enum", "no-offset", "alt"],
)
def test_query_parameter_values_are_checked(raw: Raw, params: dict[str, str]) -> None:
    answer = raw.call("GET", "calendars/primary/events", params=params)

    assert answer.status_code == 400


def test_standard_parameters_are_accepted(raw: Raw) -> None:
    params = {"alt": "json", "prettyPrint": "false", "quotaUser": "q", "key": "k", "$.xgafv": "2"}

    assert raw.call("GET", "calendars/primary/events", params=params).status_code == 200


def test_unknown_route_is_a_json_404(raw: Raw) -> None:
    answer = raw.call("GET", "calendars/primary/nothing/here")

    assert_shape(answer.json(), 404, "global", "notFound")
