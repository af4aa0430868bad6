"""What a write-back puts on the event: the event's own add-on data, new join details."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.sync.write_back import conference_data_to_write

ON_THE_EVENT: dict[str, Any] = {
    "conferenceId": "room-1",
    "conferenceSolution": {"key": {"type": "addOn"}, "name": "Jitsi Meet", "iconUri": "https://x"},
    "entryPoints": [{"entryPointType": "video", "uri": "https://meet.example/room-1"}],
    "notes": "Old notes",
    "parameters": {"addOnParameters": {"parameters": {"solutionId": "1", "scriptId": "S-1"}}},
    "signature": "server-made",
}
FROM_THE_PROVIDER: dict[str, Any] = {
    "conferenceId": "room-1",
    "conferenceSolution": {"key": {"type": "addOn"}, "name": "Renamed", "iconUri": "https://y"},
    "entryPoints": [
        {"entryPointType": "video", "uri": "https://meet.example/room-1?v=2"},
        {"entryPointType": "phone", "uri": "tel:+1-555-0100", "pin": "42"},
    ],
    "notes": "New join details",
    "parameters": {"addOnParameters": {"parameters": {"solutionId": "9", "passcodeKind": "pin"}}},
}


def test_only_entry_points_and_notes_change() -> None:
    merged = conference_data_to_write(ON_THE_EVENT, FROM_THE_PROVIDER)

    assert merged["entryPoints"] == FROM_THE_PROVIDER["entryPoints"]
    assert merged["notes"] == "New join details"
    assert merged["conferenceSolution"] == ON_THE_EVENT["conferenceSolution"]
    assert merged["conferenceId"] == "room-1"
    assert merged["signature"] == "server-made"


def test_every_stored_parameter_stays_and_new_ones_are_added() -> None:
    merged = conference_data_to_write(ON_THE_EVENT, FROM_THE_PROVIDER)

    assert merged["parameters"]["addOnParameters"]["parameters"] == {
        "solutionId": "1",  # the event's value wins
        "scriptId": "S-1",
        "passcodeKind": "pin",
    }


def test_notes_the_provider_no_longer_gives_are_removed() -> None:
    fresh = {k: v for k, v in FROM_THE_PROVIDER.items() if k != "notes"}

    assert "notes" not in conference_data_to_write(ON_THE_EVENT, fresh)


def test_neither_argument_is_changed() -> None:
    event, fresh = copy.deepcopy(ON_THE_EVENT), copy.deepcopy(FROM_THE_PROVIDER)

    merged = conference_data_to_write(event, fresh)
    merged["parameters"]["addOnParameters"]["parameters"]["x"] = "y"
    merged["entryPoints"].append({})

    assert (event, fresh) == (ON_THE_EVENT, FROM_THE_PROVIDER)


def test_an_event_without_parameters_gets_the_providers() -> None:
    event = {k: v for k, v in ON_THE_EVENT.items() if k != "parameters"}

    merged = conference_data_to_write(event, FROM_THE_PROVIDER)

    assert merged["parameters"] == FROM_THE_PROVIDER["parameters"]


texts = st.text(max_size=8)
params = st.dictionaries(texts, texts, max_size=4)


@settings(derandomize=True, max_examples=200)
@given(stored=params, added=params, signature=texts)
def test_stored_add_on_data_always_survives(
    stored: dict[str, str], added: dict[str, str], signature: str
) -> None:
    event = {**ON_THE_EVENT, "signature": signature}
    event["parameters"] = {"addOnParameters": {"parameters": stored}}
    fresh = {**FROM_THE_PROVIDER, "parameters": {"addOnParameters": {"parameters": added}}}

    merged = conference_data_to_write(event, fresh)

    kept = merged.get("parameters", {}).get("addOnParameters", {}).get("parameters", {})
    assert {k: kept[k] for k in stored} == stored
    assert set(kept) == set(stored) | set(added)
    assert merged["signature"] == signature
    assert merged["conferenceSolution"] == event["conferenceSolution"]
