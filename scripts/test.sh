#!/usr/bin/env bash
# The test command (README, .ci/run): set-up, lint, types, then every test tier.
# Extra arguments go to pytest (e.g. scripts/test.sh -k conference_data).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
