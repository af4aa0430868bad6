"""The Firestore state store.

Collections (document ids are SHA-256 hex digests of the natural keys, so that any
calendar or event id is a safe document id):

- ``conferences/{sha256(calendar, event, solution)}``: first the creation reservation
  (``state: pending`` with a lease), then the event-to-conference mapping
  (``state: ready``). See :mod:`shared.state.conferences`.
- ``calendars/{sha256(calendar)}``: per-calendar sync state: who syncs it, set-up state,
  the sync token, the sync lease. See :mod:`shared.state.calendars`.
- ``channels/{channel id}``: push channels, looked up by the webhook.
- ``cancelledConferences/{conference id}``: tombstones of cancelled bigbluebutton
  conferences, kept for the join links. See :mod:`shared.state.cancelled`.

Every Firestore error is translated at this boundary: unavailable / deadline / aborted
become :class:`~shared.errors.TransientFailure`.
"""
