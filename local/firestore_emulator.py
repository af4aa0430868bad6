"""Starts and stops gcloud's Firestore emulator (its Java child included).

The emulator runs in its own process group so that stopping it ends the Java process too
(stopping only ``gcloud`` leaves Java holding the port).
"""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

from local.ports import free_port, port_open, wait_until
from local.process_group import stop_group


class FirestoreEmulator:
    """One emulator process on ``127.0.0.1:port``."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> FirestoreEmulator:
        command = [
            "gcloud",
            "emulators",
            "firestore",
            "start",
            f"--host-port={self.host}",
            "--quiet",
        ]
        if self._log_path is not None:
            with open(self._log_path, "wb") as log:
                self._process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
        else:
            self._process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, timeout, "the Firestore emulator", interval=0.2)
        return self

    def _answers(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"the Firestore emulator exited with {self._process.returncode}")
        with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as answer:
            return int(answer.status) == 200

    def clear(self, project: str) -> None:
        """Delete every document of ``project`` (the emulator's reset endpoint)."""
        url = f"http://{self.host}/emulator/v1/projects/{project}/databases/(default)/documents"
        request = urllib.request.Request(url, method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as answer:
            if int(answer.status) != 200:
                raise RuntimeError(f"clearing the emulator answered {answer.status}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        stop_group(process, grace_seconds=15)
        # Java outlives gcloud by a moment: the port is free only once it is gone.
        wait_until(lambda: not port_open(self.port), 30, "the emulator's shutdown")
