"""Conferencing providers; :func:`provider_from_settings` picks the deployment's one.

``CONFERENCE_PROVIDER`` is ``jitsi`` (default), ``zoom``, or ``package.module:factory``
for a provider of your own (a callable taking the Settings and returning a Provider;
the tests use this for a counting provider). Every provider shows its conferences with
the deployment's logo, ``settings.addon_logo_url``, as ``conferenceSolution.iconUri``.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

from shared.config import Settings
from shared.errors import ConfigurationError
from shared.providers.base import Meeting, MeetingSpec, Provider, fingerprint_of

__all__ = ["Meeting", "MeetingSpec", "Provider", "fingerprint_of", "provider_from_settings"]


def provider_from_settings(settings: Settings) -> Provider:
    name = settings.conference_provider
    if name == "jitsi":
        from shared.providers.jitsi import JitsiProvider

        return JitsiProvider(settings.jitsi_base_url, logo_url=settings.addon_logo_url)
    if name == "zoom":
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
    module_name, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ConfigurationError([f"CONFERENCE_PROVIDER {name!r} cannot be loaded"]) from err
    made: Any = factory(settings)
    return cast(Provider, made)
