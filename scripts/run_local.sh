#!/usr/bin/env bash
# The local stack (README): set-up, then emulators, local services, the functions and a
# demo. Extra arguments go to `python -m local.stack` (e.g. --provider zoom; --provider
# bigbluebutton adds the local BigBlueButton and join_meeting and prints a join link).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
exec .venv/bin/python -m local.stack "$@"
