"""Settings: every problem named at once; Cloud Run refuses the local-only choices; the
logo is on Google's hosts everywhere."""

from __future__ import annotations

import pytest

from shared.config import (
    BBB_CHECKSUM_ALGORITHMS,
    BigBlueButtonSettings,
    CalendarCredentialsMode,
    load_settings,
)
from shared.errors import ConfigurationError
from shared.providers.bigbluebutton.checksum import ALGORITHMS

LOGO_URL = "https://lh3.googleusercontent.com/listing-icon=s32"
LOCAL = {
    "GOOGLE_CLOUD_PROJECT": "p",
    "SYNC_WEBHOOK_URL": "https://sync.example.com/",
    "ADDON_OAUTH_CLIENT_ID": "client",
    "ADDON_LOGO_URL": LOGO_URL,
    "CALENDAR_CREDENTIALS": "anonymous",
}
DEPLOYED = {
    "GOOGLE_CLOUD_PROJECT": "p",
    "SYNC_WEBHOOK_URL": "https://sync.example.com/",
    "ADDON_OAUTH_CLIENT_ID": "client",
    "ADDON_LOGO_URL": LOGO_URL,
    "ALLOWED_DOMAINS": "Example.com, other.org",
    "DELEGATION_SERVICE_ACCOUNT": "conf-create@p.iam.gserviceaccount.com",
    "K_SERVICE": "create-conference",
}


def problems_of(env: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as failure:
        load_settings(env)
    return "; ".join(failure.value.problems)


def test_every_missing_name_is_listed_at_once() -> None:
    text = problems_of({})

    for name in (
        "GOOGLE_CLOUD_PROJECT",
        "SYNC_WEBHOOK_URL",
        "ADDON_OAUTH_CLIENT_ID",
        "ADDON_LOGO_URL",
        "ALLOWED_DOMAINS",
        "DELEGATION_SERVICE_ACCOUNT",
    ):
        assert name in text


def test_deployed_settings_load_with_defaults() -> None:
    settings = load_settings(DEPLOYED)

    assert settings.calendar_credentials is CalendarCredentialsMode.DELEGATED
    assert settings.allowed_domains == ("example.com", "other.org")
    assert settings.id_token_certs_url == "https://www.googleapis.com/oauth2/v1/certs"
    assert settings.conference_provider == "jitsi"
    assert settings.jitsi_base_url == "https://meet.jit.si"
    assert settings.addon_logo_url == LOGO_URL
    assert settings.reservation_lease_seconds == 60.0


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"CALENDAR_CREDENTIALS": "anonymous"}, "anonymous"),
        ({"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080"}, "FIRESTORE_EMULATOR_HOST"),
        ({"GOOGLE_ID_TOKEN_CERTS_URL": "http://127.0.0.1:9/certs"}, "GOOGLE_ID_TOKEN_CERTS_URL"),
        ({"GOOGLE_ID_TOKEN_CERTS_URL": "https://evil.example.com/certs"}, "CERTS_URL"),
        ({"CALENDAR_API_ENDPOINT": "http://127.0.0.1:8091/calendar/v3/"}, "https"),
        ({"CALENDAR_TOKEN_URI": "https://oauth2.googleapis.com/token"}, "CALENDAR_TOKEN_URI"),
        ({"CALENDAR_SIGNING_KEY_FILE": __file__}, "CALENDAR_SIGNING_KEY_FILE"),
    ],
)
def test_cloud_run_refuses_local_only_choices(extra: dict[str, str], problem: str) -> None:
    assert problem in problems_of({**DEPLOYED, **extra})


def test_the_same_choices_are_fine_locally() -> None:
    settings = load_settings(
        {
            **LOCAL,
            "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080",
            "GOOGLE_ID_TOKEN_CERTS_URL": "http://127.0.0.1:9/certs",
            "CALENDAR_API_ENDPOINT": "http://127.0.0.1:8091/calendar/v3/",
        }
    )

    assert settings.calendar_credentials is CalendarCredentialsMode.ANONYMOUS
    assert settings.calendar_api_endpoint == "http://127.0.0.1:8091/calendar/v3/"


def test_delegated_credentials_can_use_a_local_token_endpoint_and_key_locally() -> None:
    local_delegated = {
        **DEPLOYED,
        "K_SERVICE": "",
        "CALENDAR_TOKEN_URI": "http://127.0.0.1:9/token",
        "CALENDAR_SIGNING_KEY_FILE": __file__,
    }

    settings = load_settings(local_delegated)

    assert settings.calendar_credentials is CalendarCredentialsMode.DELEGATED
    assert settings.calendar_token_uri == "http://127.0.0.1:9/token"
    assert settings.calendar_signing_key_file == __file__


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"CALENDAR_TOKEN_URI": "http://127.0.0.1:9/token"}, "only for CALENDAR_CREDENTIALS"),
        ({"CALENDAR_SIGNING_KEY_FILE": __file__}, "only for CALENDAR_CREDENTIALS"),
        ({"CALENDAR_CREDENTIALS": "", "CALENDAR_SIGNING_KEY_FILE": "/no/such.pem"}, "readable"),
    ],
)
def test_the_local_delegation_settings_are_checked(extra: dict[str, str], problem: str) -> None:
    assert problem in problems_of({**LOCAL, **extra})


def test_zoom_needs_its_credentials_named() -> None:
    text = problems_of({**LOCAL, "CONFERENCE_PROVIDER": "zoom"})

    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        assert name in text


def test_zoom_secret_is_not_in_the_settings_repr() -> None:
    settings = load_settings(
        {
            **LOCAL,
            "CONFERENCE_PROVIDER": "zoom",
            "ZOOM_ACCOUNT_ID": "a",
            "ZOOM_CLIENT_ID": "c",
            "ZOOM_CLIENT_SECRET": "canary-secret-123",
        }
    )

    assert settings.zoom is not None
    assert settings.zoom.client_secret == "canary-secret-123"
    assert "canary-secret-123" not in repr(settings)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"CONFERENCE_PROVIDER": "webex"}, "CONFERENCE_PROVIDER"),
        ({"CALENDAR_CREDENTIALS": "keyfile"}, "CALENDAR_CREDENTIALS"),
        ({"SYNC_WEBHOOK_URL": "ftp://x"}, "SYNC_WEBHOOK_URL"),
        ({"CALENDAR_API_ENDPOINT": "http://127.0.0.1:8091/calendar/v3"}, "end with '/'"),
        ({"RESERVATION_LEASE_SECONDS": "soon"}, "RESERVATION_LEASE_SECONDS"),
        ({"CREATE_WAIT_SECONDS": "-1"}, "CREATE_WAIT_SECONDS"),
    ],
)
def test_invalid_values_are_named(extra: dict[str, str], problem: str) -> None:
    assert problem in problems_of({**LOCAL, **extra})


@pytest.mark.parametrize(
    "url",
    [
        "https://lh3.googleusercontent.com/AbCdEf=s32",
        "https://fonts.gstatic.com/s/i/logo.png",
        "https://storage.googleapis.com/acme-logos/jitsi-128.png",
    ],
)
@pytest.mark.parametrize("base", [LOCAL, DEPLOYED], ids=["local", "cloud-run"])
def test_a_google_hosted_logo_is_the_solutions_icon(base: dict[str, str], url: str) -> None:
    assert load_settings({**base, "ADDON_LOGO_URL": url}).addon_logo_url == url


@pytest.mark.parametrize(
    "url",
    [
        "https://meet.jit.si/images/favicon.svg",
        "https://evilgoogleusercontent.com/logo.png",
        "https://googleusercontent.com.evil.org/logo.png",
        "http://lh3.googleusercontent.com/logo.png",
        "https://lh3.googleusercontent.com/",
    ],
)
@pytest.mark.parametrize("base", [LOCAL, DEPLOYED], ids=["local", "cloud-run"])
def test_a_logo_off_google_hosts_is_a_configuration_error(base: dict[str, str], url: str) -> None:
    with pytest.raises(ConfigurationError) as failure:
        load_settings({**base, "ADDON_LOGO_URL": url, "SYNC_WEBHOOK_URL": ""})

    logo = [p for p in failure.value.problems if p.startswith("ADDON_LOGO_URL")]
    assert len(logo) == 1
    assert "SYNC_WEBHOOK_URL is required" in failure.value.problems  # named together


def test_a_custom_provider_factory_is_accepted() -> None:
    settings = load_settings({**LOCAL, "CONFERENCE_PROVIDER": "mypkg.providers:make"})

    assert settings.conference_provider == "mypkg.providers:make"


@pytest.mark.parametrize(("raw", "expected"), [("", True), ("on", True), ("OFF", False)])
def test_write_back_is_on_unless_turned_off(raw: str, expected: bool) -> None:
    assert load_settings({**DEPLOYED, "WRITE_BACK": raw}).write_back is expected


def test_a_write_back_setting_other_than_on_or_off_is_refused() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({**DEPLOYED, "WRITE_BACK": "sometimes"})
    assert "WRITE_BACK must be on or off" in raised.value.problems


BBB = {
    "BBB_API_URL": "https://bbb.example.org/bigbluebutton/api/",
    "BBB_SECRET": "canary-bbb-secret",
    "JOIN_BASE_URL": "https://join.example.org/j/",
}


def test_conference_providers_is_a_list_whose_first_is_the_primary() -> None:
    settings = load_settings({**LOCAL, "CONFERENCE_PROVIDERS": " jitsi , bigbluebutton", **BBB})

    assert settings.conference_providers == ("jitsi", "bigbluebutton")
    assert settings.conference_provider == "jitsi"
    assert settings.bigbluebutton == BigBlueButtonSettings(
        api_url=BBB["BBB_API_URL"], secret="canary-bbb-secret", checksum_algorithm="sha256"
    )
    assert settings.join_base_url == "https://join.example.org/j/"
    assert settings.zoom is None
    assert "canary-bbb-secret" not in repr(settings)


def test_conference_provider_alone_still_works_and_jitsi_is_the_default() -> None:
    assert load_settings({**LOCAL, "CONFERENCE_PROVIDER": "jitsi"}).conference_providers == (
        "jitsi",
    )
    defaults = load_settings(LOCAL)
    assert defaults.conference_providers == ("jitsi",)
    assert defaults.bigbluebutton is None
    assert defaults.join_base_url == ""


def test_both_set_is_fine_when_conference_provider_is_first() -> None:
    settings = load_settings(
        {**LOCAL, "CONFERENCE_PROVIDER": "jitsi", "CONFERENCE_PROVIDERS": "jitsi,bigbluebutton"}
        | BBB
    )

    assert settings.conference_providers == ("jitsi", "bigbluebutton")


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            {"CONFERENCE_PROVIDER": "bigbluebutton", "CONFERENCE_PROVIDERS": "jitsi,bigbluebutton"},
            "CONFERENCE_PROVIDER must be the first of CONFERENCE_PROVIDERS",
        ),
        ({"CONFERENCE_PROVIDERS": "jitsi,,zoom"}, "CONFERENCE_PROVIDERS has an empty entry"),
        ({"CONFERENCE_PROVIDERS": "jitsi,jitsi"}, "names a provider twice"),
        ({"CONFERENCE_PROVIDERS": "jitsi,webex"}, "'webex' is not one of"),
        ({"BBB_API_URL": "https://bbb.example.org/api/"}, "must end with '/bigbluebutton/api/'"),
        ({"BBB_API_URL": "bbb.example.org"}, "BBB_API_URL must be an http(s) URL"),
        ({"BBB_CHECKSUM_ALGORITHM": "md5"}, "BBB_CHECKSUM_ALGORITHM must be one of"),
        ({"JOIN_BASE_URL": "https://join.example.org/j"}, "JOIN_BASE_URL must end with '/'"),
        ({"JOIN_BASE_URL": "https://join.example.org/?a=1/"}, "no query or fragment"),
        ({"BBB_API_URL": "https://b/bigbluebutton/api/?x=1"}, "BBB_API_URL must have no query"),
    ],
)
def test_the_provider_list_and_bigbluebutton_settings_are_checked(
    extra: dict[str, str], problem: str
) -> None:
    env = {**LOCAL, "CONFERENCE_PROVIDERS": "jitsi,bigbluebutton", **BBB, **extra}

    assert problem in problems_of(env)


def test_every_problem_of_every_enabled_provider_is_named_at_once() -> None:
    text = problems_of({**LOCAL, "CONFERENCE_PROVIDERS": "zoom,bigbluebutton"})

    for name in (
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "BBB_API_URL",
        "BBB_SECRET",
        "JOIN_BASE_URL",
    ):
        assert name in text


def test_the_checksum_algorithm_is_a_setting() -> None:
    settings = load_settings(
        {**LOCAL, "CONFERENCE_PROVIDERS": "bigbluebutton", **BBB, "BBB_CHECKSUM_ALGORITHM": "SHA1"}
    )

    assert settings.bigbluebutton is not None
    assert settings.bigbluebutton.checksum_algorithm == "sha1"
    assert BBB_CHECKSUM_ALGORITHMS == ALGORITHMS


def test_cloud_run_wants_https_for_bigbluebutton_and_join_links() -> None:
    text = problems_of(
        {
            **DEPLOYED,
            "CONFERENCE_PROVIDERS": "bigbluebutton",
            "BBB_API_URL": "http://bbb.example.org/bigbluebutton/api/",
            "BBB_SECRET": "s",
            "JOIN_BASE_URL": "http://join.example.org/",
        }
    )

    assert "BBB_API_URL must be https on Cloud Run" in text
    assert "JOIN_BASE_URL must be https on Cloud Run" in text


def test_a_join_base_url_without_bigbluebutton_is_read_but_not_required() -> None:
    settings = load_settings({**LOCAL, "JOIN_BASE_URL": "https://join.example.org/"})

    assert settings.join_base_url == "https://join.example.org/"


def test_ready_memory_must_be_shorter_than_the_safety_interval() -> None:
    # A calendar is torn down only after a safety interval without records: an instance
    # that remembered "ready" longer could skip setting up a calendar torn down meanwhile.
    text = problems_of(
        {**LOCAL, "READY_MEMORY_SECONDS": "300", "SAFETY_SYNC_INTERVAL_SECONDS": "300"}
    )
    assert "READY_MEMORY_SECONDS must be below SAFETY_SYNC_INTERVAL_SECONDS" in text

    settings = load_settings(
        {**LOCAL, "READY_MEMORY_SECONDS": "299", "SAFETY_SYNC_INTERVAL_SECONDS": "300"}
    )
    assert settings.ready_memory_seconds == 299.0
