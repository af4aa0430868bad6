"""Settings: one frozen object read from the environment, failing fast.

:func:`load_settings` checks every variable and raises one
:class:`~shared.errors.ConfigurationError` naming all problems at once. On Cloud Run
(``K_SERVICE`` set) it refuses the local-only choices: ``anonymous`` Calendar
credentials, a Firestore emulator, a certificate URL that is not Google's, and a local
token endpoint or signing key for delegated credentials. The logo (``ADDON_LOGO_URL``)
must be on Google's hosts everywhere (:mod:`shared.logos`).

Providers: ``CONFERENCE_PROVIDERS`` is a comma-separated list (the first is the primary
one, whose solutions keep their file ids); ``CONFERENCE_PROVIDER`` stays accepted, and if
both are set it must be the list's first. Every problem of every enabled provider is
named at once. docs/configuration.md lists the same names.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from shared.errors import ConfigurationError
from shared.logos import logo_url_problems

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_CERTS_HOSTS = ("www.googleapis.com",)
BUILTIN_PROVIDERS = ("jitsi", "zoom", "bigbluebutton")
#: BBB_CHECKSUM_ALGORITHM values (shared/providers/bigbluebutton/checksum.py holds the same).
BBB_CHECKSUM_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
BBB_API_SUFFIX = "/bigbluebutton/api/"


class CalendarCredentialsMode(StrEnum):
    """How the Calendar API is called as the acting user."""

    DELEGATED = "delegated"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class ZoomSettings:
    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    api_base: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"


@dataclass(frozen=True)
class BigBlueButtonSettings:
    api_url: str  # BBB_API_URL, ends with "/bigbluebutton/api/"
    secret: str = field(repr=False)  # BBB_SECRET (Secret Manager in deploy)
    checksum_algorithm: str = "sha256"  # BBB_CHECKSUM_ALGORITHM


# The sweep stops taking work this long before its function's timeout.
SWEEP_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Settings:
    project: str
    sync_webhook_url: str
    addon_oauth_client_id: str
    addon_logo_url: str  # conferenceSolution.iconUri: the add-on's logo, hosted by Google
    calendar_credentials: CalendarCredentialsMode = CalendarCredentialsMode.DELEGATED
    calendar_api_endpoint: str | None = None
    delegation_service_account: str | None = None
    # Local only (refused on Cloud Run): delegated tokens from a local token endpoint,
    # assertions signed with a local key instead of IAM signBlob.
    calendar_token_uri: str | None = None
    calendar_signing_key_file: str | None = None
    allowed_domains: tuple[str, ...] = ()
    id_token_certs_url: str = GOOGLE_CERTS_URL
    conference_provider: str = "jitsi"  # the primary provider: conference_providers[0]
    jitsi_base_url: str = "https://meet.jit.si"
    zoom: ZoomSettings | None = None
    # CONFERENCE_PROVIDERS, the first the primary (set by load_settings; empty means
    # (conference_provider,): see __post_init__).
    conference_providers: tuple[str, ...] = ()
    bigbluebutton: BigBlueButtonSettings | None = None  # set when bigbluebutton is enabled
    join_base_url: str = ""  # JOIN_BASE_URL, ends with "/"; required with bigbluebutton
    firestore_emulator_host: str | None = None
    # Conference creation.
    reservation_lease_seconds: float = 60.0
    create_wait_seconds: float = 5.0
    provider_retry_seconds: float = 4.0
    sync_setup_budget_seconds: float = 5.0
    channel_ttl_seconds: int = 7 * 24 * 3600
    # Sync.
    function_timeout_seconds: float = 300.0
    renew_window_seconds: float = 24 * 3600.0
    safety_sync_interval_seconds: float = 3600.0
    placeholder_max_age_seconds: float = 24 * 3600.0
    mapping_retention_days: float = 30.0
    full_sync_lookback_days: float = 7.0
    sweep_batch_size: int = 50
    # Write changed join details back onto events (docs/sync-model.md#write-back).
    write_back: bool = True
    # How long the sweep takes new work (default: the function timeout less a minute).
    sweep_budget_seconds: float = 240.0
    # How long an instance trusts that a calendar it saw ready for sync is still ready
    # (at most five minutes; 0: not at all). docs/create-contract.md#sync-set-up
    ready_memory_seconds: float = 300.0
    # While messages keep coming, the webhook's lease holder starts a pass once none was
    # counted for this long (waiting at most SETTLE_STEPS times it); 0: at once.
    # docs/sync-model.md#one-sync-per-calendar
    sync_settle_seconds: float = 0.1

    def __post_init__(self) -> None:
        if not self.conference_providers:
            object.__setattr__(self, "conference_providers", (self.conference_provider,))


def _float(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number")
        return default
    if value <= 0:
        problems.append(f"{name} must be positive")
        return default
    return value


def _seconds_or_off(
    env: Mapping[str, str], name: str, default: float, most: float, problems: list[str]
) -> float:
    """A duration from 0 (off) to ``most`` seconds."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number")
        return default
    if not 0 <= value <= most:
        problems.append(f"{name} must be from 0 to {most:g}")
        return default
    return value


def _url(env: Mapping[str, str], name: str, problems: list[str], *, required: bool) -> str:
    value = env.get(name, "").strip()
    if not value:
        if required:
            problems.append(f"{name} is required")
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{name} must be an http(s) URL")
    return value


def _providers(env: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    """CONFERENCE_PROVIDERS (or CONFERENCE_PROVIDER alone, or jitsi): the enabled
    providers, the first the primary."""
    single = env.get("CONFERENCE_PROVIDER", "").strip()
    listed = [name.strip() for name in env.get("CONFERENCE_PROVIDERS", "").split(",")]
    names = [name for name in listed if name]
    if env.get("CONFERENCE_PROVIDERS", "").strip() and len(names) != len(listed):
        problems.append("CONFERENCE_PROVIDERS has an empty entry")
    if not names:
        names = [single or "jitsi"]
    elif single and single != names[0]:
        problems.append(
            "CONFERENCE_PROVIDER must be the first of CONFERENCE_PROVIDERS when both are set"
        )
    if len(set(names)) != len(names):
        problems.append("CONFERENCE_PROVIDERS names a provider twice")
    for name in names:
        if name not in BUILTIN_PROVIDERS and ":" not in name:
            problems.append(
                f"CONFERENCE_PROVIDERS: {name!r} is not one of "
                + ", ".join(BUILTIN_PROVIDERS)
                + " or 'package.module:factory' (CONFERENCE_PROVIDER likewise)"
            )
    return tuple(names)


def _zoom(env: Mapping[str, str], problems: list[str]) -> ZoomSettings | None:
    missing = [
        name
        for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
        if not env.get(name, "").strip()
    ]
    problems.extend(f"{name} is required with the zoom provider" for name in missing)
    api_base = _url(env, "ZOOM_API_BASE", problems, required=False).rstrip("/")
    oauth_url = _url(env, "ZOOM_OAUTH_URL", problems, required=False)
    if missing:
        return None
    return ZoomSettings(
        account_id=env["ZOOM_ACCOUNT_ID"].strip(),
        client_id=env["ZOOM_CLIENT_ID"].strip(),
        client_secret=env["ZOOM_CLIENT_SECRET"].strip(),
        api_base=api_base or "https://api.zoom.us/v2",
        oauth_url=oauth_url or "https://zoom.us/oauth/token",
    )


def _bigbluebutton(
    env: Mapping[str, str], problems: list[str], on_cloud_run: bool
) -> BigBlueButtonSettings | None:
    count = len(problems)
    api_url = _url(env, "BBB_API_URL", problems, required=True)
    if api_url and not api_url.endswith(BBB_API_SUFFIX):
        problems.append(f"BBB_API_URL must end with '{BBB_API_SUFFIX}'")
    if api_url and urlsplit(api_url).query:
        problems.append("BBB_API_URL must have no query")
    if on_cloud_run and api_url and not api_url.startswith("https://"):
        problems.append("BBB_API_URL must be https on Cloud Run")
    secret = env.get("BBB_SECRET", "").strip()
    if not secret:
        problems.append("BBB_SECRET is required with the bigbluebutton provider")
    algorithm = env.get("BBB_CHECKSUM_ALGORITHM", "").strip().lower() or "sha256"
    if algorithm not in BBB_CHECKSUM_ALGORITHMS:
        problems.append(
            "BBB_CHECKSUM_ALGORITHM must be one of " + ", ".join(BBB_CHECKSUM_ALGORITHMS)
        )
    if len(problems) != count:
        return None
    return BigBlueButtonSettings(api_url=api_url, secret=secret, checksum_algorithm=algorithm)


def _join_base_url(
    env: Mapping[str, str], problems: list[str], on_cloud_run: bool, *, required: bool
) -> str:
    """JOIN_BASE_URL: the join function's address, ending in '/' (the video entry point
    of a BigBlueButton conference is it followed by the conference id)."""
    count = len(problems)
    value = _url(env, "JOIN_BASE_URL", problems, required=False)
    if not value:
        if required:
            problems.append("JOIN_BASE_URL is required with the bigbluebutton provider")
        return ""
    parts = urlsplit(value)
    if not value.endswith("/"):
        problems.append("JOIN_BASE_URL must end with '/'")
    if parts.query or parts.fragment:
        problems.append("JOIN_BASE_URL must have no query or fragment")
    if on_cloud_run and not value.startswith("https://"):
        problems.append("JOIN_BASE_URL must be https on Cloud Run")
    return value if len(problems) == count else ""


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigurationError naming each problem."""
    env = os.environ if env is None else env
    problems: list[str] = []
    on_cloud_run = bool(env.get("K_SERVICE"))

    project = env.get("GOOGLE_CLOUD_PROJECT", "").strip()
    if not project:
        problems.append("GOOGLE_CLOUD_PROJECT is required")
    webhook = _url(env, "SYNC_WEBHOOK_URL", problems, required=True)
    client_id = env.get("ADDON_OAUTH_CLIENT_ID", "").strip()
    if not client_id:
        problems.append("ADDON_OAUTH_CLIENT_ID is required")
    logo_url = env.get("ADDON_LOGO_URL", "")
    problems.extend(logo_url_problems("ADDON_LOGO_URL", logo_url))

    mode_raw = env.get("CALENDAR_CREDENTIALS", "delegated").strip() or "delegated"
    try:
        mode = CalendarCredentialsMode(mode_raw)
    except ValueError:
        problems.append("CALENDAR_CREDENTIALS must be 'delegated' or 'anonymous'")
        mode = CalendarCredentialsMode.DELEGATED
    endpoint = _url(env, "CALENDAR_API_ENDPOINT", problems, required=False) or None
    if endpoint and not endpoint.endswith("/"):
        problems.append("CALENDAR_API_ENDPOINT must end with '/' (e.g. .../calendar/v3/)")
    domains = tuple(
        d.strip().lower() for d in env.get("ALLOWED_DOMAINS", "").split(",") if d.strip()
    )
    delegator = env.get("DELEGATION_SERVICE_ACCOUNT", "").strip() or None
    if mode is CalendarCredentialsMode.DELEGATED:
        if not domains:
            problems.append("ALLOWED_DOMAINS is required with CALENDAR_CREDENTIALS=delegated")
        if not delegator:
            problems.append(
                "DELEGATION_SERVICE_ACCOUNT is required with CALENDAR_CREDENTIALS=delegated"
            )

    token_uri = _url(env, "CALENDAR_TOKEN_URI", problems, required=False) or None
    key_file = env.get("CALENDAR_SIGNING_KEY_FILE", "").strip() or None
    if key_file and not Path(key_file).is_file():
        problems.append("CALENDAR_SIGNING_KEY_FILE must name a readable key file")
    if mode is not CalendarCredentialsMode.DELEGATED:
        problems.extend(
            f"{name} is only for CALENDAR_CREDENTIALS=delegated"
            for name, value in (
                ("CALENDAR_TOKEN_URI", token_uri),
                ("CALENDAR_SIGNING_KEY_FILE", key_file),
            )
            if value
        )

    certs_url = _url(env, "GOOGLE_ID_TOKEN_CERTS_URL", problems, required=False)
    certs_url = certs_url or GOOGLE_CERTS_URL

    providers = _providers(env, problems)
    jitsi_base = _url(env, "JITSI_BASE_URL", problems, required=False).rstrip("/")
    write_back_raw = env.get("WRITE_BACK", "on").strip().lower() or "on"
    if write_back_raw not in ("on", "off"):
        problems.append("WRITE_BACK must be on or off")
    zoom = _zoom(env, problems) if "zoom" in providers else None
    bigbluebutton = (
        _bigbluebutton(env, problems, on_cloud_run) if "bigbluebutton" in providers else None
    )
    join_base = _join_base_url(env, problems, on_cloud_run, required="bigbluebutton" in providers)

    emulator = env.get("FIRESTORE_EMULATOR_HOST", "").strip() or None
    if on_cloud_run:
        if mode is CalendarCredentialsMode.ANONYMOUS:
            problems.append("CALENDAR_CREDENTIALS=anonymous is for local use only")
        if emulator:
            problems.append("FIRESTORE_EMULATOR_HOST must not be set on Cloud Run")
        if urlsplit(certs_url).hostname not in GOOGLE_CERTS_HOSTS or not certs_url.startswith(
            "https://"
        ):
            problems.append("GOOGLE_ID_TOKEN_CERTS_URL must be Google's on Cloud Run")
        if endpoint and not endpoint.startswith("https://"):
            problems.append("CALENDAR_API_ENDPOINT must be https on Cloud Run")
        for name, value in (
            ("CALENDAR_TOKEN_URI", token_uri),
            ("CALENDAR_SIGNING_KEY_FILE", key_file),
        ):
            if value:
                problems.append(f"{name} is for local use only (not on Cloud Run)")

    numbers = {
        "RESERVATION_LEASE_SECONDS": 60.0,
        "CREATE_WAIT_SECONDS": 5.0,
        "PROVIDER_RETRY_SECONDS": 4.0,
        "SYNC_SETUP_BUDGET_SECONDS": 5.0,
        "CHANNEL_TTL_SECONDS": 7 * 24 * 3600.0,
        "FUNCTION_TIMEOUT_SECONDS": 300.0,
        "RENEW_WINDOW_SECONDS": 24 * 3600.0,
        "SAFETY_SYNC_INTERVAL_SECONDS": 3600.0,
        "PLACEHOLDER_MAX_AGE_SECONDS": 24 * 3600.0,
        "MAPPING_RETENTION_DAYS": 30.0,
        "FULL_SYNC_LOOKBACK_DAYS": 7.0,
        "SWEEP_BATCH_SIZE": 50.0,
        "SWEEP_BUDGET_SECONDS": 0.0,  # 0: derived from FUNCTION_TIMEOUT_SECONDS
    }
    values = {name: _float(env, name, default, problems) for name, default in numbers.items()}
    ready_memory = _seconds_or_off(env, "READY_MEMORY_SECONDS", 300.0, 300.0, problems)
    settle = _seconds_or_off(env, "SYNC_SETTLE_SECONDS", 0.1, 5.0, problems)
    if ready_memory >= values["SAFETY_SYNC_INTERVAL_SECONDS"]:
        # The sweep tears down only a calendar its safety sync found without records, which
        # takes a safety interval: an instance must forget "ready" sooner than that, or a
        # creation could skip setting up a calendar torn down meanwhile.
        problems.append("READY_MEMORY_SECONDS must be below SAFETY_SYNC_INTERVAL_SECONDS")

    if problems:
        raise ConfigurationError(problems)
    return Settings(
        project=project,
        sync_webhook_url=webhook,
        addon_oauth_client_id=client_id,
        addon_logo_url=logo_url,
        calendar_credentials=mode,
        calendar_api_endpoint=endpoint,
        delegation_service_account=delegator,
        calendar_token_uri=token_uri,
        calendar_signing_key_file=key_file,
        allowed_domains=domains,
        id_token_certs_url=certs_url,
        conference_provider=providers[0],
        conference_providers=providers,
        jitsi_base_url=jitsi_base or "https://meet.jit.si",
        zoom=zoom,
        bigbluebutton=bigbluebutton,
        join_base_url=join_base,
        firestore_emulator_host=emulator,
        reservation_lease_seconds=values["RESERVATION_LEASE_SECONDS"],
        create_wait_seconds=values["CREATE_WAIT_SECONDS"],
        provider_retry_seconds=values["PROVIDER_RETRY_SECONDS"],
        sync_setup_budget_seconds=values["SYNC_SETUP_BUDGET_SECONDS"],
        channel_ttl_seconds=int(values["CHANNEL_TTL_SECONDS"]),
        function_timeout_seconds=values["FUNCTION_TIMEOUT_SECONDS"],
        renew_window_seconds=values["RENEW_WINDOW_SECONDS"],
        safety_sync_interval_seconds=values["SAFETY_SYNC_INTERVAL_SECONDS"],
        placeholder_max_age_seconds=values["PLACEHOLDER_MAX_AGE_SECONDS"],
        mapping_retention_days=values["MAPPING_RETENTION_DAYS"],
        full_sync_lookback_days=values["FULL_SYNC_LOOKBACK_DAYS"],
        sweep_batch_size=int(values["SWEEP_BATCH_SIZE"]),
        write_back=write_back_raw != "off",
        sweep_budget_seconds=values["SWEEP_BUDGET_SECONDS"]
        or max(1.0, values["FUNCTION_TIMEOUT_SECONDS"] - SWEEP_MARGIN_SECONDS),
        ready_memory_seconds=ready_memory,
        sync_settle_seconds=settle,
    )


_lock = threading.Lock()
_settings: Settings | None = None


def get_settings() -> Settings:
    """The process's settings, loaded on first use."""
    global _settings
    with _lock:
        if _settings is None:
            _settings = load_settings()
        return _settings
