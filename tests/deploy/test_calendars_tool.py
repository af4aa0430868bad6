"""python -m tools.calendars, against the Firestore emulator and the local Calendar server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from local.fakes.calendar_server import CalendarServer
from local.ports import free_port
from local.stack import LOGO_URL
from shared.google.calendar_api import CalendarApi
from shared.google.credentials import LocalUserCredentials
from shared.state.calendars import CalendarStore
from shared.state.channels import ChannelStore, new_channel_secrets
from shared.state.conferences import ConferenceKey, ConferenceStore
from tests.deploy.conftest import PROJECT, REPO_ROOT
from tools import calendars as tool

pytestmark = pytest.mark.integration

ALICE = "alice@example.com"
BOB = "bob@example.com"
COLLECTIONS = ("conferences", "calendars", "channels")


@pytest.fixture(scope="module")
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer(port=0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def calendar(calendar_server: CalendarServer) -> CalendarServer:
    calendar_server.control.reset()
    return calendar_server


@pytest.fixture
def db(firestore_host: str) -> firestore.Client:
    return firestore.Client(project=PROJECT)


@pytest.fixture
def fresh_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process's runtime and settings are read anew (and dropped after the test)."""
    monkeypatch.setattr("shared.runtime._runtime", None)
    monkeypatch.setattr("shared.config._settings", None)


def function_settings(calendar: CalendarServer) -> dict[str, str]:
    """What a deployed function has in its environment, for the local stack."""
    return {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "SYNC_WEBHOOK_URL": "https://sync.example.com/",
        "ADDON_OAUTH_CLIENT_ID": "tool-test.apps.googleusercontent.com",
        "ADDON_LOGO_URL": LOGO_URL,
        "CALENDAR_CREDENTIALS": "anonymous",
        "CALENDAR_API_ENDPOINT": calendar.api_endpoint,
    }


# -- seeding, through the product's own stores ---------------------------------------------


def seed_calendar(db: firestore.Client, calendar_id: str, user: str, **changes: Any) -> None:
    store = CalendarStore(db)
    assert store.claim_calendar(calendar_id, user)
    if changes:
        store.update_calendar(calendar_id, changes)


def seed_conference(
    db: firestore.Client, calendar_id: str, event_id: str, *, ready: bool = True
) -> None:
    store = ConferenceStore(db)
    reservation = store.reserve(ConferenceKey(calendar_id, event_id, "1"), ALICE, 60)
    if ready:
        store.complete(reservation.record, {"conferenceId": f"room-{event_id}"})


def seed_channel(
    db: firestore.Client,
    calendar_id: str,
    *,
    server: CalendarServer | None = None,
    watcher: str | None = None,
    stopped: bool = False,
    resource_id: str | None = None,
) -> str:
    """A channel record; with ``server``, a live channel there too, made by ``watcher``."""
    store = ChannelStore(db)
    channel_id, token = new_channel_secrets()
    store.save_channel(channel_id, calendar_id, token)
    if server is not None:
        client = CalendarApi(credentials_for=LocalUserCredentials, api_endpoint=server.api_endpoint)
        answer = client.watch(
            watcher or calendar_id,
            calendar_id,
            channel_id=channel_id,
            token=token,
            address=f"http://127.0.0.1:{free_port()}/",  # nobody listens: pushes just fail
            ttl_seconds=3600,
        )
        resource_id = str(answer["resourceId"])
    if resource_id:
        store.record_watch(channel_id, resource_id, None)
    if stopped:
        store.mark_channel_stopped(channel_id)
    return channel_id


def counts(db: firestore.Client) -> dict[str, int]:
    return {name: len(list(db.collection(name).stream())) for name in COLLECTIONS}


def live_channels(server: CalendarServer) -> list[str]:
    return [c["id"] for c in server.control.channels() if c["live"]]


def run_main(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = tool.main(
        ["--project", PROJECT, *argv], stdin=io.StringIO(stdin), stdout=out, stderr=err
    )
    return status, out.getvalue(), err.getvalue()


def run_cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.calendars", *argv],
        cwd=REPO_ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- list ----------------------------------------------------------------------------------


def seed_states(db: firestore.Client) -> None:
    now = datetime.now(UTC)
    seed_calendar(
        db,
        "ok@example.com",
        ALICE,
        setupState="ready",
        lastSyncAt=now - timedelta(minutes=5),
        channelExpiresAt=now + timedelta(days=6),
    )
    seed_conference(db, "ok@example.com", "e1")
    seed_conference(db, "ok@example.com", "e2")
    seed_conference(db, "ok@example.com", "e3", ready=False)
    seed_calendar(db, "pending@example.com", ALICE, setupError="set-up budget ran out")
    seed_calendar(
        db, "failed@example.com", BOB, setupState="watch_failed", setupError="push not allowed"
    )
    seed_calendar(
        db,
        "revoked@example.com",
        BOB,
        setupState="access_revoked",
        channelExpiresAt=now - timedelta(hours=1),
    )
    seed_conference(db, "orphan@example.com", "e9")


def test_list_shows_each_calendar_with_its_state(db: firestore.Client) -> None:
    seed_states(db)

    status, out, _ = run_main("list")

    assert status == 0
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if "@" in line}
    assert set(rows) == {
        "ok@example.com",
        "pending@example.com",
        "failed@example.com",
        "revoked@example.com",
        "orphan@example.com",
    }
    assert " ok " in rows["ok@example.com"]
    assert rows["ok@example.com"].split()[-2:] == ["2", "-"]  # 2 mapped conferences, no error
    assert "set-up pending" in rows["pending@example.com"]
    assert "set-up budget ran out" in rows["pending@example.com"]
    assert "watch failed" in rows["failed@example.com"]
    assert "access revoked" in rows["revoked@example.com"]
    assert "(expired)" in rows["revoked@example.com"]
    assert "not set up" in rows["orphan@example.com"]
    assert "5 calendar(s)" in out


def test_list_json_from_the_command_line(db: firestore.Client) -> None:
    seed_states(db)

    result = run_cli(
        "list",
        "--json",
        env={
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "FIRESTORE_EMULATOR_HOST": os.environ["FIRESTORE_EMULATOR_HOST"],
        },
    )

    assert result.returncode == 0, result.stderr
    rows = {row["calendarId"]: row for row in json.loads(result.stdout)}
    ok = rows["ok@example.com"]
    assert ok["state"] == "ok"
    assert ok["setupState"] == "ready"
    assert ok["syncUser"] == ALICE
    assert ok["conferences"] == 2
    assert datetime.fromisoformat(ok["lastSyncAt"]) < datetime.now(UTC)
    assert datetime.fromisoformat(ok["channelExpiresAt"]) > datetime.now(UTC)
    assert rows["failed@example.com"]["setupError"] == "push not allowed"
    assert rows["orphan@example.com"]["state"] == "not set up"
    assert rows["orphan@example.com"]["syncUser"] is None


def test_list_shows_changes_waiting_and_refused_and_a_calendar_backing_off(
    db: firestore.Client,
) -> None:
    now = datetime.now(UTC)
    seed_calendar(
        db, "busy@example.com", ALICE, setupState="ready", quotaRetryAt=now + timedelta(hours=1)
    )
    store = ConferenceStore(db)
    for event_id, changes in (
        ("u1", {"state": "retry_pending", "retryAt": now, "retryCount": 2, "lastError": "busy"}),
        ("u2", {"state": "retry_pending", "retryAt": now, "retryCount": 1, "lastError": "5xx"}),
        ("d1", {"state": "delete_pending", "retryAt": now, "retryCount": 9, "lastError": "busy"}),
        ("r1", {"lastError": "given up after 8 attempts: MeetingRefused"}),
        ("ok", {}),
    ):
        seed_conference(db, "busy@example.com", event_id)
        if changes:
            store.update(ConferenceKey("busy@example.com", event_id, "1"), changes)

    status, out, _ = run_main("list")
    result = run_cli(
        "list",
        "--json",
        env={
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "FIRESTORE_EMULATOR_HOST": os.environ["FIRESTORE_EMULATOR_HOST"],
        },
    )

    assert status == 0
    [row] = [line for line in out.splitlines() if line.startswith("busy@example.com")]
    assert "ok, backing off" in row
    assert row.split()[-4:] == ["2/1", "1", "4", "-"]  # waiting updates/deletes, refused, confs
    assert "2 update(s) and 1 delete(s) waiting to be tried again" in out
    assert "1 change(s) refused for good" in out
    assert result.returncode == 0, result.stderr
    [listed] = json.loads(result.stdout)
    assert listed["state"] == "ok, backing off"
    assert (listed["retryPending"], listed["deletePending"], listed["refused"]) == (2, 1, 1)
    assert listed["conferences"] == 4  # ready and retry_pending: their meetings follow events


def test_list_of_nothing(db: firestore.Client) -> None:
    status, out, _ = run_main("list")

    assert status == 0
    assert "0 calendar(s)" in out


# -- uninstall -----------------------------------------------------------------------------


def test_uninstall_stops_every_channel_and_removes_all_state(
    db: firestore.Client, calendar: CalendarServer
) -> None:
    calendar.control.create_calendar(ALICE)
    seed_calendar(db, ALICE, ALICE, setupState="ready")
    live = seed_channel(db, ALICE, server=calendar)
    seed_channel(db, ALICE, resource_id="old-resource", stopped=True)
    seed_channel(db, ALICE)  # events.watch never answered: no resource id
    seed_conference(db, ALICE, "e1")
    assert live_channels(calendar) == [live]

    result = run_cli(
        "uninstall",
        "--yes",
        env={
            **function_settings(calendar),
            "FIRESTORE_EMULATOR_HOST": os.environ["FIRESTORE_EMULATOR_HOST"],
        },
    )

    assert result.returncode == 0, result.stderr
    assert live_channels(calendar) == []
    assert [c.method for c in calendar.control.calls("channels.stop")] == ["channels.stop"]
    assert counts(db) == {"conferences": 0, "calendars": 0, "channels": 0}
    assert f"stopped channel {live}" in result.stdout
    assert "already stopped" in result.stdout
    assert "no resource id" in result.stdout
    assert "Uninstalled." in result.stdout


def test_uninstall_asks_first_and_does_nothing_when_declined(
    db: firestore.Client, calendar: CalendarServer, fresh_runtime: None
) -> None:
    os.environ.update(function_settings(calendar))
    calendar.control.create_calendar(ALICE)
    seed_calendar(db, ALICE, ALICE, setupState="ready")
    live = seed_channel(db, ALICE, server=calendar)
    seed_conference(db, ALICE, "e1")

    status, out, _ = run_main("uninstall", stdin="n\n")

    assert status == 1
    assert "1 push channel(s) to stop" in out
    assert "Nothing was done." in out
    assert live_channels(calendar) == [live]
    assert counts(db) == {"conferences": 1, "calendars": 1, "channels": 1}


def test_uninstall_keeps_the_state_when_a_stop_fails_for_now(
    db: firestore.Client, calendar: CalendarServer
) -> None:
    calendar.control.create_calendar(ALICE)
    seed_calendar(db, ALICE, ALICE, setupState="ready")
    live = seed_channel(db, ALICE, server=calendar)
    seed_conference(db, ALICE, "e1")
    client = CalendarApi(
        credentials_for=LocalUserCredentials,
        api_endpoint=calendar.api_endpoint,
        sleep=lambda _: None,
    )
    calendar.control.fail_next("channels.stop", 503, "backendError", count=10)
    out, err = io.StringIO(), io.StringIO()

    status = tool.cmd_uninstall(
        tool.open_client(PROJECT, "(default)"),
        PROJECT,
        True,
        io.StringIO(),
        out,
        err,
        make_stop=lambda: client.stop_channel,
    )

    assert status == 1
    assert "Run uninstall again" in err.getvalue()
    assert counts(db) == {"conferences": 1, "calendars": 1, "channels": 1}
    assert live_channels(calendar) == [live]

    calendar.control.clear_faults()
    status = tool.cmd_uninstall(
        tool.open_client(PROJECT, "(default)"),
        PROJECT,
        True,
        io.StringIO(),
        out,
        err,
        make_stop=lambda: client.stop_channel,
    )

    assert status == 0
    assert live_channels(calendar) == []
    assert counts(db) == {"conferences": 0, "calendars": 0, "channels": 0}


def test_a_channel_that_can_never_be_stopped_is_left_to_expire(
    db: firestore.Client, calendar: CalendarServer, fresh_runtime: None
) -> None:
    os.environ.update(function_settings(calendar))
    calendar.control.create_calendar(BOB, writers=[ALICE])
    # Bob made the channel; the sync user on record is Alice, who may not stop it.
    seed_calendar(db, BOB, ALICE, setupState="access_revoked")
    channel = seed_channel(db, BOB, server=calendar, watcher=BOB)

    status, out, _ = run_main("uninstall", "--yes")

    assert status == 0
    assert f"channel {channel}: cannot be stopped (AccessDenied" in out
    assert "expires by itself" in out
    assert counts(db) == {"conferences": 0, "calendars": 0, "channels": 0}


def test_stopping_needs_the_settings_and_nothing_is_done_without_them(
    db: firestore.Client, calendar: CalendarServer, fresh_runtime: None
) -> None:
    for name in ("SYNC_WEBHOOK_URL", "ADDON_OAUTH_CLIENT_ID", "CALENDAR_CREDENTIALS"):
        os.environ.pop(name, None)
    calendar.control.create_calendar(ALICE)
    seed_calendar(db, ALICE, ALICE, setupState="ready")
    live = seed_channel(db, ALICE, server=calendar)

    status, _, err = run_main("uninstall", "--yes")

    assert status == 2
    assert "SYNC_WEBHOOK_URL is required" in err
    assert "nothing was done" in err
    assert live_channels(calendar) == [live]
    assert counts(db) == {"conferences": 0, "calendars": 1, "channels": 1}


def test_without_channels_to_stop_no_settings_are_needed(
    db: firestore.Client, fresh_runtime: None
) -> None:
    for name in ("SYNC_WEBHOOK_URL", "ADDON_OAUTH_CLIENT_ID"):
        os.environ.pop(name, None)
    seed_calendar(db, ALICE, ALICE, setupState="watch_failed")
    seed_channel(db, ALICE, resource_id="r1", stopped=True)
    seed_conference(db, ALICE, "e1")
    seed_conference(db, ALICE, "e2", ready=False)

    status, out, _ = run_main("uninstall", "--yes")

    assert status == 0
    assert (
        "deleted documents: 1 in channels/, 1 in calendars/, 0 in syncMessages/, "
        "0 in syncLeases/, 2 in conferences/."
    ) in out
    assert counts(db) == {"conferences": 0, "calendars": 0, "channels": 0}


def test_a_project_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)

    with pytest.raises(SystemExit) as exit_info:
        tool.main(["list"], stdout=io.StringIO(), stderr=io.StringIO())

    assert exit_info.value.code == 2
