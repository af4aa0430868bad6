"""A counting test provider, loaded by the function processes under test with
``CONFERENCE_PROVIDER=tests.support.counting_provider:make``.

It behaves like the Jitsi provider and records every call in the Firestore emulator
(collection ``_test_provider_calls``), so tests in another process can count them.
Faults are scripted through the document ``_test_provider/faults``:
``{"<op>": {"mode": "transient" | "permanent" | "access" | "crash" | "rotate" |
"unconfirmed" | "invalid" | "busy" | "limit" | "refused" | "server" | "account",
"remaining": N, "meetingId": id, "retryAfter": seconds}, "delay": seconds}``. ``crash``
ends the process on the spot, as a crash would; ``rotate`` makes an update return new
join details (for write-back tests), which its later answers keep, as a real service's
would: the rotated details of a meeting are stored (``_test_provider_rotated``). The
refusals of ``shared/errors.py``: ``busy``
(MeetingBusy, a meeting in progress), ``limit`` (HostLimitReached, the host's daily
limit), ``refused`` (MeetingRefused), ``server`` (MeetingCallFailed, a 5xx on the
meeting) and ``account`` (ProviderAccountFailure, ``setting`` TEST_PROVIDER_SECRET);
``retryAfter`` is their hint. With ``meetingId`` a fault hits only that meeting's calls
(and only they spend ``remaining``).
"""

from __future__ import annotations

import os
import time
from typing import Any

from google.cloud import firestore

from shared.conferences.solutions import Solution
from shared.config import Settings
from shared.errors import (
    AccessDenied,
    CreationUnconfirmed,
    HostLimitReached,
    MeetingBusy,
    MeetingCallFailed,
    MeetingRefused,
    PermanentFailure,
    ProviderAccountFailure,
    TransientFailure,
)
from shared.providers.base import Meeting, MeetingSpec
from shared.providers.jitsi import JitsiProvider
from shared.state.firestore_client import digest, firestore_client

CALLS = "_test_provider_calls"
ROTATED = "_test_provider_rotated"
FAULTS = ("_test_provider", "faults")
ACCOUNT_SETTING = "TEST_PROVIDER_SECRET"


class CountingProvider:
    name = "jitsi"

    def __init__(self, client: firestore.Client, base_url: str, logo_url: str) -> None:
        self._client = client
        self._inner = JitsiProvider(base_url, logo_url=logo_url)

    def relevant(self, spec: MeetingSpec) -> dict[str, Any]:
        # Unlike Jitsi, pretend the meeting is built from the event, as Zoom's is.
        record = spec.as_record()
        record.pop("placeholder")
        return record

    def _fault(self, op: str, meeting_id: str | None = None) -> str | None:
        ref = self._client.collection(FAULTS[0]).document(FAULTS[1])

        @firestore.transactional
        def take(transaction: Any) -> tuple[str | None, float, float | None]:
            snapshot = ref.get(transaction=transaction)
            data = snapshot.to_dict() if snapshot.exists else None
            if not data:
                return None, 0.0, None
            delay = float(data.get("delay", 0.0))
            fault = data.get(op)
            if not fault or int(fault.get("remaining", 0)) <= 0:
                return None, delay, None
            target = fault.get("meetingId")
            if target is not None and str(target) != str(meeting_id):
                return None, delay, None
            transaction.update(ref, {f"{op}.remaining": int(fault["remaining"]) - 1})
            hint = fault.get("retryAfter")
            return str(fault["mode"]), delay, None if hint is None else float(hint)

        taken: tuple[str | None, float, float | None] = take(self._client.transaction())
        mode, delay, retry_after = taken
        if delay:
            time.sleep(delay)
        if mode == "crash":
            os._exit(3)
        if mode == "transient":
            raise TransientFailure(f"test provider: {op} unavailable")
        if mode == "permanent":
            raise PermanentFailure(f"test provider: {op} refused")
        if mode == "access":
            raise AccessDenied(f"test provider: host unknown for {op}")
        if mode == "busy":
            raise MeetingBusy(f"test provider: meeting in progress ({op})", retry_after)
        if mode == "limit":
            raise HostLimitReached(f"test provider: the host's daily limit ({op})", retry_after)
        if mode == "refused":
            raise MeetingRefused(f"test provider: {op} of the meeting refused")
        if mode == "server":
            raise MeetingCallFailed(f"test provider: {op} of the meeting answered 500", retry_after)
        if mode == "account":
            raise ProviderAccountFailure(
                f"test provider: the account refused ({op}): check {ACCOUNT_SETTING}",
                setting=ACCOUNT_SETTING,
            )
        return mode

    def _record(self, op: str, **details: Any) -> None:
        self._client.collection(CALLS).add({"op": op, "at": time.time(), **details})

    def create(
        self,
        spec: MeetingSpec,
        solution: Solution,
        host_email: str,
        request_key: str,
        *,
        may_exist: bool = False,
    ) -> Meeting:
        mode = self._fault("create")
        meeting = self._inner.create(spec, solution, host_email, request_key, may_exist=may_exist)
        self._record(
            "create",
            meetingId=meeting.meeting_id,
            host=host_email,
            spec=spec.as_record(),
            mayExist=may_exist,
        )
        if mode == "unconfirmed":  # made, but the answer was lost on the way back
            raise CreationUnconfirmed("test provider: create not confirmed")
        if mode == "invalid":  # Calendar could not show this: no entry point at all
            return Meeting(meeting.meeting_id, {**meeting.conference_data, "entryPoints": []})
        return meeting

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        mode = self._fault("update", meeting_id)
        self._record("update", meetingId=meeting_id, spec=spec.as_record())
        meeting = self._inner.update(meeting_id, spec, solution, host_email)
        rotated = self._client.collection(ROTATED).document(digest(meeting_id))
        notes: str | None
        if mode == "rotate":
            notes = f"New join details {time.time()}"
            rotated.set({"notes": notes})
        else:
            snapshot = rotated.get()
            notes = (snapshot.to_dict() or {}).get("notes") if snapshot.exists else None
        if notes:
            data = {**meeting.conference_data, "notes": notes}
            return Meeting(meeting_id=meeting.meeting_id, conference_data=data)
        return meeting

    def delete(self, meeting_id: str) -> None:
        self._fault("delete", meeting_id)
        self._record("delete", meetingId=meeting_id)


def make(settings: Settings) -> CountingProvider:
    return CountingProvider(
        firestore_client(settings.project), settings.jitsi_base_url, settings.addon_logo_url
    )
