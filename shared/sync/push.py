"""Handling one Calendar push message.

Checks, in order (nothing before them calls Calendar or writes): the channel must be
known (unknown: nothing to do), its token must match (constant-time) and its resource id
too (a ``sync`` message that beat ``events.watch`` finds none stored yet and records
it). A ``sync`` message needs no work. Otherwise the message is counted on the calendar
and the sync lease is tried: a message that finds the lease held is thereby coalesced
into the running sync; the holder syncs pass after pass until no message arrived during
a pass. Transient failures give the lease up and propagate (the edge answers 503, so
Calendar retries), with the old sync token kept.
"""

from __future__ import annotations

import logging

from shared.errors import Unauthenticated
from shared.http.push_message import PushMessage, ResourceState
from shared.state.calendars import CalendarStore, SetupState
from shared.state.channels import ChannelStore
from shared.structured_logging import fields
from shared.sync.lease import LeasedSync, Outcome

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
        channel = self._channel_store.get_channel(message.channel_id)
        if channel is None:
            logger.info("push message for an unknown channel", extra=fields(**log))
            return Outcome.UNKNOWN_CHANNEL
        if not channel.token_matches(message.token):
            raise Unauthenticated("channel token mismatch")
        if channel.resource_id and channel.resource_id != message.resource_id:
            raise Unauthenticated("resource id mismatch")
        if not channel.resource_id:
            self._channel_store.record_resource_id(channel.channel_id, message.resource_id)
        if message.resource_state is ResourceState.SYNC:
            logger.info("channel sync message", extra=fields(**log))
            return Outcome.SYNC_MESSAGE
        calendar = self._calendar_store.get_calendar(channel.calendar_id)
        if calendar is None or calendar.setup_state is not SetupState.READY:
            logger.info(
                "calendar not set up for sync (yet)",
                extra=fields(**log, calendar_id=channel.calendar_id),
            )
            return Outcome.NOT_SET_UP
        outcome = self._leased_sync.sync_now(channel.calendar_id)
        logger.info(
            "push message handled",
            extra=fields(**log, calendar_id=channel.calendar_id, outcome=outcome.value),
        )
        return outcome
