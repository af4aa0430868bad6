"""A faithful local Calendar v3 server (events, sync tokens, push, calendar lists and access
roles) for tests and the stack.

Public surface: :class:`CalendarServer` (``.start()``, ``.stop()``, ``.base_url``,
``.api_endpoint``, ``.control``), :class:`Control` (setup, faults, inspection) and the
record types it returns. Run standalone with ``python -m local.fakes.calendar_server --port N``.
"""

from __future__ import annotations

from local.fakes.calendar_server.control import Control
from local.fakes.calendar_server.push import Delivery
from local.fakes.calendar_server.server import CalendarServer
from local.fakes.calendar_server.store import CallRecord

__all__ = ["CalendarServer", "CallRecord", "Control", "Delivery"]
