"""deploy.sh with BigBlueButton enabled: join-meeting first, its own account, its secrets
only through --set-secrets, public under INGRESS_POLICY, the OAuth client steps."""

from __future__ import annotations

import json
from pathlib import Path

from tests.deploy.conftest import BBB_SECRETS, BBB_SETTINGS, FakeCloud, run_deploy
from tests.deploy.fake_gcloud import url_of
from tests.deploy.test_deploy_script import (
    DELEGATE,
    PROJECT_ID,
    REGION,
    SA,
    TOKEN_CREATOR,
    deploys,
    env_vars,
    first,
    flag,
    gcloud_calls,
    plan,
    select,
    words,
)

SA_JOIN = f"conf-join@{PROJECT_ID}.iam.gserviceaccount.com"
JOIN_URL = url_of("join-meeting", REGION)
SECRET_VALUES = {
    "BBB_SECRET": "bbb-value-never-shown",
    "JOIN_OAUTH_CLIENT_SECRET": "oauth-value-never-shown",
    "JOIN_SESSION_KEY": "session-value-never-shown",
}
JOIN_SECRETS = (
    "BBB_SECRET=bbb-secret:latest,"
    "JOIN_OAUTH_CLIENT_SECRET=join-oauth-client-secret:latest,"
    "JOIN_SESSION_KEY=join-session-key:latest"
)


def test_dry_run_shows_join_meeting_first_with_its_account_and_secrets(
    repo: Path, tripwire: FakeCloud
) -> None:
    result = run_deploy(repo, tripwire, BBB_SETTINGS, "--dry-run", extra_env=SECRET_VALUES)

    assert result.returncode == 0, result.stderr
    assert not tripwire.log.exists()
    commands = plan(result.stdout)
    order = [words(argv)[3] for argv in deploys(commands)]
    assert order == ["join-meeting", "sync-events", "create-conference", "sweep"]
    join = deploys(commands)[0]
    assert flag(join, "entry-point") == "join_meeting"
    assert flag(join, "service-account") == SA_JOIN
    assert flag(join, "source") == "build/join-meeting"
    assert flag(join, "allow-unauthenticated") == ""
    assert flag(join, "set-secrets") == JOIN_SECRETS
    env = env_vars(join)
    assert env["JOIN_OAUTH_CLIENT_ID"] == BBB_SETTINGS["JOIN_OAUTH_CLIENT_ID"]
    assert env["JOIN_BASE_URL"] == "<join-meeting URL>/"
    assert env["CONFERENCE_PROVIDERS"] == "jitsi,bigbluebutton"
    assert env["CONFERENCE_PROVIDER"] == "jitsi"
    assert env["BBB_API_URL"] == BBB_SETTINGS["BBB_API_URL"]
    for argv in deploys(commands)[1:]:
        assert flag(argv, "set-secrets") == "BBB_SECRET=bbb-secret:latest"
        assert env_vars(argv)["JOIN_BASE_URL"] == "<join-meeting URL>/"
        assert "JOIN_OAUTH_CLIENT_ID" not in env_vars(argv)
    for argv in deploys(commands):
        for name in SECRET_VALUES:
            assert name not in env_vars(argv)
    for value in SECRET_VALUES.values():
        assert value not in result.stdout + result.stderr
    staged = [c for c in commands if "scripts/stage_function.py" in c]
    assert "--out=build/join-meeting" in staged[-1]
    assert first(commands, "gcloud", "firestore", "fields", "ttls", "update") < first(
        commands, "gcloud", "functions", "deploy", "join-meeting"
    )
    ttl_groups = {
        flag(c, "collection-group") for c in select(commands, "gcloud", "firestore", "fields")
    }
    assert ttl_groups == {"conferences", "cancelledConferences"}
    assert f"{'<join-meeting URL>/'}oauth/callback" in result.stdout
    assert "External" in result.stdout
    assert "secretmanager.googleapis.com" in select(commands, "gcloud", "services", "enable")[0]


def test_first_run_deploys_join_meeting_first_then_gives_its_url_to_the_others(
    repo: Path, cloud: FakeCloud
) -> None:
    cloud.set_state(database="FIRESTORE_NATIVE", keys=list(BBB_SECRETS))

    result = run_deploy(repo, cloud, BBB_SETTINGS, extra_env=SECRET_VALUES)

    assert result.returncode == 0, result.stdout + result.stderr
    calls = gcloud_calls(cloud)
    order = [words(argv)[3] for argv in deploys(calls)]
    assert order == [
        "join-meeting",
        "join-meeting",
        "sync-events",
        "sync-events",
        "create-conference",
        "sweep",
    ]
    provisional, final = deploys(calls)[:2]
    assert env_vars(provisional)["JOIN_BASE_URL"] == (
        f"https://{REGION}-{PROJECT_ID}.cloudfunctions.net/join-meeting/"
    )
    assert env_vars(final)["JOIN_BASE_URL"] == JOIN_URL + "/"
    for argv in deploys(calls)[2:]:
        assert env_vars(argv)["JOIN_BASE_URL"] == JOIN_URL + "/"
    policies = cloud.state()["policies"]
    assert f"roles/datastore.viewer\tserviceAccount:{SA_JOIN}" in policies[f"project:{PROJECT_ID}"]
    assert (
        f"roles/datastore.user\tserviceAccount:{SA_JOIN}" not in policies[f"project:{PROJECT_ID}"]
    )
    assert f"{TOKEN_CREATOR}\tserviceAccount:{SA_JOIN}" in policies[f"sa:{DELEGATE}"]
    assert policies["secret:join-session-key"] == [
        f"roles/secretmanager.secretAccessor\tserviceAccount:{SA_JOIN}"
    ]
    assert policies["secret:join-oauth-client-secret"] == [
        f"roles/secretmanager.secretAccessor\tserviceAccount:{SA_JOIN}"
    ]
    assert sorted(policies["secret:bbb-secret"]) == sorted(
        f"roles/secretmanager.secretAccessor\tserviceAccount:{sa}" for sa in (*SA.values(), SA_JOIN)
    )
    assert policies["run:join-meeting"] == ["roles/run.invoker\tallUsers"]
    assert "ttl:cancelledConferences/expireAt" in cloud.state()["keys"]
    assert (repo / "build" / "join-meeting" / "main.py").is_file()
    manifest = json.loads((repo / "addon" / "build" / "appsscript.json").read_text("utf-8"))
    solution_ids = {s["id"] for s in manifest["addOns"]["calendar"]["conferenceSolution"]}
    assert {"1", "bigbluebutton-1", "bigbluebutton-2"} <= solution_ids
    assert f"{JOIN_URL}/oauth/callback" in result.stdout
    for value in SECRET_VALUES.values():
        assert value not in cloud.log.read_text(encoding="utf-8")


def test_a_second_run_creates_nothing_and_deploys_join_meeting_once(
    repo: Path, cloud: FakeCloud
) -> None:
    cloud.set_state(database="FIRESTORE_NATIVE", keys=list(BBB_SECRETS))
    assert run_deploy(repo, cloud, BBB_SETTINGS).returncode == 0
    cloud.clear_log()

    result = run_deploy(repo, cloud, BBB_SETTINGS)

    assert result.returncode == 0, result.stderr
    calls = gcloud_calls(cloud)
    assert [words(a)[3] for a in deploys(calls)] == [
        "join-meeting",
        "sync-events",
        "create-conference",
        "sweep",
    ]
    assert select(calls, "gcloud", "iam", "service-accounts", "create") == []


def test_invoker_check_disabled_applies_to_join_meeting(repo: Path, cloud: FakeCloud) -> None:
    cloud.set_state(database="FIRESTORE_NATIVE", keys=list(BBB_SECRETS))
    settings = {**BBB_SETTINGS, "INGRESS_POLICY": "invoker-check-disabled"}

    result = run_deploy(repo, cloud, settings)

    assert result.returncode == 0, result.stderr
    updates = select(gcloud_calls(cloud), "gcloud", "run", "services", "update", "join-meeting")
    assert updates
    assert all(flag(u, "no-invoker-iam-check") == "" for u in updates)


def test_a_missing_session_key_stops_with_instructions(repo: Path, cloud: FakeCloud) -> None:
    cloud.set_state(database="FIRESTORE_NATIVE", keys=list(BBB_SECRETS[:2]))

    result = run_deploy(repo, cloud, BBB_SETTINGS)

    assert result.returncode == 3
    assert "openssl rand -base64 48" in result.stderr
    assert "gcloud secrets create join-session-key" in result.stderr
    assert deploys(gcloud_calls(cloud)) == []


def test_bigbluebutton_settings_are_checked(repo: Path, cloud: FakeCloud) -> None:
    settings = {
        **BBB_SETTINGS,
        "CONFERENCE_PROVIDER": "bigbluebutton",
        "BBB_API_URL": "http://bbb.example.org/api",
        "BBB_SECRET_NAME": "",
        "JOIN_OAUTH_CLIENT_ID": "not-a-client",
        "JOIN_SESSION_KEY_NAME": "has spaces",
        "JOIN_OPENS_MINUTES_BEFORE": "9999",
    }

    result = run_deploy(repo, cloud, settings)

    assert result.returncode == 2
    for fragment in (
        "CONFERENCE_PROVIDER (bigbluebutton) must be the first of CONFERENCE_PROVIDERS",
        "BBB_API_URL must be an https:// URL ending in /bigbluebutton/api/",
        "BBB_SECRET_NAME is required",
        "JOIN_OAUTH_CLIENT_ID must be an OAuth client id",
        "JOIN_SESSION_KEY_NAME must be a Secret Manager secret name",
        "JOIN_OPENS_MINUTES_BEFORE must be a whole number from 0 to 1440",
    ):
        assert fragment in result.stderr
    assert cloud.calls() == []


def test_secret_values_are_refused_in_the_config_file(repo: Path, cloud: FakeCloud) -> None:
    config = repo / "deploy.env"
    config.write_text("JOIN_SESSION_KEY=abc\nBBB_SECRET=def\n", encoding="utf-8")

    result = run_deploy(repo, cloud, BBB_SETTINGS)

    assert result.returncode == 2
    assert "JOIN_SESSION_KEY must not be in a file" in result.stderr
    assert "BBB_SECRET must not be in a file" in result.stderr
    assert "abc" not in result.stderr
