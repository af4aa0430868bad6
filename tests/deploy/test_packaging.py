"""The staged functions, as deploy.sh uploads them, installed and served on their own.

Each function folder is staged with the command deploy.sh runs, its requirements.txt is
installed into a fresh virtual environment, and the venv's functions-framework serves it
from the staged folder alone (no repository root on the path): a missing module, a
missing pin or a file left out of the stage fails here, not in production. The staged
functions talk to the Firestore emulator, the local Calendar server and the local token
issuer.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import firestore

from local.fakes.calendar_server import CalendarServer
from local.fakes.token_issuer import TokenIssuer
from local.ports import free_port, port_open, wait_until
from local.stack import LOGO_URL
from tests.deploy.conftest import PROJECT, REPO_ROOT

pytestmark = pytest.mark.integration

AUDIENCE = "packaging-test.apps.googleusercontent.com"
DOMAIN = "example.com"
USER = f"alice@{DOMAIN}"


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build/ as deploy.sh stages it (the same command), in a temporary folder."""
    build = tmp_path_factory.mktemp("build")
    for name, folder in (
        ("create-conference", "create_conference"),
        ("sync-events", "sync_events"),
        ("join-meeting", "join_meeting"),
    ):
        subprocess.run(
            [
                sys.executable,
                "scripts/stage_function.py",
                f"--function-dir=functions/{folder}",
                f"--out={build / name}",
            ],
            cwd=REPO_ROOT,
            check=True,
            timeout=60,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    return build


@pytest.fixture(scope="session")
def function_venv(staged: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the staged requirements.txt installed (once)."""
    requirements = staged / "create-conference" / "requirements.txt"
    assert filecmp.cmp(requirements, staged / "sync-events" / "requirements.txt", False)
    venv = tmp_path_factory.mktemp("function-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (venv / "bin" / "functions-framework").exists()
    return venv


class StagedFunction:
    """functions-framework of ``venv`` serving ``target`` from ``folder`` alone."""

    def __init__(
        self, venv: Path, folder: Path, target: str, env: dict[str, str], log: Path
    ) -> None:
        self.venv = venv
        self.folder = folder
        self.target = target
        self.env = env
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> StagedFunction:
        env = {
            # Nothing of the test process: no PYTHONPATH, no repository, no other venv.
            "PATH": f"{self.venv / 'bin'}{os.pathsep}/usr/bin:/bin",
            "HOME": str(self.log.parent),
            "PYTHONUNBUFFERED": "1",
            "PYTHONNOUSERSITE": "1",
            **self.env,
        }
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.venv / "bin" / "functions-framework"),
                    "--source=main.py",
                    f"--target={self.target}",
                    "--host=127.0.0.1",
                    f"--port={self.port}",
                ],
                cwd=self.folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._up, 60, f"the staged {self.target}")
        return self

    def _up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.target} exited:\n{self.logs()}")
        return port_open(self.port)

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class Services:
    def __init__(
        self,
        create: StagedFunction,
        sync: StagedFunction,
        calendar: CalendarServer,
        issuer: TokenIssuer,
    ) -> None:
        self.create = create
        self.sync = sync
        self.calendar = calendar
        self.issuer = issuer


@pytest.fixture(scope="session")
def services(
    function_venv: Path,
    staged: Path,
    deploy_emulator: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    logs = tmp_path_factory.mktemp("staged-logs")
    calendar = CalendarServer(port=0).start()
    issuer = TokenIssuer().start()
    sync_port = free_port()
    env = {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "FIRESTORE_EMULATOR_HOST": deploy_emulator.host,
        "CALENDAR_CREDENTIALS": "anonymous",
        "CALENDAR_API_ENDPOINT": calendar.api_endpoint,
        "GOOGLE_ID_TOKEN_CERTS_URL": issuer.certs_url,
        "ADDON_OAUTH_CLIENT_ID": AUDIENCE,
        "ADDON_LOGO_URL": LOGO_URL,
        "ALLOWED_DOMAINS": DOMAIN,
        "CONFERENCE_PROVIDER": "jitsi",
        "SYNC_WEBHOOK_URL": f"http://127.0.0.1:{sync_port}/",
        "FUNCTION_TIMEOUT_SECONDS": "30",
        "THREADS": "4",
    }
    sync = StagedFunction(
        function_venv, staged / "sync-events", "sync_events", env, logs / "sync.log"
    )
    sync.port = sync_port
    create = StagedFunction(
        function_venv, staged / "create-conference", "create_conference", env, logs / "create.log"
    )
    try:
        sync.start()
        create.start()
        yield Services(create, sync, calendar, issuer)
    finally:
        create.stop()
        sync.stop()
        issuer.stop()
        calendar.stop()


@pytest.fixture
def db(services: Services, firestore_host: str) -> firestore.Client:
    services.calendar.control.reset()
    return firestore.Client(project=PROJECT)


def test_create_conference_without_a_token_answers_401_json(services: Services) -> None:
    body = {"solutionId": "1", "eventData": {"calendarId": USER, "eventId": "e1"}}

    answer = requests.post(services.create.url, json=body, timeout=30)

    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == 401
    assert isinstance(error["message"], str)


def test_authenticated_create_and_sync_through_the_staged_functions(
    services: Services, db: firestore.Client
) -> None:
    control = services.calendar.control
    control.create_calendar(USER, time_zone="Europe/Berlin")
    event = control.insert_events(
        USER,
        [
            {
                "summary": "Packaging check",
                "start": {"dateTime": "2030-01-07T10:00:00+01:00", "timeZone": "Europe/Berlin"},
                "end": {"dateTime": "2030-01-07T11:00:00+01:00", "timeZone": "Europe/Berlin"},
            }
        ],
    )[0]
    token = services.issuer.mint(USER, AUDIENCE, hd=DOMAIN)
    body = {"solutionId": "1", "eventData": {"calendarId": USER, "eventId": event["id"]}}

    answer = requests.post(
        services.create.url,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )

    assert answer.status_code == 200, services.create.logs()
    conference = answer.json()["conferenceData"]
    video = [p for p in conference["entryPoints"] if p["entryPointType"] == "video"]
    assert video
    assert video[0]["uri"].startswith("https://meet.jit.si/")
    stored = [s.to_dict() or {} for s in db.collection("conferences").stream()]
    assert [(d["calendarId"], d["eventId"], d["state"]) for d in stored] == [
        (USER, event["id"], "ready")
    ]
    # The calendar is watched with the staged sync-events as its webhook; a change in the
    # calendar reaches it as Calendar's push message and is answered.
    channels = [c for c in control.channels() if c["live"]]
    assert [c["address"] for c in channels] == [services.sync.url]
    control.insert_events(
        USER,
        [
            {
                "summary": "Another",
                "start": {"dateTime": "2030-01-08T10:00:00Z"},
                "end": {"dateTime": "2030-01-08T11:00:00Z"},
            }
        ],
    )
    control.wait_for_deliveries(timeout=30)
    deliveries = control.deliveries(channel_id=channels[0]["id"])
    assert {d.state for d in deliveries} >= {"sync", "exists"}
    assert {d.status for d in deliveries} == {200}, services.sync.logs()


def test_sync_events_answers_a_push_message_for_an_unknown_channel(
    services: Services, db: firestore.Client
) -> None:
    headers = {
        "X-Goog-Channel-ID": "ch-" + uuid.uuid4().hex,
        "X-Goog-Channel-Token": "not-ours",
        "X-Goog-Resource-ID": "resource-1",
        "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/x/events",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "7",
        "X-Goog-Channel-Expiration": "Tue, 19 Nov 2030 01:13:52 GMT",
    }

    answer = requests.post(services.sync.url, headers=headers, timeout=30)

    assert answer.status_code < 500, services.sync.logs()
    assert answer.headers["Content-Type"].startswith("application/json")


def test_the_staged_join_function_serves_its_pages(
    services: Services, function_venv: Path, staged: Path, tmp_path: Path, firestore_host: str
) -> None:
    env = {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "FIRESTORE_EMULATOR_HOST": firestore_host,
        "CALENDAR_CREDENTIALS": "anonymous",
        "CALENDAR_API_ENDPOINT": services.calendar.api_endpoint,
        "GOOGLE_ID_TOKEN_CERTS_URL": services.issuer.certs_url,
        "ADDON_OAUTH_CLIENT_ID": AUDIENCE,
        "ADDON_LOGO_URL": LOGO_URL,
        "ALLOWED_DOMAINS": DOMAIN,
        "CONFERENCE_PROVIDERS": "bigbluebutton",
        "SYNC_WEBHOOK_URL": services.sync.url,
        "BBB_API_URL": "http://127.0.0.1:9/bigbluebutton/api/",
        "BBB_SECRET": "packaging-secret",
        "JOIN_SESSION_KEY": "packaging-session-key-0123456789abcdef",
        "JOIN_OAUTH_CLIENT_ID": "join.apps.googleusercontent.com",
        "JOIN_OAUTH_CLIENT_SECRET": "join-secret",
        "THREADS": "2",
    }
    join = StagedFunction(
        function_venv, staged / "join-meeting", "join_meeting", env, tmp_path / "join.log"
    )
    join.env["JOIN_BASE_URL"] = join.url
    join.start()
    try:
        unknown = requests.get(join.url + "A" * 22, timeout=30)
        css = requests.get(join.url + "assets/join.css", timeout=30)
    finally:
        join.stop()

    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith("text/html")
    assert css.status_code == 200
