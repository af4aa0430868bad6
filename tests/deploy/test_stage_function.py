"""scripts/stage_function.py: the deployable folder of one function."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.stage_function import GCLOUDIGNORE, StagingError, stage
from tests.deploy.conftest import REPO_ROOT


def _tree(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def _shared_sources() -> set[str]:
    return {
        "shared/" + name
        for name in _tree(REPO_ROOT / "shared")
        if "__pycache__" not in name and not name.endswith((".pyc", ".pyo"))
    }


def test_stages_main_shared_and_requirements_only(tmp_path: Path) -> None:
    out = tmp_path / "create-conference"

    stage(REPO_ROOT / "functions" / "create_conference", out)

    assert _tree(out) == {"main.py", "requirements.txt", ".gcloudignore"} | _shared_sources()
    assert filecmp.cmp(out / "main.py", REPO_ROOT / "functions/create_conference/main.py", False)
    assert filecmp.cmp(out / "requirements.txt", REPO_ROOT / "requirements.txt", False)
    assert (out / ".gcloudignore").read_text(encoding="utf-8") == GCLOUDIGNORE
    assert not [path for path in out.rglob("*") if path.is_symlink()]
    assert not [path for path in out.rglob("__pycache__")]


def test_stages_the_join_function_with_its_shared_package(tmp_path: Path) -> None:
    out = tmp_path / "join-meeting"

    stage(REPO_ROOT / "functions" / "join_meeting", out)

    assert _tree(out) == {"main.py", "requirements.txt", ".gcloudignore"} | _shared_sources()
    assert (out / "shared" / "join" / "handler.py").is_file()
    assert filecmp.cmp(out / "main.py", REPO_ROOT / "functions/join_meeting/main.py", False)


def test_restaging_removes_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "sync-events"
    out.mkdir()
    (out / "stale.py").write_text("old = True\n", encoding="utf-8")

    stage(REPO_ROOT / "functions" / "sync_events", out)

    assert not (out / "stale.py").exists()
    assert (out / "main.py").is_file()


def _function(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "functions" / "f"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _shared(tmp_path: Path) -> Path:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "__init__.py").write_text('"""shared"""\n', encoding="utf-8")
    return shared


def test_symlinks_are_copied_as_files(tmp_path: Path) -> None:
    shared = _shared(tmp_path)
    target = tmp_path / "elsewhere.py"
    target.write_text("VALUE = 1\n", encoding="utf-8")
    (shared / "linked.py").symlink_to(target)
    (shared / "__pycache__").mkdir()
    (shared / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    folder = _function(tmp_path, {"main.py": "import shared\n"})
    out = tmp_path / "out"

    stage(folder, out, shared_dir=shared, requirements=REPO_ROOT / "requirements.txt")

    copied = out / "shared" / "linked.py"
    assert copied.is_file()
    assert not copied.is_symlink()
    assert copied.read_text(encoding="utf-8") == "VALUE = 1\n"
    assert not (out / "shared" / "__pycache__").exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"helper.py": "x = 1\n"}, "has no main.py"),
        ({"main.py": "import helper\n", "helper.py": "x = 1\n"}, "helper.py"),
    ],
)
def test_refuses_function_folders_that_would_deploy_incomplete(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    folder = _function(tmp_path, files)

    with pytest.raises(StagingError, match=message):
        stage(folder, tmp_path / "out", shared_dir=_shared(tmp_path))


def test_refuses_to_stage_into_a_source(tmp_path: Path) -> None:
    folder = _function(tmp_path, {"main.py": "x = 1\n"})

    with pytest.raises(StagingError, match="refusing"):
        stage(folder, tmp_path, shared_dir=_shared(tmp_path))
    assert (folder / "main.py").is_file()


def test_command_line_refuses_a_syntax_error_with_status_2(tmp_path: Path) -> None:
    folder = _function(tmp_path, {"main.py": "def broken(:\n"})

    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "stage_function.py"),
            f"--function-dir={folder}",
            f"--out={tmp_path / 'out'}",
            f"--shared-dir={_shared(tmp_path)}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 2
    assert "stage_function:" in result.stderr
