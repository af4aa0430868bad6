"""The calendars the bundle syncs, read from Firestore, and an uninstall.

::

    python -m tools.calendars list [--json] [--project P]
    python -m tools.calendars uninstall [--yes] [--project P]

``--project`` defaults to ``GOOGLE_CLOUD_PROJECT``; ``FIRESTORE_EMULATOR_HOST`` is honoured.
Firestore is reached with the caller's Application Default Credentials
(``gcloud auth application-default login``).

``list`` shows one row per calendar: who syncs it, its state (``ok``, ``set-up pending``,
``watch failed``, ``access revoked``; ``not set up`` for a calendar that has conferences
but no sync record; ``, backing off`` after Calendar's quota ran out), the last sync, when
its push channel expires, how many conferences are mapped on it, how many changes wait
to be tried again (``WAITING``: updates ``retry_pending`` / deletes ``delete_pending``),
how many records keep a change refused for good (``REFUSED``: their ``lastError`` says
why), and the last error. ``--json`` prints the same as a JSON list.

``uninstall`` stops every push channel (Calendar ``channels.stop``, as the calendar's sync
user) and then deletes all the bundle's state: ``conferences/``, ``calendars/``,
``syncMessages/``, ``syncLeases/`` and ``channels/``. Stopping needs the functions' settings in the
environment (the same variables as a deployed function: ``CALENDAR_CREDENTIALS``,
``DELEGATION_SERVICE_ACCOUNT``, ...), and is only attempted when a channel needs it. A
channel that cannot be stopped for good (access revoked, unknown user) is reported and
expires by itself; when a stop fails for a passing reason, nothing is deleted and the
command exits 1: run it again.

Exit status: 0 done; 1 a failure, or the confirmation was declined; 2 usage or settings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import google.auth.exceptions
from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared.errors import ConfigurationError, PermanentFailure, TransientFailure
from shared.state.calendars import CALENDARS, CalendarStore, SetupState
from shared.state.channels import CHANNELS, ChannelStore
from shared.state.conferences import COLLECTION as CONFERENCES
from shared.state.conferences import ConferenceStore, RecordCounts
from shared.state.leases import MESSAGE_COUNTS, SYNC_LEASES

EXIT_FAILED = 1
EXIT_USAGE = 2
BATCH_SIZE = 400  # Firestore allows 500 writes per batch

STATE_LABELS = {
    SetupState.READY.value: "ok",
    SetupState.PENDING.value: "set-up pending",
    SetupState.WATCH_FAILED.value: "watch failed",
    SetupState.ACCESS_REVOKED.value: "access revoked",
}
NOT_SET_UP = "not set up"
BACKING_OFF = ", backing off"  # after Calendar's quota ran out (quotaRetryAt)

#: stop_channel(sync_user, channel_id, resource_id), as CalendarApi.stop_channel.
StopChannel = Callable[[str, str, str], None]


# -- list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarRow:
    calendar_id: str
    sync_user: str | None
    state: str
    setup_state: str | None
    setup_error: str | None
    last_sync_error: str | None
    last_sync_at: datetime | None
    channel_expires_at: datetime | None
    conferences: int
    retry_pending: int = 0
    delete_pending: int = 0
    refused: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "calendarId": self.calendar_id,
            "syncUser": self.sync_user,
            "state": self.state,
            "setupState": self.setup_state,
            "setupError": self.setup_error,
            "lastSyncError": self.last_sync_error,
            "lastSyncAt": _iso(self.last_sync_at),
            "channelExpiresAt": _iso(self.channel_expires_at),
            "conferences": self.conferences,
            "retryPending": self.retry_pending,
            "deletePending": self.delete_pending,
            "refused": self.refused,
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def calendar_rows(client: Any) -> list[CalendarRow]:
    """Every calendar with a sync record or a conference, sorted by calendar id."""
    counts = ConferenceStore(client).counts_by_calendar()
    now = datetime.now(UTC)
    rows: dict[str, CalendarRow] = {}
    for calendar in CalendarStore(client).all():
        setup_state = calendar.setup_state.value
        state = STATE_LABELS.get(setup_state, setup_state)
        if calendar.backs_off(now):
            state += BACKING_OFF
        records = counts.get(calendar.calendar_id, RecordCounts())
        rows[calendar.calendar_id] = CalendarRow(
            calendar_id=calendar.calendar_id,
            sync_user=calendar.sync_user,
            state=state,
            setup_state=setup_state,
            setup_error=calendar.setup_error,
            last_sync_error=calendar.last_sync_error,
            last_sync_at=calendar.last_sync_at,
            channel_expires_at=calendar.channel_expires_at,
            conferences=records.mapped,
            retry_pending=records.retry_pending,
            delete_pending=records.delete_pending,
            refused=records.refused,
        )
    for calendar_id, records in counts.items():
        if calendar_id not in rows:
            rows[calendar_id] = CalendarRow(
                calendar_id=calendar_id,
                sync_user=None,
                state=NOT_SET_UP,
                setup_state=None,
                setup_error=None,
                last_sync_error=None,
                last_sync_at=None,
                channel_expires_at=None,
                conferences=records.mapped,
                retry_pending=records.retry_pending,
                delete_pending=records.delete_pending,
                refused=records.refused,
            )
    return [rows[key] for key in sorted(rows)]


def _when(value: datetime | None, now: datetime, *, expiry: bool = False) -> str:
    if value is None:
        return "-"
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if expiry and value <= now:
        text += " (expired)"
    return text


def _short(text: str | None, limit: int = 60) -> str:
    if not text:
        return "-"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_table(rows: Sequence[CalendarRow], now: datetime) -> str:
    headers = (
        "CALENDAR",
        "SYNC USER",
        "STATE",
        "LAST SYNC",
        "CHANNEL EXPIRES",
        "WAITING",
        "REFUSED",
        "CONFS",
        "ERROR",
    )
    lines = [
        (
            row.calendar_id,
            row.sync_user or "-",
            row.state,
            _when(row.last_sync_at, now),
            _when(row.channel_expires_at, now, expiry=True),
            f"{row.retry_pending}/{row.delete_pending}",
            str(row.refused),
            str(row.conferences),
            _short(row.setup_error or row.last_sync_error),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [headers, *lines]) for i in range(len(headers))]
    out = []
    for cells in [headers, *lines]:
        out.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)))
    states = Counter(row.state for row in rows)
    summary = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    out.append("")
    out.append(f"{len(rows)} calendar(s)" + (f": {summary}" if summary else ""))
    waiting = sum(row.retry_pending + row.delete_pending for row in rows)
    refused = sum(row.refused for row in rows)
    if waiting or refused:
        out.append(
            f"{sum(row.retry_pending for row in rows)} update(s) and "
            f"{sum(row.delete_pending for row in rows)} delete(s) waiting to be tried again, "
            f"{refused} change(s) refused for good (see each record's lastError)"
        )
    return "\n".join(line.rstrip() for line in out) + "\n"


# -- uninstall -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPlan:
    channel_id: str
    calendar_id: str | None
    resource_id: str | None
    sync_user: str | None
    expiration: datetime | None
    stopped: bool

    @property
    def needs_stop(self) -> bool:
        return not self.stopped and bool(self.resource_id) and bool(self.sync_user)

    def why_not_stopped(self) -> str:
        if self.stopped:
            return "already stopped"
        if not self.resource_id:
            return "never confirmed by Calendar (no resource id)"
        return "no sync user known for its calendar"


@dataclass
class UninstallReport:
    stopped: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (channel id, why)
    left_to_expire: list[tuple[str, str]] = field(default_factory=list)  # (channel id, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (channel id, why)
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.failed


def channel_plans(client: Any) -> list[ChannelPlan]:
    users = {calendar.calendar_id: calendar.sync_user for calendar in CalendarStore(client).all()}
    plans = [
        ChannelPlan(
            channel_id=channel.channel_id,
            calendar_id=channel.calendar_id,
            resource_id=channel.resource_id or None,
            sync_user=users.get(channel.calendar_id),
            expiration=channel.expiration,
            stopped=channel.stopped,
        )
        for channel in ChannelStore(client).all()
    ]
    return sorted(plans, key=lambda plan: plan.channel_id)


def count_documents(client: Any, collection: str) -> int:
    return sum(1 for _ in client.collection(collection).select([]).stream())


def delete_collection(client: Any, collection: str) -> int:
    """Delete every document of ``collection``; returns how many were deleted."""
    deleted = 0
    batch = client.batch()
    pending = 0
    for reference in client.collection(collection).list_documents(page_size=BATCH_SIZE):
        batch.delete(reference)
        pending += 1
        if pending == BATCH_SIZE:
            batch.commit()
            deleted += pending
            batch, pending = client.batch(), 0
    if pending:
        batch.commit()
        deleted += pending
    return deleted


def uninstall(
    client: Any, plans: Sequence[ChannelPlan], stop: StopChannel | None
) -> UninstallReport:
    """Stop the channels of ``plans``, then delete the state unless a stop must be retried.

    ``stop`` may be None only when no plan needs a stop.
    """
    report = UninstallReport()
    for plan in plans:
        if not plan.needs_stop:
            report.skipped.append((plan.channel_id, plan.why_not_stopped()))
            continue
        if stop is None:
            raise ValueError("a channel needs a stop, but no stop function was given")
        try:
            stop(plan.sync_user or "", plan.channel_id, plan.resource_id or "")
        except TransientFailure as err:
            report.failed.append((plan.channel_id, str(err) or type(err).__name__))
            continue
        except PermanentFailure as err:
            # Revoked access, a user who left: it can never be stopped; it expires.
            reason = f"{type(err).__name__}: {err}"
            report.left_to_expire.append((plan.channel_id, reason))
            continue
        report.stopped.append(plan.channel_id)
        client.collection(CHANNELS).document(plan.channel_id).delete()
    if report.failed:
        return report
    for collection in (CHANNELS, CALENDARS, MESSAGE_COUNTS, SYNC_LEASES, CONFERENCES):
        report.deleted[collection] = delete_collection(client, collection)
    return report


def runtime_stop_channel() -> StopChannel:
    """The deployed functions' Calendar client (reads and checks the settings now)."""
    from shared.runtime import get_runtime  # the settings are only needed for a stop

    return get_runtime().calendar_api.stop_channel


# -- command line --------------------------------------------------------------------------


def open_client(project: str, database: str) -> Any:
    """A Firestore client (FIRESTORE_EMULATOR_HOST is honoured by the library)."""
    return firestore.Client(project=project, database=database)


def _confirm(question: str, stdin: TextIO, stdout: TextIO) -> bool:
    stdout.write(question + " [y/N] ")
    stdout.flush()
    answer = stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def cmd_list(client: Any, as_json: bool, stdout: TextIO) -> int:
    rows = calendar_rows(client)
    if as_json:
        stdout.write(json.dumps([row.as_json() for row in rows], indent=2) + "\n")
    else:
        stdout.write(render_table(rows, datetime.now(UTC)))
    return 0


def cmd_uninstall(
    client: Any,
    project: str,
    yes: bool,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    make_stop: Callable[[], StopChannel] = runtime_stop_channel,
) -> int:
    plans = channel_plans(client)
    to_stop = [plan for plan in plans if plan.needs_stop]
    counts = {name: count_documents(client, name) for name in (CONFERENCES, CALENDARS)}
    stop: StopChannel | None = None
    if to_stop:
        os.environ.setdefault("GOOGLE_CLOUD_PROJECT", project)
        try:
            stop = make_stop()
        except ConfigurationError as err:
            stderr.write(
                "tools.calendars: stopping the channels needs the functions' settings in the "
                "environment; nothing was done:\n"
            )
            for problem in err.problems:
                stderr.write(f"  - {problem}\n")
            return EXIT_USAGE
    stdout.write(
        f"Project {project}: {len(to_stop)} push channel(s) to stop "
        f"({len(plans)} channel record(s)), then delete {counts[CALENDARS]} calendar record(s) "
        f"and {counts[CONFERENCES]} conference record(s).\n"
        "Meetings already created at the provider and the events' conference data are kept.\n"
    )
    if not yes and not _confirm("Uninstall?", stdin, stdout):
        stdout.write("Nothing was done.\n")
        return EXIT_FAILED

    report = uninstall(client, plans, stop)
    for channel_id in report.stopped:
        stdout.write(f"stopped channel {channel_id}\n")
    for channel_id, why in report.skipped:
        stdout.write(f"channel {channel_id}: not stopped ({why})\n")
    for channel_id, why in report.left_to_expire:
        stdout.write(f"channel {channel_id}: cannot be stopped ({why}); it expires by itself\n")
    for channel_id, why in report.failed:
        stderr.write(f"channel {channel_id}: stop failed for now ({why})\n")
    if not report.complete:
        stderr.write(
            f"{len(report.failed)} channel(s) could not be stopped now; no state was deleted "
            "(the stopped channels' records excepted). Run uninstall again.\n"
        )
        return EXIT_FAILED
    deleted = ", ".join(f"{count} in {name}/" for name, count in report.deleted.items())
    stdout.write(f"deleted documents: {deleted}. Uninstalled.\n")
    return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m tools.calendars",
        description="List the calendars the conferencing bundle syncs, or uninstall it.",
    )
    parser.add_argument(
        "--project",
        default=os.environ.get("GOOGLE_CLOUD_PROJECT"),
        help="Google Cloud project (default: GOOGLE_CLOUD_PROJECT)",
    )
    parser.add_argument("--database", default="(default)", help="Firestore database")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="calendars and their sync state")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    removal = commands.add_parser("uninstall", help="stop every channel, delete all state")
    removal.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)
    if not args.project:
        parser.error("no project: pass --project or set GOOGLE_CLOUD_PROJECT")
    try:
        client = open_client(args.project, args.database)
        if args.command == "list":
            return cmd_list(client, args.json, stdout)
        return cmd_uninstall(client, args.project, args.yes, stdin, stdout, stderr)
    except google.auth.exceptions.DefaultCredentialsError:
        stderr.write(
            "tools.calendars: no Google credentials: run gcloud auth application-default login\n"
        )
    except gexc.GoogleAPICallError as err:
        stderr.write(f"tools.calendars: Firestore refused: {err.message or err}\n")
    return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
