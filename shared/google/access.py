"""A user's access to calendars, from their calendar list (``calendarList``).

Adding a conference in Calendar's editor needs the right to edit the event, so only the
roles that can (``writer``, ``writerWithoutPrivateAccess``, ``owner``) may create; any
other role, an unknown one, or a calendar missing from the user's list may not
(docs/calendar-behaviour.md#access-roles). :func:`may_create` is that rule.

Calendar-list calls need their own scope (``CALENDAR_LIST_SCOPE``). While the
domain-wide delegation grant lacks it, each call writes one ERROR naming the scope and
raises :class:`~shared.errors.ScopeNotGranted`; callers then fall back to what they did
before the check existed, and no calendar's state changes.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.errors import NotFound, ScopeNotGranted
from shared.google.calendar_api import CalendarApi
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

WRITER_ROLES = frozenset({"owner", "writer", "writerWithoutPrivateAccess"})
# How many of the owner's writable calendars a moved event is looked for in.
MAX_CALENDARS_SEARCHED = 50


PRIVATE_DETAILS_ROLES = frozenset({"owner", "writer"})


def may_create(role: object) -> bool:
    """True for the roles that can edit events (and so add a conference)."""
    return role in WRITER_ROLES


def may_see_private(role: object) -> bool:
    """``writerWithoutPrivateAccess`` cannot see the details of private events."""
    return role in PRIVATE_DETAILS_ROLES


class CalendarAccess:
    """Access roles and writable calendars of users, through ``calendarList``."""

    def __init__(self, calendar_api: CalendarApi) -> None:
        self._calendar_api = calendar_api

    def entry(self, user: str, calendar_id: str, **kw: Any) -> dict[str, Any] | None:
        """The calendar as it stands on ``user``'s list (``accessRole``, ``timeZone``),
        or None when it is not on it. Raises ScopeNotGranted (logged) without the scope."""
        try:
            return self._calendar_api.get_calendar_list_entry(user, calendar_id, **kw)
        except NotFound:
            return None
        except ScopeNotGranted as err:
            self._log_scope(err, "calendarList.get")
            raise

    def writable_calendars(self, user: str, limit: int = MAX_CALENDARS_SEARCHED) -> list[str]:
        """Up to ``limit`` ids of the calendars ``user`` can write to, in list order.
        Raises ScopeNotGranted (logged) without the scope."""
        found: list[str] = []
        page_token: str | None = None
        try:
            while len(found) < limit:
                page = self._calendar_api.list_calendar_list_page(
                    user,
                    min_access_role="writer",
                    page_token=page_token,
                    max_results=min(250, limit),
                )
                found.extend(
                    str(item["id"])
                    for item in page.get("items") or []
                    if item.get("id") and not item.get("deleted")
                )
                page_token = page.get("nextPageToken")
                if not page_token:
                    break
        except ScopeNotGranted as err:
            self._log_scope(err, "calendarList.list")
            raise
        return found[:limit]

    @staticmethod
    def _log_scope(err: ScopeNotGranted, call: str) -> None:
        logger.error(
            "the domain-wide delegation grant lacks a scope; falling back",
            extra=fields(
                call=call,
                scope=err.scope,
                setting="DELEGATION_SERVICE_ACCOUNT",
                fix="add the scope to the grant (docs/operations.md)",
            ),
        )
