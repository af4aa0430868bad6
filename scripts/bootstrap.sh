#!/usr/bin/env bash
# Creates .venv from the pinned requirements (again only when they changed). Sourced by
# scripts/test.sh and scripts/run_local.sh; needs python3 (3.11+), and for the tests and
# the local stack gcloud's Firestore emulator with Java, and Node 20.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(cat "$root/requirements.txt" "$root/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-dev.txt" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" > "$stamp"
fi
for tool in gcloud java node; do
  command -v "$tool" >/dev/null || { echo "missing on PATH: $tool (see README, The two commands)" >&2; exit 1; }
done
