"""Serving an entry point with the real functions-framework, as its own process.

Each function runs in its own process (``create_app`` registers every source as the
module ``main``, so two functions in one process would collide). Output goes to a log
file that tests read; the process gets its own process group so stop() ends it all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from local.ports import free_port, port_open, wait_until
from local.process_group import stop_group

REPO_ROOT = Path(__file__).resolve().parent.parent


class FunctionProcess:
    def __init__(
        self,
        folder: str,
        target: str,
        env: dict[str, str],
        log_path: Path,
        port: int | None = None,
        source_root: Path = REPO_ROOT,
    ) -> None:
        self.folder = folder
        self.target = target
        self.env = dict(env)
        self.log_path = log_path
        self.port = port or free_port()
        self.source_root = source_root
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60.0) -> FunctionProcess:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = str(self.source_root)
        env.setdefault("PYTHONUNBUFFERED", "1")
        source = self.source_root / "functions" / self.folder / "main.py"
        if not source.exists():
            source = self.source_root / "main.py"
        executable = Path(sys.executable).with_name("functions-framework")
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [
                    str(executable),
                    "--source",
                    str(source),
                    "--target",
                    self.target,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=self.source_root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._up, timeout, f"functions-framework serving {self.target}")
        return self

    def _up(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(
                f"{self.target} exited with {self._process.returncode}; see {self.log_path}"
            )
        return port_open(self.port)

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def wait_exit(self, timeout: float) -> int:
        assert self._process is not None
        return self._process.wait(timeout=timeout)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        stop_group(process)
        wait_until(lambda: not port_open(self.port), 10, f"{self.target} to stop")

    def restart(self) -> FunctionProcess:
        self.stop()
        return self.start()

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")
