"""Benchmark: one calendar, one meeting the provider keeps refusing, and many other changes.

On the local stack (Firestore emulator, local Calendar server, the counting provider):
CHANGES + 1 events carry a conference on one calendar; all of them are edited, then one
push message runs one pass while the provider refuses the first event's meeting (MODE:
``busy``, a meeting in progress; ``limit``, the host's daily limit; ``server``, a meeting
whose PATCH keeps answering 5xx). Prints how long the pass took, how many changes it
applied, what the refused meeting's record says and whether the sync token moved on;
asserts nothing. Run: .venv/bin/python -m bench.head_of_line [CHANGES] [MODE]
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from shared.state.calendars import calendar_doc_id
from tests.support.calendar_user import CalendarUser, timed_event
from tests.support.scenarios import ALICE, calendar, channel_of, mapping, push, push_headers, settle
from tests.support.stack import PROJECT, Stack, start_stack, stop_stack, wait_for

HINTS = {"busy": 900.0, "limit": 8 * 3600.0, "server": None}


def conferences(stack: Stack, count: int) -> list[str]:
    """``count`` events of ALICE's calendar, each saved with its conference, synced."""
    calendar(stack)  # the calendar itself

    def one(index: int) -> str:
        # A client per call: httplib2 (under googleapiclient) is not thread-safe.
        user = CalendarUser(stack.calendar.api_endpoint, ALICE, stack.calendar.control)
        day = 1 + index % 28
        event = user.insert(
            ALICE,
            timed_event(f"E{index}", f"2030-05-{day:02d}T09:00:00", f"2030-05-{day:02d}T10:00:00"),
        )
        answer = stack.create_conference(ALICE, ALICE, event["id"])
        assert answer.status_code == 200, answer.text
        user.save_conference(ALICE, event["id"], answer.json()["conferenceData"])
        return str(event["id"])

    stack.create_conference(ALICE, ALICE, "warm-up-0000001")  # the calendar's set-up
    with ThreadPoolExecutor(max_workers=8) as pool:
        event_ids = list(pool.map(one, range(count)))
    settle(stack)
    wait_for(
        lambda: all(mapping(stack, ALICE, e).get("attached") for e in event_ids),
        timeout=120,
        what="every conference attached",
    )
    return event_ids


def calendar_doc(stack: Stack) -> dict[str, Any]:
    snapshot = stack.db.collection("calendars").document(calendar_doc_id(ALICE)).get()
    return dict(snapshot.to_dict() or {})


def main() -> None:
    changes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    mode = sys.argv[2] if len(sys.argv) > 2 else "busy"
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp))
        try:
            stack.emulator.clear(PROJECT)
            set_up_started = time.perf_counter()
            event_ids = conferences(stack, changes + 1)
            set_up = time.perf_counter() - set_up_started
            refused_id, *others = event_ids
            meeting = str(mapping(stack, ALICE, refused_id)["meetingId"])
            hint = HINTS[mode]
            stack.fault("update", mode, remaining=10_000, meeting_id=meeting, retry_after=hint)
            token_before = calendar_doc(stack)["syncToken"]
            stack.calendar.control.drop_next_messages(ALICE, len(event_ids))
            user = calendar(stack)
            for index, event_id in enumerate(event_ids):
                user.patch(ALICE, event_id, {"summary": f"Renamed {index}"})
            updates_before = len(stack.provider_calls("update"))
            lists_before = len(stack.calendar.control.calls("events.list"))

            started = time.perf_counter()
            answer = push(stack, push_headers(channel_of(stack, ALICE), 10_000))
            elapsed = time.perf_counter() - started

            applied = len(stack.provider_calls("update")) - updates_before
            lists = len(stack.calendar.control.calls("events.list")) - lists_before
            record = mapping(stack, ALICE, refused_id)
            others_ready = sum(mapping(stack, ALICE, e).get("state") == "ready" for e in others)
            token_moved = calendar_doc(stack)["syncToken"] != token_before
        finally:
            stop_stack(stack)

    print(f"conferences         {len(event_ids)} on one calendar (set up in {set_up:5.1f} s)")
    print(f"refused meeting     1 ({mode}: the provider refuses every call about it)")
    print(f"pass                one push message: {answer.status_code} in {elapsed:5.2f} s")
    print(f"events.list calls   {lists}")
    print(f"changes applied     {applied} of {len(others)} other events in the same pass")
    print(f"others ready        {others_ready}")
    print(
        f"refused record      {record.get('state')}, attempt {record.get('retryCount')}, "
        f"retry at {record.get('retryAt')}"
    )
    print(f"sync token moved on {token_moved}")


if __name__ == "__main__":
    main()
