"""The conferenceData write rules Calendar enforces, and conferenceDataVersion.

See docs/calendar-behaviour.md#conference-data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.fakes.calendar_server.conftest import ALICE, reason_of, timed_event

VIDEO = {
    "entryPointType": "video",
    "uri": "https://example.com/j/123",
    "label": "example.com/j/123",
}
PHONE = {
    "entryPointType": "phone",
    "uri": "tel:+12345678900,,,123456789;1234",
    "label": "+1 234-567-8900",
    "pin": "1234",
    "regionCode": "US",
    "entryPointFeatures": ["toll"],
}
SIP = {"entryPointType": "sip", "uri": "sip:123456789@sip.example.com"}
MORE = {"entryPointType": "more", "uri": "https://example.com/j/123/dial-in"}
SOLUTION = {"key": {"type": "addOn"}, "name": "Example", "iconUri": "https://example.com/i.svg"}

Service = Callable[[str], Any]


def conference(*points: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "conferenceId": "123",
        "conferenceSolution": SOLUTION,
        "entryPoints": list(points),
        **more,
    }


def insert(calendar: Service, data: dict[str, Any], version: int = 1) -> dict[str, Any]:
    body = timed_event(conferenceData=data)
    event: dict[str, Any] = (
        calendar(ALICE)
        .events()
        .insert(calendarId="primary", body=body, conferenceDataVersion=version)
        .execute()
    )
    return event


def refused(calendar: Service, data: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(HttpError) as failure:
        insert(calendar, data)
    return reason_of(failure.value)


def test_solution_with_an_entry_point_is_stored(calendar: Service) -> None:
    data = conference(VIDEO, PHONE, SIP, MORE, notes="<b>hi</b>")

    event = insert(calendar, data)

    stored = {k: v for k, v in event["conferenceData"].items() if k != "signature"}
    assert stored == data
    fetched = calendar(ALICE).events().get(calendarId="primary", eventId=event["id"]).execute()
    assert fetched["conferenceData"] == event["conferenceData"]


def test_create_request_alone_is_enough(calendar: Service) -> None:
    request = {"requestId": "r-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}

    event = insert(calendar, {"createRequest": request})

    data = event["conferenceData"]
    assert data["createRequest"]["status"] == {"statusCode": "success"}
    assert data["conferenceSolution"]["key"] == {"type": "hangoutsMeet"}
    assert event["hangoutLink"] == data["entryPoints"][0]["uri"]


def test_create_request_for_a_type_the_calendar_does_not_allow_is_refused(
    calendar: Service,
) -> None:
    request = {"requestId": "r-1", "conferenceSolutionKey": {"type": "addOn"}}

    assert refused(calendar, {"createRequest": request}) == (400, "invalid")


@pytest.mark.parametrize(
    "data",
    [
        {"entryPoints": [VIDEO]},
        {"conferenceSolution": SOLUTION},
        {"conferenceSolution": SOLUTION, "entryPoints": []},
        {"conferenceId": "123"},
    ],
    ids=["no-solution", "no-entry-points", "empty-entry-points", "neither"],
)
def test_solution_with_entry_point_or_create_request_is_required(
    calendar: Service, data: dict[str, Any]
) -> None:
    assert refused(calendar, data) == (400, "invalid")


@pytest.mark.parametrize("kind", ["hangoutsMeet", "addOn", "eventHangout", "eventNamedHangout"])
def test_solution_key_types_are_accepted(calendar: Service, kind: str) -> None:
    data = conference(VIDEO)
    data["conferenceSolution"] = {**SOLUTION, "key": {"type": kind}}

    assert insert(calendar, data)["conferenceData"]["conferenceSolution"]["key"]["type"] == kind


def test_unknown_solution_key_type_is_invalid(calendar: Service) -> None:
    data = conference(VIDEO)
    data["conferenceSolution"] = {**SOLUTION, "key": {"type": "zoom"}}

    assert refused(calendar, data) == (400, "invalid")


@pytest.mark.parametrize("point", [VIDEO, SIP, MORE], ids=["video", "sip", "more"])
def test_video_sip_and_more_at_most_one_each(calendar: Service, point: dict[str, Any]) -> None:
    assert refused(calendar, conference(PHONE, point, dict(point))) == (400, "invalid")


def test_phone_entry_points_any_number(calendar: Service) -> None:
    phones = [{**PHONE, "uri": f"tel:+1234567890{i}"} for i in range(10)]

    assert len(insert(calendar, conference(VIDEO, *phones))["conferenceData"]["entryPoints"]) == 11


def test_only_a_more_entry_point_is_invalid(calendar: Service) -> None:
    assert refused(calendar, conference(MORE)) == (400, "invalid")


def test_at_most_300_entry_points(calendar: Service) -> None:
    phones = [{"entryPointType": "phone", "uri": f"tel:+1{i:010d}"} for i in range(301)]

    assert refused(calendar, conference(*phones)) == (400, "invalid")
    assert len(insert(calendar, conference(*phones[:300]))["conferenceData"]["entryPoints"]) == 300


def test_uri_at_most_1300_characters(calendar: Service) -> None:
    long_uri = "https://example.com/" + "a" * 1281

    assert refused(calendar, conference({**VIDEO, "uri": long_uri})) == (400, "invalid")
    assert insert(calendar, conference({**VIDEO, "uri": long_uri[:1300]}))


@pytest.mark.parametrize(
    ("point", "uri"),
    [
        (VIDEO, "tel:+123"),
        (MORE, "sip:x@example.com"),
        (PHONE, "https://example.com"),
        (SIP, "https://example.com"),
    ],
    ids=["video-needs-http", "more-needs-http", "phone-needs-tel", "sip-needs-sip"],
)
def test_uri_scheme_matches_entry_point_type(
    calendar: Service, point: dict[str, Any], uri: str
) -> None:
    others = [VIDEO] if point is not VIDEO else [PHONE]

    assert refused(calendar, conference(*others, {**point, "uri": uri})) == (400, "invalid")


def test_label_at_most_512_and_not_on_more(calendar: Service) -> None:
    assert refused(calendar, conference({**VIDEO, "label": "x" * 513})) == (400, "invalid")
    assert refused(calendar, conference(VIDEO, {**MORE, "label": "More"})) == (400, "invalid")
    assert insert(calendar, conference({**VIDEO, "label": "x" * 512}))


@pytest.mark.parametrize("code", ["pin", "accessCode", "meetingCode", "passcode", "password"])
def test_codes_at_most_128_characters(calendar: Service, code: str) -> None:
    assert refused(calendar, conference({**PHONE, code: "1" * 129})) == (400, "invalid")
    assert insert(calendar, conference({**PHONE, code: "1" * 128}))


@pytest.mark.parametrize("field", ["regionCode", "entryPointFeatures"])
def test_region_code_and_features_on_phone_only(calendar: Service, field: str) -> None:
    value = PHONE[field]

    assert refused(calendar, conference({**VIDEO, field: value})) == (400, "invalid")


def test_features_toll_or_toll_free_never_both(calendar: Service) -> None:
    both = {**PHONE, "entryPointFeatures": ["toll", "toll_free"]}
    free = {**PHONE, "entryPointFeatures": ["toll_free"]}

    assert refused(calendar, conference(VIDEO, both)) == (400, "invalid")
    assert insert(calendar, conference(VIDEO, free))


def test_conference_id_at_most_512_and_notes_at_most_2048(calendar: Service) -> None:
    assert refused(calendar, conference(VIDEO, conferenceId="1" * 513)) == (400, "invalid")
    assert refused(calendar, conference(VIDEO, notes="n" * 2049)) == (400, "invalid")
    assert insert(calendar, conference(VIDEO, conferenceId="1" * 512, notes="n" * 2048))


@pytest.mark.parametrize(
    "values",
    [
        {f"k{i}": "v" for i in range(301)},
        {"k" * 51: "v"},
        {"k": "v" * 1025},
    ],
    ids=["more-than-300", "key-over-50", "value-over-1024"],
)
def test_add_on_parameters_limits(calendar: Service, values: dict[str, str]) -> None:
    data = conference(VIDEO, parameters={"addOnParameters": {"parameters": values}})

    assert refused(calendar, data) == (400, "invalid")


def test_without_version_1_conference_data_is_silently_ignored(calendar: Service) -> None:
    event = insert(calendar, conference(VIDEO), version=0)

    assert "conferenceData" not in event
    patched = (
        calendar(ALICE)
        .events()
        .patch(
            calendarId="primary", eventId=event["id"], body={"conferenceData": conference(VIDEO)}
        )
        .execute()
    )
    assert "conferenceData" not in patched


def test_update_without_conference_data_clears_it_with_version_1(calendar: Service) -> None:
    event = insert(calendar, conference(VIDEO))
    body = {k: v for k, v in event.items() if k != "conferenceData"}

    updated = (
        calendar(ALICE)
        .events()
        .update(calendarId="primary", eventId=event["id"], body=body, conferenceDataVersion=1)
        .execute()
    )

    assert "conferenceData" not in updated


def test_update_with_version_0_keeps_conference_data(calendar: Service) -> None:
    event = insert(calendar, conference(VIDEO))
    body = {k: v for k, v in event.items() if k != "conferenceData"}

    updated = (
        calendar(ALICE)
        .events()
        .update(calendarId="primary", eventId=event["id"], body=body)
        .execute()
    )

    assert updated["conferenceData"] == event["conferenceData"]


def test_patch_without_conference_data_keeps_it(calendar: Service) -> None:
    event = insert(calendar, conference(VIDEO))

    patched = (
        calendar(ALICE)
        .events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"summary": "Renamed"},
            conferenceDataVersion=1,
        )
        .execute()
    )

    assert patched["conferenceData"] == event["conferenceData"]
    assert patched["summary"] == "Renamed"
