"""deploy.sh against a fake gcloud: the plan, the commands, idempotency, refusals."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from shared.google.credentials import CALENDAR_LIST_SCOPES, CALENDAR_SCOPES
from tests.deploy.conftest import (
    JITSI_SETTINGS,
    REPO_ROOT,
    ZOOM_SETTINGS,
    FakeCloud,
    run_deploy,
    snapshot,
)
from tests.deploy.fake_gcloud import url_of

GRANT_SCOPES = (*CALENDAR_SCOPES, *CALENDAR_LIST_SCOPES)
PROJECT_ID = JITSI_SETTINGS["PROJECT_ID"]
REGION = JITSI_SETTINGS["REGION"]
SA = {
    "sync-events": f"conf-sync@{PROJECT_ID}.iam.gserviceaccount.com",
    "create-conference": f"conf-create@{PROJECT_ID}.iam.gserviceaccount.com",
    "sweep": f"conf-sweep@{PROJECT_ID}.iam.gserviceaccount.com",
}
#: The one account all three functions sign their domain-wide delegation assertions as.
DELEGATE = f"conf-delegate@{PROJECT_ID}.iam.gserviceaccount.com"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
ENTRY = {"sync-events": "sync_events", "create-conference": "create_conference", "sweep": "sweep"}
SYNC_URL = url_of("sync-events", REGION)
CREATE_URL = url_of("create-conference", REGION)
SWEEP_URL = url_of("sweep", REGION)
REQUIRED_APIS = {
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "firestore.googleapis.com",
    "iamcredentials.googleapis.com",
    "calendar-json.googleapis.com",
    "cloudscheduler.googleapis.com",
}
SECRET_VALUE = "zoom-secret-value-that-must-never-appear"
LOGO_URL = JITSI_SETTINGS["ADDON_LOGO_URL"]
LOGO_CASES: dict[str, list[str]] = json.loads(
    (REPO_ROOT / "addon" / "test" / "logo_urls.json").read_text(encoding="utf-8")
)


# -- helpers -------------------------------------------------------------------------------


def words(argv: Sequence[str]) -> list[str]:
    """The positional words of a command (flags left out)."""
    return [arg for arg in argv if not arg.startswith("--")]


def is_cmd(argv: Sequence[str], *prefix: str) -> bool:
    return tuple(words(argv)[: len(prefix)]) == prefix


def select(calls: Sequence[Sequence[str]], *prefix: str) -> list[list[str]]:
    return [list(argv) for argv in calls if is_cmd(argv, *prefix)]


def first(calls: Sequence[Sequence[str]], *prefix: str) -> int:
    for index, argv in enumerate(calls):
        if is_cmd(argv, *prefix):
            return index
    raise AssertionError(f"no command {' '.join(prefix)} in {[' '.join(c) for c in calls]}")


def flag(argv: Sequence[str], name: str) -> str | None:
    for arg in argv:
        if arg == f"--{name}":
            return ""
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None


def env_vars(argv: Sequence[str]) -> dict[str, str]:
    value = flag(argv, "set-env-vars")
    assert value is not None
    match = re.fullmatch(r"\^(.+?)\^(.*)", value)
    assert match, "ALLOWED_DOMAINS holds commas: the list needs gcloud's ^DELIM^ form"
    delimiter, items = match.groups()
    return dict(item.split("=", 1) for item in items.split(delimiter))


def plan(stdout: str) -> list[list[str]]:
    """The commands of a dry-run plan, without their [if ...] marks."""
    commands = []
    for line in stdout.splitlines():
        if line.startswith("+ "):
            text = re.sub(r"^\[if [a-z ]+\] ", "", line[2:])
            commands.append(shlex.split(text))
    return commands


def deploys(calls: Sequence[Sequence[str]]) -> list[list[str]]:
    return select(calls, "gcloud", "functions", "deploy")


def gcloud_calls(cloud: FakeCloud) -> list[list[str]]:
    return [["gcloud", *argv] for argv in cloud.calls()]


def creates(calls: Sequence[Sequence[str]]) -> list[list[str]]:
    """Every command that creates or grants something."""
    return [
        list(argv)
        for argv in calls
        if "create" in words(argv)
        or "enable" in words(argv)
        or "add-iam-policy-binding" in words(argv)
        or is_cmd(argv, "gcloud", "firestore", "fields", "ttls", "update")
    ]


def token_creator_grants(calls: Sequence[Sequence[str]]) -> list[list[str]]:
    """Every service-account IAM grant (all of them must be TokenCreator on DELEGATE)."""
    return select(calls, "gcloud", "iam", "service-accounts", "add-iam-policy-binding")


def assert_delegation_through_one_account(commands: Sequence[Sequence[str]]) -> None:
    """Each runtime account may sign as DELEGATE, nothing else; every function uses it."""
    grants = token_creator_grants(commands)
    assert [words(g)[4] for g in grants] == [DELEGATE] * 3
    assert {flag(g, "role") for g in grants} == {TOKEN_CREATOR}
    assert sorted(flag(g, "member") or "" for g in grants) == sorted(
        f"serviceAccount:{sa}" for sa in SA.values()
    )
    for argv in deploys(commands):
        assert env_vars(argv)["DELEGATION_SERVICE_ACCOUNT"] == DELEGATE
        assert flag(argv, "service-account") != DELEGATE
    client_ids = [
        c
        for c in select(commands, "gcloud", "iam", "service-accounts", "describe")
        if "oauth2ClientId" in (flag(c, "format") or "")
    ]
    assert [words(c)[4] for c in client_ids] == [DELEGATE]


def assert_in_order(calls: Sequence[Sequence[str]], steps: Sequence[Sequence[str]]) -> None:
    positions = [first(calls, *step) for step in steps]
    assert positions == sorted(positions), list(zip(steps, positions, strict=True))


STEPS_IN_ORDER = [
    ("gcloud", "services", "enable"),
    ("gcloud", "firestore", "databases", "describe"),
    ("gcloud", "iam", "service-accounts", "create"),
    ("gcloud", "iam", "service-accounts", "create", "conf-delegate"),
    ("gcloud", "projects", "add-iam-policy-binding"),
    ("gcloud", "iam", "service-accounts", "add-iam-policy-binding", DELEGATE),
    ("gcloud", "firestore", "fields", "ttls", "update"),
    ("gcloud", "functions", "deploy", "sync-events"),
    ("gcloud", "functions", "deploy", "create-conference"),
    ("gcloud", "functions", "deploy", "sweep"),
    ("gcloud", "run", "services", "add-iam-policy-binding", "sweep"),
    ("gcloud", "scheduler", "jobs", "create", "http", "sweep"),
]


# -- dry run -------------------------------------------------------------------------------


def test_dry_run_prints_the_whole_plan_in_order_and_calls_no_gcloud(
    repo: Path, tripwire: FakeCloud
) -> None:
    before = snapshot(repo)

    result = run_deploy(repo, tripwire, JITSI_SETTINGS, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert not tripwire.log.exists(), tripwire.log.read_text(encoding="utf-8")
    assert snapshot(repo) == before
    assert not (repo / "build").exists()
    assert not (repo / "addon" / "build").exists()
    commands = plan(result.stdout)
    stage = [c for c in commands if "scripts/stage_function.py" in c]
    generate = [c for c in commands if "addon.generate" in c]
    assert_in_order(commands, STEPS_IN_ORDER)
    deploy_sync = first(commands, "gcloud", "functions", "deploy", "sync-events")
    assert commands.index(stage[-1]) < deploy_sync
    assert commands.index(generate[0]) > first(commands, "gcloud", "scheduler", "jobs")
    enabled = set(words(select(commands, "gcloud", "services", "enable")[0])[3:])
    assert enabled >= REQUIRED_APIS
    assert {flag(c, "out") for c in stage} == {
        "build/sync-events",
        "build/create-conference",
        "build/sweep",
    }
    created = {words(c)[4] for c in select(commands, "gcloud", "iam", "service-accounts", "create")}
    assert created == {"conf-sync", "conf-create", "conf-sweep", "conf-delegate"}
    assert_delegation_through_one_account(commands)
    assert "<client id of conf-delegate>" in result.stdout
    assert len([line for line in result.stdout.splitlines() if "client id:" in line]) == 1
    create_env = env_vars(select(commands, "gcloud", "functions", "deploy", "create-conference")[0])
    assert create_env["SYNC_WEBHOOK_URL"] == "<sync-events URL>"
    assert flag(generate[0], "function-url") == "<create-conference URL>"
    assert flag(generate[0], "logo-url") == LOGO_URL
    assert f"(ADDON_LOGO_URL): {LOGO_URL}" in result.stdout
    for argv in deploys(commands):
        assert env_vars(argv)["ADDON_LOGO_URL"] == LOGO_URL
    assert "nothing was changed" in result.stdout


def test_dry_run_with_zoom_plans_the_secret_and_never_shows_its_value(
    repo: Path, tripwire: FakeCloud
) -> None:
    result = run_deploy(
        repo,
        tripwire,
        ZOOM_SETTINGS,
        "--dry-run",
        extra_env={"ZOOM_CLIENT_SECRET": SECRET_VALUE},
    )

    assert result.returncode == 0, result.stderr
    assert not tripwire.log.exists()
    assert SECRET_VALUE not in result.stdout + result.stderr
    commands = plan(result.stdout)
    assert "secretmanager.googleapis.com" in select(commands, "gcloud", "services", "enable")[0]
    for argv in select(commands, "gcloud", "functions", "deploy"):
        assert flag(argv, "set-secrets") == "ZOOM_CLIENT_SECRET=zoom-client-secret:latest"
    grants = select(commands, "gcloud", "secrets", "add-iam-policy-binding", "zoom-client-secret")
    assert {flag(g, "member") for g in grants} == {f"serviceAccount:{sa}" for sa in SA.values()}
    assert {flag(g, "role") for g in grants} == {"roles/secretmanager.secretAccessor"}


def test_the_example_settings_file_is_complete(repo: Path, tripwire: FakeCloud) -> None:
    result = run_deploy(repo, tripwire, {}, "--config", "deploy.env.example", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "project my-conferencing-project, region europe-west1" in result.stdout


# -- settings ------------------------------------------------------------------------------


def test_missing_settings_are_all_named_before_any_gcloud_call(
    repo: Path, cloud: FakeCloud
) -> None:
    result = run_deploy(repo, cloud, {})

    assert result.returncode == 2
    for name in (
        "PROJECT_ID",
        "REGION",
        "ADDON_OAUTH_CLIENT_ID",
        "ALLOWED_DOMAINS",
        "CONFERENCE_PROVIDER",
        "ADDON_LOGO_URL",
    ):
        assert f"{name} is required" in result.stderr
    assert cloud.calls() == []
    assert not (repo / "build").exists()


def test_zoom_settings_are_required_with_zoom(repo: Path, cloud: FakeCloud) -> None:
    result = run_deploy(repo, cloud, {**JITSI_SETTINGS, "CONFERENCE_PROVIDER": "zoom"})

    assert result.returncode == 2
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET_NAME"):
        assert f"{name} is required with CONFERENCE_PROVIDER=zoom" in result.stderr
    assert cloud.calls() == []


def test_invalid_values_are_all_reported(repo: Path, cloud: FakeCloud) -> None:
    settings = {
        **JITSI_SETTINGS,
        "REGION": "Europe West",
        "MIN_INSTANCES": "-1",
        "INGRESS_POLICY": "public",
        "CONCURRENCY": "8",
        "CPU": "0.5",
        "SCHEDULE": "every 5 minutes",
        "ALLOWED_DOMAINS": "example.com,not a domain",
        "CONFERENCE_PROVIDER": "teams",
    }

    result = run_deploy(repo, cloud, settings)

    assert result.returncode == 2
    for fragment in (
        "REGION",
        "MIN_INSTANCES",
        "INGRESS_POLICY",
        "CONCURRENCY above 1 needs CPU",
        "SCHEDULE",
        "'not a domain' is not a domain name",
        "CONFERENCE_PROVIDER must be jitsi, zoom or bigbluebutton",
    ):
        assert fragment in result.stderr
    assert cloud.calls() == []


@pytest.mark.parametrize("logo_url", [url for url in LOGO_CASES["refused"] if url])
def test_a_logo_off_google_hosts_is_refused_before_any_gcloud_call(
    repo: Path, cloud: FakeCloud, logo_url: str
) -> None:
    result = run_deploy(repo, cloud, {**JITSI_SETTINGS, "ADDON_LOGO_URL": logo_url})

    assert result.returncode == 2
    assert "ADDON_LOGO_URL must be an https:// URL of an image on *.googleusercontent.com" in (
        result.stderr
    )
    assert "addon/logos/jitsi-32.png" in result.stderr
    assert cloud.calls() == []
    assert not (repo / "build").exists()


@pytest.mark.parametrize("logo_url", LOGO_CASES["accepted"])
def test_every_google_host_is_accepted_and_reaches_the_add_on_and_the_functions(
    repo: Path, tripwire: FakeCloud, logo_url: str
) -> None:
    result = run_deploy(repo, tripwire, {**JITSI_SETTINGS, "ADDON_LOGO_URL": logo_url}, "--dry-run")

    assert result.returncode == 0, result.stderr
    commands = plan(result.stdout)
    [generate] = [c for c in commands if "addon.generate" in c]
    assert flag(generate, "logo-url") == logo_url
    assert {env_vars(argv)["ADDON_LOGO_URL"] for argv in deploys(commands)} == {logo_url}


def test_the_logo_url_is_read_from_the_config_file(repo: Path, tripwire: FakeCloud) -> None:
    settings = {name: value for name, value in JITSI_SETTINGS.items() if name != "ADDON_LOGO_URL"}
    config = repo / "logo.env"
    config.write_text(
        "ADDON_LOGO_URL='https://storage.googleapis.com/acme-logos/jitsi-128.png'\n",
        encoding="utf-8",
    )

    result = run_deploy(repo, tripwire, settings, "--config", str(config), "--dry-run")

    assert result.returncode == 0, result.stderr
    [generate] = [c for c in plan(result.stdout) if "addon.generate" in c]
    assert flag(generate, "logo-url") == "https://storage.googleapis.com/acme-logos/jitsi-128.png"


def test_config_file_is_read_and_the_environment_wins(repo: Path, tripwire: FakeCloud) -> None:
    lines = [f"{name}={value}" for name, value in JITSI_SETTINGS.items()]
    (repo / "deploy.env").write_text(
        "# settings\n\n" + "\n".join(lines) + '\nSCHEDULE="*/10 * * * *"\n', encoding="utf-8"
    )

    result = run_deploy(repo, tripwire, {"REGION": "us-central1"}, "--dry-run")

    assert result.returncode == 0, result.stderr
    commands = plan(result.stdout)
    for argv in select(commands, "gcloud", "functions", "deploy"):
        assert flag(argv, "region") == "us-central1"
    job = select(commands, "gcloud", "scheduler", "jobs", "create")[0]
    assert flag(job, "schedule") == "*/10 * * * *"


def test_config_file_refuses_a_secret_value_and_unknown_names(repo: Path, cloud: FakeCloud) -> None:
    config = repo / "zoom.env"
    lines = [f"{name}={value}" for name, value in ZOOM_SETTINGS.items()]
    lines += [f"ZOOM_CLIENT_SECRET={SECRET_VALUE}", "PROJECT=typo", "not a setting line"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_deploy(repo, cloud, {}, "--config", str(config))

    assert result.returncode == 2
    assert "ZOOM_CLIENT_SECRET must not be in a file" in result.stderr
    assert "unknown setting PROJECT" in result.stderr
    assert "not a NAME=value line" in result.stderr
    assert SECRET_VALUE not in result.stderr + result.stdout
    assert cloud.calls() == []


def test_deploy_scopes_are_the_calendar_credentials_scopes(repo: Path) -> None:
    text = (repo / "deploy.sh").read_text(encoding="utf-8")
    match = re.search(r'^CALENDAR_SCOPES="([^"]+)"', text, re.MULTILINE)

    assert match is not None
    assert match.group(1) == ",".join(GRANT_SCOPES)


# -- real runs against the fake ------------------------------------------------------------


def test_first_run_creates_everything_completely_and_in_order(repo: Path, cloud: FakeCloud) -> None:
    before = snapshot(repo)

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 0, result.stdout + result.stderr
    calls = gcloud_calls(cloud)
    assert_in_order(calls, STEPS_IN_ORDER)
    # sync-events first (deployed again once its URL is known), then the others.
    order = [words(argv)[3] for argv in deploys(calls)]
    assert order == ["sync-events", "sync-events", "create-conference", "sweep"]
    assert first(calls, "gcloud", "functions", "describe", "sync-events") < first(
        calls, "gcloud", "functions", "deploy", "create-conference"
    )
    timeouts = {"sync-events": "300", "create-conference": "60", "sweep": "540"}
    for argv in deploys(calls)[1:]:
        name = words(argv)[3]
        env = env_vars(argv)
        assert flag(argv, "gen2") == ""
        assert flag(argv, "runtime") == "python312"
        assert flag(argv, "region") == REGION
        assert flag(argv, "project") == PROJECT_ID
        assert flag(argv, "trigger-http") == ""
        assert flag(argv, "entry-point") == ENTRY[name]
        assert flag(argv, "source") == f"build/{name}"
        assert flag(argv, "service-account") == SA[name]
        assert flag(argv, "memory") == "512Mi"
        assert flag(argv, "cpu") == "1"
        assert flag(argv, "timeout") == timeouts[name] + "s"
        assert flag(argv, "concurrency") == env["THREADS"]
        assert flag(argv, "concurrency") == ("1" if name == "sweep" else "16")
        assert flag(argv, "min-instances") == "0"
        assert flag(argv, "max-instances") == ("1" if name == "sweep" else "20")
        assert flag(argv, "set-secrets") is None
        assert env == {
            "GOOGLE_CLOUD_PROJECT": PROJECT_ID,
            "SYNC_WEBHOOK_URL": SYNC_URL,
            "ADDON_OAUTH_CLIENT_ID": JITSI_SETTINGS["ADDON_OAUTH_CLIENT_ID"],
            "ALLOWED_DOMAINS": "example.com,example.org",
            "CALENDAR_CREDENTIALS": "delegated",
            "DELEGATION_SERVICE_ACCOUNT": DELEGATE,
            "CONFERENCE_PROVIDER": "jitsi",
            "ADDON_LOGO_URL": LOGO_URL,
            "FUNCTION_TIMEOUT_SECONDS": timeouts[name],
            "THREADS": flag(argv, "concurrency"),
        }
        public = name != "sweep"
        assert (flag(argv, "allow-unauthenticated") == "") is public
        assert (flag(argv, "no-allow-unauthenticated") == "") is not public
    provisional = env_vars(deploys(calls)[0])["SYNC_WEBHOOK_URL"]
    assert provisional == f"https://{REGION}-{PROJECT_ID}.cloudfunctions.net/sync-events"

    # Least privilege: exactly these grants.
    state = cloud.state()
    assert sorted(state["policies"][f"project:{PROJECT_ID}"]) == sorted(
        f"roles/datastore.user\tserviceAccount:{sa}" for sa in SA.values()
    )
    # Each runtime account may sign as conf-delegate, and as nothing else (not itself);
    # conf-delegate has no role on the project (above) and runs nothing.
    assert sorted(state["policies"][f"sa:{DELEGATE}"]) == sorted(
        f"{TOKEN_CREATOR}\tserviceAccount:{sa}" for sa in SA.values()
    )
    assert [key for key in state["policies"] if key.startswith("sa:")] == [f"sa:{DELEGATE}"]
    assert_delegation_through_one_account(calls)
    sa_creates = select(calls, "gcloud", "iam", "service-accounts", "create")
    assert sorted(words(c)[4] for c in sa_creates) == sorted(
        ["conf-sync", "conf-create", "conf-sweep", "conf-delegate"]
    )
    assert f"sa:{DELEGATE}" in state["keys"]
    assert state["policies"]["run:sweep"] == [f"roles/run.invoker\tserviceAccount:{SA['sweep']}"]
    assert state["policies"]["run:sync-events"] == ["roles/run.invoker\tallUsers"]
    assert set(state["services"]) >= REQUIRED_APIS
    assert "ttl:conferences/expireAt" in state["keys"]

    job = select(calls, "gcloud", "scheduler", "jobs", "create", "http", "sweep")[0]
    assert flag(job, "uri") == SWEEP_URL
    assert flag(job, "oidc-service-account-email") == SA["sweep"]
    assert flag(job, "oidc-token-audience") == SWEEP_URL
    assert flag(job, "schedule") == "*/5 * * * *"
    assert flag(job, "location") == REGION

    for name in ("sync-events", "create-conference", "sweep"):
        staged = repo / "build" / name
        assert (staged / "main.py").is_file()
        assert (staged / "requirements.txt").is_file()
        assert (staged / "shared" / "__init__.py").is_file()
    config_gs = (repo / "addon" / "build" / "Config.gs").read_text(encoding="utf-8")
    assert f'CREATE_CONFERENCE_URL = "{CREATE_URL}' in config_gs
    manifest = json.loads((repo / "addon" / "build" / "appsscript.json").read_text("utf-8"))
    assert manifest["addOns"]["common"]["logoUrl"] == LOGO_URL
    assert {s["logoUrl"] for s in manifest["addOns"]["calendar"]["conferenceSolution"]} == {
        LOGO_URL
    }
    assert snapshot(repo) == before  # nothing written outside build/ and addon/build/
    # One client id to grant domain-wide delegation to: conf-delegate's.
    client_lines = [line for line in result.stdout.splitlines() if "client id:" in line]
    assert len(client_lines) == 1
    assert DELEGATE in client_lines[0]
    assert str(100000000000000000000 + sum(map(ord, DELEGATE))) in client_lines[0]
    for sa in SA.values():
        assert str(100000000000000000000 + sum(map(ord, sa))) not in result.stdout
    assert ",".join(GRANT_SCOPES) in result.stdout


def test_second_run_creates_nothing(repo: Path, cloud: FakeCloud) -> None:
    assert run_deploy(repo, cloud, JITSI_SETTINGS).returncode == 0
    state_after_first = cloud.state()
    cloud.clear_log()

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 0, result.stdout + result.stderr
    calls = gcloud_calls(cloud)
    assert creates(calls) == []
    assert [words(argv)[3] for argv in deploys(calls)] == [
        "sync-events",
        "create-conference",
        "sweep",
    ]
    assert len(select(calls, "gcloud", "scheduler", "jobs", "update", "http", "sweep")) == 1
    assert select(calls, "gcloud", "iam", "service-accounts", "get-iam-policy") == [
        select(calls, "gcloud", "iam", "service-accounts", "get-iam-policy", DELEGATE)[0]
    ]
    for argv in deploys(calls):
        assert env_vars(argv)["DELEGATION_SERVICE_ACCOUNT"] == DELEGATE
    assert cloud.state() == state_after_first


def test_a_project_deployed_before_gets_conf_delegate_and_keeps_its_old_bindings(
    repo: Path, cloud: FakeCloud
) -> None:
    """Earlier versions made each runtime account sign as itself: the new run adds
    conf-delegate and its grants, switches the functions to it, and removes nothing."""
    self_bindings = {f"sa:{sa}": [f"{TOKEN_CREATOR}\tserviceAccount:{sa}"] for sa in SA.values()}
    cloud.set_state(
        database="FIRESTORE_NATIVE",
        keys=[f"sa:{sa}" for sa in SA.values()],
        policies={
            f"project:{PROJECT_ID}": [
                f"roles/datastore.user\tserviceAccount:{sa}" for sa in SA.values()
            ],
            **self_bindings,
        },
    )

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 0, result.stdout + result.stderr
    calls = gcloud_calls(cloud)
    sa_creates = select(calls, "gcloud", "iam", "service-accounts", "create")
    assert [words(c)[4] for c in sa_creates] == ["conf-delegate"]
    assert select(calls, "gcloud", "projects", "add-iam-policy-binding") == []
    assert_delegation_through_one_account(calls)
    assert not any("remove-iam-policy-binding" in words(argv) for argv in calls)
    policies = cloud.state()["policies"]
    for key, bindings in self_bindings.items():
        assert policies[key] == bindings  # left for the operator to remove (docs/operations.md)
    assert len(policies[f"sa:{DELEGATE}"]) == 3


def test_zoom_secret_goes_only_through_set_secrets(repo: Path, cloud: FakeCloud) -> None:
    cloud.set_state(database="FIRESTORE_NATIVE", keys=["secret:zoom-client-secret"])

    result = run_deploy(repo, cloud, ZOOM_SETTINGS, extra_env={"ZOOM_CLIENT_SECRET": SECRET_VALUE})

    assert result.returncode == 0, result.stdout + result.stderr
    assert SECRET_VALUE not in cloud.log.read_text(encoding="utf-8")
    assert SECRET_VALUE not in result.stdout + result.stderr
    for argv in deploys(gcloud_calls(cloud)):
        env = env_vars(argv)
        assert flag(argv, "set-secrets") == "ZOOM_CLIENT_SECRET=zoom-client-secret:latest"
        assert "ZOOM_CLIENT_SECRET" not in env
        assert env["ZOOM_ACCOUNT_ID"] == "zoom-account-1"
        assert env["ZOOM_CLIENT_ID"] == "zoom-client-1"
        assert env["CONFERENCE_PROVIDER"] == "zoom"
    policies = cloud.state()["policies"]
    assert sorted(policies["secret:zoom-client-secret"]) == sorted(
        f"roles/secretmanager.secretAccessor\tserviceAccount:{sa}" for sa in SA.values()
    )
    assert not any("secretAccessor" in b for b in policies[f"project:{PROJECT_ID}"])


def test_a_missing_zoom_secret_stops_with_instructions(repo: Path, cloud: FakeCloud) -> None:
    result = run_deploy(repo, cloud, ZOOM_SETTINGS)

    assert result.returncode == 3
    assert "gcloud secrets create zoom-client-secret" in result.stderr
    calls = gcloud_calls(cloud)
    assert deploys(calls) == []
    assert [c for c in creates(calls) if not is_cmd(c, "gcloud", "services", "enable")] == []


def test_a_missing_firestore_database_stops_with_instructions(repo: Path, cloud: FakeCloud) -> None:
    cloud.set_state(database=None)

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 3
    assert (
        f"gcloud firestore databases create --project={PROJECT_ID} --location={REGION} "
        "--type=firestore-native" in result.stderr
    )
    calls = gcloud_calls(cloud)
    assert select(calls, "gcloud", "firestore", "databases", "create") == []
    assert [c for c in creates(calls) if not is_cmd(c, "gcloud", "services", "enable")] == []
    assert deploys(calls) == []


def test_a_datastore_mode_database_is_refused(repo: Path, cloud: FakeCloud) -> None:
    cloud.set_state(database="DATASTORE_MODE")

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 3
    assert "Native mode" in result.stderr
    assert deploys(gcloud_calls(cloud)) == []


def test_invoker_check_disabled_instead_of_all_users(repo: Path, cloud: FakeCloud) -> None:
    settings = {**JITSI_SETTINGS, "INGRESS_POLICY": "invoker-check-disabled"}

    result = run_deploy(repo, cloud, settings)

    assert result.returncode == 0, result.stdout + result.stderr
    calls = gcloud_calls(cloud)
    for argv in deploys(calls):
        assert flag(argv, "allow-unauthenticated") is None
        assert flag(argv, "no-allow-unauthenticated") == ""
    updates = select(calls, "gcloud", "run", "services", "update")
    assert sorted(words(u)[4] for u in updates) == [
        "create-conference",
        "sync-events",
        "sync-events",
    ]
    assert all(flag(u, "no-invoker-iam-check") == "" for u in updates)
    for index, argv in enumerate(calls):
        if is_cmd(argv, "gcloud", "functions", "deploy", "create-conference"):
            assert is_cmd(
                calls[index + 1], "gcloud", "run", "services", "update", "create-conference"
            )
    assert not any("allUsers" in b for bs in cloud.state()["policies"].values() for b in bs)


def test_clasp_pushes_the_add_on_when_logged_in(repo: Path, cloud: FakeCloud) -> None:
    clasp_log = cloud.bin_dir.parent / "clasp.log"
    (cloud.bin_dir / "clasp").write_text(
        f'#!/bin/sh\necho "$(pwd) $*" >> "{clasp_log}"\n', encoding="utf-8"
    )
    (cloud.bin_dir / "clasp").chmod(0o755)
    (cloud.home / ".clasprc.json").write_text("{}", encoding="utf-8")
    settings = {**JITSI_SETTINGS, "ADDON_SCRIPT_ID": "1AbC-script_id"}

    result = run_deploy(repo, cloud, settings)

    assert result.returncode == 0, result.stdout + result.stderr
    addon = repo / "addon" / "build"
    assert clasp_log.read_text(encoding="utf-8").splitlines() == [f"{addon} push --force"]
    assert json.loads((addon / ".clasp.json").read_text(encoding="utf-8")) == {
        "scriptId": "1AbC-script_id",
        "rootDir": ".",
    }


def test_without_clasp_the_add_on_steps_are_printed(repo: Path, cloud: FakeCloud) -> None:
    result = run_deploy(repo, cloud, {**JITSI_SETTINGS, "ADDON_SCRIPT_ID": "1AbC"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "clasp push --force" in result.stdout
    assert "https://script.google.com/d/1AbC/edit" in result.stdout
    assert not (repo / "addon" / "build" / ".clasp.json").exists()


def test_a_failing_command_stops_the_run_and_names_the_step(repo: Path, cloud: FakeCloud) -> None:
    cloud.set_state(database="FIRESTORE_NATIVE", fail=["functions deploy create-conference"])

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 5
    assert "stopped while 9. Deploy create-conference" in result.stderr
    assert "run deploy.sh again" in result.stderr
    calls = gcloud_calls(cloud)
    assert select(calls, "gcloud", "functions", "deploy", "sweep") == []
    assert select(calls, "gcloud", "scheduler") == []


def test_a_missing_function_source_is_a_settings_problem(repo: Path, cloud: FakeCloud) -> None:
    (repo / "functions" / "create_conference" / "main.py").unlink()

    result = run_deploy(repo, cloud, JITSI_SETTINGS)

    assert result.returncode == 2
    assert "functions/create_conference/main.py is missing" in result.stderr
    assert cloud.calls() == []


@pytest.mark.integration
def test_every_planned_gcloud_command_is_accepted_by_the_real_gcloud(
    repo: Path, tripwire: FakeCloud, tmp_path: Path
) -> None:
    """The fake accepts anything well-shaped; the installed gcloud checks the flags. With a
    configuration that has no account, a command that parses stops at the missing account."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        pytest.skip("gcloud is not installed")
    settings = {
        **ZOOM_SETTINGS,
        "INGRESS_POLICY": "invoker-check-disabled",
        "BUILD_SERVICE_ACCOUNT": f"builder@{PROJECT_ID}.iam.gserviceaccount.com",
    }
    result = run_deploy(repo, tripwire, settings, "--dry-run")
    assert result.returncode == 0, result.stderr
    shapes: dict[tuple[str, ...], list[str]] = {}
    for argv in plan(result.stdout):
        if argv[0] == "gcloud":
            shapes.setdefault(tuple(words(argv)[:4]), argv)
    config = tmp_path / "gcloud-config"
    config.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "CLOUDSDK_CONFIG": str(config),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
    }

    refused = {}
    for argv in shapes.values():
        real = [
            gcloud,
            *(re.sub(r"<([a-z-]+) URL>", r"https://\1-x.a.run.app", a) for a in argv[1:]),
        ]
        answer = subprocess.run(real, env=env, capture_output=True, text=True, timeout=120)
        if "do not currently have an active account" not in answer.stderr:
            refused[" ".join(argv)] = answer.stderr.strip()[:300]

    assert len(shapes) >= 20
    assert refused == {}
