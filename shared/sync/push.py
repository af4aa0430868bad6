"""Handling one Calendar push message: the shell of the webhook's answer table.

The answers are decided by the pure functions of ``shared/sync/push_rules.py`` (see
docs/sync-model.md#webhook-answers); this module reads the channel (and, for a change
message on a verified channel, the calendar), records a first resource id, and runs the
sync. Nothing before the channel, token and resource-id checks calls Calendar or writes.
A change message is counted on the calendar and the sync lease is tried: a message that
finds the lease held is thereby coalesced into the running sync. Transient failures give
the lease up and propagate (the edge answers 503, so Calendar retries), with the old
sync token kept.
"""

from __future__ import annotations

import logging

from shared.clock import utcnow
from shared.errors import Unauthenticated
from shared.http.push_message import PushMessage
from shared.state.calendars import CalendarStore
from shared.state.channels import ChannelStore
from shared.structured_logging import fields
from shared.sync.lease import LeasedSync, Outcome
from shared.sync.push_rules import (
    CalendarAnswer,
    Rejected,
    SyncMessage,
    UnknownChannel,
    answer_for_calendar,
    answer_for_channel,
)

logger = logging.getLogger(__name__)


class PushHandler:
    def __init__(
        self,
        *,
        calendar_store: CalendarStore,
        channel_store: ChannelStore,
        leased_sync: LeasedSync,
    ) -> None:
        self._calendar_store = calendar_store
        self._channel_store = channel_store
        self._leased_sync = leased_sync

    def handle(self, message: PushMessage) -> Outcome:
        log = {"channel_id": message.channel_id, "message_number": message.message_number}
        decision = answer_for_channel(self._channel_store.get_channel(message.channel_id), message)
        if isinstance(decision, UnknownChannel):
            logger.info("push message for an unknown channel", extra=fields(**log))
            return Outcome.UNKNOWN_CHANNEL
        if isinstance(decision, Rejected):
            raise Unauthenticated(decision.reason)
        channel = decision.channel
        if decision.record_resource_id:
            self._channel_store.record_resource_id(channel.channel_id, message.resource_id)
        if isinstance(decision, SyncMessage):
            logger.info("channel sync message", extra=fields(**log))
            return Outcome.SYNC_MESSAGE
        calendar = self._calendar_store.get_calendar(channel.calendar_id)
        answer = answer_for_calendar(calendar, utcnow())
        if answer is CalendarAnswer.NOT_SET_UP:
            logger.info(
                "calendar not set up for sync (yet)",
                extra=fields(**log, calendar_id=channel.calendar_id),
            )
            return Outcome.NOT_SET_UP
        if answer is CalendarAnswer.BACKING_OFF:
            outcome = self._leased_sync.count_only(channel.calendar_id)
        else:
            outcome = self._leased_sync.sync_now(channel.calendar_id)
        logger.info(
            "push message handled",
            extra=fields(**log, calendar_id=channel.calendar_id, outcome=outcome.value),
        )
        return outcome
