"""Who joins a meeting, with which role, and when a link opens: pure decisions over the
event as Calendar answers it now (docs/join-links.md#admission).

Policies (the solution's ``admission`` option):

- ``guests`` (default): the organizer and the conference's owner are moderators; the
  event's current attendees (email matched exactly, ignoring case) are viewers admitted
  at once (``guest=false``); everyone else, signed in or not, waits in the guest lobby.
- ``domain``: the organizer and the owner are moderators; anyone signed in with a Google
  Workspace account (``hd``) of ``ALLOWED_DOMAINS`` is a viewer; everyone else waits in
  the lobby. The hosted-domain rule applies only under this policy.

Nobody is admitted silently: without a verified identity the answer is always the lobby.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Policy(enum.Enum):
    GUESTS = "guests"
    DOMAIN = "domain"


class Role(enum.Enum):
    MODERATOR = "moderator"
    VIEWER = "viewer"
    LOBBY = "lobby"
    """A guest: joins as viewer with ``guest=true`` and waits for a moderator."""


@dataclass(frozen=True)
class Identity:
    """A signed-in person, as the session cookie holds them."""

    email: str
    hosted_domain: str | None = None


def policy_of(options: Mapping[str, Any]) -> Policy:
    """The solution's admission policy; anything unknown is the strict default."""
    raw = options.get("admission", Policy.GUESTS.value)
    return Policy.DOMAIN if raw == Policy.DOMAIN.value else Policy.GUESTS


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and str(a).casefold() == str(b).casefold()


def attendee_emails(event: Mapping[str, Any]) -> tuple[str, ...]:
    """The emails of the event's people (rooms and other resources left out)."""
    attendees = event.get("attendees")
    if not isinstance(attendees, Sequence):
        return ()
    return tuple(
        a["email"]
        for a in attendees
        if isinstance(a, Mapping) and isinstance(a.get("email"), str) and not a.get("resource")
    )


def organizer_email(event: Mapping[str, Any]) -> str | None:
    organizer = event.get("organizer")
    if isinstance(organizer, Mapping) and isinstance(organizer.get("email"), str):
        return str(organizer["email"])
    return None


def admit(
    policy: Policy,
    who: Identity | None,
    event: Mapping[str, Any],
    owner_email: str,
    allowed_domains: Sequence[str],
) -> Role:
    """The role of ``who`` (``None``: not signed in) for the event as read now."""
    if who is None:
        return Role.LOBBY
    if _same(who.email, organizer_email(event)) or _same(who.email, owner_email):
        return Role.MODERATOR
    if policy is Policy.DOMAIN:
        domains = {d.casefold() for d in allowed_domains}
        if who.hosted_domain and who.hosted_domain.casefold() in domains:
            return Role.VIEWER
        return Role.LOBBY
    if any(_same(who.email, email) for email in attendee_emails(event)):
        return Role.VIEWER
    return Role.LOBBY


def is_cancelled(event: Mapping[str, Any]) -> bool:
    return event.get("status") == "cancelled"


def event_start(event: Mapping[str, Any]) -> datetime | None:
    """The event's start as an aware datetime (an all-day event: midnight in its zone)."""
    start = event.get("start")
    if not isinstance(start, Mapping):
        return None
    raw_time = start.get("dateTime")
    if isinstance(raw_time, str):
        try:
            moment = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone(start.get("timeZone")))
        return moment
    raw_date = start.get("date")
    if isinstance(raw_date, str):
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            return None
        return datetime.combine(day, time(0), tzinfo=_zone(start.get("timeZone")))
    return None


def _zone(name: object) -> ZoneInfo | Any:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def opens_at(event: Mapping[str, Any], minutes_before: float) -> datetime | None:
    """When the link opens: the start less ``minutes_before``; ``None`` if unreadable.

    A recurring event (a series) opens before its first occurrence and stays open
    (ASSUMPTION: the per-occurrence window is not computed; docs/join-links.md).
    """
    start = event_start(event)
    if start is None:
        return None
    return start - timedelta(minutes=minutes_before)


def not_open_until(
    event: Mapping[str, Any], now: datetime, minutes_before: float
) -> datetime | None:
    """``None`` when the link is open now, else the moment it opens."""
    opening = opens_at(event, minutes_before)
    if opening is None or now >= opening:
        return None
    return opening
