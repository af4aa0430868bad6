#!/usr/bin/env bash
# The test command (README, .ci/run): set-up, lint, types, then the tests under coverage.
#
# Without arguments: the fast tier (-m "not integration"), which must cover at least 90% of
# the pure modules, then the integration tier; together they must cover at least 85% of
# shared/. Extra arguments go to pytest as one run (e.g. scripts/test.sh -k conference_data),
# measured but without the thresholds: a partial run cannot meet them.
# How coverage sees the functions served in subprocesses: docs/development.md#coverage.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

PURE_FLOOR=90
SHARED_FLOOR=85
# The pure modules: decisions, answer tables, parsing, ConferenceData, settings. Those not
# written yet are left out until they exist.
PURE_MODULES=(
  shared/sync/rules.py
  shared/sync/push_rules.py
  shared/sync/followers.py
  shared/creation/decisions.py
  shared/http/push_message.py
  shared/http/create_request.py
  shared/conferences/conference_data.py
  shared/conferences/meeting_spec.py
  shared/conferences/covering.py
  shared/conferences/carried.py
  shared/conferences/solutions.py
  shared/config.py
  shared/retries.py
  shared/providers/bigbluebutton/checksum.py
  shared/providers/bigbluebutton/answers.py
  shared/providers/bigbluebutton/meeting_ids.py
  shared/join/settings.py
  shared/join/cookies.py
  shared/join/admission.py
  shared/join/pages.py
  shared/join/handler.py
)
coverage=.venv/bin/coverage

# seconds_since MICROSECONDS: the time since then, in seconds with one decimal.
seconds_since() {
  local tenths=$(((${EPOCHREALTIME/./} - $1) / 100000))
  echo "$((tenths / 10)).$((tenths % 10))"
}

# run_tier NAME PYTEST_ARGS...: pytest under coverage; prints the wall time. Returns
# pytest's status: a failing test fails the script, and so does 5 (no test ran): every tier
# has tests, and a selection that matches none is a mistake.
run_tier() {
  local name="$1" started="${EPOCHREALTIME/./}" status=0
  shift
  "$coverage" run -m pytest "$@" || status=$?
  echo "$name: $(seconds_since "$started") s wall time"
  if [ "$status" -eq 5 ]; then
    echo "$name: no test ran (pytest's exit status 5)" >&2
  fi
  return "$status"
}

"$coverage" erase

if [ "$#" -gt 0 ]; then
  run_tier "selected tests" "$@"
  "$coverage" combine --quiet
  echo "this selection covers $("$coverage" report --include='shared/*' --format=total)% of shared/" \
    "(no threshold on a selection; the table: .venv/bin/coverage report)"
  exit 0
fi

pure=()
for module in "${PURE_MODULES[@]}"; do
  if [ -f "$module" ]; then
    pure+=("$module")
  else
    echo "not written yet, so not counted among the pure modules: $module"
  fi
done
pure_include="$(IFS=,; echo "${pure[*]}")"
failed=()

run_tier "fast tier" -m "not integration"
"$coverage" combine --quiet
echo "Fast tier, coverage of the pure modules (at least $PURE_FLOOR%):"
"$coverage" report --include="$pure_include" --fail-under="$PURE_FLOOR" || failed+=("the pure modules under $PURE_FLOOR% in the fast tier")

run_tier "integration tier" -m integration
"$coverage" combine --quiet --append
echo "Whole suite, coverage of shared/ and functions/:"
"$coverage" report
echo "Whole suite, coverage of shared/ (at least $SHARED_FLOOR%): $("$coverage" report --include='shared/*' --format=total)%"
"$coverage" report --include='shared/*' --fail-under="$SHARED_FLOOR" >/dev/null || failed+=("shared/ under $SHARED_FLOOR% in the whole suite")

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'coverage below its threshold: %s\n' "${failed[@]}" >&2
  exit 1
fi
