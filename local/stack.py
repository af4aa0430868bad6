"""The local stack in one command: emulators, local services, the functions, a demo.

Starts the Firestore emulator, the local Calendar server, the local token issuer (and
the local Zoom server with ``--provider zoom``; with ``--provider bigbluebutton`` the local
BigBlueButton, the issuer's sign-in endpoints and join_meeting, and the demo prints a join
link to open in a browser), serves create_conference, sync_events and sweep with
functions-framework (acting as users with ``local-user:`` tokens, or with
``--credentials delegated`` through the local token endpoint), then runs a short demo:
an event is created, its conference is created as the add-on shim would, the conference
is saved onto the event, and the event is moved so that sync updates the meeting.
Prints the ConferenceData and where everything runs, then waits; Ctrl-C stops
everything, the emulator included.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.fakes.bbb_server import BBBServer
from local.fakes.calendar_server import CalendarServer
from local.fakes.token_issuer import TokenIssuer
from local.fakes.zoom_server import ZoomServer
from local.firestore_emulator import FirestoreEmulator
from local.function_process import FunctionProcess
from shared.join.handler import CALLBACK_PATH as JOIN_CALLBACK_PATH

PROJECT = "demo-conferencing"
#: The delegation account of ``--credentials delegated`` (trusted by the local issuer).
DELEGATION_ACCOUNT = f"conf-delegate@{PROJECT}.iam.gserviceaccount.com"
AUDIENCE = "local-addon.apps.googleusercontent.com"
DOMAIN = "example.com"
USER = f"demo@{DOMAIN}"
GUEST = "guest@example.org"  # the demo event's attendee (a viewer of its BigBlueButton link)
ZOOM = {"account": "local-account", "client": "local-client", "secret": "local-secret"}
LOGO_URL = "https://lh3.googleusercontent.com/local-stack-logo=s32"
"""ADDON_LOGO_URL of the local stack and the tests: on a Google host, as the settings
require, and never fetched (no image is there)."""


def function_env(
    *,
    emulator: FirestoreEmulator,
    calendar: CalendarServer,
    issuer: TokenIssuer,
    webhook_url: str,
    provider: str,
    audience: str = AUDIENCE,
    domain: str = DOMAIN,
    zoom: ZoomServer | None = None,
) -> dict[str, str]:
    """The settings of the entry points on the local stack (the tests build on these)."""
    env = {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "FIRESTORE_EMULATOR_HOST": emulator.host,
        "CALENDAR_API_ENDPOINT": calendar.api_endpoint,
        "CALENDAR_CREDENTIALS": "anonymous",
        "SYNC_WEBHOOK_URL": webhook_url,
        "ADDON_OAUTH_CLIENT_ID": audience,
        "GOOGLE_ID_TOKEN_CERTS_URL": issuer.certs_url,
        "ALLOWED_DOMAINS": domain,
        "CONFERENCE_PROVIDER": provider,
        "ADDON_LOGO_URL": LOGO_URL,
    }
    if zoom is not None:
        env.update(
            {
                "ZOOM_ACCOUNT_ID": ZOOM["account"],
                "ZOOM_CLIENT_ID": ZOOM["client"],
                "ZOOM_CLIENT_SECRET": ZOOM["secret"],
                "ZOOM_API_BASE": zoom.api_base,
                "ZOOM_OAUTH_URL": zoom.oauth_url,
            }
        )
    return env


JOIN_CLIENT = {
    "id": "local-join.apps.googleusercontent.com",
    "secret": "local-join-secret",
}
#: Signs the join function's cookies on the local stack only (deployments use Secret Manager).
LOCAL_JOIN_SESSION_KEY = "local-join-session-key-for-the-local-stack-only"


def join_env(*, issuer: TokenIssuer, bbb: BBBServer, join_url: str) -> dict[str, str]:
    """The settings the join function adds on the local stack: the local BigBlueButton,
    the local issuer's sign-in endpoints, and ``join_url`` (the join function's own
    address) as ``JOIN_BASE_URL``. The issuer gets the web client registered, with the
    callback under ``join_url`` as its redirect URI."""
    issuer.oidc.register_client(
        JOIN_CLIENT["id"], JOIN_CLIENT["secret"], [join_url + JOIN_CALLBACK_PATH]
    )
    return {
        "CONFERENCE_PROVIDERS": "bigbluebutton",
        "BBB_API_URL": bbb.api_url,
        "BBB_SECRET": bbb.secret,
        "JOIN_BASE_URL": join_url,
        "JOIN_SESSION_KEY": LOCAL_JOIN_SESSION_KEY,
        "JOIN_OAUTH_CLIENT_ID": JOIN_CLIENT["id"],
        "JOIN_OAUTH_CLIENT_SECRET": JOIN_CLIENT["secret"],
        "GOOGLE_OAUTH_AUTHORIZE_URL": issuer.authorize_url,
        "GOOGLE_OAUTH_TOKEN_URL": issuer.token_uri,
    }


def local_delegation(issuer: TokenIssuer, folder: Path) -> dict[str, str]:
    """The settings of ``CALENDAR_CREDENTIALS=delegated`` on the local stack.

    A new RSA key (written to ``folder``, readable by its owner only) stands in for the
    IAM signBlob of :data:`DELEGATION_ACCOUNT`; the local issuer trusts it, so the
    functions exchange real JWT-bearer assertions at its token endpoint, and the access
    tokens it returns act as the user on the local Calendar server.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "delegation-key.pem"
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    issuer.trust_service_account(DELEGATION_ACCOUNT, key.public_key())
    return {
        "CALENDAR_CREDENTIALS": "delegated",
        "DELEGATION_SERVICE_ACCOUNT": DELEGATION_ACCOUNT,
        "CALENDAR_TOKEN_URI": issuer.token_uri,
        "CALENDAR_SIGNING_KEY_FILE": str(key_file),
    }


def _soon(minutes: int) -> str:
    """A local time ``minutes`` from now in Europe/Berlin (the demo calendar's zone)."""
    moment = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=minutes)
    return moment.replace(second=0, microsecond=0, tzinfo=None).isoformat()


def demo(
    calendar: CalendarServer, issuer: TokenIssuer, create_url: str, *, now: bool = False
) -> dict[str, Any]:
    """Create an event, its conference (as the add-on would), save it, then move it.

    ``now``: the event starts in a few minutes and moves by a few (a BigBlueButton join
    link opens 15 minutes before the start); else it is in 2030."""
    calendar.control.create_calendar(USER, owner=USER, time_zone="Europe/Berlin")
    auth = {"Authorization": f"Bearer local-user:{USER}"}
    events = f"{calendar.api_endpoint}calendars/{USER}/events"
    start, end = ("2030-03-04T10:00:00", "2030-03-04T11:00:00")
    moved_start, moved_end = ("2030-03-04T15:00:00", "2030-03-04T16:00:00")
    if now:
        start, end, moved_start, moved_end = _soon(5), _soon(65), _soon(10), _soon(70)
    event = requests.post(
        events,
        json={
            "summary": "Demo meeting",
            "start": {"dateTime": start, "timeZone": "Europe/Berlin"},
            "end": {"dateTime": end, "timeZone": "Europe/Berlin"},
            "attendees": [{"email": GUEST}],
        },
        headers=auth,
        timeout=10,
    ).json()
    token = issuer.mint(USER, AUDIENCE, hd=DOMAIN)
    answer = requests.post(
        create_url,
        json={"solutionId": "1", "eventData": {"calendarId": USER, "eventId": event["id"]}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()["conferenceData"]
    url = f"{events}/{event['id']}?conferenceDataVersion=1"
    requests.patch(url, json={"conferenceData": data}, headers=auth, timeout=10).raise_for_status()
    calendar.wait_for_deliveries(timeout=30)
    moved = {
        "start": {"dateTime": moved_start, "timeZone": "Europe/Berlin"},
        "end": {"dateTime": moved_end, "timeZone": "Europe/Berlin"},
    }
    requests.patch(url, json=moved, headers=auth, timeout=10).raise_for_status()
    calendar.wait_for_deliveries(timeout=30)
    return data


def print_join_link(data: dict[str, Any]) -> None:
    """The demo's BigBlueButton join link, checked once, and how to use it."""
    link = str(data["entryPoints"][0]["uri"])
    status = requests.get(link, timeout=30, allow_redirects=False).status_code
    print(f"\nJoin link (answers {status}); open it in a browser on this machine:\n  {link}")
    print(
        f"  Sign in with Google goes to the local sign-in page: type {USER} (the organizer:"
        f" moderator) or {GUEST} (an attendee: viewer), or another address (the lobby);"
        " Join as a guest waits in the lobby. Then the local BigBlueButton's client page"
        " opens (its control, /_control/meetings, shows who is in which role)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=("jitsi", "zoom", "bigbluebutton"), default="jitsi")
    parser.add_argument(
        "--credentials",
        choices=("anonymous", "delegated"),
        default="anonymous",
        help="delegated: the functions get their tokens from the local token issuer",
    )
    parser.add_argument("--no-demo", action="store_true", help="start everything, skip the demo")
    parser.add_argument("--once", action="store_true", help="stop after the demo (for tests)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request lines

    stoppers: list[Callable[[], None]] = []
    logs = Path(tempfile.mkdtemp(prefix="conferencing-local-"))
    try:
        emulator = FirestoreEmulator(log_path=logs / "firestore.log").start()
        stoppers.append(emulator.stop)
        issuer = TokenIssuer().start()
        stoppers.append(issuer.stop)
        calendar = CalendarServer().start()
        stoppers.append(calendar.stop)
        zoom = None
        if args.provider == "zoom":
            zoom = ZoomServer().start()
            stoppers.append(zoom.stop)
            zoom.add_account(ZOOM["account"], ZOOM["client"], ZOOM["secret"])
            zoom.add_user(ZOOM["account"], USER)
        bbb = None
        join = None
        if args.provider == "bigbluebutton":
            bbb = BBBServer().start()
            stoppers.append(bbb.stop)
            issuer.oidc.workspace_domains.add(DOMAIN)
            join = FunctionProcess("join_meeting", "join_meeting", {}, logs / "join.log")
        sync = FunctionProcess("sync_events", "sync_events", {}, logs / "sync_events.log")
        env = function_env(
            emulator=emulator,
            calendar=calendar,
            issuer=issuer,
            webhook_url=sync.url,
            provider=args.provider,
            zoom=zoom,
        )
        if args.credentials == "delegated":
            env.update(local_delegation(issuer, logs))
        if bbb is not None and join is not None:
            env.update(join_env(issuer=issuer, bbb=bbb, join_url=join.url))
            join.env.update(env)
        sync.env.update(env)
        create = FunctionProcess("create_conference", "create_conference", env, logs / "create.log")
        sweep = FunctionProcess("sync_events", "sweep", env, logs / "sweep.log")
        for process in (sync, create, sweep, *([join] if join is not None else [])):
            process.start()
            stoppers.append(process.stop)

        print("The local stack is up:")
        print(f"  Firestore emulator    {emulator.host}")
        print(f"  Calendar v3 (local)   {calendar.api_endpoint}")
        print(f"  ID token issuer       {issuer.base_url}  (certificates {issuer.certs_url})")
        if args.credentials == "delegated":
            print(f"  token endpoint        {issuer.token_uri}  (as {DELEGATION_ACCOUNT})")
        if zoom is not None:
            print(f"  Zoom v2 (local)       {zoom.api_base}")
        if bbb is not None and join is not None:
            print(f"  BigBlueButton (local) {bbb.api_url}")
            print(f"  sign-in (local)       {issuer.authorize_url}")
            print(f"  join_meeting          {join.url}")
        print(f"  create_conference     {create.url}")
        print(f"  sync_events           {sync.url}")
        print(f"  sweep                 {sweep.url}")
        print(f"  logs                  {logs}")
        if not args.no_demo:
            data = demo(calendar, issuer, create.url, now=bbb is not None)
            print("\nDemo: an event got this ConferenceData (then it was moved; sync ran):")
            print(json.dumps(data, indent=2))
            if bbb is not None:
                print_join_link(data)
        if args.once:
            return 0
        print("\nCtrl-C stops everything.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        return 0
    finally:
        for stopper in reversed(stoppers):
            try:
                stopper()
            except Exception as err:  # noqa: BLE001 - keep stopping the rest
                print(f"while stopping: {type(err).__name__}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
