"""The enabled providers of a deployment (``CONFERENCE_PROVIDERS``), built on first use.

A built-in provider's module is imported only when that provider is first used, so a
Jitsi-only creation never imports the Zoom or BigBlueButton code (cold starts). Bad
settings still stop the instance at start-up: ``load_settings`` checks every enabled
provider's settings.

A provider's *name* is its ``Provider.name``: the entry itself for the built-in ones
(``jitsi``, ``zoom``, ``bigbluebutton``); a ``package.module:factory`` entry is built to
learn it. Records store that name (``provider``); a record written before records named
their provider belongs to the primary provider (the first entry). The solutions offered
are those of every enabled provider, under their deployed ids
(:func:`shared.conferences.solutions.deployed_solutions`): docs/providers.md#several-providers.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, cast

from shared.conferences.solutions import Solution, deployed_solutions
from shared.config import BUILTIN_PROVIDERS, Settings
from shared.errors import ConfigurationError
from shared.providers.base import Provider


def build_provider(settings: Settings, entry: str) -> Provider:
    """Build the provider of one ``CONFERENCE_PROVIDERS`` entry (imports its module)."""
    if entry == "jitsi":
        from shared.providers.jitsi import JitsiProvider

        return JitsiProvider(settings.jitsi_base_url, logo_url=settings.addon_logo_url)
    if entry == "zoom":
        from shared.providers.zoom.provider import ZoomProvider

        zoom = settings.zoom
        if zoom is None:
            raise ConfigurationError(["the zoom settings are missing"])
        return ZoomProvider(
            account_id=zoom.account_id,
            client_id=zoom.client_id,
            client_secret=zoom.client_secret,
            logo_url=settings.addon_logo_url,
            api_base=zoom.api_base,
            oauth_url=zoom.oauth_url,
            max_retry_seconds=settings.provider_retry_seconds,
        )
    if entry == "bigbluebutton":
        from shared.providers.bigbluebutton.provider import BigBlueButtonProvider

        return BigBlueButtonProvider.from_settings(settings)
    module_name, _, attribute = entry.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as err:
        raise ConfigurationError([f"the provider {entry!r} cannot be loaded"]) from err
    made: Any = factory(settings)
    return cast(Provider, made)


class ProviderRegistry:
    """The deployment's providers by name, each built once, on first use (thread-safe)."""

    def __init__(
        self,
        settings: Settings,
        build: Callable[[Settings, str], Provider] = build_provider,
    ) -> None:
        self._settings = settings
        self._build = build
        self._entries = settings.conference_providers or (settings.conference_provider,)
        self._lock = threading.RLock()
        self._built: dict[str, Provider] = {}  # by entry
        self._names: tuple[str, ...] | None = None
        self._solutions: dict[str, Solution] | None = None

    def _provider_of_entry(self, entry: str) -> Provider:
        with self._lock:
            if entry not in self._built:
                self._built[entry] = self._build(self._settings, entry)
            return self._built[entry]

    @property
    def names(self) -> tuple[str, ...]:
        """The enabled providers' names, the primary first (builds only custom ones)."""
        with self._lock:
            if self._names is None:
                self._names = tuple(
                    entry if entry in BUILTIN_PROVIDERS else self._provider_of_entry(entry).name
                    for entry in self._entries
                )
            return self._names

    @property
    def primary(self) -> str:
        """The primary provider's name (the first entry)."""
        return self.names[0]

    def enabled_name(self, stored: str | None) -> str | None:
        """The enabled provider a record belongs to: its stored ``provider``, or the
        primary for a record written before records named it; None when that provider is
        not enabled (any more)."""
        name = stored or self.primary
        return name if name in self.names else None

    def get(self, name: str) -> Provider:
        """The enabled provider called ``name``, built on first use; ConfigurationError
        when no such provider is enabled (ask :meth:`enabled_name` first)."""
        names = self.names
        if name not in names:
            raise ConfigurationError([f"the provider {name!r} is not enabled"])
        return self._provider_of_entry(self._entries[names.index(name)])

    @property
    def solutions(self) -> dict[str, Solution]:
        """Every enabled provider's solutions, by deployed id."""
        with self._lock:
            if self._solutions is None:
                self._solutions = deployed_solutions(self.names)
            return self._solutions

    def solution(self, solution_id: str) -> Solution | None:
        """The solution with that deployed id, None if the deployment offers none."""
        return self.solutions.get(solution_id)
