"""Who may be a calendar's sync user: the one place that decides it (:meth:`may_sync`).

For now a user may sync a calendar when ``calendars.get`` and one ``events.list`` page,
as that user, succeed: that shows the user can read it. Sync also writes (join details
are written back, channels are opened as the user), so the rule is to become: a
``calendarList.get`` as the user answering ``accessRole`` ``writer`` or ``owner``. That
call is being added to the local Calendar server on another branch; switch this method
to it then (nothing else needs to change).
"""

from __future__ import annotations

from shared.errors import AccessDenied, NotFound
from shared.google.calendar_api import CalendarApi


class SyncAccess:
    def __init__(self, calendar_api: CalendarApi) -> None:
        self._calendar_api = calendar_api

    def may_sync(self, user: str, calendar_id: str) -> bool:
        """True when ``user`` can sync ``calendar_id`` now; False when Calendar or Google
        refuse the user (403, 404, the user's token refused). Transient failures and the
        deployment's own refusals propagate: they say nothing about the user."""
        try:
            self._calendar_api.get_calendar(user, calendar_id, num_retries=1)
            self._calendar_api.list_events_page(
                user, calendar_id, fields="nextPageToken,nextSyncToken", num_retries=1
            )
        except (AccessDenied, NotFound):
            return False
        return True
