"""The Jitsi provider: a room per creation, shown with the deployment's logo."""

from __future__ import annotations

from shared.conferences.conference_data import validate_conference_data
from shared.conferences.meeting_spec import placeholder_spec
from shared.conferences.solutions import solutions_for
from shared.config import load_settings
from shared.providers import provider_from_settings
from shared.providers.jitsi import JitsiProvider, room_name

LOGO_URL = "https://lh3.googleusercontent.com/acme-listing-icon=s32"


def test_the_conference_is_a_room_shown_with_the_deployment_logo() -> None:
    provider = JitsiProvider("https://meet.example.com/", logo_url=LOGO_URL)
    solution = solutions_for("jitsi")["1"]

    meeting = provider.create(placeholder_spec(None), solution, "alice@example.com", "key-1")

    data = meeting.conference_data
    validate_conference_data(data)
    assert meeting.meeting_id == room_name("key-1")
    assert data["conferenceSolution"] == {
        "key": {"type": "addOn"},
        "name": "Jitsi Meet",
        "iconUri": LOGO_URL,
    }
    assert data["entryPoints"][0]["uri"] == f"https://meet.example.com/{room_name('key-1')}"


def test_the_provider_of_the_settings_takes_addon_logo_url() -> None:
    logo = "https://fonts.gstatic.com/s/i/acme/logo.png"
    settings = load_settings(
        {
            "GOOGLE_CLOUD_PROJECT": "p",
            "SYNC_WEBHOOK_URL": "https://sync.example.com/",
            "ADDON_OAUTH_CLIENT_ID": "client",
            "ADDON_LOGO_URL": logo,
            "CALENDAR_CREDENTIALS": "anonymous",
        }
    )
    solution = solutions_for("jitsi")["1"]

    meeting = provider_from_settings(settings).update(
        "cal-room", placeholder_spec(None), solution, "a@example.com"
    )

    assert meeting.conference_data["conferenceSolution"]["iconUri"] == logo
