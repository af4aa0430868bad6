"""The per-instance objects (clients, stores, provider), built lazily on first use.

Nothing touches the network at import time; everything here is created once per
instance, under one lock, and shared by the request threads (each object is
thread-safe).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from google.auth.credentials import Credentials

from shared.config import CalendarCredentialsMode, Settings, get_settings
from shared.creation.creator import ConferenceCreator
from shared.errors import ConfigurationError
from shared.google import credentials as calendar_credentials
from shared.google.calendar_api import CalendarApi
from shared.google.id_tokens import IdTokenVerifier
from shared.providers.base import Provider
from shared.providers.registry import ProviderRegistry
from shared.state.calendars import CalendarStore
from shared.state.cancelled import CancelledConferenceStore
from shared.state.channels import ChannelStore
from shared.state.conferences import ConferenceStore
from shared.state.firestore_client import firestore_client
from shared.state.leases import LeaseStore
from shared.structured_logging import fields
from shared.sync.changes import ChangeHandler
from shared.sync.lease import LeasedSync
from shared.sync.passes import CalendarSync
from shared.sync.push import PushHandler
from shared.sync.setup import SyncSetup
from shared.sync.sweep import Sweep

if TYPE_CHECKING:
    from shared.providers.bigbluebutton.provider import BigBlueButtonProvider

T = TypeVar("T")
logger = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._parts: dict[str, Any] = {}

    def _once(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = make()
            part: T = self._parts[name]
            return part

    @property
    def conference_store(self) -> ConferenceStore:
        return self._once(
            "conferences", lambda: ConferenceStore(firestore_client(self.settings.project))
        )

    @property
    def calendar_store(self) -> CalendarStore:
        return self._once(
            "calendars", lambda: CalendarStore(firestore_client(self.settings.project))
        )

    @property
    def channel_store(self) -> ChannelStore:
        return self._once(
            "channel_store", lambda: ChannelStore(firestore_client(self.settings.project))
        )

    @property
    def lease_store(self) -> LeaseStore:
        return self._once(
            "lease_store",
            lambda: LeaseStore(firestore_client(self.settings.project), self.calendar_store),
        )

    def _credentials_for(
        self, scopes: tuple[str, ...] = calendar_credentials.CALENDAR_SCOPES
    ) -> Callable[[str], Credentials]:
        if self.settings.calendar_credentials is CalendarCredentialsMode.ANONYMOUS:
            return calendar_credentials.LocalUserCredentials
        key_file = self.settings.calendar_signing_key_file  # local only, like the token URI
        cache = calendar_credentials.DelegatedCredentialsCache(
            service_account_email=self.settings.delegation_service_account or "",
            signer=calendar_credentials.local_key_signer(key_file) if key_file else None,
            token_uri=self.settings.calendar_token_uri or calendar_credentials.GOOGLE_TOKEN_URI,
            scopes=scopes,
        )
        return cache.get

    @property
    def calendar_api(self) -> CalendarApi:
        return self._once(
            "calendar",
            lambda: CalendarApi(
                credentials_for=self._credentials_for(),
                list_credentials_for=self._credentials_for(
                    calendar_credentials.CALENDAR_LIST_SCOPES
                ),
                api_endpoint=self.settings.calendar_api_endpoint,
            ),
        )

    @property
    def cancelled_store(self) -> CancelledConferenceStore:
        return self._once(
            "cancelled_store",
            lambda: CancelledConferenceStore(firestore_client(self.settings.project)),
        )

    @property
    def providers(self) -> ProviderRegistry:
        """The enabled providers, each built on first use."""
        return self._once("providers", lambda: ProviderRegistry(self.settings))

    @property
    def bigbluebutton(self) -> BigBlueButtonProvider:
        """The BigBlueButton provider (built, and its code imported, on first use);
        ConfigurationError when bigbluebutton is not enabled."""
        from shared.providers.bigbluebutton.provider import BigBlueButtonProvider

        provider = self.providers.get("bigbluebutton")
        if not isinstance(provider, BigBlueButtonProvider):
            raise ConfigurationError(["the bigbluebutton provider is not the built-in one"])
        return provider

    @property
    def provider(self) -> Provider:
        """The primary provider (the first of CONFERENCE_PROVIDERS)."""
        return self.providers.get(self.providers.primary)

    @property
    def verifier(self) -> IdTokenVerifier:
        return self._once(
            "verifier",
            lambda: IdTokenVerifier(
                certs_url=self.settings.id_token_certs_url,
                audience=self.settings.addon_oauth_client_id,
                allowed_domains=self.settings.allowed_domains,
            ),
        )

    @property
    def sync_setup(self) -> SyncSetup:
        return self._once(
            "sync_setup",
            lambda: SyncSetup(
                calendar_store=self.calendar_store,
                channel_store=self.channel_store,
                calendar_api=self.calendar_api,
                webhook_url=self.settings.sync_webhook_url,
                channel_ttl_seconds=self.settings.channel_ttl_seconds,
                renew_window_seconds=self.settings.renew_window_seconds,
            ),
        )

    @property
    def creator(self) -> ConferenceCreator:
        return self._once(
            "creator",
            lambda: ConferenceCreator(
                settings=self.settings,
                conference_store=self.conference_store,
                calendar_api=self.calendar_api,
                providers=self.providers,
                sync_setup=self.sync_setup,
            ),
        )

    def _set_up_destination(self, calendar_id: str, user: str) -> None:
        self.sync_setup.ensure_with_its_zone(
            calendar_id, user, self.settings.sync_setup_budget_seconds
        )

    @property
    def change_handler(self) -> ChangeHandler:
        return self._once(
            "change_handler",
            lambda: ChangeHandler(
                conference_store=self.conference_store,
                calendar_store=self.calendar_store,
                calendar_api=self.calendar_api,
                providers=self.providers,
                cancelled_store=self.cancelled_store,
                provider_retry_seconds=self.settings.provider_retry_seconds,
                retention_days=self.settings.mapping_retention_days,
                write_back=self.settings.write_back,
                on_moved=self._set_up_destination,
            ),
        )

    @property
    def leased_sync(self) -> LeasedSync:
        return self._once(
            "leased_sync",
            lambda: LeasedSync(
                calendar_store=self.calendar_store,
                lease_store=self.lease_store,
                engine=CalendarSync(
                    calendar_store=self.calendar_store,
                    conference_store=self.conference_store,
                    calendar_api=self.calendar_api,
                    handler=self.change_handler,
                    lookback_days=self.settings.full_sync_lookback_days,
                ),
                function_timeout_seconds=self.settings.function_timeout_seconds,
            ),
        )

    @property
    def push_handler(self) -> PushHandler:
        return self._once(
            "push_handler",
            lambda: PushHandler(
                calendar_store=self.calendar_store,
                channel_store=self.channel_store,
                leased_sync=self.leased_sync,
            ),
        )

    @property
    def sweep(self) -> Sweep:
        return self._once(
            "sweep",
            lambda: Sweep(
                settings=self.settings,
                calendar_store=self.calendar_store,
                channel_store=self.channel_store,
                lease_store=self.lease_store,
                conference_store=self.conference_store,
                calendar_api=self.calendar_api,
                sync_setup=self.sync_setup,
                handler=self.change_handler,
                leased_sync=self.leased_sync,
            ),
        )


_lock = threading.Lock()
_runtime: Runtime | None = None


def check_settings_at_startup() -> None:
    """Read the settings when the instance starts (no network): a configuration error
    stops the instance at once, with every problem named in one CRITICAL log line."""
    try:
        get_settings()
    except ConfigurationError as err:
        logger.critical("configuration error", extra=fields(problems=err.problems))
        raise


def get_runtime() -> Runtime:
    """The instance's runtime (settings are read and checked on the first call)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime(get_settings())
        return _runtime
