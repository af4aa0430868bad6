"""The webhook's answer table: pure decisions over the channel, the message, the calendar.

Two steps, so that the shell reads no more than it needs: :func:`answer_for_channel`
over the channel document (None if unknown) and the message, then, only for a change
message on a known and verified channel, :func:`answer_for_calendar` over the
calendar's document. ``shared/sync/push.py`` reads and writes, and carries the answer
out. See docs/sync-model.md#webhook-answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.http.push_message import PushMessage, ResourceState
from shared.state.calendars import CalendarState, SetupState
from shared.state.channels import Channel


@dataclass(frozen=True)
class UnknownChannel:
    """200 ``unknown_channel``: logged, nothing done."""


@dataclass(frozen=True)
class Rejected:
    """401: the token or the resource id does not match the channel's."""

    reason: str


@dataclass(frozen=True)
class SyncMessage:
    """200 ``sync_message``: a channel's first message needs no work."""

    channel: Channel
    record_resource_id: bool  # it beat events.watch: its resource id is recorded first


@dataclass(frozen=True)
class CalendarChanged:
    """Go on: read the calendar's document, then :func:`answer_for_calendar`."""

    channel: Channel
    record_resource_id: bool


PushDecision = UnknownChannel | Rejected | SyncMessage | CalendarChanged


class CalendarAnswer(StrEnum):
    NOT_SET_UP = "not_set_up"  # 200: the sweep's set-up catches up
    BACKING_OFF = "backing_off"  # 200: counted; Calendar's quota ran out, the sweep resumes
    SYNC = "sync"  # sync under the calendar's lease (synced, coalesced, ...)


def answer_for_channel(channel: Channel | None, message: PushMessage) -> PushDecision:
    """The channel, token (constant-time) and resource-id checks, in order.

    See docs/sync-model.md#webhook-answers.
    """
    if channel is None:
        return UnknownChannel()
    if not channel.token_matches(message.token):
        return Rejected("channel token mismatch")
    if channel.resource_id and channel.resource_id != message.resource_id:
        return Rejected("resource id mismatch")
    record_resource_id = not channel.resource_id
    if message.resource_state is ResourceState.SYNC:
        return SyncMessage(channel, record_resource_id)
    return CalendarChanged(channel, record_resource_id)


def answer_for_calendar(calendar_state: CalendarState | None, now: datetime) -> CalendarAnswer:
    """A change message on a verified channel: sync only a calendar that is set up and
    does not back off after Calendar's quota ran out.

    See docs/sync-model.md#webhook-answers.
    """
    if calendar_state is None or calendar_state.setup_state is not SetupState.READY:
        return CalendarAnswer.NOT_SET_UP
    if calendar_state.backs_off(now):
        return CalendarAnswer.BACKING_OFF
    return CalendarAnswer.SYNC
