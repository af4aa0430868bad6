"""The per-instance objects (clients, stores, provider), built lazily on first use.

Nothing touches the network at import time; everything here is created once per
instance, under one lock, and shared by the request threads (each object is
thread-safe).

Each part imports what it needs when it is first built, so an instance imports only what
its own path needs (the Firestore and Calendar clients are most of a cold start): the
entry points import this module and answer their first request before any of it is
loaded. :func:`warm_in_worker` builds the create path's parts in the background once
the serving process is forked, with no network I/O.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from shared.config import CalendarCredentialsMode, Settings, get_settings
from shared.errors import ConfigurationError
from shared.structured_logging import fields

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from shared.creation.creator import ConferenceCreator
    from shared.google.calendar_api import CalendarApi
    from shared.google.id_tokens import IdTokenVerifier
    from shared.providers import Provider
    from shared.providers.bigbluebutton.provider import BigBlueButtonProvider
    from shared.providers.registry import ProviderRegistry
    from shared.state.calendars import CalendarStore
    from shared.state.cancelled import CancelledConferenceStore
    from shared.state.channels import ChannelStore
    from shared.state.conferences import ConferenceStore
    from shared.state.leases import LeaseStore
    from shared.sync.changes import ChangeHandler
    from shared.sync.lease import LeasedSync
    from shared.sync.push import PushHandler
    from shared.sync.setup import SyncSetup
    from shared.sync.sweep import Sweep

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

    def _firestore(self) -> Any:
        from shared.state.firestore_client import firestore_client

        return firestore_client(self.settings.project)

    @property
    def conference_store(self) -> ConferenceStore:
        from shared.state.conferences import ConferenceStore

        return self._once("conferences", lambda: ConferenceStore(self._firestore()))

    @property
    def calendar_store(self) -> CalendarStore:
        from shared.state.calendars import CalendarStore

        return self._once("calendars", lambda: CalendarStore(self._firestore()))

    @property
    def channel_store(self) -> ChannelStore:
        from shared.state.channels import ChannelStore

        return self._once("channel_store", lambda: ChannelStore(self._firestore()))

    @property
    def lease_store(self) -> LeaseStore:
        from shared.state.leases import LeaseStore

        return self._once("lease_store", lambda: LeaseStore(self._firestore(), self.calendar_store))

    def _credentials_for(
        self, scopes: tuple[str, ...] | None = None
    ) -> Callable[[str], Credentials]:
        from shared.google import credentials as calendar_credentials

        scopes = scopes or calendar_credentials.CALENDAR_SCOPES
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
        from shared.google.calendar_api import CalendarApi
        from shared.google.credentials import CALENDAR_LIST_SCOPES

        return self._once(
            "calendar",
            lambda: CalendarApi(
                credentials_for=self._credentials_for(),
                list_credentials_for=self._credentials_for(CALENDAR_LIST_SCOPES),
                api_endpoint=self.settings.calendar_api_endpoint,
            ),
        )

    @property
    def cancelled_store(self) -> CancelledConferenceStore:
        from shared.state.cancelled import CancelledConferenceStore

        return self._once("cancelled_store", lambda: CancelledConferenceStore(self._firestore()))

    @property
    def providers(self) -> ProviderRegistry:
        """The enabled providers, each built on first use."""
        from shared.providers.registry import ProviderRegistry

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
        from shared.google.id_tokens import IdTokenVerifier

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
        from shared.sync.setup import ReadyCalendars, SyncSetup

        return self._once(
            "sync_setup",
            lambda: SyncSetup(
                calendar_store=self.calendar_store,
                channel_store=self.channel_store,
                calendar_api=self.calendar_api,
                webhook_url=self.settings.sync_webhook_url,
                channel_ttl_seconds=self.settings.channel_ttl_seconds,
                renew_window_seconds=self.settings.renew_window_seconds,
                ready=ReadyCalendars(max_age=self.settings.ready_memory_seconds),
            ),
        )

    @property
    def creator(self) -> ConferenceCreator:
        from shared.creation.creator import ConferenceCreator

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
        from shared.sync.changes import ChangeHandler

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
        from shared.sync.lease import LeasedSync
        from shared.sync.passes import CalendarSync

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
                settle_seconds=self.settings.sync_settle_seconds,
            ),
        )

    @property
    def push_handler(self) -> PushHandler:
        from shared.sync.push import PushHandler

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
        from shared.sync.sweep import Sweep

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


def warm(parts: Iterable[str]) -> None:
    """Build the named parts of the instance's runtime (e.g. ``creator``), with no
    network I/O: modules imported, clients constructed, the Calendar service built.
    Whatever fails here is left for the first request to meet (and report).

    The cyclic garbage collector is paused meanwhile (importing the clients' modules
    creates many objects that all live as long as the instance), and what was built is
    then frozen out of later collections, so the first requests do not pay for a full
    collection of it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        runtime = get_runtime()
        for part in parts:
            getattr(runtime, part)
        if "calendar" in runtime._parts:
            runtime.calendar_api.prepare()
        if "providers" in runtime._parts:
            for name in runtime.providers.names:  # built, never called: no network I/O
                runtime.providers.get(name)
    except Exception as err:  # noqa: BLE001 - warming is best effort; requests report errors
        logger.info("warm-up stopped early", extra=fields(error=type(err).__name__))
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


def warm_in_worker(parts: Iterable[str]) -> None:
    """Warm ``parts`` on a background thread of each process forked from this one.

    functions-framework imports the entry point in gunicorn's master, then forks the
    worker that serves; threads do not survive a fork, and importing in the master would
    hold up the first answer. So the worker warms up while it already answers, and the
    first request finds its clients built or being built (never built twice: the runtime
    builds each part once, under its lock).
    """
    wanted = tuple(parts)
    master = os.getpid()

    def start() -> None:
        if os.getpid() == master:
            return
        threading.Thread(target=warm, args=(wanted,), name="warm-up", daemon=True).start()

    os.register_at_fork(after_in_child=start)
