"""create_conference over HTTP: functions-framework, the Firestore emulator, the local
Calendar server, the local token issuer and the counting test provider."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from local.function_process import FunctionProcess
from local.stack import LOGO_URL
from shared.conferences.conference_data import validate_conference_data
from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

ALICE = "alice@example.com"
BOB = "bob@example.com"
TITLE = "Quarterly secret-title review"
DESCRIPTION = "private-description-text"


def make_calendar(stack: Stack, owner: str = ALICE, **kw: Any) -> str:
    stack.calendar.control.create_calendar(owner, owner=owner, time_zone="Europe/Berlin", **kw)
    return owner


def make_event(stack: Stack, owner: str = ALICE, **extra: Any) -> dict[str, Any]:
    calendar_id = make_calendar(stack, owner)
    user = CalendarUser(stack.calendar.api_endpoint, owner)
    body = timed_event(
        TITLE,
        "2030-03-04T10:00:00",
        "2030-03-04T11:00:00",
        description=DESCRIPTION,
        attendees=[{"email": "guest-person@example.org"}],
        **extra,
    )
    event = user.insert(calendar_id, body)
    return event


def conference(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "conferenceData" in body, body
    data: dict[str, Any] = body["conferenceData"]
    return data


def test_existing_event_gets_a_conference_and_a_mapping(stack: Stack) -> None:
    event = make_event(stack)

    data = conference(stack.create_conference(ALICE, ALICE, event["id"]))

    validate_conference_data(data)
    assert data["conferenceSolution"] == {
        "key": {"type": "addOn"},
        "name": "Jitsi Meet",
        "iconUri": LOGO_URL,  # ADDON_LOGO_URL, as in the add-on's manifest
    }
    assert data["entryPoints"][0]["uri"].startswith("https://meet.jit.si/cal-")
    creates = stack.provider_calls("create")
    assert len(creates) == 1
    assert creates[0]["spec"]["title"] == TITLE
    assert creates[0]["spec"]["timeZone"] == "Europe/Berlin"
    [mapping] = stack.docs("conferences")
    assert mapping["state"] == "ready"
    assert mapping["calendarId"] == ALICE
    assert mapping["eventId"] == event["id"]
    assert mapping["solutionId"] == "1"
    assert mapping["conferenceId"] == data["conferenceId"]
    assert mapping["meetingId"] == creates[0]["meetingId"]
    assert mapping["ownerEmail"] == ALICE
    assert mapping["placeholder"] is False
    assert mapping["spec"]["start"].startswith("2030-03-04T10:00:00")
    assert mapping["schemaVersion"] == 1
    assert mapping["expireAt"] > datetime(2030, 3, 4, tzinfo=UTC) + timedelta(days=29)


def test_event_not_saved_yet_gets_a_placeholder_meeting(stack: Stack) -> None:
    make_calendar(stack)

    data = conference(stack.create_conference(ALICE, ALICE, "abcdefghij0123456789"))

    validate_conference_data(data)
    [create] = stack.provider_calls("create")
    assert create["spec"]["placeholder"] is True
    [mapping] = stack.docs("conferences")
    assert mapping["placeholder"] is True
    assert mapping["eventId"] == "abcdefghij0123456789"


def test_calendar_the_user_cannot_access_is_permission_denied(stack: Stack) -> None:
    event = make_event(stack, owner=BOB)

    response = stack.create_conference(ALICE, BOB, event["id"])

    assert response.status_code == 200
    assert response.json() == {"conferenceError": {"type": "PERMISSION_DENIED"}}
    assert stack.provider_calls() == []
    assert not stack.state_written()


def test_reader_of_the_calendar_may_create(stack: Stack) -> None:
    stack.calendar.control.create_calendar(
        BOB, owner=BOB, time_zone="Europe/Berlin", writers=[ALICE]
    )
    event = CalendarUser(stack.calendar.api_endpoint, BOB).insert(
        BOB, timed_event("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00")
    )

    data = conference(stack.create_conference(ALICE, BOB, event["id"]))

    assert data["conferenceId"]
    assert stack.docs("conferences")[0]["ownerEmail"] == ALICE


def test_unknown_solution_is_forbidden_and_writes_nothing(stack: Stack) -> None:
    event = make_event(stack)

    response = stack.create_conference(ALICE, ALICE, event["id"], solution_id="99")

    assert response.json() == {"conferenceError": {"type": "CONFERENCE_SOLUTION_FORBIDDEN"}}
    assert stack.provider_calls() == []
    assert not stack.state_written()


@pytest.mark.parametrize(
    ("mode", "remaining", "expected"),
    [
        ("transient", 100, "TEMPORARY"),
        ("permanent", 1, "PERMANENT"),
        ("access", 1, "PERMISSION_DENIED"),
    ],
)
def test_provider_failure_becomes_a_conference_error(
    stack: Stack, mode: str, remaining: int, expected: str
) -> None:
    event = make_event(stack)
    stack.fault("create", mode, remaining=remaining)

    response = stack.create_conference(ALICE, ALICE, event["id"])

    assert response.json() == {"conferenceError": {"type": expected}}
    assert stack.provider_calls("create") == []
    assert stack.docs("conferences") == []


def test_transient_provider_failure_is_retried_briefly(stack: Stack) -> None:
    event = make_event(stack)
    stack.fault("create", "transient", remaining=1)

    data = conference(stack.create_conference(ALICE, ALICE, event["id"]))

    assert data["conferenceId"]
    assert len(stack.provider_calls("create")) == 1


def test_transient_calendar_failure_is_retried_briefly(stack: Stack) -> None:
    event = make_event(stack)
    stack.calendar.control.fail_next("calendars.get", status=503, reason="backendError")

    data = conference(stack.create_conference(ALICE, ALICE, event["id"]))

    assert data["conferenceId"]


def test_calendar_down_is_temporary_and_writes_nothing(stack: Stack) -> None:
    event = make_event(stack)
    for method in ("calendarList.get", "calendars.get", "events.get"):
        stack.calendar.control.fail_next(method, status=503, reason="backendError", count=100)

    response = stack.create_conference(ALICE, ALICE, event["id"])

    assert response.json() == {"conferenceError": {"type": "TEMPORARY"}}
    assert not stack.state_written()


def test_ten_concurrent_calls_make_one_meeting_and_one_answer(stack: Stack) -> None:
    event = make_event(stack)
    stack.fault("create", "none", remaining=0, delay=0.5)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(lambda _: stack.create_conference(ALICE, ALICE, event["id"]), range(10))
        )

    bodies = [conference(answer) for answer in answers]
    assert all(body == bodies[0] for body in bodies)
    assert len(stack.provider_calls("create")) == 1
    assert len(stack.docs("conferences")) == 1


def test_a_retry_gets_the_same_answer_without_a_second_meeting(stack: Stack) -> None:
    event = make_event(stack)

    first = conference(stack.create_conference(ALICE, ALICE, event["id"]))
    second = conference(stack.create_conference(ALICE, ALICE, event["id"]))

    assert first == second
    assert len(stack.provider_calls("create")) == 1


def test_a_retry_after_a_crash_takes_the_reservation_over_once(stack: Stack) -> None:
    event = make_event(stack)
    stack.fault("create", "crash", remaining=1)

    with pytest.raises(requests.ConnectionError):
        stack.create_conference(ALICE, ALICE, event["id"])
    stack.create.wait_exit(timeout=10)
    [reservation] = stack.docs("conferences")
    assert reservation["state"] == "pending"
    assert reservation["expireAt"] < datetime.now(UTC) + timedelta(days=2)  # TTL cleans up
    stack.create.start()

    data = conference(stack.create_conference(ALICE, ALICE, event["id"]))

    assert len(stack.provider_calls("create")) == 1
    [mapping] = stack.docs("conferences")
    assert mapping["state"] == "ready"
    assert mapping["requestKey"] == reservation["requestKey"]
    assert data["conferenceId"] == mapping["conferenceId"]


def test_sync_is_set_up_for_the_calendar(stack: Stack) -> None:
    event = make_event(stack)

    conference(stack.create_conference(ALICE, ALICE, event["id"]))

    [calendar] = stack.docs("calendars")
    assert calendar["calendarId"] == ALICE
    assert calendar["syncUser"] == ALICE
    assert calendar["setupState"] == "ready"
    assert calendar["syncToken"]
    assert calendar["timeZone"] == "Europe/Berlin"
    assert calendar["setupDueAt"] is None  # not in the sweep's set-up queue
    assert calendar["renewAt"] > datetime.now(UTC) + timedelta(days=5)
    [channel] = stack.docs("channels")
    assert channel["calendarId"] == ALICE
    assert channel["resourceId"]
    assert channel["expiration"] > datetime.now(UTC) + timedelta(days=6)
    assert len(channel["tokenHash"]) == 64
    assert calendar["activeChannelId"] == channel["channelId"]
    watches = [c for c in stack.calendar.control.calls() if c["method"] == "events.watch"]
    assert len(watches) == 1
    lists = [c for c in stack.calendar.control.calls() if c["method"] == "events.list"]
    assert lists
    assert all(c["params"].get("singleEvents") == "false" for c in lists)
    assert all(c["params"].get("maxResults") == "2500" for c in lists)
    assert all("orderBy" not in c["params"] for c in lists)


def test_a_second_conference_on_the_calendar_does_not_set_up_again(stack: Stack) -> None:
    first = make_event(stack)
    second = CalendarUser(stack.calendar.api_endpoint, ALICE).insert(
        ALICE, timed_event("two", "2030-05-01T09:00:00", "2030-05-01T10:00:00")
    )

    conference(stack.create_conference(ALICE, ALICE, first["id"]))
    conference(stack.create_conference(ALICE, ALICE, second["id"]))

    watches = [c for c in stack.calendar.control.calls() if c["method"] == "events.watch"]
    assert len(watches) == 1
    assert len(stack.docs("channels")) == 1


def test_failed_sync_set_up_still_creates_and_marks_the_calendar(stack: Stack) -> None:
    event = make_event(stack)
    stack.calendar.control.fail_next("events.watch", status=500, reason="backendError", count=5)

    data = conference(stack.create_conference(ALICE, ALICE, event["id"]))

    assert data["conferenceId"]
    [calendar] = stack.docs("calendars")
    assert calendar["setupState"] == "pending"
    assert "500" in calendar["setupError"]


def test_logs_are_json_lines_without_titles_or_emails(stack: Stack) -> None:
    event = make_event(stack)
    stack.create_conference(ALICE, ALICE, event["id"])
    stack.create_conference(ALICE, ALICE, event["id"], solution_id="nope")
    stack.calendar.wait_for_deliveries(timeout=20)

    lines = stack.log_lines()
    assert any(line.get("message") == "conference ready" for line in lines)
    assert all(
        line["severity"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} for line in lines
    )
    text = stack.all_logs()
    for secret in (TITLE, DESCRIPTION, "guest-person@example.org"):
        assert secret not in text


# -- the answer table ------------------------------------------------------------------


def post(stack: Stack, body: bytes | str, token: str | None, **headers: str) -> requests.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    headers.setdefault("Content-Type", "application/json")
    return requests.post(stack.create.url, data=body, headers=headers, timeout=10)


def assert_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == status
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


GOOD_BODY = json.dumps(
    {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "abcdefghij"}}
)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405(stack: Stack, method: str) -> None:
    response = requests.request(method, stack.create.url, timeout=10)
    assert_error(response, 405)


def test_body_over_64_kib_is_413_before_the_token_is_checked(stack: Stack) -> None:
    response = post(stack, "x" * (64 * 1024 + 1), token=None)
    assert_error(response, 413)
    assert not stack.state_written()


def test_chunked_body_over_64_kib_is_413(stack: Stack) -> None:
    def chunks() -> Any:
        for _ in range(70):
            yield b"x" * 1024

    response = requests.post(
        stack.create.url,
        data=chunks(),
        headers={"Authorization": f"Bearer {stack.token(ALICE)}"},
        timeout=10,
    )
    assert_error(response, 413)


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not-bearer",
        "garbage",
        "expired",
        "foreign-key",
        "wrong-audience",
        "wrong-issuer",
        "unverified-email",
        "alg-none",
        "hd-not-allowed",
        "no-hd",
    ],
)
def test_bad_tokens_are_401_and_write_nothing(stack: Stack, case: str) -> None:
    make_calendar(stack)
    issuer = stack.issuer
    tokens: dict[str, str | None] = {
        "missing": None,
        "garbage": "not.a.token",
        "expired": stack.token(ALICE, expires_in=-600),
        "foreign-key": issuer.mint_foreign(ALICE, "test-addon.apps.googleusercontent.com"),
        "wrong-audience": issuer.mint(ALICE, "someone-else", hd="example.com"),
        "wrong-issuer": stack.token(ALICE, issuer="https://evil.example.com"),
        "unverified-email": stack.token(ALICE, email_verified=False),
        "alg-none": issuer.mint_unsigned(ALICE, "test-addon.apps.googleusercontent.com"),
        "hd-not-allowed": stack.token(ALICE, hd="other.com"),
        "no-hd": issuer.mint(ALICE, "test-addon.apps.googleusercontent.com"),
        "not-bearer": None,
    }
    headers = {}
    if case == "not-bearer":
        headers["Authorization"] = "Basic YWxpY2U6cHc="
    response = post(stack, GOOD_BODY, tokens[case], **headers)

    assert_error(response, 401)
    assert not stack.state_written()
    assert stack.provider_calls() == []


BAD_BODIES = {
    "not-json": b"{not json",
    "deeply-nested": b"[" * 60_000,
    "not-utf8": b"\xff\xfe",
    "array": b"[]",
    "string": b'"x"',
    "no-event-data": json.dumps({"solutionId": "1"}).encode(),
    "event-data-not-object": json.dumps({"solutionId": "1", "eventData": "x"}).encode(),
    "missing-solution": json.dumps(
        {"eventData": {"calendarId": ALICE, "eventId": "e1234"}}
    ).encode(),
    "solution-not-string": json.dumps(
        {"solutionId": 1, "eventData": {"calendarId": ALICE, "eventId": "e1234"}}
    ).encode(),
    "empty-solution": json.dumps(
        {"solutionId": "", "eventData": {"calendarId": ALICE, "eventId": "e1234"}}
    ).encode(),
    "missing-calendar": json.dumps({"solutionId": "1", "eventData": {"eventId": "e1234"}}).encode(),
    "calendar-null": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": None, "eventId": "e1234"}}
    ).encode(),
    "empty-event": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "  "}}
    ).encode(),
    "event-not-string": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": ["x"]}}
    ).encode(),
    "event-too-long": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "e" * 1025}}
    ).encode(),
    "calendar-too-long": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": "c" * 1025, "eventId": "e1234"}}
    ).encode(),
    "lone-surrogate-calendar": (
        b'{"solutionId": "1", "eventData": {"calendarId": "a\\ud800", "eventId": "e1234"}}'
    ),
    "lone-surrogate-event": (
        b'{"solutionId": "1", "eventData": {"calendarId": "alice@example.com", '
        b'"eventId": "\\udfff"}}'
    ),
    "lone-surrogate-solution": (
        b'{"solutionId": "\\ud83d", "eventData": {"calendarId": "a", "eventId": "e1234"}}'
    ),
    "c1-control": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "e1234\x85"}}
    ).encode(),
    "calendar-dot-dot": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": "..", "eventId": "e1234"}}
    ).encode(),
    "event-dot": json.dumps(
        {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "."}}
    ).encode(),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_bodies_are_400_and_write_nothing(stack: Stack, case: str) -> None:
    make_calendar(stack)

    response = post(stack, BAD_BODIES[case], stack.token(ALICE))

    assert_error(response, 400)
    assert not stack.state_written()
    assert stack.provider_calls() == []


def test_unknown_fields_are_ignored(stack: Stack) -> None:
    event = make_event(stack)
    body = {
        "solutionId": "1",
        "eventData": {"calendarId": ALICE, "eventId": event["id"], "extra": 1},
        "somethingElse": True,
    }

    response = post(stack, json.dumps(body), stack.token(ALICE))

    assert "conferenceData" in response.json()


def test_error_messages_never_carry_the_token(stack: Stack) -> None:
    token = stack.token(ALICE, expires_in=-600)

    response = post(stack, GOOD_BODY, token)

    assert token not in response.text
    assert token not in stack.all_logs()


def test_ids_at_the_limit_are_accepted(stack: Stack) -> None:
    make_calendar(stack)
    body = {"solutionId": "1", "eventData": {"calendarId": ALICE, "eventId": "a" * 1024}}

    response = post(stack, json.dumps(body), stack.token(ALICE))

    assert "conferenceData" in response.json()


def test_missing_settings_stop_the_instance_at_start_naming_each(
    stack: Stack, tmp_path: Path
) -> None:
    env = {
        "GOOGLE_CLOUD_PROJECT": "",
        "SYNC_WEBHOOK_URL": "",
        "ADDON_OAUTH_CLIENT_ID": "",
        "ADDON_LOGO_URL": "",
    }
    process = FunctionProcess("create_conference", "create_conference", env, tmp_path / "bad.log")

    with pytest.raises(RuntimeError, match="exited"):
        process.start(timeout=30)

    lines = [json.loads(line) for line in process.logs().splitlines() if line.startswith("{")]
    [critical] = [line for line in lines if line["severity"] == "CRITICAL"]
    problems = " ".join(critical["problems"])
    for name in (
        "GOOGLE_CLOUD_PROJECT",
        "SYNC_WEBHOOK_URL",
        "ADDON_OAUTH_CLIENT_ID",
        "ADDON_LOGO_URL",
        "ALLOWED_DOMAINS",
        "DELEGATION_SERVICE_ACCOUNT",
    ):
        assert name in problems


def test_certificates_are_cached_not_fetched_per_request(stack: Stack) -> None:
    event = make_event(stack)
    conference(stack.create_conference(ALICE, ALICE, event["id"]))  # certificates known
    fetches = stack.issuer.cert_fetches

    for _ in range(5):
        conference(stack.create_conference(ALICE, ALICE, event["id"]))

    assert stack.issuer.cert_fetches == fetches


def test_every_problem_of_every_enabled_provider_stops_the_instance(
    stack: Stack, tmp_path: Path
) -> None:
    env = {
        name: value
        for name, value in stack.create.env.items()
        if not name.startswith(("ZOOM_", "BBB_", "JOIN_", "CONFERENCE_PROVIDER"))
    }
    env["CONFERENCE_PROVIDERS"] = "jitsi,zoom,bigbluebutton"
    env["CONFERENCE_PROVIDER"] = "zoom"  # accepted, but only as the first of the list
    process = FunctionProcess("create_conference", "create_conference", env, tmp_path / "p.log")

    with pytest.raises(RuntimeError, match="exited"):
        process.start(timeout=30)

    lines = [json.loads(line) for line in process.logs().splitlines() if line.startswith("{")]
    [critical] = [line for line in lines if line["severity"] == "CRITICAL"]
    assert set(critical["problems"]) >= {
        "CONFERENCE_PROVIDER must be the first of CONFERENCE_PROVIDERS when both are set",
        "ZOOM_ACCOUNT_ID is required with the zoom provider",
        "ZOOM_CLIENT_ID is required with the zoom provider",
        "ZOOM_CLIENT_SECRET is required with the zoom provider",
        "BBB_API_URL is required",
        "BBB_SECRET is required with the bigbluebutton provider",
        "JOIN_BASE_URL is required with the bigbluebutton provider",
    }
