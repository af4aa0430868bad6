"""events.watch, channels.stop and the messages a change sends
(docs/calendar-behaviour.md#push-notifications).

- watch: ``id`` required, at most 64 characters of ``[A-Za-z0-9\\-_\\+/=]``, unique among
  live channels (else 400 ``channelIdNotUnique``); ``type`` ``web_hook`` (or ``webhook``);
  ``address`` required and HTTPS, except plain HTTP to a loopback host since this server
  is local (else 400 ``push.webhookUrlNotHttps``); ``token`` at most 256 characters;
  ``params.ttl`` in seconds (default 604800), a body ``expiration`` (ms) wins; either is
  capped at :data:`MAX_TTL` (Google's maximum is undocumented).
- The answer is ``{kind: api#channel, id, resourceId, resourceUri, token, expiration}``
  with ``expiration`` a string of milliseconds. ``resourceId`` is a hash of the calendar
  and the watch parameters, so the same watch gets the same one.
- The ``sync`` message (number 1) is queued before the answer is returned, so it can
  arrive first (the control API can make watch wait for its delivery). Each change to a
  calendar's events queues an ``exists`` message for every live channel on it; numbers
  increase per channel, and a dropped message leaves a gap.
- channels.stop ``{id, resourceId}``: 204; unknown (or expired) 404; another user's 403.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from local.fakes.calendar_server import errors
from local.fakes.calendar_server.errors import ApiError
from local.fakes.calendar_server.params import STANDARD
from local.fakes.calendar_server.push import USER_AGENT, Message, PushDispatcher
from local.fakes.calendar_server.store import Channel, Store
from local.fakes.calendar_server.times import http_date

GOOGLE_ROOT = "https://www.googleapis.com/calendar/v3/"
DEFAULT_TTL = 604_800
MAX_TTL = 30 * 24 * 3600
CHANNEL_ID = re.compile(r"^[A-Za-z0-9\-_+/=]{1,64}$")
CHANNEL_TYPES = ("web_hook", "webhook")
MAX_TOKEN = 256
SYNC_WAIT = 10.0


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_address(address: Any) -> str:
    if not isinstance(address, str) or not address:
        raise errors.required("Missing channel address.", location="address")
    parts = urlsplit(address)
    if not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))
    ):
        raise ApiError(400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}")
    return address


def _expiration(body: dict[str, Any], now_ms: int) -> int:
    limit = now_ms + MAX_TTL * 1000
    if body.get("expiration") is not None:
        try:
            asked = int(body["expiration"])
        except ValueError:
            raise errors.invalid("Invalid expiration value.", location="expiration") from None
        if asked <= now_ms:
            raise errors.invalid("Channel expiration is in the past.", location="expiration")
        return min(asked, limit)
    ttl_raw = (body.get("params") or {}).get("ttl", DEFAULT_TTL)
    if not str(ttl_raw).isdigit() or int(ttl_raw) <= 0:
        raise errors.invalid(f"Invalid ttl value: {ttl_raw}", location="params.ttl")
    return min(now_ms + int(ttl_raw) * 1000, limit)


def _watched(query: dict[str, Any]) -> list[tuple[str, str]]:
    """The watch's own query parameters, as strings, in a stable order."""
    pairs: list[tuple[str, str]] = []
    for name in sorted(query):
        if name in STANDARD:
            continue
        values = query[name] if isinstance(query[name], list) else [query[name]]
        for value in values:
            pairs.append((name, str(value).lower() if isinstance(value, bool) else str(value)))
    return pairs


class ChannelService:
    """Channels on a :class:`Store`, their messages sent through a :class:`PushDispatcher`."""

    def __init__(self, store: Store, dispatcher: PushDispatcher, root: str = GOOGLE_ROOT):
        self.store = store
        self.dispatcher = dispatcher
        self.root = root

    def watch(
        self, user: str, calendar_id: str, body: dict[str, Any], query: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.lock:
            calendar = self.store.calendar_for(user, calendar_id)
            channel_id = body.get("id")
            if not channel_id:
                raise errors.required("Missing channel id.", location="id")
            if not CHANNEL_ID.match(str(channel_id)):
                raise errors.invalid(
                    "Channel id must match [A-Za-z0-9\\-_\\+/=]+ and be at most 64 characters.",
                    location="id",
                )
            kind = body.get("type")
            if kind not in CHANNEL_TYPES:
                raise errors.invalid(f"Unknown channel type: {kind}", location="type")
            address = _check_address(body.get("address"))
            token = body.get("token")
            if token is not None and len(str(token)) > MAX_TOKEN:
                raise errors.invalid(
                    "Channel token is longer than 256 characters.", location="token"
                )
            now_ms = _now_ms()
            if any(c.id == channel_id and c.live(now_ms) for c in self.store.channels):
                raise ApiError(400, "channelIdNotUnique", "Channel id not unique")
            watched = _watched(query)
            digest = hashlib.sha256(repr((calendar.id, watched)).encode()).digest()
            uri = f"{self.root}calendars/{quote(calendar_id, safe='@')}/events?" + urlencode(
                [("alt", "json"), *watched]
            )
            channel = Channel(
                id=str(channel_id),
                resource_id=base64.b32hexencode(digest[:15]).decode().lower(),
                resource_uri=uri,
                calendar_id=calendar.id,
                owner=user,
                address=address,
                expiration_ms=_expiration(body, now_ms),
                token=None if token is None else str(token),
            )
            self.store.channels.append(channel)
            sync = self._message(channel, "sync")
            wait = self.store.sync_before_watch_response
        answer: dict[str, Any] = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": channel.resource_uri,
            "expiration": str(channel.expiration_ms),
        }
        if channel.token is not None:
            answer["token"] = channel.token
        if sync is not None:
            delivered = self.dispatcher.submit(sync)
            if wait:
                delivered.wait(SYNC_WAIT)
        return answer

    def stop(self, user: str, body: dict[str, Any]) -> None:
        with self.store.lock:
            channel_id, resource_id = body.get("id"), body.get("resourceId")
            if not channel_id or not resource_id:
                raise errors.required("Missing channel id or resourceId.")
            now_ms = _now_ms()
            found = [
                c
                for c in self.store.channels
                if c.id == channel_id and c.resource_id == resource_id and c.live(now_ms)
            ]
            if not found:
                raise ApiError(
                    404, "notFound", f"Channel '{channel_id}' not found for project 'local'"
                )
            if found[-1].owner != user:
                raise ApiError(403, "forbidden", "Only the creator of a channel can stop it.")
            found[-1].stopped = True

    def notify(self, calendar_id: str) -> None:
        """Queue an ``exists`` message on every live channel of ``calendar_id``."""
        with self.store.lock:
            now_ms = _now_ms()
            messages = [
                self._message(channel, "exists")
                for channel in self.store.channels
                if channel.calendar_id == calendar_id and channel.live(now_ms)
            ]
        for message in messages:
            if message is not None:
                self.dispatcher.submit(message)

    def _message(self, channel: Channel, state: str) -> Message | None:
        """The next message of ``channel`` (None when the calendar drops it)."""
        channel.last_number += 1
        headers = {
            "Content-Type": "application/json; utf-8",
            "User-Agent": USER_AGENT,
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": http_date(channel.expiration_ms / 1000),
            "X-Goog-Message-Number": str(channel.last_number),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": channel.resource_uri,
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        message = Message(
            channel.id, channel.calendar_id, channel.last_number, state, channel.address, headers
        )
        calendar = self.store.calendars.get(channel.calendar_id)
        if calendar is not None and calendar.drop_messages > 0:
            calendar.drop_messages -= 1
            self.dispatcher.record_dropped(message)
            return None
        return message
