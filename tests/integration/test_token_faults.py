"""A token blip is not a revocation: faults of the token endpoint, over HTTP.

The entry points here fetch their Calendar tokens from the local token endpoint
(``tests/support/delegated_stack.py``), which fails on demand: a transient answer keeps
the sync token (503), a refusal of the deployment's grant changes no calendar and logs
one ERROR, and only Google's verdict on a user (``invalid_grant``) makes a calendar
``access_revoked``, tried again by the sweep on a growing interval until it resumes or
another conference owner takes it over. (IAM signBlob refusals cannot happen with the
local signing key: tests/unit/google/test_token_errors.py sorts them.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.stack import DELEGATION_ACCOUNT
from shared.google.calendar_api import MISCONFIGURED_LOG
from shared.google.credentials import CALENDAR_SCOPES
from shared.state.calendars import calendar_doc_id
from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.delegated_stack import (
    TOKEN_LIFETIME_SECONDS,
    start_delegated_stack,
    stop_delegated_stack,
)
from tests.support.scenarios import (
    ALICE,
    BOB,
    channel_of,
    conference_on_event,
    push,
    push_headers,
    settle,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

UNAUTHORIZED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
TEAM = "team@example.com"


@pytest.fixture(scope="module")
def delegated_session(
    stack_session: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    delegated = start_delegated_stack(stack_session, tmp_path_factory.mktemp("delegated"))
    try:
        yield delegated
    finally:
        stop_delegated_stack(delegated)
        stack_session.issuer.reset_token_controls()


@pytest.fixture
def delegated(stack: Stack, delegated_session: Stack) -> Iterator[Stack]:
    """The delegated entry points, with Firestore and the Calendar server emptied (by
    ``stack``) and the token endpoint answering normally, with short-lived tokens."""
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack.emulator.host
    issuer = delegated_session.issuer
    issuer.reset_token_controls()
    issuer.access_token_lifetime = TOKEN_LIFETIME_SECONDS
    for process in (delegated_session.create, delegated_session.sync, delegated_session.sweep):
        if not process.alive():
            process.start()
    yield delegated_session
    issuer.clear_token_faults()
    delegated_session.calendar.wait_for_deliveries(timeout=20)


# -- helpers ------------------------------------------------------------------------------


def calendar_doc(stack: Stack, calendar_id: str = ALICE) -> dict[str, Any]:
    snapshot = stack.db.collection("calendars").document(calendar_doc_id(calendar_id)).get()
    return dict(snapshot.to_dict() or {})


def log_marks(stack: Stack) -> dict[str, int]:
    return {p.target: len(p.logs()) for p in (stack.create, stack.sync, stack.sweep)}


def logs_since(stack: Stack, marks: dict[str, int]) -> str:
    return "".join(p.logs()[marks[p.target] :] for p in (stack.create, stack.sync, stack.sweep))


def errors_since(stack: Stack, marks: dict[str, int]) -> list[dict[str, Any]]:
    lines = [json.loads(raw) for raw in logs_since(stack, marks).splitlines() if raw[:1] == "{"]
    return [line for line in lines if line.get("severity") in ("ERROR", "CRITICAL")]


def edit_quietly(
    stack: Stack, user: CalendarUser, calendar_id: str, event_id: str, title: str
) -> None:
    """Rename an event without Calendar's push message: the test sends it."""
    stack.calendar.control.drop_next_messages(calendar_id, 1)
    user.patch(calendar_id, event_id, {"summary": title})


def make_access_retry_due(stack: Stack, calendar_id: str = ALICE) -> None:
    stack.db.collection("calendars").document(calendar_doc_id(calendar_id)).update(
        {"accessRetryAt": datetime.now(UTC) - timedelta(seconds=1)}
    )


def sweep(stack: Stack) -> dict[str, Any]:
    response = requests.post(stack.sweep.url, timeout=120)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def refuse_user(stack: Stack, user: str) -> None:
    """Google's verdict on one user (suspended, deleted): every token for them refused."""
    stack.issuer.fail_token_requests(
        10_000, error="invalid_grant", description="Invalid email or User ID", subject=user
    )


def titles_updated(stack: Stack) -> list[str]:
    return [str(call["spec"]["title"]) for call in stack.provider_calls("update")]


def near(value: datetime, expected: datetime, slack: timedelta = timedelta(minutes=1)) -> bool:
    return expected - slack <= value <= expected + slack


# -- transient ----------------------------------------------------------------------------


def test_a_token_endpoint_blip_answers_503_and_keeps_the_sync_token(delegated: Stack) -> None:
    scenario = conference_on_event(delegated)
    token_before = calendar_doc(delegated)["syncToken"]
    edit_quietly(delegated, scenario.user, ALICE, scenario.event_id, "Renamed during a blip")
    # google-auth tries a retryable answer three times: all three fail.
    delegated.issuer.fail_token_requests(3, status=503, error="temporarily_unavailable")

    answer = push(delegated, push_headers(channel_of(delegated, ALICE), 20))

    assert answer.status_code == 503
    doc = calendar_doc(delegated)
    assert doc["setupState"] == "ready"
    assert doc["syncToken"] == token_before
    assert titles_updated(delegated) == []
    # Calendar retries the message; the token endpoint works again: the change is applied.
    again = push(delegated, push_headers(channel_of(delegated, ALICE), 20))
    assert again.status_code == 200
    assert again.json() == {"outcome": "synced"}
    assert titles_updated(delegated) == ["Renamed during a blip"]


# -- the deployment's ---------------------------------------------------------------------


def test_a_grant_without_its_scopes_stops_the_pass_changes_no_calendar_and_logs_one_error(
    delegated: Stack,
) -> None:
    scenario = conference_on_event(delegated)
    edit_quietly(delegated, scenario.user, ALICE, scenario.event_id, "Renamed, grant gone")
    calendars_before = delegated.docs("calendars")
    conferences_before = delegated.docs("conferences")
    marks = log_marks(delegated)
    delegated.issuer.fail_token_requests(
        1, status=401, error="unauthorized_client", description=UNAUTHORIZED
    )

    answer = push(delegated, push_headers(channel_of(delegated, ALICE), 30))

    assert answer.status_code == 503
    assert delegated.docs("calendars") == calendars_before
    assert delegated.docs("conferences") == conferences_before
    errors = errors_since(delegated, marks)
    assert len(errors) == 1 == delegated.issuer.refused_token_requests()
    assert errors[0]["message"] == MISCONFIGURED_LOG
    assert errors[0]["setting"] == "DELEGATION_SERVICE_ACCOUNT"
    assert errors[0]["delegation_service_account"] == DELEGATION_ACCOUNT
    assert errors[0]["grant_scopes"] == ",".join(CALENDAR_SCOPES)
    assert errors[0]["cause"] == "unauthorized_client"
    logged = logs_since(delegated, marks)
    assert "local-user:" not in logged  # no access token
    assert "eyJ" not in logged  # no assertion (a JWT)
    # Once the grant is fixed, the same message goes through: nothing was lost.
    again = push(delegated, push_headers(channel_of(delegated, ALICE), 30))
    assert again.json() == {"outcome": "synced"}
    assert titles_updated(delegated) == ["Renamed, grant gone"]


def test_the_sweep_stops_at_a_deployment_refusal_and_marks_no_calendar_failed(
    delegated: Stack,
) -> None:
    conference_on_event(delegated)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    delegated.db.collection("calendars").document(calendar_doc_id(ALICE)).update(
        {"lastSyncAt": long_ago, "renewAt": datetime.now(UTC) - timedelta(minutes=1)}
    )
    calendars_before = delegated.docs("calendars")
    marks = log_marks(delegated)
    delegated.issuer.fail_token_requests(10, status=401, error="unauthorized_client")

    response = requests.post(delegated.sweep.url, timeout=120)

    assert response.status_code == 503
    assert delegated.docs("calendars") == calendars_before
    assert delegated.issuer.refused_token_requests() == 1  # stopped at the first refusal
    assert [e["message"] for e in errors_since(delegated, marks)] == [MISCONFIGURED_LOG]
    delegated.issuer.clear_token_faults()
    report = sweep(delegated)
    assert report["renewed"] == 1
    assert report["synced"] == 1
    assert report["failed"] == 0


# -- the user's: lost access, retried on a growing interval ------------------------------


def test_a_user_google_refuses_loses_access_until_the_sweep_finds_it_works_again(
    delegated: Stack,
) -> None:
    scenario = conference_on_event(delegated)
    old_channel = channel_of(delegated, ALICE)
    token_before = calendar_doc(delegated)["syncToken"]
    edit_quietly(delegated, scenario.user, ALICE, scenario.event_id, "Renamed while refused")
    refuse_user(delegated, ALICE)

    answer = push(delegated, push_headers(old_channel, 40))

    assert answer.json() == {"outcome": "access_revoked"}
    doc = calendar_doc(delegated)
    assert doc["setupState"] == "access_revoked"
    assert doc["syncToken"] == token_before  # kept, to catch up from
    assert doc["accessRetries"] == 0
    assert near(doc["accessRetryAt"], datetime.now(UTC) + timedelta(hours=1))

    make_access_retry_due(delegated)
    still = sweep(delegated)

    assert still["still_revoked"] == 1
    doc = calendar_doc(delegated)
    assert doc["setupState"] == "access_revoked"
    assert doc["accessRetries"] == 1
    assert near(doc["accessRetryAt"], datetime.now(UTC) + timedelta(hours=2))
    assert titles_updated(delegated) == []

    delegated.issuer.clear_token_faults()  # the user is back
    make_access_retry_due(delegated)
    resumed = sweep(delegated)

    assert resumed["resumed"] == 1
    assert resumed["renewed"] == 1  # a new channel in the same run
    doc = calendar_doc(delegated)
    assert doc["setupState"] == "ready"
    assert "accessRetryAt" not in doc
    assert "accessRetries" not in doc
    assert doc["syncToken"] != token_before
    assert titles_updated(delegated) == ["Renamed while refused"]  # caught up
    assert channel_of(delegated, ALICE)["id"] != old_channel["id"]


def test_another_conference_owner_who_may_sync_takes_over_a_calendar_its_user_lost(
    delegated: Stack,
) -> None:
    delegated.calendar.control.create_calendar(
        TEAM, owner="owner@example.com", writers=[ALICE, BOB], time_zone="Europe/Berlin"
    )
    alice = CalendarUser(delegated.calendar.api_endpoint, ALICE)
    bob = CalendarUser(delegated.calendar.api_endpoint, BOB)
    first = conference_in(delegated, alice, "Alice's meeting", "2030-05-06T10:00:00")
    conference_in(delegated, bob, "Bob's meeting", "2030-05-07T10:00:00")
    assert calendar_doc(delegated, TEAM)["syncUser"] == ALICE
    edit_quietly(delegated, bob, TEAM, first, "Renamed by Bob")
    refuse_user(delegated, ALICE)
    answer = push(delegated, push_headers(channel_of(delegated, TEAM), 50))
    assert answer.json() == {"outcome": "access_revoked"}
    make_access_retry_due(delegated, TEAM)

    report = sweep(delegated)

    assert report["handed_over"] == 1
    assert report["set_up"] == 1  # finished as Bob in the same run
    doc = calendar_doc(delegated, TEAM)
    assert doc["syncUser"] == BOB
    assert doc["setupState"] == "ready"
    assert "accessRetryAt" not in doc
    assert channel_of(delegated, TEAM)["owner"] == BOB
    assert titles_updated(delegated) == ["Renamed by Bob"]  # the set-up's catch-up


def conference_in(stack: Stack, user: CalendarUser, title: str, start: str) -> str:
    """A conference created by ``user`` on the team calendar and saved onto its event."""
    end = start.replace("T10:", "T11:")
    event = user.insert(TEAM, timed_event(title, start, end))
    answer = stack.create_conference(user.email, TEAM, event["id"])
    assert answer.status_code == 200, answer.text
    user.save_conference(TEAM, event["id"], answer.json()["conferenceData"])
    settle(stack)
    return str(event["id"])
