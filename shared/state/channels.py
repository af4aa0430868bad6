"""Push channels (``channels/{channel id}``), looked up by the webhook.

A channel document is written *before* ``events.watch`` is called, because Calendar's
first ``sync`` message can arrive before the watch call returns. Only a hash of each
channel's secret token is kept. The channel id is the document id: ours are always valid
ones; a message's id that Firestore could not store (``a/b``, ``__x__``: Calendar's
alphabet allows them) names no channel, and is answered without a read.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.clock import utcnow
from shared.state.firestore_client import as_dict, is_document_id, translated_errors

logger = logging.getLogger(__name__)

CHANNELS = "channels"


@dataclass(frozen=True)
class Channel:
    channel_id: str
    calendar_id: str
    token_hash: str
    resource_id: str | None = None
    expiration: datetime | None = None
    stopped: bool = False

    def token_matches(self, token: str | None) -> bool:
        """Constant-time comparison of a message's token with ours."""
        return hmac.compare_digest(hash_token(token or ""), self.token_hash)

    @staticmethod
    def from_doc(data: dict[str, Any]) -> Channel:
        return Channel(
            channel_id=data["channelId"],
            calendar_id=data["calendarId"],
            token_hash=data["tokenHash"],
            resource_id=data.get("resourceId"),
            expiration=data.get("expiration"),
            stopped=bool(data.get("stopped", False)),
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_channel_secrets() -> tuple[str, str]:
    """A fresh channel id (<= 64 chars of Calendar's alphabet) and a 256-bit token."""
    return "ch-" + secrets.token_hex(20), secrets.token_urlsafe(32)


class ChannelStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime] = utcnow) -> None:
        self._client = client
        self._clock = clock
        self._channels = client.collection(CHANNELS)

    def save_channel(self, channel_id: str, calendar_id: str, token: str) -> Channel:
        data = {
            "channelId": channel_id,
            "calendarId": calendar_id,
            "tokenHash": hash_token(token),
            "resourceId": None,
            "expiration": None,
            "stopped": False,
            "createdAt": self._clock(),
        }
        with translated_errors("channel write"):
            self._channels.document(channel_id).create(data)
        return Channel.from_doc(data)

    def get_channel(self, channel_id: str) -> Channel | None:
        """The channel, or None when there is none (an id that cannot name a document
        cannot name one of ours: None without a read)."""
        if not is_document_id(channel_id):
            return None
        with translated_errors("channel read"):
            data = as_dict(self._channels.document(channel_id).get())
        return Channel.from_doc(data) if data else None

    def record_watch(self, channel_id: str, resource_id: str, expiration: datetime | None) -> None:
        """Store what events.watch returned."""
        with translated_errors("channel update"):
            self._channels.document(channel_id).update(
                {"resourceId": resource_id, "expiration": expiration}
            )

    def record_resource_id(self, channel_id: str, resource_id: str) -> bool:
        """Set the resource id if none is stored yet (a sync message beat events.watch)."""
        ref = self._channels.document(channel_id)

        @firestore.transactional
        def attempt(transaction: Any) -> bool:
            data = as_dict(ref.get(transaction=transaction))
            if data is None or data.get("resourceId"):
                return False
            transaction.update(ref, {"resourceId": resource_id})
            return True

        with translated_errors("channel update"):
            return bool(attempt(self._client.transaction()))

    def mark_channel_stopped(self, channel_id: str) -> None:
        with translated_errors("channel update"):
            self._channels.document(channel_id).update({"stopped": True})

    def delete_channel(self, channel_id: str) -> None:
        with translated_errors("channel delete"):
            self._channels.document(channel_id).delete()

    def all(self) -> list[Channel]:
        """Every channel document (operator tools; not for request paths)."""
        with translated_errors("channel query"):
            return [Channel.from_doc(dict(s.to_dict() or {})) for s in self._channels.stream()]

    def channels_of(self, calendar_id: str) -> list[Channel]:
        query = self._channels.where(filter=FieldFilter("calendarId", "==", calendar_id))
        with translated_errors("channel query"):
            return [Channel.from_doc(dict(s.to_dict() or {})) for s in query.stream()]
