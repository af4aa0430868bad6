"""Fixtures of the deployment tests: a copy of the repository to run ``deploy.sh`` in, a
fake ``gcloud`` on the PATH, and (for the integration tier) a Firestore emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.firestore_emulator import FirestoreEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
FAKE_GCLOUD = Path(__file__).with_name("fake_gcloud.py")
PROJECT = "demo-deploy-tests"

#: What deploy.sh needs from the repository.
DEPLOY_SOURCES = (
    "deploy.sh",
    "deploy.env.example",
    "requirements.txt",
    "scripts/stage_function.py",
    "shared",
    "functions",
    "addon",
)
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "test", "node_modules")

JITSI_SETTINGS = {
    "PROJECT_ID": "acme-conferencing",
    "REGION": "europe-west1",
    "ADDON_OAUTH_CLIENT_ID": "1234567890-abcdef.apps.googleusercontent.com",
    "ALLOWED_DOMAINS": "example.com,Example.org",
    "CONFERENCE_PROVIDER": "jitsi",
    "ADDON_LOGO_URL": "https://lh3.googleusercontent.com/acme-listing-icon=s32",
}
ZOOM_SETTINGS = {
    **JITSI_SETTINGS,
    "CONFERENCE_PROVIDER": "zoom",
    "ZOOM_ACCOUNT_ID": "zoom-account-1",
    "ZOOM_CLIENT_ID": "zoom-client-1",
    "ZOOM_CLIENT_SECRET_NAME": "zoom-client-secret",
}

BBB_SETTINGS = {
    **JITSI_SETTINGS,
    "CONFERENCE_PROVIDER": "",
    "CONFERENCE_PROVIDERS": "jitsi,bigbluebutton",
    "BBB_API_URL": "https://bbb.example.org/bigbluebutton/api/",
    "BBB_SECRET_NAME": "bbb-secret",
    "JOIN_OAUTH_CLIENT_ID": "5555-join.apps.googleusercontent.com",
    "JOIN_OAUTH_CLIENT_SECRET_NAME": "join-oauth-client-secret",
    "JOIN_SESSION_KEY_NAME": "join-session-key",
}
BBB_SECRETS = ("secret:bbb-secret", "secret:join-oauth-client-secret", "secret:join-session-key")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what deploy.sh uses, to run it in (it writes build/ and addon/build/)."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in DEPLOY_SOURCES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=_IGNORE)
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


def _script(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


@dataclass
class FakeCloud:
    """A fake gcloud (and clasp) on a PATH of its own, with its call log and state."""

    bin_dir: Path
    log: Path
    state_path: Path
    home: Path

    def set_state(self, **state: Any) -> None:
        self.state_path.write_text(json.dumps(state), encoding="utf-8")

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
        return data

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def clear_log(self) -> None:
        self.log.write_text("", encoding="utf-8")

    def env(self, settings: Mapping[str, str]) -> dict[str, str]:
        return {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(self.home),
            "PYTHON": sys.executable,
            "FAKE_GCLOUD_LOG": str(self.log),
            "FAKE_GCLOUD_STATE": str(self.state_path),
            "LC_ALL": "C.UTF-8",
            **settings,
        }


@pytest.fixture
def cloud(tmp_path: Path) -> FakeCloud:
    """The recording fake gcloud; the project starts with its Firestore database only."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    _script(bin_dir / "gcloud", f'#!/bin/sh\nexec "{sys.executable}" -I -S "{FAKE_GCLOUD}" "$@"\n')
    fake = FakeCloud(bin_dir, tmp_path / "gcloud.log", tmp_path / "gcloud-state.json", home)
    fake.set_state(database="FIRESTORE_NATIVE")
    return fake


@pytest.fixture
def tripwire(tmp_path: Path) -> FakeCloud:
    """gcloud and clasp that must never run: each call leaves a mark and fails loudly."""
    bin_dir = tmp_path / "tripwire-bin"
    bin_dir.mkdir()
    home = tmp_path / "tripwire-home"
    home.mkdir()
    (home / ".clasprc.json").write_text("{}", encoding="utf-8")
    log = tmp_path / "tripwire.log"
    for tool in ("gcloud", "clasp"):
        _script(
            bin_dir / tool,
            f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n'
            f'echo "{tool} must not be called here" >&2\nexit 99\n',
        )
    fake = FakeCloud(bin_dir, log, tmp_path / "unused-state.json", home)
    fake.set_state()
    return fake


def run_deploy(
    repo: Path,
    cloud: FakeCloud,
    settings: Mapping[str, str],
    *args: str,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run repo/deploy.sh with only ``settings`` (and the fake's variables) as environment."""
    env = {**cloud.env(settings), **(extra_env or {})}
    return subprocess.run(
        ["bash", str(repo / "deploy.sh"), *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` outside build/ and addon/build/, with its content."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("build/", "addon/build/")) or relative in ("build", "addon/build"):
            continue
        files[relative] = path.read_bytes() if path.is_file() else b"<dir>"
    return files


# -- integration tier ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def deploy_emulator() -> Iterator[FirestoreEmulator]:
    """A Firestore emulator for the deployment tests (started once).

    No log_path: FirestoreEmulator leaves its log file open (a ResourceWarning, an error
    under filterwarnings=error)."""
    emulator = FirestoreEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def firestore_host(deploy_emulator: FirestoreEmulator) -> str:
    """The emulator's host, set as FIRESTORE_EMULATOR_HOST, with PROJECT emptied."""
    os.environ["FIRESTORE_EMULATOR_HOST"] = deploy_emulator.host
    deploy_emulator.clear(PROJECT)
    return deploy_emulator.host
