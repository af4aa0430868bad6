"""Who may be a calendar's sync user: the one place that decides it (:meth:`may_sync`).

Sync writes as its user (join details written back, channels opened), so the rule is
the one creation follows: the user's role on the calendar, from their calendar list,
lets them edit events (``writer``, ``writerWithoutPrivateAccess``, ``owner``; see
:mod:`shared.google.access`). Without the calendar-list scope in the grant (logged
there), reading the calendar and one page of its events as the user is taken as enough,
as before the role was checked.
"""

from __future__ import annotations

from shared.errors import AccessDenied, NotFound, ScopeNotGranted
from shared.google.access import CalendarAccess, may_create
from shared.google.calendar_api import CalendarApi


class SyncAccess:
    def __init__(self, calendar_api: CalendarApi) -> None:
        self._calendar_api = calendar_api
        self._access = CalendarAccess(calendar_api)

    def may_sync(self, user: str, calendar_id: str) -> bool:
        """True when ``user`` can sync ``calendar_id`` now; False when Calendar or Google
        refuse the user (403, 404, the user's token refused) or their role cannot edit.
        Transient failures and the deployment's own refusals propagate: they say nothing
        about the user."""
        try:
            entry = self._access.entry(user, calendar_id, num_retries=1)
        except ScopeNotGranted:
            return self._can_read(user, calendar_id)
        except AccessDenied:
            return False
        return entry is not None and may_create(entry.get("accessRole"))

    def _can_read(self, user: str, calendar_id: str) -> bool:
        try:
            self._calendar_api.get_calendar(user, calendar_id, num_retries=1)
            self._calendar_api.list_events_page(
                user, calendar_id, fields="nextPageToken,nextSyncToken", num_retries=1
            )
        except (AccessDenied, NotFound):
            return False
        return True
