"""Conferencing providers; :class:`~shared.providers.registry.ProviderRegistry` holds the
deployment's enabled ones (``CONFERENCE_PROVIDERS``), each built on first use.

A provider is ``jitsi``, ``zoom``, ``bigbluebutton``, or ``package.module:factory`` for a
provider of your own (a callable taking the Settings and returning a Provider; the tests
use this for a counting provider). Every provider shows its conferences with the
deployment's logo, ``settings.addon_logo_url``, as ``conferenceSolution.iconUri``. Nothing
here imports a provider's module: that happens when the provider is first used.
"""

from __future__ import annotations

from shared.config import Settings
from shared.providers.base import Meeting, MeetingSpec, Provider, fingerprint_of

__all__ = ["Meeting", "MeetingSpec", "Provider", "fingerprint_of", "provider_from_settings"]


def provider_from_settings(settings: Settings) -> Provider:
    """The primary provider (the first of ``CONFERENCE_PROVIDERS``), built now."""
    from shared.providers.registry import build_provider

    return build_provider(settings, settings.conference_provider)
