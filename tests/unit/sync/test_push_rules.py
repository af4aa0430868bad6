"""The webhook's answer table, one case per row of docs/sync-model.md#webhook-answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.http.push_message import PushMessage, ResourceState
from shared.state.calendars import CalendarState, SetupState
from shared.state.channels import Channel, hash_token
from shared.sync.push_rules import (
    CalendarAnswer,
    CalendarChanged,
    Rejected,
    SyncMessage,
    UnknownChannel,
    answer_for_calendar,
    answer_for_channel,
)

SECRET = "the-channel-token"
CHANNEL = Channel(
    channel_id="ch-1",
    calendar_id="team@example.com",
    token_hash=hash_token(SECRET),
    resource_id="res-1",
)
NEW_CHANNEL = replace(CHANNEL, resource_id=None)  # events.watch has not returned yet


def message(
    *,
    token: str | None = SECRET,
    resource_id: str = "res-1",
    state: ResourceState = ResourceState.EXISTS,
) -> PushMessage:
    return PushMessage(
        channel_id="ch-1",
        message_number=2,
        resource_id=resource_id,
        resource_state=state,
        token=token,
    )


@pytest.mark.parametrize(
    ("channel", "msg", "expected"),
    [
        pytest.param(None, message(), UnknownChannel(), id="unknown-channel"),
        pytest.param(None, message(token="wrong"), UnknownChannel(), id="unknown-before-token"),
        pytest.param(
            CHANNEL,
            message(token="wrong"),
            Rejected("channel token mismatch"),
            id="wrong-token-401",
        ),
        pytest.param(
            CHANNEL, message(token=None), Rejected("channel token mismatch"), id="no-token-401"
        ),
        pytest.param(
            CHANNEL,
            message(token="wrong", resource_id="res-2"),
            Rejected("channel token mismatch"),
            id="token-checked-before-resource",
        ),
        pytest.param(
            CHANNEL,
            message(resource_id="res-2"),
            Rejected("resource id mismatch"),
            id="wrong-resource-401",
        ),
        pytest.param(
            NEW_CHANNEL,
            message(token="wrong", state=ResourceState.SYNC),
            Rejected("channel token mismatch"),
            id="first-sync-with-wrong-token-401",
        ),
        pytest.param(
            CHANNEL,
            message(state=ResourceState.SYNC),
            SyncMessage(CHANNEL, record_resource_id=False),
            id="sync-message",
        ),
        pytest.param(
            NEW_CHANNEL,
            message(state=ResourceState.SYNC),
            SyncMessage(NEW_CHANNEL, record_resource_id=True),
            id="sync-message-before-watch-records-resource",
        ),
        pytest.param(
            CHANNEL, message(), CalendarChanged(CHANNEL, record_resource_id=False), id="exists"
        ),
        pytest.param(
            CHANNEL,
            message(state=ResourceState.NOT_EXISTS),
            CalendarChanged(CHANNEL, record_resource_id=False),
            id="not-exists-like-exists",
        ),
        pytest.param(
            NEW_CHANNEL,
            message(resource_id="res-9"),
            CalendarChanged(NEW_CHANNEL, record_resource_id=True),
            id="change-before-watch-records-resource",
        ),
        pytest.param(
            replace(CHANNEL, resource_id=""),
            message(),
            CalendarChanged(replace(CHANNEL, resource_id=""), record_resource_id=True),
            id="empty-resource-counts-as-none",
        ),
    ],
)
def test_answer_for_channel(channel: Channel | None, msg: PushMessage, expected: object) -> None:
    assert answer_for_channel(channel, msg) == expected


NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def calendar(state: SetupState, quota_retry_at: datetime | None = None) -> CalendarState:
    return CalendarState(
        calendar_id="team@example.com",
        sync_user="u@example.com",
        setup_state=state,
        quota_retry_at=quota_retry_at,
    )


@pytest.mark.parametrize(
    ("calendar_state", "expected"),
    [
        pytest.param(None, CalendarAnswer.NOT_SET_UP, id="no-calendar-document"),
        pytest.param(calendar(SetupState.PENDING), CalendarAnswer.NOT_SET_UP, id="pending"),
        pytest.param(
            calendar(SetupState.WATCH_FAILED), CalendarAnswer.NOT_SET_UP, id="watch-failed"
        ),
        pytest.param(
            calendar(SetupState.ACCESS_REVOKED), CalendarAnswer.NOT_SET_UP, id="access-revoked"
        ),
        pytest.param(calendar(SetupState.READY), CalendarAnswer.SYNC, id="ready-sync"),
        pytest.param(
            calendar(SetupState.READY, NOW + timedelta(minutes=30)),
            CalendarAnswer.BACKING_OFF,
            id="quota-back-off-counted-only",
        ),
        pytest.param(
            calendar(SetupState.READY, NOW), CalendarAnswer.SYNC, id="quota-back-off-over-sync"
        ),
        pytest.param(
            calendar(SetupState.ACCESS_REVOKED, NOW + timedelta(minutes=30)),
            CalendarAnswer.NOT_SET_UP,
            id="not-set-up-before-back-off",
        ),
    ],
)
def test_answer_for_calendar(
    calendar_state: CalendarState | None, expected: CalendarAnswer
) -> None:
    assert answer_for_calendar(calendar_state, NOW) is expected


tokens = st.one_of(st.none(), st.sampled_from([SECRET, "", "wrong"]), st.text(max_size=8))
resources = st.sampled_from(["res-1", "res-2", ""])


@settings(deadline=None, derandomize=True, max_examples=100)
@given(
    token=tokens,
    resource_id=resources,
    stored_resource=st.sampled_from([None, "", "res-1"]),
    state=st.sampled_from(list(ResourceState)),
)
def test_only_a_verified_message_goes_on_and_only_a_new_channel_records_its_resource(
    token: str | None, resource_id: str, stored_resource: str | None, state: ResourceState
) -> None:
    channel = replace(CHANNEL, resource_id=stored_resource)

    decision = answer_for_channel(
        channel, message(token=token, resource_id=resource_id, state=state)
    )

    verified = token == SECRET and (not stored_resource or stored_resource == resource_id)
    assert isinstance(decision, SyncMessage | CalendarChanged) is verified
    if isinstance(decision, SyncMessage | CalendarChanged):
        assert decision.channel == channel
        assert decision.record_resource_id is (not stored_resource)
        assert isinstance(decision, SyncMessage) is (state is ResourceState.SYNC)
