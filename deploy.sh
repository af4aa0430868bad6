#!/usr/bin/env bash
# Deploys the conferencing bundle to one Google Cloud project: the 2nd-gen Cloud Functions
# (sync-events, create-conference, sweep, and join-meeting when BigBlueButton is enabled),
# their service accounts (one per function and one that signs the domain-wide delegation
# assertions of all of them) and IAM roles, the Firestore TTL policies, the Cloud Scheduler
# job of the sweep, and the Apps Script add-on.
#
#   ./deploy.sh [--config FILE] [--dry-run]
#
# Settings come from the environment or from FILE (default: deploy.env next to this script,
# if it exists); a variable set in the environment wins over the file. deploy.env.example
# lists them all. Every setting is checked before anything runs; problems are listed
# together and the script exits with status 2.
#
# --dry-run runs no gcloud and no clasp: it prints the whole plan, every command in order,
# with placeholders such as <sync-events URL> where a value would come from a describe.
#
# Idempotent: each resource is looked up (describe / get-iam-policy / list) and created only
# when missing; a second run creates nothing and only redeploys the functions and updates the
# scheduler job. It writes only into build/ and addon/build/.
#
# Exit status: 0 done; 2 invalid settings or usage; 3 a one-time manual step is missing (the
# Firestore database, a secret): the message says what to do; other: a command failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="build"        # relative to ROOT, where the script works
ADDON_DIR="addon/build"

# The Calendar scopes of the domain-wide delegation grant: shared/google/credentials.py
# CALENDAR_SCOPES + CALENDAR_LIST_SCOPES (a test keeps the two equal). The calendar-list
# scope is requested by credentials of its own, so a grant without it fails only the
# access-role and move look-ups (which then fall back), never the rest.
CALENDAR_SCOPES="https://www.googleapis.com/auth/calendar.events,https://www.googleapis.com/auth/calendar.calendars.readonly,https://www.googleapis.com/auth/calendar.calendarlist.readonly"

# Service accounts, one per function (ids: 6-30 characters), and the one delegation account:
# the single OAuth client of domain-wide delegation for all three functions (one grant in the
# Admin console, and a push channel one function opens can be stopped by another: Calendar's
# channels.stop accepts only the client that created the channel). It has no role on the
# project and runs nothing; the three runtime accounts may only sign as it.
SA_SYNC_ID="conf-sync"
SA_CREATE_ID="conf-create"
SA_SWEEP_ID="conf-sweep"
SA_DELEGATE_ID="conf-delegate"
SA_JOIN_ID="conf-join"
# The join function's sign-in callback, under its URL (shared/join/handler.py CALLBACK_PATH).
JOIN_CALLBACK_PATH="oauth/callback"
SCHEDULER_JOB="sweep"
SCHEDULER_TIME_ZONE="Etc/UTC"
FIRESTORE_DATABASE="(default)"
TTL_COLLECTION_GROUP="conferences"
TTL_FIELD="expireAt"
TOMBSTONE_COLLECTION_GROUP="cancelledConferences" # with BigBlueButton only

# ADDON_LOGO_URL, the logo of the add-on and of its conference solutions: Calendar shows it
# only from Google's infrastructure. The rule of shared/logos.py (and its cases in
# addon/test/logo_urls.json): https://, a host on *.googleusercontent.com, *.gstatic.com or
# storage.googleapis.com, then a path. Matched on the value lower-cased; letters are listed,
# not ranged (a range such as a-z depends on the locale).
LOGO_CHARS="abcdefghijklmnopqrstuvwxyz0123456789"
LOGO_LABEL="[$LOGO_CHARS]([$LOGO_CHARS-]*[$LOGO_CHARS])?"
LOGO_URL_RE='^https://(('"$LOGO_LABEL"'\.)+(googleusercontent|gstatic)\.com|storage\.googleapis\.com)/['"$LOGO_CHARS"'._~/%=+,;:@!$&()*?-]+$'

# Every setting deploy.sh reads (deploy.env.example documents each).
SETTINGS="PROJECT_ID REGION ADDON_OAUTH_CLIENT_ID ALLOWED_DOMAINS CONFERENCE_PROVIDER
CONFERENCE_PROVIDERS ADDON_LOGO_URL JITSI_BASE_URL ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID
ZOOM_CLIENT_SECRET_NAME BBB_API_URL BBB_SECRET_NAME BBB_CHECKSUM_ALGORITHM JOIN_OAUTH_CLIENT_ID
JOIN_OAUTH_CLIENT_SECRET_NAME JOIN_SESSION_KEY_NAME JOIN_OPENS_MINUTES_BEFORE MIN_INSTANCES
MAX_INSTANCES MEMORY CPU CONCURRENCY CREATE_TIMEOUT_SECONDS SYNC_TIMEOUT_SECONDS
SWEEP_TIMEOUT_SECONDS JOIN_TIMEOUT_SECONDS SCHEDULE INGRESS_POLICY ADDON_SCRIPT_ID
BUILD_SERVICE_ACCOUNT"
# Secret values that are never settings: only their Secret Manager names are (NAME_NAME).
SECRET_VALUES="ZOOM_CLIENT_SECRET BBB_SECRET JOIN_OAUTH_CLIENT_SECRET JOIN_SESSION_KEY"

DRY_RUN=0
CONFIG_FILE=""
STEP="reading the settings"
PROBLEMS=()

usage() {
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
}

die_usage() {
  printf 'deploy.sh: %s\n' "$1" >&2
  printf 'usage: ./deploy.sh [--config FILE] [--dry-run]\n' >&2
  exit 2
}

# --- output --------------------------------------------------------------------------------
# fd 3 is the terminal's stdout, so that commands can be shown from inside $(...).
exec 3>&1

# quote_arg ARG: ARG as typed in a shell, into QUOTED (no subshell: it runs a lot).
quote_arg() {
  local q="'\\''"
  if [[ $1 =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
    QUOTED=$1
  else
    QUOTED="'${1//\'/$q}'"
  fi
}

# show PREFIX CMD...: print a command as it would be typed (PREFIX: a mark such as
# "[if missing]", or empty).
show() {
  local line="+" arg
  if [[ -n $1 ]]; then
    line+=" $1"
  fi
  shift
  for arg in "$@"; do
    quote_arg "$arg"
    line+=" $QUOTED"
  done
  printf '%s\n' "$line" >&3
}

step() {
  STEP=$1
  printf '\n==> %s\n' "$1" >&3
}

note() {
  printf '    %s\n' "$@" >&3
}

# run CMD...: show, then run (dry run: only show).
run() {
  show "" "$@"
  if [[ $DRY_RUN == 1 ]]; then
    return 0
  fi
  "$@"
}

# run_if_missing [retry] CMD...: a create that runs only because a lookup found nothing;
# in the dry-run plan it is marked [if missing]. "retry" runs it through retry (not shown).
run_if_missing() {
  local shown=("$@")
  if [[ $1 == retry ]]; then
    shown=("${@:2}")
  fi
  if [[ $DRY_RUN == 1 ]]; then
    show "[if missing]" "${shown[@]}"
    return 0
  fi
  show "" "${shown[@]}"
  "$@"
}

# probe CMD...: an existence check (a describe); its status says whether the resource
# exists, its output is the caller's. Dry run: shown, not run, reports "missing".
probe() {
  show "" "$@"
  if [[ $DRY_RUN == 1 ]]; then
    return 1
  fi
  "$@" 2>/dev/null
}

# query CMD...: a read whose failure stops the deployment. Dry run: shown, no output.
query() {
  show "" "$@"
  if [[ $DRY_RUN == 1 ]]; then
    return 0
  fi
  "$@"
}

# retry CMD...: IAM needs a moment to know a new service account; retry a few times.
retry() {
  local attempt=1 delay=2
  until "$@"; do
    if ((attempt >= 5)); then
      return 1
    fi
    printf '    (retrying in %ss: IAM may not know the new service account yet)\n' "$delay" >&3
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
  done
}

on_exit() {
  local status=$?
  if ((status != 0 && status != 2 && status != 3)); then
    printf '\ndeploy.sh: stopped while %s (exit %d).\n' "$STEP" "$status" >&2
    printf 'Fix the cause above and run deploy.sh again: it skips what is already done.\n' >&2
  fi
}
trap on_exit EXIT

# --- settings ------------------------------------------------------------------------------
is_setting() {
  local name
  for name in $SETTINGS; do
    [[ $name == "$1" ]] && return 0
  done
  return 1
}

problem() {
  PROBLEMS+=("$1")
}

# load_config FILE: NAME=value lines (blank lines and # comments skipped; optional
# "export "; one pair of surrounding quotes removed). The environment wins over the file.
load_config() {
  local file=$1 line name value number=0
  while IFS= read -r line || [[ -n $line ]]; do
    number=$((number + 1))
    line=${line%$'\r'}
    if [[ $line =~ ^[[:space:]]*(#.*)?$ ]]; then
      continue
    fi
    if [[ ! $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      problem "$file:$number: not a NAME=value line"
      continue
    fi
    name=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    if [[ " $SECRET_VALUES " == *" $name "* ]]; then
      problem "$file:$number: $name must not be in a file: store the secret in Secret Manager and set ${name}_NAME to its name"
      continue
    fi
    if ! is_setting "$name"; then
      problem "$file:$number: unknown setting $name"
      continue
    fi
    if [[ " $FROM_ENV " == *" $name "* ]]; then
      continue # set in the environment: the environment wins
    fi
    printf -v "$name" '%s' "$value"
  done <"$file"
}

# google_hosted URL: URL is a logo Calendar can show (LOGO_URL_RE).
google_hosted() {
  local lower
  # The x keeps trailing line breaks, which $(...) would drop.
  lower=$(printf '%sx' "$1" | tr 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' 'abcdefghijklmnopqrstuvwxyz')
  [[ ${lower%x} =~ $LOGO_URL_RE ]]
}

int_in() { # int_in NAME MIN MAX
  local name=$1 value=${!1}
  if [[ ! $value =~ ^[0-9]+$ ]] || ((10#$value < $2 || 10#$value > $3)); then
    problem "$name must be a whole number from $2 to $3 (got '$value')"
    return 1
  fi
}

# has_provider NAME: NAME is among the enabled providers.
has_provider() {
  [[ ",$CONFERENCE_PROVIDERS," == *",$1,"* ]]
}

secret_name_ok() { # secret_name_ok NAME: the setting NAME holds a Secret Manager secret name
  if [[ -n ${!1} && ! ${!1} =~ ^[A-Za-z0-9_-]{1,255}$ ]]; then
    problem "$1 must be a Secret Manager secret name (A-Z, a-z, 0-9, - and _), not the secret itself"
  fi
}

check_settings() {
  local name domain fields domains provider seen=","

  for name in PROJECT_ID REGION ADDON_OAUTH_CLIENT_ID ADDON_LOGO_URL; do
    [[ -n ${!name} ]] || problem "$name is required"
  done
  [[ -n $CONFERENCE_PROVIDERS ]] || problem "CONFERENCE_PROVIDER is required (or CONFERENCE_PROVIDERS)"
  if [[ -n $CONFERENCE_PROVIDER_SET && -n $CONFERENCE_PROVIDERS && $CONFERENCE_PROVIDER_SET != "${CONFERENCE_PROVIDERS%%,*}" ]]; then
    problem "CONFERENCE_PROVIDER ($CONFERENCE_PROVIDER_SET) must be the first of CONFERENCE_PROVIDERS ($CONFERENCE_PROVIDERS)"
  fi
  if [[ -n $PROJECT_ID && ! $PROJECT_ID =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; then
    problem "PROJECT_ID '$PROJECT_ID' is not a project id (6-30 of a-z, 0-9, -)"
  fi
  if [[ -n $REGION && ! $REGION =~ ^[a-z]+-[a-z]+[0-9]+$ ]]; then
    problem "REGION '$REGION' is not a region (e.g. europe-west1)"
  fi
  if [[ -n $ADDON_OAUTH_CLIENT_ID && ! $ADDON_OAUTH_CLIENT_ID =~ ^[A-Za-z0-9-]+\.apps\.googleusercontent\.com$ ]]; then
    problem "ADDON_OAUTH_CLIENT_ID must be an OAuth client id (…apps.googleusercontent.com)"
  fi
  if [[ -n $ADDON_LOGO_URL ]] && ! google_hosted "$ADDON_LOGO_URL"; then
    problem "ADDON_LOGO_URL must be an https:// URL of an image on *.googleusercontent.com, *.gstatic.com or storage.googleapis.com, with no user name, port or '#' (got '$ADDON_LOGO_URL'): Calendar shows a solution's logo only from Google's infrastructure; upload addon/logos/${CONFERENCE_PROVIDER:-<provider>}-32.png as the add-on's store-listing icon and use its URL (docs/operations.md, step 6)"
  fi
  # Lower case, no blanks around the commas, no empty entries.
  IFS=, read -r -a domains <<<"$(printf '%s' "$ALLOWED_DOMAINS" | tr '[:upper:]' '[:lower:]')"
  ALLOWED_DOMAINS=""
  for domain in ${domains[@]+"${domains[@]}"}; do
    domain=${domain#"${domain%%[![:space:]]*}"}
    domain=${domain%"${domain##*[![:space:]]}"}
    if [[ -z $domain ]]; then
      continue
    fi
    [[ $domain =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$ ]] ||
      problem "ALLOWED_DOMAINS: '$domain' is not a domain name"
    ALLOWED_DOMAINS+="${ALLOWED_DOMAINS:+,}$domain"
  done
  [[ -n $ALLOWED_DOMAINS ]] || problem "ALLOWED_DOMAINS is required"

  IFS=, read -r -a fields <<<"$CONFERENCE_PROVIDERS"
  for provider in ${fields[@]+"${fields[@]}"}; do
    case $provider in
      jitsi | zoom | bigbluebutton) ;;
      *) problem "CONFERENCE_PROVIDER must be jitsi, zoom or bigbluebutton (got '$provider')" ;;
    esac
    [[ $seen != *",$provider,"* ]] || problem "CONFERENCE_PROVIDERS names $provider twice"
    seen+="$provider,"
  done
  if has_provider zoom; then
    for name in ZOOM_ACCOUNT_ID ZOOM_CLIENT_ID ZOOM_CLIENT_SECRET_NAME; do
      [[ -n ${!name} ]] || problem "$name is required with CONFERENCE_PROVIDER=zoom"
    done
    secret_name_ok ZOOM_CLIENT_SECRET_NAME
  fi
  if has_provider bigbluebutton; then
    for name in BBB_API_URL BBB_SECRET_NAME JOIN_OAUTH_CLIENT_ID JOIN_OAUTH_CLIENT_SECRET_NAME JOIN_SESSION_KEY_NAME; do
      [[ -n ${!name} ]] || problem "$name is required with the bigbluebutton provider"
    done
    if [[ -n $BBB_API_URL && ! $BBB_API_URL =~ ^https://[^/[:space:]?#]+(/[^[:space:]?#]*)?/bigbluebutton/api/$ ]]; then
      problem "BBB_API_URL must be an https:// URL ending in /bigbluebutton/api/ (got '$BBB_API_URL')"
    fi
    case $BBB_CHECKSUM_ALGORITHM in
      "" | sha1 | sha256 | sha384 | sha512) ;;
      *) problem "BBB_CHECKSUM_ALGORITHM must be sha1, sha256, sha384 or sha512" ;;
    esac
    if [[ -n $JOIN_OAUTH_CLIENT_ID && ! $JOIN_OAUTH_CLIENT_ID =~ ^[A-Za-z0-9-]+\.apps\.googleusercontent\.com$ ]]; then
      problem "JOIN_OAUTH_CLIENT_ID must be an OAuth client id (…apps.googleusercontent.com)"
    fi
    for name in BBB_SECRET_NAME JOIN_OAUTH_CLIENT_SECRET_NAME JOIN_SESSION_KEY_NAME; do
      secret_name_ok "$name"
    done
    if [[ -n $JOIN_OPENS_MINUTES_BEFORE ]]; then
      int_in JOIN_OPENS_MINUTES_BEFORE 0 1440 || true
    fi
    int_in JOIN_TIMEOUT_SECONDS 1 3600 || true
  fi
  if [[ -n $JITSI_BASE_URL && ! $JITSI_BASE_URL =~ ^https://[^/[:space:]]+ ]]; then
    problem "JITSI_BASE_URL must be an https:// URL"
  fi

  int_in MIN_INSTANCES 0 100 || true
  int_in MAX_INSTANCES 1 1000 || true
  if [[ $MIN_INSTANCES =~ ^[0-9]+$ && $MAX_INSTANCES =~ ^[0-9]+$ ]] &&
    ((10#$MIN_INSTANCES > 10#$MAX_INSTANCES)); then
    problem "MIN_INSTANCES ($MIN_INSTANCES) is above MAX_INSTANCES ($MAX_INSTANCES)"
  fi
  [[ $MEMORY =~ ^[1-9][0-9]*(Mi|Gi|M|G)$ ]] || problem "MEMORY must look like 512Mi or 1Gi (got '$MEMORY')"
  if [[ ! $CPU =~ ^([0-9]+|[0-9]*\.[0-9]+)$ ]] || [[ $CPU =~ ^[0.]+$ ]]; then
    problem "CPU must be a positive number such as 1 or 0.5 (got '$CPU')"
  fi
  if int_in CONCURRENCY 1 1000 && ((10#$CONCURRENCY > 1)) && [[ $CPU =~ ^0*\.[0-9]+$ ]]; then
    problem "CONCURRENCY above 1 needs CPU of at least 1 (Cloud Run's rule)"
  fi
  int_in CREATE_TIMEOUT_SECONDS 1 3600 || true
  int_in SYNC_TIMEOUT_SECONDS 1 3600 || true
  int_in SWEEP_TIMEOUT_SECONDS 15 1800 || true # a scheduler attempt lasts 15 s to 30 min
  read -r -a fields <<<"$SCHEDULE"
  if ((${#fields[@]} != 5)); then
    problem "SCHEDULE must be a cron expression of 5 fields (got '$SCHEDULE')"
  fi
  case $INGRESS_POLICY in
    allUsers | invoker-check-disabled) ;;
    *) problem "INGRESS_POLICY must be allUsers or invoker-check-disabled (got '$INGRESS_POLICY')" ;;
  esac
  if [[ -n $ADDON_SCRIPT_ID && ! $ADDON_SCRIPT_ID =~ ^[A-Za-z0-9_-]+$ ]]; then
    problem "ADDON_SCRIPT_ID must be an Apps Script project id"
  fi
  for name in $SETTINGS; do
    if [[ ${!name} == *"|"* || ${!name} == *$'\n'* ]]; then
      problem "$name must not contain '|' or a line break"
    fi
  done

  if [[ -n $BUILD_SERVICE_ACCOUNT && ! $BUILD_SERVICE_ACCOUNT =~ ^[a-z0-9-]+@[a-z0-9.-]+\.gserviceaccount\.com$ ]]; then
    problem "BUILD_SERVICE_ACCOUNT must be a service account email"
  fi
  [[ -f functions/sync_events/main.py ]] || problem "functions/sync_events/main.py is missing"
  [[ -f functions/create_conference/main.py ]] || problem "functions/create_conference/main.py is missing"
  if has_provider bigbluebutton; then
    [[ -f functions/join_meeting/main.py ]] || problem "functions/join_meeting/main.py is missing"
  fi
  command -v "$PYTHON" >/dev/null 2>&1 || problem "no Python found (set PYTHON, or create .venv)"
  if [[ $DRY_RUN == 0 ]]; then
    command -v gcloud >/dev/null 2>&1 || problem "gcloud is not installed (https://cloud.google.com/sdk/docs/install)"
  fi
}

# --- arguments -----------------------------------------------------------------------------
while (($# > 0)); do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --config)
      (($# >= 2)) || die_usage "--config needs a file"
      CONFIG_FILE=$2
      shift
      ;;
    --config=*) CONFIG_FILE=${1#--config=} ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die_usage "unknown argument: $1" ;;
  esac
  shift
done

# The settings the environment sets (non-empty): they win over the file.
FROM_ENV=""
for name in $SETTINGS; do
  if [[ -n ${!name:-} ]]; then
    FROM_ENV+=" $name"
  fi
done

if [[ -n $CONFIG_FILE ]]; then
  if [[ ! -f $CONFIG_FILE ]]; then
    die_usage "config file not found: $CONFIG_FILE"
  fi
  load_config "$CONFIG_FILE"
elif [[ -f $ROOT/deploy.env ]]; then
  CONFIG_FILE="$ROOT/deploy.env"
  load_config "$CONFIG_FILE"
fi

# Defaults (a variable that is unset or empty takes its default).
for name in $SETTINGS; do
  printf -v "$name" '%s' "${!name:-}"
done
MIN_INSTANCES=${MIN_INSTANCES:-0}
MAX_INSTANCES=${MAX_INSTANCES:-20}
MEMORY=${MEMORY:-512Mi}
CPU=${CPU:-1}
CONCURRENCY=${CONCURRENCY:-16}
CREATE_TIMEOUT_SECONDS=${CREATE_TIMEOUT_SECONDS:-60}
SYNC_TIMEOUT_SECONDS=${SYNC_TIMEOUT_SECONDS:-300}
SWEEP_TIMEOUT_SECONDS=${SWEEP_TIMEOUT_SECONDS:-540}
JOIN_TIMEOUT_SECONDS=${JOIN_TIMEOUT_SECONDS:-60}
# CONFERENCE_PROVIDERS (comma-separated, the first the primary) or CONFERENCE_PROVIDER (one);
# with both, CONFERENCE_PROVIDER must be the first of the list.
CONFERENCE_PROVIDER_SET=$CONFERENCE_PROVIDER
CONFERENCE_PROVIDERS=$(printf '%s' "$CONFERENCE_PROVIDERS" | tr -d '[:space:]')
CONFERENCE_PROVIDERS=${CONFERENCE_PROVIDERS:-$CONFERENCE_PROVIDER}
CONFERENCE_PROVIDER=${CONFERENCE_PROVIDERS%%,*}
SCHEDULE=${SCHEDULE:-"*/5 * * * *"}
INGRESS_POLICY=${INGRESS_POLICY:-allUsers}
if [[ -z ${PYTHON:-} ]]; then
  if [[ -x $ROOT/.venv/bin/python ]]; then
    PYTHON=".venv/bin/python"
  else
    PYTHON=python3
  fi
fi
# From here on the script works in the repository: build/ and addon/build/ are relative.
cd "$ROOT"

check_settings
if ((${#PROBLEMS[@]} > 0)); then
  printf 'deploy.sh: the settings are not complete; nothing was done:\n' >&2
  printf '  - %s\n' "${PROBLEMS[@]}" >&2
  printf 'Set them in the environment or in %s (see deploy.env.example).\n' "${CONFIG_FILE:-deploy.env}" >&2
  exit 2
fi

export CLOUDSDK_CORE_DISABLE_PROMPTS=1
export PYTHONDONTWRITEBYTECODE=1 # write nothing outside build/ and addon/build/
SA_SYNC="$SA_SYNC_ID@$PROJECT_ID.iam.gserviceaccount.com"
SA_CREATE="$SA_CREATE_ID@$PROJECT_ID.iam.gserviceaccount.com"
SA_SWEEP="$SA_SWEEP_ID@$PROJECT_ID.iam.gserviceaccount.com"
SA_DELEGATE="$SA_DELEGATE_ID@$PROJECT_ID.iam.gserviceaccount.com"
SA_JOIN="$SA_JOIN_ID@$PROJECT_ID.iam.gserviceaccount.com"
ALL_SAS="$SA_SYNC $SA_CREATE $SA_SWEEP" # the runtime identities (not $SA_DELEGATE)
if has_provider bigbluebutton; then
  ALL_SAS="$ALL_SAS $SA_JOIN"
fi
P="--project=$PROJECT_ID"
R="--region=$REGION"

printf 'deploy.sh: project %s, region %s, provider %s%s\n' "$PROJECT_ID" "$REGION" \
  "$CONFERENCE_PROVIDERS" "$([[ $DRY_RUN == 1 ]] && printf ' (dry run: nothing is changed)')"
printf '  settings from: %s\n' "${CONFIG_FILE:-the environment only} (the environment wins)"

# --- 1. APIs -------------------------------------------------------------------------------
step "1. Enable the APIs"
APIS="cloudfunctions.googleapis.com run.googleapis.com cloudbuild.googleapis.com
artifactregistry.googleapis.com firestore.googleapis.com iam.googleapis.com
iamcredentials.googleapis.com calendar-json.googleapis.com cloudscheduler.googleapis.com"
if has_provider zoom || has_provider bigbluebutton; then
  APIS="$APIS secretmanager.googleapis.com"
fi
enabled=$(query gcloud services list --enabled "$P" --format="value(config.name)")
missing_apis=()
for api in $APIS; do
  if ! grep -qxF "$api" <<<"$enabled"; then
    missing_apis+=("$api")
  fi
done
if ((${#missing_apis[@]} > 0)); then
  run_if_missing gcloud services enable "${missing_apis[@]}" "$P"
else
  note "all enabled"
fi

# --- 2. One-time steps that deploy.sh never does itself ------------------------------------
step "2. Check the one-time prerequisites (Firestore database, secrets)"
if [[ $DRY_RUN == 1 ]]; then
  probe gcloud firestore databases describe --database="$FIRESTORE_DATABASE" "$P" --format="value(type)" || true
  note "(stops with instructions if the database does not exist or is not in Native mode)"
else
  if ! db_type=$(probe gcloud firestore databases describe --database="$FIRESTORE_DATABASE" "$P" --format="value(type)"); then
    cat >&2 <<EOF

deploy.sh: project $PROJECT_ID has no Firestore database yet. Create it once, by hand: its
location can never be changed afterwards. Use Native mode and a location near $REGION
(the region itself, or a multi-region such as nam5 or eur3):

  gcloud firestore databases create --project=$PROJECT_ID --location=$REGION --type=firestore-native

then run deploy.sh again.
EOF
    exit 3
  fi
  if [[ $db_type != FIRESTORE_NATIVE ]]; then
    printf '\ndeploy.sh: the Firestore database of %s is in %s mode; the bundle needs Native mode.\nUse another project: the mode of a database that holds data cannot be changed.\n' \
      "$PROJECT_ID" "${db_type:-an unknown}" >&2
    exit 3
  fi
  note "Firestore database (default): Native mode"
fi
# require_secret NAME WHAT typed|random: stop with instructions when the secret NAME is
# missing (typed: a value the operator types; random: a new random key).
require_secret() {
  local name=$1 what=$2 source
  if probe gcloud secrets describe "$name" "$P" --format="value(name)" >/dev/null; then
    return 0
  fi
  if [[ $DRY_RUN == 1 ]]; then
    note "(stops with instructions if the secret $name does not exist)"
    return 0
  fi
  if [[ $3 == random ]]; then
    source="openssl rand -base64 48 | tr -d '\n'"
  else
    source="read -rs VALUE && printf '%s' \"\$VALUE\""
  fi
  cat >&2 <<EOF

deploy.sh: the Secret Manager secret $name does not exist in $PROJECT_ID
(or you may not read it). Store $what once, without it landing in your shell history, e.g.:

  $source | gcloud secrets create $name \\
      --project=$PROJECT_ID --replication-policy=automatic --data-file=-

then run deploy.sh again. (A new version later: gcloud secrets versions add ... --data-file=-;
the functions read :latest when an instance starts.)
EOF
  exit 3
}
if has_provider zoom; then
  require_secret "$ZOOM_CLIENT_SECRET_NAME" "the Zoom client secret" typed
fi
if has_provider bigbluebutton; then
  require_secret "$BBB_SECRET_NAME" "the BigBlueButton shared secret (bbb-conf --secret)" typed
  require_secret "$JOIN_OAUTH_CLIENT_SECRET_NAME" "the join sign-in's OAuth client secret" typed
  require_secret "$JOIN_SESSION_KEY_NAME" "a new random key that signs the join cookies" random
fi

# --- 3. Service accounts -------------------------------------------------------------------
step "3. Service accounts (one per function, and $SA_DELEGATE_ID for domain-wide delegation)"
ensure_service_account() {
  local id=$1 description=$2 email="$1@$PROJECT_ID.iam.gserviceaccount.com"
  if probe gcloud iam service-accounts describe "$email" "$P" --format="value(email)" >/dev/null; then
    note "$email exists"
  else
    run_if_missing gcloud iam service-accounts create "$id" "$P" \
      --display-name="Conferencing: $id" --description="$description"
  fi
}
ensure_service_account "$SA_SYNC_ID" "Runs the sync-events function (Calendar push messages)"
ensure_service_account "$SA_CREATE_ID" "Runs the create-conference function (the add-on's calls)"
ensure_service_account "$SA_SWEEP_ID" "Runs the sweep function and invokes it from Cloud Scheduler"
ensure_service_account "$SA_DELEGATE_ID" "Signs the domain-wide delegation assertions of the three functions (no roles; runs nothing)"
if has_provider bigbluebutton; then
  ensure_service_account "$SA_JOIN_ID" "Runs the join-meeting function (BigBlueButton join links)"
fi

# --- 4. IAM --------------------------------------------------------------------------------
step "4. IAM roles (least privilege)"
# has_binding POLICY ROLE MEMBER: POLICY holds "role<TAB>member" lines.
has_binding() {
  grep -qxF "$2"$'\t'"$3" <<<"$1"
}
FLAT=(--flatten="bindings[].members" --format="value(bindings.role,bindings.members)")

note "roles/datastore.user on the project: read and write the Firestore state"
has_provider bigbluebutton && note "(join-meeting only reads it: roles/datastore.viewer)"
policy=$(query gcloud projects get-iam-policy "$PROJECT_ID" "${FLAT[@]}")
for sa in $ALL_SAS; do
  role=roles/datastore.user
  [[ $sa != "$SA_JOIN" ]] || role=roles/datastore.viewer
  if has_binding "$policy" "$role" "serviceAccount:$sa"; then
    note "$sa has $role"
  else
    run_if_missing retry gcloud projects add-iam-policy-binding "$PROJECT_ID" \
      --member="serviceAccount:$sa" --role="$role" --condition=None \
      --format=none
  fi
done

note "roles/iam.serviceAccountTokenCreator on $SA_DELEGATE_ID only: sign the domain-wide"
note "delegation assertions as it (keyless: no key file exists; IAM Credentials API signBlob)"
policy=$(query gcloud iam service-accounts get-iam-policy "$SA_DELEGATE" "$P" "${FLAT[@]}")
for sa in $ALL_SAS; do
  if has_binding "$policy" roles/iam.serviceAccountTokenCreator "serviceAccount:$sa"; then
    note "$sa may sign as $SA_DELEGATE_ID"
  else
    run_if_missing retry gcloud iam service-accounts add-iam-policy-binding "$SA_DELEGATE" "$P" \
      --member="serviceAccount:$sa" --role=roles/iam.serviceAccountTokenCreator --format=none
  fi
done

# grant_secret NAME SA...: roles/secretmanager.secretAccessor on the secret NAME only.
grant_secret() {
  local name=$1 sa
  shift
  note "roles/secretmanager.secretAccessor on the secret $name only"
  policy=$(query gcloud secrets get-iam-policy "$name" "$P" "${FLAT[@]}")
  for sa in "$@"; do
    if has_binding "$policy" roles/secretmanager.secretAccessor "serviceAccount:$sa"; then
      note "$sa may read $name"
    else
      run_if_missing retry gcloud secrets add-iam-policy-binding "$name" "$P" \
        --member="serviceAccount:$sa" --role=roles/secretmanager.secretAccessor --format=none
    fi
  done
}
read -r -a RUNTIME_SAS <<<"$ALL_SAS"
if has_provider zoom; then
  grant_secret "$ZOOM_CLIENT_SECRET_NAME" "${RUNTIME_SAS[@]}"
fi
if has_provider bigbluebutton; then
  grant_secret "$BBB_SECRET_NAME" "${RUNTIME_SAS[@]}"
  grant_secret "$JOIN_OAUTH_CLIENT_SECRET_NAME" "$SA_JOIN"
  grant_secret "$JOIN_SESSION_KEY_NAME" "$SA_JOIN"
fi

# --- 5. Firestore TTL ----------------------------------------------------------------------
step "5. Firestore TTL policy ($TTL_COLLECTION_GROUP.$TTL_FIELD; no composite index is needed)"
ttls=$(query gcloud firestore fields ttls list --collection-group="$TTL_COLLECTION_GROUP" \
  --database="$FIRESTORE_DATABASE" "$P" --format="value(name)")
if grep -q "/collectionGroups/$TTL_COLLECTION_GROUP/fields/$TTL_FIELD\$" <<<"$ttls"; then
  note "TTL on $TTL_COLLECTION_GROUP.$TTL_FIELD is set"
else
  run_if_missing gcloud firestore fields ttls update "$TTL_FIELD" \
    --collection-group="$TTL_COLLECTION_GROUP" --database="$FIRESTORE_DATABASE" --enable-ttl \
    --async "$P"
fi
if has_provider bigbluebutton; then
  note "and on $TOMBSTONE_COLLECTION_GROUP.$TTL_FIELD (cancelled conferences' join links)"
  ttls=$(query gcloud firestore fields ttls list --collection-group="$TOMBSTONE_COLLECTION_GROUP" \
    --database="$FIRESTORE_DATABASE" "$P" --format="value(name)")
  if grep -q "/collectionGroups/$TOMBSTONE_COLLECTION_GROUP/fields/$TTL_FIELD\$" <<<"$ttls"; then
    note "TTL on $TOMBSTONE_COLLECTION_GROUP.$TTL_FIELD is set"
  else
    run_if_missing gcloud firestore fields ttls update "$TTL_FIELD" \
      --collection-group="$TOMBSTONE_COLLECTION_GROUP" --database="$FIRESTORE_DATABASE" \
      --enable-ttl --async "$P"
  fi
fi

# --- 6. Stage ------------------------------------------------------------------------------
step "6. Stage the function sources into build/"
stage() { # stage NAME FOLDER
  run "$PYTHON" scripts/stage_function.py --function-dir="functions/$2" --out="$BUILD_DIR/$1"
}
stage sync-events sync_events
stage create-conference create_conference
stage sweep sync_events
if has_provider bigbluebutton; then
  stage join-meeting join_meeting
fi

# --- 7. Deploy -----------------------------------------------------------------------------
# deploy NAME ENTRY SA TIMEOUT CONCURRENCY MIN MAX ACCESS WEBHOOK [ENV [SECRETS]]
# ACCESS: public (reachable without IAM) or private. ENV: more "|NAME=value" settings;
# SECRETS: more "NAME=secret:latest" pairs, comma-separated.
deploy() {
  local name=$1 entry=$2 sa=$3 timeout=$4 concurrency=$5 min=$6 max=$7 access=$8 webhook=$9
  local more_env=${10:-} more_secrets=${11:-} secrets=""
  local env="^|^GOOGLE_CLOUD_PROJECT=$PROJECT_ID"
  env+="|SYNC_WEBHOOK_URL=$webhook"
  env+="|ADDON_OAUTH_CLIENT_ID=$ADDON_OAUTH_CLIENT_ID"
  env+="|ALLOWED_DOMAINS=$ALLOWED_DOMAINS"
  env+="|CALENDAR_CREDENTIALS=delegated"
  env+="|DELEGATION_SERVICE_ACCOUNT=$SA_DELEGATE"
  env+="|CONFERENCE_PROVIDER=$CONFERENCE_PROVIDER"
  env+="|ADDON_LOGO_URL=$ADDON_LOGO_URL"
  env+="|FUNCTION_TIMEOUT_SECONDS=$timeout"
  env+="|THREADS=$concurrency"
  if [[ $CONFERENCE_PROVIDERS == *,* ]]; then
    env+="|CONFERENCE_PROVIDERS=$CONFERENCE_PROVIDERS"
  fi
  if [[ -n $JITSI_BASE_URL ]]; then
    env+="|JITSI_BASE_URL=$JITSI_BASE_URL"
  fi
  if has_provider zoom; then
    env+="|ZOOM_ACCOUNT_ID=$ZOOM_ACCOUNT_ID|ZOOM_CLIENT_ID=$ZOOM_CLIENT_ID"
    secrets+="ZOOM_CLIENT_SECRET=$ZOOM_CLIENT_SECRET_NAME:latest"
  fi
  if has_provider bigbluebutton; then
    env+="|BBB_API_URL=$BBB_API_URL|JOIN_BASE_URL=$JOIN_BASE_URL"
    if [[ -n $BBB_CHECKSUM_ALGORITHM ]]; then
      env+="|BBB_CHECKSUM_ALGORITHM=$BBB_CHECKSUM_ALGORITHM"
    fi
    secrets+="${secrets:+,}BBB_SECRET=$BBB_SECRET_NAME:latest"
  fi
  env+=$more_env
  secrets+="${more_secrets:+${secrets:+,}}$more_secrets"
  local args=(gcloud functions deploy "$name" --gen2 "$P" "$R" --runtime=python312
    --source="$BUILD_DIR/$name" --entry-point="$entry" --trigger-http
    --memory="$MEMORY" --cpu="$CPU" --timeout="${timeout}s" --concurrency="$concurrency"
    --min-instances="$min" --max-instances="$max" --service-account="$sa")
  if [[ -n $BUILD_SERVICE_ACCOUNT ]]; then
    args+=(--build-service-account="projects/$PROJECT_ID/serviceAccounts/$BUILD_SERVICE_ACCOUNT")
  fi
  # Secrets only ever through --set-secrets (Secret Manager), never as settings.
  if [[ -n $secrets ]]; then
    args+=(--set-env-vars="$env" --set-secrets="$secrets")
  else
    args+=(--set-env-vars="$env" --clear-secrets)
  fi
  if [[ $access == public && $INGRESS_POLICY == allUsers ]]; then
    args+=(--allow-unauthenticated)
  else
    args+=(--no-allow-unauthenticated)
  fi
  run "${args[@]}"
  if [[ $access == public && $INGRESS_POLICY == invoker-check-disabled ]]; then
    # The organisation forbids allUsers: switch off Cloud Run's invoker check instead.
    run gcloud run services update "$name" "$P" "$R" --no-invoker-iam-check
  fi
}

# function_url NAME PLACEHOLDER: the function's URL (serviceConfig.uri); empty if the
# function does not exist. Dry run: PLACEHOLDER.
function_url() {
  local url
  if [[ $DRY_RUN == 1 ]]; then
    probe gcloud functions describe "$1" "$P" "$R" --format="value(serviceConfig.uri)" || true
    printf '%s' "$2"
    return 0
  fi
  url=$(probe gcloud functions describe "$1" "$P" "$R" --format="value(serviceConfig.uri)") || url=""
  printf '%s' "$url"
}

require_url() { # require_url NAME URL
  if [[ -z $2 ]]; then
    printf 'deploy.sh: %s was deployed but has no URL (gcloud functions describe %s)\n' "$1" "$1" >&2
    exit 1
  fi
}

JOIN_BASE_URL=""
if has_provider bigbluebutton; then
  step "7. Deploy join-meeting (first: its URL is JOIN_BASE_URL for the others)"
  note "public: anyone with a join link reaches it; it signs people in with Google and"
  note "decides their role itself. Its own account $SA_JOIN_ID reads Firestore, reads its"
  note "three secrets and may sign as $SA_DELEGATE_ID (to read an event's attendees as the"
  note "conference's owner)."
  # SYNC_WEBHOOK_URL is a required setting of every function; join-meeting never calls it.
  JOIN_SYNC_URL=$(function_url sync-events "<sync-events URL>")
  JOIN_SYNC_URL=${JOIN_SYNC_URL:-"https://$REGION-$PROJECT_ID.cloudfunctions.net/sync-events"}
  JOIN_URL=$(function_url join-meeting "<join-meeting URL>")
  if [[ -z $JOIN_URL ]]; then
    note "join-meeting does not exist yet: first deployed with its cloudfunctions.net address"
    JOIN_URL="https://$REGION-$PROJECT_ID.cloudfunctions.net/join-meeting"
  fi
  if [[ $DRY_RUN == 1 ]]; then
    note "(on the first install join-meeting does not exist yet: it is deployed once with"
    note "JOIN_BASE_URL=https://$REGION-$PROJECT_ID.cloudfunctions.net/join-meeting/, its URL"
    note "is read, and it is deployed again with JOIN_BASE_URL=<join-meeting URL>/)"
  fi
  JOIN_BASE_URL="${JOIN_URL%/}/"
  JOIN_ENV="|JOIN_OAUTH_CLIENT_ID=$JOIN_OAUTH_CLIENT_ID"
  if [[ -n $JOIN_OPENS_MINUTES_BEFORE ]]; then
    JOIN_ENV+="|JOIN_OPENS_MINUTES_BEFORE=$JOIN_OPENS_MINUTES_BEFORE"
  fi
  JOIN_SECRETS="JOIN_OAUTH_CLIENT_SECRET=$JOIN_OAUTH_CLIENT_SECRET_NAME:latest"
  JOIN_SECRETS+=",JOIN_SESSION_KEY=$JOIN_SESSION_KEY_NAME:latest"
  deploy join-meeting join_meeting "$SA_JOIN" "$JOIN_TIMEOUT_SECONDS" "$CONCURRENCY" \
    "$MIN_INSTANCES" "$MAX_INSTANCES" public "$JOIN_SYNC_URL" "$JOIN_ENV" "$JOIN_SECRETS"
  if [[ $DRY_RUN == 0 ]]; then
    deployed_url=$(function_url join-meeting "")
    require_url join-meeting "$deployed_url"
    if [[ ${deployed_url%/}/ != "$JOIN_BASE_URL" ]]; then
      note "join-meeting URL: $deployed_url (deploying again with it)"
      JOIN_BASE_URL="${deployed_url%/}/"
      deploy join-meeting join_meeting "$SA_JOIN" "$JOIN_TIMEOUT_SECONDS" "$CONCURRENCY" \
        "$MIN_INSTANCES" "$MAX_INSTANCES" public "$JOIN_SYNC_URL" "$JOIN_ENV" "$JOIN_SECRETS"
    fi
  fi
else
  step "7. join-meeting: not deployed (only BigBlueButton conferences need it)"
fi

step "8. Deploy sync-events (first of the others: its URL is SYNC_WEBHOOK_URL)"
note "public: Calendar's push messages carry no credentials; the function checks each"
note "message's channel token itself"
SYNC_URL=$(function_url sync-events "<sync-events URL>")
if [[ -z $SYNC_URL ]]; then
  # First install: the URL exists only once the function does. Deploy with the function's
  # cloudfunctions.net address, read the real URL, then deploy again with it (below).
  note "sync-events does not exist yet: first deployed with its cloudfunctions.net address"
  SYNC_URL="https://$REGION-$PROJECT_ID.cloudfunctions.net/sync-events"
fi
if [[ $DRY_RUN == 1 ]]; then
  note "(on the first install sync-events does not exist yet: it is deployed once with"
  note "SYNC_WEBHOOK_URL=https://$REGION-$PROJECT_ID.cloudfunctions.net/sync-events, its URL is"
  note "read, and it is deployed again with SYNC_WEBHOOK_URL=<sync-events URL>)"
fi
deploy sync-events sync_events "$SA_SYNC" "$SYNC_TIMEOUT_SECONDS" "$CONCURRENCY" 0 \
  "$MAX_INSTANCES" public "$SYNC_URL"
if [[ $DRY_RUN == 0 ]]; then
  deployed_url=$(function_url sync-events "")
  require_url sync-events "$deployed_url"
  if [[ $deployed_url != "$SYNC_URL" ]]; then
    note "sync-events URL: $deployed_url (deploying again with it)"
    SYNC_URL=$deployed_url
    deploy sync-events sync_events "$SA_SYNC" "$SYNC_TIMEOUT_SECONDS" "$CONCURRENCY" 0 \
      "$MAX_INSTANCES" public "$SYNC_URL"
  fi
fi

step "9. Deploy create-conference"
note "public: the add-on's calls carry the user's Google ID token, which the function"
note "verifies itself (an IAM check would strip its signature)"
deploy create-conference create_conference "$SA_CREATE" "$CREATE_TIMEOUT_SECONDS" \
  "$CONCURRENCY" "$MIN_INSTANCES" "$MAX_INSTANCES" public "$SYNC_URL"
CREATE_URL=$(function_url create-conference "<create-conference URL>")
[[ $DRY_RUN == 1 ]] || require_url create-conference "$CREATE_URL"

step "10. Deploy sweep (private: only its Cloud Scheduler job may invoke it)"
deploy sweep sweep "$SA_SWEEP" "$SWEEP_TIMEOUT_SECONDS" 1 0 1 private "$SYNC_URL"
SWEEP_URL=$(function_url sweep "<sweep URL>")
[[ $DRY_RUN == 1 ]] || require_url sweep "$SWEEP_URL"
note "roles/run.invoker for $SA_SWEEP on the sweep service only"
policy=$(query gcloud run services get-iam-policy sweep "$P" "$R" "${FLAT[@]}")
if has_binding "$policy" roles/run.invoker "serviceAccount:$SA_SWEEP"; then
  note "$SA_SWEEP may invoke sweep"
else
  run_if_missing retry gcloud run services add-iam-policy-binding sweep "$P" "$R" \
    --member="serviceAccount:$SA_SWEEP" --role=roles/run.invoker --format=none
fi

# --- 8. Scheduler --------------------------------------------------------------------------
step "11. Cloud Scheduler job '$SCHEDULER_JOB' ($SCHEDULE, $SCHEDULER_TIME_ZONE)"
job_flags=(--schedule="$SCHEDULE" --time-zone="$SCHEDULER_TIME_ZONE" --uri="$SWEEP_URL"
  --http-method=POST --oidc-service-account-email="$SA_SWEEP"
  --oidc-token-audience="$SWEEP_URL" --attempt-deadline="${SWEEP_TIMEOUT_SECONDS}s")
if probe gcloud scheduler jobs describe "$SCHEDULER_JOB" "$P" --location="$REGION" \
  --format="value(name)" >/dev/null; then
  run gcloud scheduler jobs update http "$SCHEDULER_JOB" "$P" --location="$REGION" "${job_flags[@]}"
else
  run_if_missing gcloud scheduler jobs create http "$SCHEDULER_JOB" "$P" --location="$REGION" \
    "${job_flags[@]}"
  [[ $DRY_RUN == 0 ]] || show "[if it exists]" gcloud scheduler jobs update http \
    "$SCHEDULER_JOB" "$P" --location="$REGION" "${job_flags[@]}"
fi

# --- 9. Add-on -----------------------------------------------------------------------------
step "12. Generate the add-on into addon/build/"
note "logo of the add-on and its solutions (ADDON_LOGO_URL): $ADDON_LOGO_URL"
run rm -rf "$ADDON_DIR"
if [[ $CONFERENCE_PROVIDERS == *,* ]]; then
  PROVIDER_FLAG="--providers=$CONFERENCE_PROVIDERS" # the solutions of every enabled provider
else
  PROVIDER_FLAG="--provider=$CONFERENCE_PROVIDER"
fi
run "$PYTHON" -m addon.generate "$PROVIDER_FLAG" \
  --function-url="$CREATE_URL" --logo-url="$ADDON_LOGO_URL" --out="$ADDON_DIR"

clasp_ready() {
  [[ -n $ADDON_SCRIPT_ID ]] && command -v clasp >/dev/null 2>&1 && [[ -f $HOME/.clasprc.json ]]
}
if clasp_ready || [[ $DRY_RUN == 1 && -n $ADDON_SCRIPT_ID ]]; then
  [[ $DRY_RUN == 0 ]] || note "(only when clasp is installed and logged in; else the manual steps are printed)"
  note "writes $ADDON_DIR/.clasp.json ({\"scriptId\": \"$ADDON_SCRIPT_ID\", \"rootDir\": \".\"}) and .claspignore"
  if [[ $DRY_RUN == 0 ]]; then
    printf '{"scriptId": "%s", "rootDir": "."}\n' "$ADDON_SCRIPT_ID" >"$ADDON_DIR/.clasp.json"
    printf '**/**\n!appsscript.json\n!Code.gs\n!Config.gs\n' >"$ADDON_DIR/.claspignore"
  fi
  show "" cd "$ADDON_DIR"
  show "" clasp push --force
  if [[ $DRY_RUN == 0 ]]; then
    (cd "$ADDON_DIR" && clasp push --force)
  fi
  ADDON_PUSHED=1
else
  ADDON_PUSHED=0
fi

# --- Summary -------------------------------------------------------------------------------
step "Done$([[ $DRY_RUN == 1 ]] && printf ' (dry run: nothing was changed)')"
note "sync-events:       $SYNC_URL" "create-conference: $CREATE_URL" "sweep:             $SWEEP_URL (private)"
if has_provider bigbluebutton; then
  note "join-meeting:      $JOIN_BASE_URL (JOIN_BASE_URL: the join links start with it)"
  printf '\n' >&3
  note "Sign-in of the join links (once, by hand; docs/join-links.md#operator-set-up):"
  note "1. A Google Cloud project whose OAuth consent screen (Google Auth Platform > Audience)"
  note "   is External and In production, so that guests from outside your organisation can"
  note "   sign in (an Internal screen refuses them); scopes: openid and email only."
  note "2. Google Auth Platform > Clients > Create client > Web application, with exactly"
  note "   this Authorised redirect URI:"
  note "     ${JOIN_BASE_URL}$JOIN_CALLBACK_PATH"
  note "3. Its client id is JOIN_OAUTH_CLIENT_ID (now: $JOIN_OAUTH_CLIENT_ID); its secret goes"
  note "   into the Secret Manager secret $JOIN_OAUTH_CLIENT_SECRET_NAME, never into deploy.env."
fi
printf '\n' >&3
note "Domain-wide delegation (once, by a Workspace super admin; all three functions act"
note "for the users through this one client):"
note "Admin console > Security > Access and data control > API controls > Domain-wide"
note "delegation > Add new, with this client id and exactly these scopes:"
if [[ $DRY_RUN == 1 ]]; then
  show "" gcloud iam service-accounts describe "$SA_DELEGATE" "$P" --format="value(oauth2ClientId)"
  client_id="<client id of $SA_DELEGATE_ID>"
else
  client_id=$(query gcloud iam service-accounts describe "$SA_DELEGATE" "$P" --format="value(oauth2ClientId)")
fi
note "  client id: $client_id  ($SA_DELEGATE)"
note "  scopes:    $CALENDAR_SCOPES"
if [[ $ADDON_PUSHED == 0 ]]; then
  script_id=${ADDON_SCRIPT_ID:-<ADDON_SCRIPT_ID>}
  printf '\n' >&3
  note "The add-on was generated in addon/build/ but not pushed (pushing needs"
  note "ADDON_SCRIPT_ID, and clasp installed and logged in)."
  if [[ -z $ADDON_SCRIPT_ID ]]; then
    note "No Apps Script project yet? Create it once (docs/operations.md, step 5) and"
    note "set ADDON_SCRIPT_ID in deploy.env (its id: Project Settings > IDs)."
  fi
  note "Push with clasp (turn on the Apps Script API at https://script.google.com/home/usersettings):"
  note "  npm install -g @google/clasp && clasp login"
  note "  printf '{\"scriptId\": \"$script_id\", \"rootDir\": \".\"}' > addon/build/.clasp.json"
  note "  (cd addon/build && clasp push --force)"
  note "or by hand: open https://script.google.com/d/$script_id/edit, show appsscript.json"
  note "(Project Settings > Show \"appsscript.json\" manifest file), and replace the contents"
  note "of appsscript.json, Code.gs and Config.gs with the files of addon/build/ (create"
  note "Code.gs and Config.gs if missing)."
fi
