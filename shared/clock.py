"""Time: always timezone-aware UTC unless an event's own zone is meant."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
