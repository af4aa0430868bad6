"""The ``zoom`` provider when Zoom misbehaves: tokens, retries, refusals, lost answers
(exactly one meeting per creation), and secrets."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
import requests

from local.fakes.zoom_server import ZoomServer
from local.ports import free_port
from shared.clock import utcnow
from shared.conferences.conference_data import validate_conference_data
from shared.conferences.solutions import Solution
from shared.errors import (
    AccessDenied,
    CreationUnconfirmed,
    HostLimitReached,
    InvalidConferenceData,
    MeetingBusy,
    MeetingCallFailed,
    MeetingRefusal,
    MeetingRefused,
    NotFound,
    PermanentFailure,
    ProviderAccountFailure,
    TransientFailure,
)
from shared.providers.zoom import provider as zoom_provider
from shared.providers.zoom.provider import BUSY_RETRY_SECONDS, ZoomProvider, creation_marker
from tests.support.zoom_fixtures import (
    ACCOUNT_ID,
    CLIENT_ID,
    HOST_EMAIL,
    OTHER_HOST_EMAIL,
    FakeClock,
    ProviderFactory,
    spec,
)

# -- the access token ------------------------------------------------------------------------


def test_one_token_serves_many_calls(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    first = provider.create(spec(), solution, HOST_EMAIL, "k1")
    provider.create(spec(), solution, HOST_EMAIL, "k2")
    provider.update(first.meeting_id, spec(title="x"), solution, HOST_EMAIL)
    provider.delete(first.meeting_id)

    assert zoom.count("token") == 1
    assert zoom.calls("token")[0].query == {
        "grant_type": "account_credentials",
        "account_id": ACCOUNT_ID,
    }


def test_the_token_is_renewed_before_it_expires(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    provider.create(spec(), solution, HOST_EMAIL, "k1")
    clock.advance(3600 - 59)  # inside the last minute of the token's hour

    provider.create(spec(), solution, HOST_EMAIL, "k2")

    assert zoom.count("token") == 2
    assert [call.status for call in zoom.calls("create")] == [201, 201]


def test_a_token_refused_mid_run_is_renewed_once(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    provider.create(spec(), solution, HOST_EMAIL, "k1")
    zoom.expire_tokens()

    provider.create(spec(), solution, HOST_EMAIL, "k2")

    assert zoom.count("token") == 2
    assert [call.status for call in zoom.calls("create")] == [201, 401, 201]


def test_a_second_401_is_permanent(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.set_token_ttl(0)  # every token is born expired

    with pytest.raises(ProviderAccountFailure, match="code 124") as caught:
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert caught.value.setting == "ZOOM_API_BASE"
    assert zoom.count("token") == 2
    assert [call.status for call in zoom.calls("create")] == [401, 401]


def test_threads_share_one_token_and_keep_their_own_sessions(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution
) -> None:
    sessions: list[requests.Session] = []
    guard = threading.Lock()

    def new_session() -> requests.Session:
        session = requests.Session()
        with guard:
            sessions.append(session)
        return session

    provider = make_provider(session_factory=new_session)
    created: list[str] = []

    def work(thread: int) -> None:
        for n in range(3):
            meeting = provider.create(spec(), solution, HOST_EMAIL, f"{thread}-{n}")
            with guard:
                created.append(meeting.meeting_id)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert zoom.count("token") == 1
    assert len(set(created)) == 12
    assert len(sessions) == 4


def test_wrong_credentials_are_permanent_and_named(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution
) -> None:
    provider = make_provider(client_secret="not-the-secret")

    with pytest.raises(ProviderAccountFailure) as caught:
        provider.create(spec(), solution, HOST_EMAIL, "k")

    message = str(caught.value)
    assert caught.value.setting == "ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET"
    assert "invalid_client" in message
    assert "ZOOM_CLIENT_SECRET" in message
    assert "not-the-secret" not in message
    assert zoom.count("token") == 1
    assert zoom.count("create") == 0


def test_the_token_endpoint_recovers_from_a_5xx(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    zoom.inject("token", "status", status=502)

    provider.create(spec(), solution, HOST_EMAIL, "k")

    assert [call.status for call in zoom.calls("token")] == [502, 200]
    assert len(clock.sleeps) == 1


def test_a_missing_scope_is_permanent_and_named(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.set_scopes(CLIENT_ID, ("meeting:read:admin",))

    with pytest.raises(ProviderAccountFailure, match="meeting:write:meeting:admin") as caught:
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert caught.value.setting == "meeting:write:meeting:admin (classic: meeting:write:admin)"
    assert not isinstance(caught.value, MeetingRefusal)
    assert zoom.count("create") == 1


# -- retries ---------------------------------------------------------------------------------


def test_retry_after_in_seconds_is_honoured(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    zoom.inject("create", "rate_limit", retry_after="2")

    provider.create(spec(), solution, HOST_EMAIL, "k")

    assert clock.sleeps == [2.0]
    assert [call.status for call in zoom.calls("create")] == [429, 201]
    assert zoom.count("list") == 0  # a 429 made nothing: no need to look


def test_retry_after_as_a_date_time_is_honoured(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    at = (utcnow() + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    zoom.inject("create", "rate_limit", daily=True, retry_after=at)

    provider.create(spec(), solution, HOST_EMAIL, "k")

    [waited] = clock.sleeps
    assert 1.0 < waited <= 3.0
    assert [call.status for call in zoom.calls("create")] == [429, 201]


def test_a_daily_limit_beyond_the_budget_gives_up_at_once(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    zoom.inject("create", "rate_limit", daily=True)  # Retry-After: next 00:00 UTC

    with pytest.raises(HostLimitReached) as caught:
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert caught.value.retry_after is not None
    assert 8.0 < caught.value.retry_after <= 24 * 3600
    assert clock.sleeps == []
    assert zoom.count("create") == 1


def test_a_429_without_retry_after_backs_off(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    zoom.inject("create", "rate_limit")

    provider.create(spec(), solution, HOST_EMAIL, "k")

    [waited] = clock.sleeps
    assert 0.0 <= waited <= 0.25


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_then_recovery(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock, status: int
) -> None:
    zoom.inject("create", "status", status=status, count=2)

    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    assert meeting.meeting_id
    assert [call.status for call in zoom.calls("create")] == [status, status, 201]
    assert zoom.count("list") == 2  # after each 5xx: did Zoom make it all the same?
    assert len(clock.sleeps) == 2
    assert [m["id"] for m in zoom.meetings()] == [int(meeting.meeting_id)]


def test_zoom_down_beyond_the_budget_is_transient(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    zoom.inject("*", "status", status=503, count=1000)

    with pytest.raises(TransientFailure, match="HTTP 503"):
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert sum(clock.sleeps) <= 8.0
    assert len(clock.sleeps) >= 1


def test_a_timeout_is_retried(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution, clock: FakeClock
) -> None:
    provider = make_provider(timeout=0.3)
    provider.create(spec(), solution, HOST_EMAIL, "warm-up")  # the token, before the delay
    zoom.inject("get", "delay", delay=2.0)
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    updated = provider.update(meeting.meeting_id, spec(), solution, HOST_EMAIL)

    assert updated.meeting_id == meeting.meeting_id
    assert len(clock.sleeps) == 1
    assert zoom.count("get") >= 1


def test_zoom_unreachable_is_transient(
    make_provider: ProviderFactory, solution: Solution, clock: FakeClock
) -> None:
    port = free_port()
    provider = make_provider(
        api_base=f"http://127.0.0.1:{port}/v2", oauth_url=f"http://127.0.0.1:{port}/oauth/token"
    )

    with pytest.raises(TransientFailure, match="could not be reached"):
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert sum(clock.sleeps) <= 8.0


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        pytest.param("update", "update", id="patch"),
        pytest.param("get", "update", id="read-after-patch"),
        pytest.param("delete", "delete", id="delete"),
    ],
)
def test_a_meeting_whose_calls_keep_failing_is_that_meetings_failure(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, operation: str, call: str
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.inject(operation, "status", status=500, count=1000)

    def act() -> None:
        if call == "update":
            provider.update(meeting.meeting_id, spec(title="x"), solution, HOST_EMAIL)
        else:
            provider.delete(meeting.meeting_id)

    with pytest.raises(MeetingCallFailed, match="HTTP 500"):
        act()

    assert zoom.count(operation) >= 2  # retried within the budget first


@pytest.mark.parametrize("failing", ["token", "unreachable"])
def test_failures_of_every_call_are_not_one_meetings(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution, failing: str
) -> None:
    meeting = make_provider().create(spec(), solution, HOST_EMAIL, "k")
    if failing == "token":
        provider = make_provider()  # a fresh instance: it needs a token first
        zoom.inject("token", "status", status=503, count=1000)
    else:
        port = free_port()
        provider = make_provider(
            api_base=f"http://127.0.0.1:{port}/v2", oauth_url=f"http://127.0.0.1:{port}/t"
        )

    with pytest.raises(TransientFailure) as caught:
        provider.update(meeting.meeting_id, spec(title="x"), solution, HOST_EMAIL)

    assert not isinstance(caught.value, MeetingCallFailed | MeetingRefusal)


# -- refusals and unreadable answers ---------------------------------------------------------


@pytest.mark.parametrize("host", ["nobody@example.com", OTHER_HOST_EMAIL])
def test_a_host_unknown_to_the_account_is_access_denied(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, host: str
) -> None:
    with pytest.raises(AccessDenied):
        provider.create(spec(), solution, host, "k")

    assert zoom.count("create") == 1  # not retried


def test_updating_a_deleted_meeting_is_not_found(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    provider.delete(meeting.meeting_id)

    with pytest.raises(NotFound):
        provider.update(meeting.meeting_id, spec(), solution, HOST_EMAIL)


def test_a_meeting_id_that_is_not_zooms_is_refused(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    with pytest.raises(PermanentFailure):
        provider.update("../users/me", spec(), solution, HOST_EMAIL)

    assert zoom.calls() == []


@pytest.mark.parametrize(
    ("kind", "creates", "reads"),
    [("missing_fields", 1, 1), ("non_json", 2, 0)],
    ids=["made-but-unreadable", "nothing-made"],  # the local Zoom's non_json makes nothing
)
def test_an_unreadable_create_answer_is_resolved_by_looking(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    kind: str,
    creates: int,
    reads: int,
) -> None:
    zoom.inject("create", kind)

    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")

    [stored] = zoom.meetings()
    assert zoom.count("create") == creates
    assert (zoom.count("list"), zoom.count("get")) == (1, reads)
    assert meeting.meeting_id == str(stored["id"])
    assert meeting.conference_data["entryPoints"][0]["uri"] == stored["join_url"]


def test_an_unreadable_meeting_on_update_is_transient(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.inject("get", "missing_fields", drop=("join_url",))

    with pytest.raises(TransientFailure, match="join_url"):
        provider.update(meeting.meeting_id, spec(), solution, HOST_EMAIL)


def test_a_non_json_token_answer_is_transient(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.inject("token", "non_json", count=1000)

    with pytest.raises(TransientFailure, match="not JSON"):
        provider.create(spec(), solution, HOST_EMAIL, "k")


# -- exactly one meeting per creation ---------------------------------------------------------


def test_a_create_whose_answer_is_lost_leaves_one_meeting(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution, clock: FakeClock
) -> None:
    provider = make_provider(timeout=0.3)
    zoom.inject("create", "hold")  # Zoom makes the meeting; its answer comes too late

    meeting = provider.create(spec(), solution, HOST_EMAIL, "key-1")
    held_meanwhile = zoom.store.held
    assert zoom.release()

    [stored] = zoom.meetings()
    assert held_meanwhile == 1
    assert meeting.meeting_id == str(stored["id"])
    assert creation_marker("key-1") in stored["agenda"]
    assert [call.status for call in zoom.calls("create")] == [201]  # sent once, answered late
    assert [call.query for call in zoom.calls("list")] == [
        {"type": "scheduled", "page_size": "300"}
    ]
    assert zoom.count("get") == 1
    assert len(clock.sleeps) == 1
    assert meeting.conference_data["conferenceId"] == meeting.meeting_id
    validate_conference_data(meeting.conference_data)


def test_a_lost_answer_that_cannot_be_confirmed_is_not_sent_again(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution, clock: FakeClock
) -> None:
    provider = make_provider(timeout=0.3)
    zoom.inject("create", "hold")
    zoom.inject("list", "status", status=503, count=1000)

    with pytest.raises(CreationUnconfirmed) as caught:
        provider.create(spec(), solution, HOST_EMAIL, "key-1")
    assert zoom.release()
    zoom.store.faults.clear()
    found = provider.create(spec(), solution, HOST_EMAIL, "key-1", may_exist=True)

    [stored] = zoom.meetings()
    assert isinstance(caught.value, TransientFailure)  # TEMPORARY for the creation flow
    assert "may_exist" in str(caught.value)
    assert zoom.count("list") >= 2
    assert 0 < sum(clock.sleeps) <= 8.0
    assert found.meeting_id == str(stored["id"])
    assert [call.status for call in zoom.calls("create")] == [201]


def test_a_taken_over_creation_finds_the_meeting_made_before_the_crash(
    zoom: ZoomServer, make_provider: ProviderFactory, solution: Solution
) -> None:
    crashed = make_provider()
    made = crashed.create(spec(), solution, HOST_EMAIL, "key-1")  # then its holder died
    successor = make_provider()

    found = successor.create(spec(), solution, HOST_EMAIL, "key-1", may_exist=True)

    assert found.meeting_id == made.meeting_id
    assert found.conference_data == made.conference_data
    assert zoom.count("create") == 1
    assert len(zoom.meetings()) == 1


def test_a_taken_over_creation_without_a_meeting_yet_creates_it(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    other = provider.create(spec(), solution, HOST_EMAIL, "another-creation")

    meeting = provider.create(spec(), solution, HOST_EMAIL, "key-1", may_exist=True)

    assert meeting.meeting_id != other.meeting_id
    assert (zoom.count("list"), zoom.count("create")) == (1, 2)
    assert len(zoom.meetings()) == 2


def test_the_look_pages_through_the_hosts_meetings(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zoom_provider, "LIST_PAGE_SIZE", 2)
    for n in range(4):
        provider.create(spec(), solution, HOST_EMAIL, f"other-{n}")
    made = provider.create(spec(), solution, HOST_EMAIL, "key-1")  # listed fifth

    found = provider.create(spec(), solution, HOST_EMAIL, "key-1", may_exist=True)

    queries = [call.query for call in zoom.calls("list")]
    assert found.meeting_id == made.meeting_id
    assert len(queries) == 3
    assert "next_page_token" not in queries[0]
    assert all(query["next_page_token"] for query in queries[1:])
    assert zoom.count("create") == 5


def test_a_refused_listing_is_temporary_and_names_the_scope(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    zoom.set_scopes(CLIENT_ID, ("meeting:write:meeting:admin", "meeting:read:meeting:admin"))

    with pytest.raises(CreationUnconfirmed, match="meeting:read:list_meetings:admin"):
        provider.create(spec(), solution, HOST_EMAIL, "key-1", may_exist=True)

    [logged] = [
        record
        for record in caplog.records
        if record.getMessage().startswith("zoom refused to look for a meeting")
    ]
    assert logged.levelno == logging.WARNING
    assert getattr(logged, "json_fields", {})["scope"] == (
        "meeting:read:list_meetings:admin (classic: meeting:read:admin)"
    )
    assert [call.status for call in zoom.calls("list")] == [400]  # not retried
    assert zoom.count("create") == 0


def test_a_refused_read_of_the_meeting_found_is_temporary_too(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    made = provider.create(spec(), solution, HOST_EMAIL, "key-1")
    zoom.set_scopes(CLIENT_ID, ("meeting:write:meeting:admin", "meeting:read:list_meetings:admin"))

    with pytest.raises(CreationUnconfirmed, match=r"meeting:read:meeting:admin"):
        provider.create(spec(), solution, HOST_EMAIL, "key-1", may_exist=True)

    assert [call.status for call in zoom.calls("get")] == [400]
    assert [m["id"] for m in zoom.meetings()] == [int(made.meeting_id)]
    assert zoom.count("create") == 1


def test_without_the_list_scope_meetings_are_still_made_changed_and_deleted(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.set_scopes(
        CLIENT_ID,
        (
            "meeting:write:meeting:admin",
            "meeting:update:meeting:admin",
            "meeting:delete:meeting:admin",
            "meeting:read:meeting:admin",
        ),
    )

    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    provider.update(meeting.meeting_id, spec(title="Moved"), solution, HOST_EMAIL)
    provider.delete(meeting.meeting_id)

    assert zoom.count("list") == 0
    assert zoom.meetings() == []


def test_looking_for_the_meeting_of_an_unknown_host_is_access_denied(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    with pytest.raises(AccessDenied):
        provider.create(spec(), solution, "nobody@example.com", "k", may_exist=True)

    assert [call.status for call in zoom.calls("list")] == [404]
    assert zoom.count("create") == 0


def test_conference_data_that_breaks_a_calendar_rule_deletes_the_meeting(
    zoom: ZoomServer, provider: ZoomProvider
) -> None:
    # The solutionId parameter would exceed Calendar's 1024 characters.
    broken = Solution("x" * 2000, "Zoom Meeting")

    with pytest.raises(InvalidConferenceData, match="solutionId"):
        provider.create(spec(), broken, HOST_EMAIL, "k")

    assert zoom.count("create") == 1
    assert [call.status for call in zoom.calls("delete")] == [204]
    assert zoom.meetings() == []


# -- refusals of one meeting, and of the whole account ---------------------------------------


def test_deleting_a_meeting_in_progress_is_busy_and_left_for_later(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.set_meeting_state(meeting.meeting_id, "started")

    with pytest.raises(MeetingBusy) as caught:
        provider.delete(meeting.meeting_id)

    assert isinstance(caught.value, TransientFailure)
    assert caught.value.retry_after == BUSY_RETRY_SECONDS
    assert "Zoom code 3002" in str(caught.value)
    assert [call.status for call in zoom.calls("delete")] == [400]
    assert clock.sleeps == []  # not waited for here: the caller tries again later
    assert zoom.meeting(meeting.meeting_id) is not None


def test_deleting_a_meeting_that_has_ended_counts_as_done(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.set_meeting_state(meeting.meeting_id, "ended")

    provider.delete(meeting.meeting_id)

    assert [call.status for call in zoom.calls("delete")] == [400]
    assert "zoom meeting has ended; counted as deleted" in [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    ("state", "kind", "code"),
    [("started", MeetingBusy, 3002), ("ended", MeetingRefused, 3007)],
)
def test_updating_a_meeting_in_progress_or_ended_is_refused_for_that_meeting(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    state: str,
    kind: type[Exception],
    code: int,
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.set_meeting_state(meeting.meeting_id, state)

    with pytest.raises(kind, match=f"Zoom code {code}") as caught:
        provider.update(meeting.meeting_id, spec(title="Moved"), solution, HOST_EMAIL)

    assert isinstance(caught.value, MeetingRefusal)
    assert [call.status for call in zoom.calls("update")] == [400]


def test_another_4xx_about_one_meeting_is_a_meeting_refusal(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.inject("update", "status", status=400)

    with pytest.raises(MeetingRefused, match="HTTP 400") as caught:
        provider.update(meeting.meeting_id, spec(title="Moved"), solution, HOST_EMAIL)

    assert isinstance(caught.value, PermanentFailure)
    assert not isinstance(caught.value, ProviderAccountFailure)


def test_a_per_second_limit_is_no_host_limit(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution, clock: FakeClock
) -> None:
    zoom.inject("create", "rate_limit", retry_after="60")

    with pytest.raises(TransientFailure) as caught:
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert not isinstance(caught.value, MeetingRefusal)
    assert caught.value.retry_after == 60.0
    assert zoom.count("list") == 0


def test_an_account_failure_is_logged_as_an_error(
    zoom: ZoomServer,
    provider: ZoomProvider,
    solution: Solution,
    caplog: pytest.LogCaptureFixture,
) -> None:
    meeting = provider.create(spec(), solution, HOST_EMAIL, "k")
    zoom.set_scopes(CLIENT_ID, ("meeting:write:admin",))

    with pytest.raises(ProviderAccountFailure) as caught:
        provider.update(meeting.meeting_id, spec(), solution, HOST_EMAIL)

    [logged] = [r for r in caplog.records if r.getMessage() == "zoom refused a call"]
    assert caught.value.setting == "meeting:read:meeting:admin (classic: meeting:read:admin)"
    assert logged.levelno == logging.ERROR
    assert getattr(logged, "json_fields", {})["outcome"] == "ProviderAccountFailure"


def test_a_token_endpoint_that_is_not_zooms_is_an_account_failure(
    zoom: ZoomServer, provider: ZoomProvider, solution: Solution
) -> None:
    zoom.inject("token", "status", status=404)

    with pytest.raises(ProviderAccountFailure, match="ZOOM_OAUTH_URL") as caught:
        provider.create(spec(), solution, HOST_EMAIL, "k")

    assert caught.value.setting == "ZOOM_OAUTH_URL"
    assert zoom.count("create") == 0


# -- secrets stay out of logs and errors -----------------------------------------------------

CANARY_SECRET = "canary-secret-5c1e"
CANARY_EMAIL = "canary.host.7d2@example.com"
CANARY_TITLE = "Canary title 3a9f"
CANARY_DESCRIPTION = "Canary description 8b40"


def _chain(error: BaseException) -> str:
    """The text of an exception and of everything it was raised from."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current)]
        current = current.__cause__
    return "\n".join(parts)


def _record_text(record: logging.LogRecord) -> str:
    return "\n".join(
        [
            record.getMessage(),
            json.dumps(getattr(record, "json_fields", {}), default=str),
            record.exc_text or "",
        ]
    )


def test_secrets_tokens_and_personal_data_never_leak(
    zoom: ZoomServer,
    make_provider: ProviderFactory,
    solution: Solution,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    zoom.add_account("acct-canary", "client-canary", CANARY_SECRET)
    zoom.add_user("acct-canary", CANARY_EMAIL)
    provider = make_provider(
        account_id="acct-canary", client_id="client-canary", client_secret=CANARY_SECRET
    )
    canary_spec = spec(title=CANARY_TITLE, description=CANARY_DESCRIPTION)
    errors: list[BaseException] = []

    def attempt(action: Any) -> None:
        try:
            action()
        except Exception as err:  # every failure is collected and checked below
            errors.append(err)

    meeting = provider.create(canary_spec, solution, CANARY_EMAIL, "k")
    provider.update(meeting.meeting_id, canary_spec, solution, CANARY_EMAIL)
    zoom.expire_tokens()
    provider.update(meeting.meeting_id, canary_spec, solution, CANARY_EMAIL)
    zoom.inject("create", "status", status=503, count=1000)
    attempt(lambda: provider.create(canary_spec, solution, CANARY_EMAIL, "k"))
    zoom.store.faults.clear()
    zoom.inject("create", "non_json")
    attempt(lambda: provider.create(canary_spec, solution, CANARY_EMAIL, "k"))
    attempt(lambda: provider.create(canary_spec, solution, "nobody." + CANARY_EMAIL, "k"))
    port = free_port()
    unreachable = make_provider(
        account_id="acct-canary",
        client_id="client-canary",
        client_secret=CANARY_SECRET,
        api_base=f"http://127.0.0.1:{port}/v2",
        oauth_url=f"http://127.0.0.1:{port}/oauth/token",
    )
    attempt(lambda: unreachable.create(canary_spec, solution, CANARY_EMAIL, "k"))
    wrong = make_provider(account_id="acct-canary", client_id="client-canary", client_secret="x")
    attempt(lambda: wrong.create(canary_spec, solution, CANARY_EMAIL, "k"))
    provider.delete(meeting.meeting_id)
    provider.delete(meeting.meeting_id)

    tokens = list(zoom.store.tokens)
    canaries = [CANARY_SECRET, CANARY_EMAIL, "canary.host", CANARY_TITLE, CANARY_DESCRIPTION]
    canaries += [*tokens, "zak=", "/s/"]
    ours = [r for r in caplog.records if r.name.startswith("shared.")]
    logged = "\n".join(_record_text(r) for r in ours)
    raised = "\n".join(_chain(err) for err in errors)
    assert len(tokens) >= 2
    assert len(errors) == 4  # the non-JSON create answer is resolved by looking
    assert ours
    for canary in canaries:
        assert canary not in logged
        assert canary not in raised
    assert canary_spec.title not in repr(provider)
    assert CANARY_SECRET not in repr(provider)
