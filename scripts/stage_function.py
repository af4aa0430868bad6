"""Stages one function folder for ``gcloud functions deploy --source``.

A deployed function's source must hold everything it imports: its ``main.py``, a copy of
``shared/`` and the pinned ``requirements.txt``. ``deploy.sh`` runs this for each function::

    python scripts/stage_function.py --function-dir functions/sync_events --out build/sync-events

The output folder is emptied first and then holds exactly::

    main.py  requirements.txt  .gcloudignore  shared/...   (no __pycache__, no symlinks)

Refusals (exit status 2): a function folder without ``main.py``, or with other Python
modules next to it (they would be left behind: shared code belongs in ``shared/``), a
missing ``shared/`` or ``requirements.txt``, an output folder that is the repository, a
source folder or one of their parents. Standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_REFUSED = 2

#: What gcloud leaves out of the upload. Without this file gcloud writes its own default,
#: which reads ``.gitignore``; the staged folder holds only what must be uploaded.
GCLOUDIGNORE = ".gcloudignore\n__pycache__/\n*.pyc\n"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


class StagingError(Exception):
    """The folder cannot be staged; the message says why."""


def _check_out(out: Path, sources: Sequence[Path]) -> None:
    resolved = out.resolve()
    for source in sources:
        source = source.resolve()
        if resolved == source or resolved in source.parents:
            raise StagingError(f"refusing to stage into {out}: it holds the source {source}")


def stage(
    function_dir: Path,
    out: Path,
    *,
    shared_dir: Path = REPO_ROOT / "shared",
    requirements: Path = REPO_ROOT / "requirements.txt",
) -> list[Path]:
    """Writes the deployable folder for ``function_dir`` into ``out``; returns its files."""
    main = function_dir / "main.py"
    if not main.is_file():
        raise StagingError(f"{function_dir} has no main.py")
    extra = sorted(path.name for path in function_dir.glob("*.py") if path.name != "main.py")
    if extra:
        raise StagingError(
            f"{function_dir} holds modules besides main.py ({', '.join(extra)}): they would "
            "not be deployed; move shared code into shared/"
        )
    if not (shared_dir / "__init__.py").is_file():
        raise StagingError(f"{shared_dir} is not a package (no __init__.py)")
    if not requirements.is_file():
        raise StagingError(f"{requirements} does not exist")
    _check_out(out, [function_dir, shared_dir, requirements.parent])

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copyfile(main, out / "main.py")
    shutil.copyfile(requirements, out / "requirements.txt")
    # symlinks=False copies what a link points to: the upload must not hold links.
    shutil.copytree(shared_dir, out / "shared", symlinks=False, ignore=_IGNORED)
    (out / ".gcloudignore").write_text(GCLOUDIGNORE, encoding="utf-8")

    files = sorted(path for path in out.rglob("*") if path.is_file())
    links = [path for path in out.rglob("*") if path.is_symlink()]
    if links:  # copytree follows links; this is only a guard against surprises
        raise StagingError(f"staged folder holds symlinks: {links}")
    for path in files:
        if path.suffix == ".py":
            # A syntax error fails here, not at the function's first cold start.
            compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/stage_function.py",
        description="Stage a function folder (main.py + shared/ + requirements.txt) "
        "for gcloud functions deploy --source.",
    )
    parser.add_argument(
        "--function-dir", type=Path, required=True, help="e.g. functions/sync_events"
    )
    parser.add_argument("--out", type=Path, required=True, help="e.g. build/sync-events")
    parser.add_argument("--shared-dir", type=Path, default=REPO_ROOT / "shared")
    parser.add_argument("--requirements", type=Path, default=REPO_ROOT / "requirements.txt")
    args = parser.parse_args(argv)
    try:
        files = stage(
            args.function_dir,
            args.out,
            shared_dir=args.shared_dir,
            requirements=args.requirements,
        )
    except (StagingError, SyntaxError) as err:
        sys.stderr.write(f"stage_function: {err}\n")
        return EXIT_REFUSED
    sys.stdout.write(f"staged {args.function_dir} into {args.out} ({len(files)} files)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
