"""The provider of the sync benchmarks: Jitsi's meetings, but built from the event as
Zoom's are (every change of the spec is relevant), with its calls counted in memory.

Served functions and the product in the benchmark's own process load it with
``CONFERENCE_PROVIDER=bench.provider:make``; it imports nothing beyond the product's
Jitsi provider, so it adds nothing to a served function's memory or start.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.conferences.solutions import Solution
from shared.config import Settings
from shared.providers.base import Meeting, MeetingSpec
from shared.providers.jitsi import JitsiProvider

CALLS: Counter[str] = Counter()


class CountingProvider:
    name = "jitsi"

    def __init__(self, inner: JitsiProvider) -> None:
        self._inner = inner

    def relevant(self, spec: MeetingSpec) -> dict[str, Any]:
        record = dict(spec.as_record())
        record.pop("placeholder", None)
        return record

    def create(
        self,
        spec: MeetingSpec,
        solution: Solution,
        host_email: str,
        request_key: str,
        *,
        may_exist: bool = False,
    ) -> Meeting:
        CALLS["create"] += 1
        return self._inner.create(spec, solution, host_email, request_key, may_exist=may_exist)

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        CALLS["update"] += 1
        return self._inner.update(meeting_id, spec, solution, host_email)

    def delete(self, meeting_id: str) -> None:
        CALLS["delete"] += 1
        self._inner.delete(meeting_id)


def make(settings: Settings) -> CountingProvider:
    return CountingProvider(
        JitsiProvider(settings.jitsi_base_url, logo_url=settings.addon_logo_url)
    )
