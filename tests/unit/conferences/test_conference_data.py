"""Unit tests of shared.conferences.conference_data: builder, validator, conference errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.conferences.conference_data import (
    MAX_ENTRY_POINTS,
    MAX_PARAMETERS,
    PARAMETERS_PATH,
    ConferenceDataBuilder,
    ConferenceErrorType,
    ConferenceSolution,
    EntryPoint,
    EntryPointFeature,
    EntryPointType,
    conference_error,
    validate_conference_data,
)
from shared.errors import InvalidConferenceData

SOLUTION = ConferenceSolution(name="Example Meeting", icon_uri="https://example.com/icon.svg")
VIDEO = EntryPoint(EntryPointType.VIDEO, "https://example.com/j/123", label="example.com/j/123")
PHONE = EntryPoint(
    EntryPointType.PHONE,
    "tel:+12345678900,,,123456789;1234",
    label="+1 234-567-8900",
    pin="1234",
    region_code="US",
    features=(EntryPointFeature.TOLL,),
)
SIP = EntryPoint(EntryPointType.SIP, "sip:123456789@sip.example.com", access_code="123456789")
MORE = EntryPoint(EntryPointType.MORE, "https://example.com/j/123/dial-in")

CODE_FIELDS = ["pin", "accessCode", "meetingCode", "passcode", "password"]
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def valid_document() -> dict[str, Any]:
    """A document that uses every field; entry points: 0 video, 1 phone, 2 sip, 3 more."""
    return {
        "conferenceId": "meeting-123",
        "conferenceSolution": {
            "key": {"type": "addOn"},
            "name": "Example Meeting",
            "iconUri": "https://example.com/icon.svg",
        },
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": "https://example.com/j/123",
                "label": "example.com/j/123",
                "meetingCode": "123",
                "passcode": "secret",
            },
            {
                "entryPointType": "phone",
                "uri": "tel:+12345678900,,,123456789;1234",
                "label": "+1 234-567-8900",
                "pin": "1234",
                "accessCode": "123456789",
                "password": "9876",
                "regionCode": "US",
                "entryPointFeatures": ["toll"],
            },
            {"entryPointType": "sip", "uri": "sip:123456789@sip.example.com"},
            {"entryPointType": "more", "uri": "https://example.com/j/123/dial-in"},
        ],
        "parameters": {"addOnParameters": {"parameters": {"meetingId": "123"}}},
        "notes": "<b>Dial-in</b> numbers are listed online.",
    }


def rejected_field(data: Any) -> str:
    """The ``field`` of the InvalidConferenceData that validating ``data`` raises."""
    with pytest.raises(InvalidConferenceData) as raised:
        validate_conference_data(data)
    return raised.value.field


def entry(data: dict[str, Any], index: int) -> dict[str, Any]:
    entry_point: dict[str, Any] = data["entryPoints"][index]
    return entry_point


def parameter_map(data: dict[str, Any]) -> dict[Any, Any]:
    values: dict[Any, Any] = data["parameters"]["addOnParameters"]["parameters"]
    return values


def phone_json(number: int) -> dict[str, Any]:
    return {"entryPointType": "phone", "uri": f"tel:+4670000{number:04d}"}


# --- The valid shapes --------------------------------------------------------------------


def test_valid_document_passes() -> None:
    # Arrange
    data = valid_document()

    # Act
    validate_conference_data(data)

    # Assert
    assert data == valid_document()


def test_create_request_alone_is_enough() -> None:
    # Arrange
    data = {
        "createRequest": {
            "requestId": "abc",
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "pending"},
        }
    }

    # Act
    validate_conference_data(data)

    # Assert
    assert set(data) == {"createRequest"}


def test_meet_answer_from_the_api_passes() -> None:
    # Arrange
    data = {
        "createRequest": {
            "requestId": "abc",
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": "https://meet.google.com/aaa-bbbb-ccc",
                "label": "meet.google.com/aaa-bbbb-ccc",
            },
            {
                "entryPointType": "more",
                "uri": "https://tel.meet/aaa-bbbb-ccc?pin=123",
                "pin": "123",
            },
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/logo.png",
        },
        "conferenceId": "aaa-bbbb-ccc",
        "signature": "AGirE/Jmi4pFHkq0kcqgRyOuAR2r",
    }

    # Act
    validate_conference_data(data)

    # Assert
    assert data["conferenceId"] == "aaa-bbbb-ccc"


@pytest.mark.parametrize("key_type", ["hangoutsMeet", "addOn", "eventHangout", "eventNamedHangout"])
def test_documented_solution_key_types_pass(key_type: str) -> None:
    # Arrange
    data = valid_document()
    data["conferenceSolution"]["key"]["type"] = key_type

    # Act
    validate_conference_data(data)

    # Assert
    assert data["conferenceSolution"]["key"] == {"type": key_type}


def test_lengths_are_counted_in_characters() -> None:
    # Arrange: 1300 characters, 2 bytes each in UTF-8.
    data = valid_document()
    entry(data, 0)["uri"] = "https://" + "é" * 1292

    # Act
    validate_conference_data(data)

    # Assert
    assert len(entry(data, 0)["uri"]) == 1300


# --- Required parts ----------------------------------------------------------------------


def test_root_must_be_an_object() -> None:
    # Arrange
    data = ["not", "an", "object"]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "conferenceData"


def test_solution_is_required_without_create_request() -> None:
    # Arrange
    data = valid_document()
    del data["conferenceSolution"]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "conferenceSolution"


@pytest.mark.parametrize("entry_points", [None, []])
def test_an_entry_point_is_required_without_create_request(
    entry_points: list[Any] | None,
) -> None:
    # Arrange
    data = valid_document()
    if entry_points is None:
        del data["entryPoints"]
    else:
        data["entryPoints"] = entry_points

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints"


def test_solution_key_is_required() -> None:
    # Arrange
    data = valid_document()
    del data["conferenceSolution"]["key"]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "conferenceSolution.key"


@pytest.mark.parametrize("key", [{}, {"type": "zoom"}, {"type": ""}, {"type": 1}])
def test_solution_key_type_must_be_documented(key: dict[str, Any]) -> None:
    # Arrange
    data = valid_document()
    data["conferenceSolution"]["key"] = key

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "conferenceSolution.key.type"


@pytest.mark.parametrize("name", ["name", "iconUri"])
def test_solution_name_and_icon_must_be_strings(name: str) -> None:
    # Arrange
    data = valid_document()
    data["conferenceSolution"][name] = None

    # Act
    field = rejected_field(data)

    # Assert
    assert field == f"conferenceSolution.{name}"


@pytest.mark.parametrize(
    ("create_request", "expected"),
    [
        ("yes", "createRequest"),
        ({"requestId": 5}, "createRequest.requestId"),
        ({"conferenceSolutionKey": {"type": "zoom"}}, "createRequest.conferenceSolutionKey.type"),
        ({"status": {"statusCode": "done"}}, "createRequest.status.statusCode"),
        ({"status": {"code": "pending"}}, "createRequest.status.code"),
    ],
)
def test_create_request_is_checked(create_request: object, expected: str) -> None:
    # Arrange
    data = {"createRequest": create_request}

    # Act
    field = rejected_field(data)

    # Assert
    assert field == expected


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("root", "conferenceID"),
        ("entry", "entryPoints[1].accesscode"),
        ("solution", "conferenceSolution.logo"),
        ("parameters", "parameters.meetingId"),
    ],
)
def test_unknown_fields_are_rejected(place: str, expected: str) -> None:
    # Arrange
    data = valid_document()
    if place == "root":
        data["conferenceID"] = "x"
    elif place == "entry":
        entry(data, 1)["accesscode"] = "x"
    elif place == "solution":
        data["conferenceSolution"]["logo"] = "x"
    else:
        data["parameters"]["meetingId"] = "x"

    # Act
    field = rejected_field(data)

    # Assert
    assert field == expected


# --- Entry point types and counts --------------------------------------------------------


@pytest.mark.parametrize("entry_type", [None, "fax", "VIDEO", 3])
def test_entry_point_type_must_be_known(entry_type: object) -> None:
    # Arrange
    data = valid_document()
    if entry_type is None:
        del entry(data, 2)["entryPointType"]
    else:
        entry(data, 2)["entryPointType"] = entry_type

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[2].entryPointType"


@pytest.mark.parametrize(
    ("entry_type", "uri"),
    [("video", "https://example.com/2"), ("sip", "sip:2@example.com"), ("more", "https://m/2")],
)
def test_at_most_one_video_sip_and_more(entry_type: str, uri: str) -> None:
    # Arrange
    data = valid_document()
    data["entryPoints"].append({"entryPointType": entry_type, "uri": uri})

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[4].entryPointType"


def test_many_phone_entry_points_are_allowed() -> None:
    # Arrange
    data = valid_document()
    data["entryPoints"].extend(phone_json(number) for number in range(20))

    # Act
    validate_conference_data(data)

    # Assert
    assert len(data["entryPoints"]) == 24


def test_only_a_more_entry_point_is_invalid() -> None:
    # Arrange
    data = valid_document()
    data["entryPoints"] = [entry(data, 3)]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints"


def test_more_with_another_entry_point_is_valid() -> None:
    # Arrange
    data = valid_document()
    data["entryPoints"] = [entry(data, 3), entry(data, 2)]

    # Act
    validate_conference_data(data)

    # Assert
    assert [item["entryPointType"] for item in data["entryPoints"]] == ["more", "sip"]


def test_at_most_300_entry_points() -> None:
    # Arrange
    at_limit = valid_document()
    at_limit["entryPoints"] = [phone_json(number) for number in range(MAX_ENTRY_POINTS)]
    over_limit = copy.deepcopy(at_limit)
    over_limit["entryPoints"].append(phone_json(MAX_ENTRY_POINTS))

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == "entryPoints"


@pytest.mark.parametrize("entry_points", ["video", {"entryPointType": "video"}])
def test_entry_points_must_be_a_list(entry_points: object) -> None:
    # Arrange
    data = valid_document()
    data["entryPoints"] = entry_points

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints"


def test_each_entry_point_must_be_an_object() -> None:
    # Arrange
    data = valid_document()
    data["entryPoints"][1] = "tel:+123"

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[1]"


# --- URIs --------------------------------------------------------------------------------


def test_uri_is_required() -> None:
    # Arrange
    data = valid_document()
    del entry(data, 1)["uri"]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[1].uri"


@pytest.mark.parametrize(("index", "prefix"), [(0, "https://"), (1, "tel:+"), (2, "sip:")])
def test_uri_is_at_most_1300_characters(index: int, prefix: str) -> None:
    # Arrange
    at_limit = valid_document()
    entry(at_limit, index)["uri"] = prefix + "1" * (1300 - len(prefix))
    over_limit = valid_document()
    entry(over_limit, index)["uri"] = prefix + "1" * (1301 - len(prefix))

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == f"entryPoints[{index}].uri"


@pytest.mark.parametrize(
    ("index", "uri"),
    [
        (0, "HTTPS://example.com/j/1"),
        (0, "http://example.com/j/1"),
        (1, "TEL:+12345678900"),
        (1, "tel:+12345678900,,,123456789;1234#"),
        (2, "SIP:1@example.com"),
        (3, "Http://example.com/more"),
    ],
)
def test_uri_scheme_is_case_insensitive(index: int, uri: str) -> None:
    # Arrange
    data = valid_document()
    entry(data, index)["uri"] = uri

    # Act
    validate_conference_data(data)

    # Assert
    assert entry(data, index)["uri"] == uri


@pytest.mark.parametrize(
    ("index", "uri"),
    [
        (0, "tel:+12345678900"),
        (0, "ftp://example.com"),
        (0, "example.com/j/1"),
        (0, "https:"),
        (0, " https://example.com"),
        (0, ""),
        (1, "+12345678900"),
        (1, "sip:1@example.com"),
        (1, "tel:"),
        (1, "tel:  "),
        (2, "https://example.com"),
        (2, "sip:"),
        (3, "tel:+12345678900"),
        (3, "http:"),
    ],
)
def test_uri_scheme_must_match_the_type(index: int, uri: str) -> None:
    # Arrange
    data = valid_document()
    entry(data, index)["uri"] = uri

    # Act
    field = rejected_field(data)

    # Assert
    assert field == f"entryPoints[{index}].uri"


def test_uri_must_be_a_string() -> None:
    # Arrange
    data = valid_document()
    entry(data, 0)["uri"] = ["https://example.com"]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[0].uri"


# --- Labels and codes --------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1, 2])
def test_label_is_at_most_512_characters(index: int) -> None:
    # Arrange
    at_limit = valid_document()
    entry(at_limit, index)["label"] = "l" * 512
    over_limit = valid_document()
    entry(over_limit, index)["label"] = "l" * 513

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == f"entryPoints[{index}].label"


def test_label_is_not_allowed_on_more() -> None:
    # Arrange
    data = valid_document()
    entry(data, 3)["label"] = "more numbers"

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[3].label"


@pytest.mark.parametrize("code", CODE_FIELDS)
@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_codes_are_at_most_128_characters(code: str, index: int) -> None:
    # Arrange
    at_limit = valid_document()
    entry(at_limit, index)[code] = "9" * 128
    over_limit = valid_document()
    entry(over_limit, index)[code] = "9" * 129

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == f"entryPoints[{index}].{code}"


@pytest.mark.parametrize("code", [*CODE_FIELDS, "label"])
def test_codes_and_label_must_be_strings(code: str) -> None:
    # Arrange
    data = valid_document()
    entry(data, 1)[code] = 1234

    # Act
    field = rejected_field(data)

    # Assert
    assert field == f"entryPoints[1].{code}"


# --- Region codes and features -----------------------------------------------------------


@pytest.mark.parametrize("region_code", ["SE", "US", "419", "001"])
def test_region_code_accepts_cldr_codes_on_phone(region_code: str) -> None:
    # Arrange
    data = valid_document()
    entry(data, 1)["regionCode"] = region_code

    # Act
    validate_conference_data(data)

    # Assert
    assert entry(data, 1)["regionCode"] == region_code


@pytest.mark.parametrize("region_code", ["se", "SWE", "S", "4190", "", "S1", "SE\n", 46])
def test_region_code_must_be_a_region_code(region_code: object) -> None:
    # Arrange
    data = valid_document()
    entry(data, 1)["regionCode"] = region_code

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[1].regionCode"


@pytest.mark.parametrize("index", [0, 2, 3])
def test_region_code_only_on_phone(index: int) -> None:
    # Arrange
    data = valid_document()
    entry(data, index)["regionCode"] = "SE"

    # Act
    field = rejected_field(data)

    # Assert
    assert field == f"entryPoints[{index}].regionCode"


@pytest.mark.parametrize("features", [[], ["toll"], ["toll_free"]])
def test_features_accept_toll_or_toll_free_on_phone(features: list[str]) -> None:
    # Arrange
    data = valid_document()
    entry(data, 1)["entryPointFeatures"] = features

    # Act
    validate_conference_data(data)

    # Assert
    assert entry(data, 1)["entryPointFeatures"] == features


@pytest.mark.parametrize(
    "features",
    [
        ["toll", "toll_free"],
        ["toll_free", "toll"],
        ["toll", "toll"],
        ["free"],
        ["TOLL"],
        [None],
        "toll",
    ],
)
def test_features_reject_both_duplicates_and_unknown_values(features: object) -> None:
    # Arrange
    data = valid_document()
    entry(data, 1)["entryPointFeatures"] = features

    # Act
    field = rejected_field(data)

    # Assert
    assert field == "entryPoints[1].entryPointFeatures"


@pytest.mark.parametrize("index", [0, 2, 3])
def test_features_only_on_phone(index: int) -> None:
    # Arrange
    data = valid_document()
    entry(data, index)["entryPointFeatures"] = ["toll"]

    # Act
    field = rejected_field(data)

    # Assert
    assert field == f"entryPoints[{index}].entryPointFeatures"


# --- conferenceId, notes, signature ------------------------------------------------------


@pytest.mark.parametrize(("name", "limit"), [("conferenceId", 512), ("notes", 2048)])
def test_top_level_string_limits(name: str, limit: int) -> None:
    # Arrange
    at_limit = valid_document()
    at_limit[name] = "n" * limit
    over_limit = valid_document()
    over_limit[name] = "n" * (limit + 1)

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == name


@pytest.mark.parametrize("name", ["conferenceId", "notes", "signature"])
@pytest.mark.parametrize("value", [123, None, b"bytes", ["x"]])
def test_top_level_strings_must_be_strings(name: str, value: object) -> None:
    # Arrange
    data = valid_document()
    data[name] = value

    # Act
    field = rejected_field(data)

    # Assert
    assert field == name


# --- Parameters --------------------------------------------------------------------------


def test_at_most_300_parameters() -> None:
    # Arrange
    at_limit = valid_document()
    at_limit["parameters"]["addOnParameters"]["parameters"] = {
        f"k{number}": "v" for number in range(MAX_PARAMETERS)
    }
    over_limit = copy.deepcopy(at_limit)
    parameter_map(over_limit)["one-more"] = "v"

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == PARAMETERS_PATH


def test_parameter_key_is_1_to_50_characters() -> None:
    # Arrange
    at_limit = valid_document()
    parameter_map(at_limit)["k" * 50] = "v"
    parameter_map(at_limit)["k"] = "v"
    over_limit = valid_document()
    parameter_map(over_limit)["k" * 51] = "v"
    empty = valid_document()
    parameter_map(empty)[""] = "v"

    # Act
    validate_conference_data(at_limit)
    over_field = rejected_field(over_limit)
    empty_field = rejected_field(empty)

    # Assert
    assert over_field == f'{PARAMETERS_PATH}["{"k" * 51}"]'
    assert empty_field == f'{PARAMETERS_PATH}[""]'


def test_parameter_value_is_at_most_1024_characters() -> None:
    # Arrange
    at_limit = valid_document()
    parameter_map(at_limit)["k"] = "v" * 1024
    parameter_map(at_limit)["empty"] = ""
    over_limit = valid_document()
    parameter_map(over_limit)["k"] = "v" * 1025

    # Act
    validate_conference_data(at_limit)
    field = rejected_field(over_limit)

    # Assert
    assert field == f'{PARAMETERS_PATH}["k"]'


@pytest.mark.parametrize("value", [1, None, True, ["v"]])
def test_parameter_values_must_be_strings(value: object) -> None:
    # Arrange
    data = valid_document()
    parameter_map(data)["k"] = value

    # Act
    field = rejected_field(data)

    # Assert
    assert field == f'{PARAMETERS_PATH}["k"]'


def test_parameter_keys_must_be_strings() -> None:
    # Arrange
    data = valid_document()
    parameter_map(data)[1] = "v"

    # Act
    field = rejected_field(data)

    # Assert
    assert field == PARAMETERS_PATH


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ("k=v", "parameters"),
        ({"addOnParameters": []}, "parameters.addOnParameters"),
        ({"addOnParameters": {"parameters": [["k", "v"]]}}, PARAMETERS_PATH),
        ({"addOnParameters": {"params": {}}}, "parameters.addOnParameters.params"),
    ],
)
def test_parameters_must_have_the_rest_shape(parameters: object, expected: str) -> None:
    # Arrange
    data = valid_document()
    data["parameters"] = parameters

    # Act
    field = rejected_field(data)

    # Assert
    assert field == expected


# --- The builder -------------------------------------------------------------------------


def test_build_produces_the_rest_shape() -> None:
    # Arrange
    builder = (
        ConferenceDataBuilder()
        .set_conference_id("meeting-123")
        .set_conference_solution(SOLUTION)
        .add_entry_point(VIDEO)
        .add_entry_point(PHONE)
        .add_entry_point(SIP)
        .add_entry_point(MORE)
        .add_conference_parameter("meetingId", "123")
        .add_conference_parameter("host", "alice")
        .set_notes("<b>Hi</b>")
    )

    # Act
    data = builder.build()

    # Assert
    assert data == {
        "conferenceId": "meeting-123",
        "conferenceSolution": {
            "key": {"type": "addOn"},
            "name": "Example Meeting",
            "iconUri": "https://example.com/icon.svg",
        },
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": "https://example.com/j/123",
                "label": "example.com/j/123",
            },
            {
                "entryPointType": "phone",
                "uri": "tel:+12345678900,,,123456789;1234",
                "label": "+1 234-567-8900",
                "pin": "1234",
                "regionCode": "US",
                "entryPointFeatures": ["toll"],
            },
            {
                "entryPointType": "sip",
                "uri": "sip:123456789@sip.example.com",
                "accessCode": "123456789",
            },
            {"entryPointType": "more", "uri": "https://example.com/j/123/dial-in"},
        ],
        "parameters": {"addOnParameters": {"parameters": {"meetingId": "123", "host": "alice"}}},
        "notes": "<b>Hi</b>",
    }
    assert list(data) == [
        "conferenceId",
        "conferenceSolution",
        "entryPoints",
        "parameters",
        "notes",
    ]
    assert list(parameter_map(data)) == ["meetingId", "host"]


def test_build_holds_only_the_fields_that_were_set() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION).add_entry_point(VIDEO)

    # Act
    data = builder.build()

    # Assert
    assert set(data) == {"conferenceSolution", "entryPoints"}


def test_build_maps_every_entry_point_field() -> None:
    # Arrange
    phone = EntryPoint(
        EntryPointType.PHONE,
        "tel:+46700000000",
        label="+46 70 000 00 00",
        pin="1",
        access_code="2",
        meeting_code="3",
        passcode="4",
        password="5",
        region_code="SE",
        features=(EntryPointFeature.TOLL_FREE,),
    )

    # Act
    data = ConferenceDataBuilder().set_conference_solution(SOLUTION).add_entry_point(phone).build()

    # Assert
    assert data["entryPoints"] == [
        {
            "entryPointType": "phone",
            "uri": "tel:+46700000000",
            "label": "+46 70 000 00 00",
            "pin": "1",
            "accessCode": "2",
            "meetingCode": "3",
            "passcode": "4",
            "password": "5",
            "regionCode": "SE",
            "entryPointFeatures": ["toll_free"],
        }
    ]


def test_build_writes_plain_strings_not_enums() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION).add_entry_point(PHONE)

    # Act
    data = builder.build()

    # Assert
    assert type(entry(data, 0)["entryPointType"]) is str
    assert [type(feature) for feature in entry(data, 0)["entryPointFeatures"]] == [str]


def test_each_build_returns_a_fresh_document() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION).add_entry_point(PHONE)
    first = builder.build()

    # Act
    entry(first, 0)["entryPointFeatures"].append("toll_free")
    second = builder.build()

    # Assert
    assert entry(second, 0)["entryPointFeatures"] == ["toll"]


def test_setters_return_the_builder() -> None:
    # Arrange
    builder = ConferenceDataBuilder()

    # Act
    results = [
        builder.set_conference_id("x"),
        builder.set_conference_solution(SOLUTION),
        builder.add_entry_point(VIDEO),
        builder.add_conference_parameter("k", "v"),
        builder.set_notes("n"),
    ]

    # Assert
    assert all(result is builder for result in results)


def test_build_requires_a_solution() -> None:
    # Arrange
    builder = ConferenceDataBuilder().add_entry_point(VIDEO)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.build()

    # Assert
    assert raised.value.field == "conferenceSolution"


def test_build_requires_an_entry_point() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.build()

    # Assert
    assert raised.value.field == "entryPoints"


@pytest.mark.parametrize(
    ("entry_points", "expected"),
    [
        ([VIDEO, PHONE, VIDEO], "entryPoints[2].entryPointType"),
        ([SIP, SIP], "entryPoints[1].entryPointType"),
        ([PHONE, MORE, MORE], "entryPoints[2].entryPointType"),
        ([MORE], "entryPoints"),
    ],
)
def test_build_checks_entry_point_counts(entry_points: list[EntryPoint], expected: str) -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION)
    for entry_point in entry_points:
        builder.add_entry_point(entry_point)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.build()

    # Assert
    assert raised.value.field == expected


def test_set_conference_id_rejects_over_512_immediately() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_id("i" * 512)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.set_conference_id("i" * 513)

    # Assert
    assert raised.value.field == "conferenceId"


def test_set_notes_rejects_over_2048_immediately() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_notes("n" * 2048)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.set_notes("n" * 2049)

    # Assert
    assert raised.value.field == "notes"


def test_add_entry_point_rejects_the_301st_immediately() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION)
    for number in range(MAX_ENTRY_POINTS):
        builder.add_entry_point(EntryPoint(EntryPointType.PHONE, f"tel:+4670000{number:04d}"))

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.add_entry_point(PHONE)

    # Assert
    assert raised.value.field == "entryPoints"
    assert len(builder.build()["entryPoints"]) == MAX_ENTRY_POINTS


@pytest.mark.parametrize(
    ("entry_point", "expected"),
    [
        (EntryPoint(EntryPointType.VIDEO, "tel:+1"), "entryPoints[1].uri"),
        (EntryPoint(EntryPointType.PHONE, "tel:+1", pin="1" * 129), "entryPoints[1].pin"),
        (EntryPoint(EntryPointType.MORE, "https://m", label="x"), "entryPoints[1].label"),
        (EntryPoint(EntryPointType.SIP, "sip:a", region_code="SE"), "entryPoints[1].regionCode"),
        (
            EntryPoint(
                EntryPointType.PHONE,
                "tel:+1",
                features=(EntryPointFeature.TOLL, EntryPointFeature.TOLL_FREE),
            ),
            "entryPoints[1].entryPointFeatures",
        ),
    ],
)
def test_add_entry_point_checks_the_entry_point_immediately(
    entry_point: EntryPoint, expected: str
) -> None:
    # Arrange
    builder = ConferenceDataBuilder().add_entry_point(PHONE)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.add_entry_point(entry_point)

    # Assert
    assert raised.value.field == expected


def test_add_conference_parameter_rejects_the_301st_immediately() -> None:
    # Arrange
    builder = ConferenceDataBuilder().set_conference_solution(SOLUTION).add_entry_point(VIDEO)
    for number in range(MAX_PARAMETERS):
        builder.add_conference_parameter(f"k{number}", "v")

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.add_conference_parameter("one-more", "v")

    # Assert
    assert raised.value.field == PARAMETERS_PATH
    assert len(parameter_map(builder.build())) == MAX_PARAMETERS


@pytest.mark.parametrize(
    ("key", "value", "expected_key"),
    [("k" * 51, "v", "k" * 51), ("", "v", ""), ("k", "v" * 1025, "k")],
)
def test_add_conference_parameter_checks_lengths_immediately(
    key: str, value: str, expected_key: str
) -> None:
    # Arrange
    builder = ConferenceDataBuilder().add_conference_parameter("k" * 50, "v" * 1024)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.add_conference_parameter(key, value)

    # Assert
    assert raised.value.field == f"{PARAMETERS_PATH}[{json.dumps(expected_key)}]"


def test_add_conference_parameter_rejects_a_key_added_twice() -> None:
    # Arrange
    builder = ConferenceDataBuilder().add_conference_parameter("meetingId", "1")

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        builder.add_conference_parameter("meetingId", "2")

    # Assert
    assert raised.value.field == f'{PARAMETERS_PATH}["meetingId"]'


def test_messages_do_not_carry_the_values() -> None:
    # Arrange
    secret = "s3cr3t-passcode-" + "x" * 200

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        ConferenceDataBuilder().add_entry_point(
            EntryPoint(EntryPointType.VIDEO, "https://example.com", passcode=secret)
        )

    # Assert
    assert raised.value.field == "entryPoints[0].passcode"
    assert "s3cr3t" not in str(raised.value)


# --- Conference errors -------------------------------------------------------------------


@pytest.mark.parametrize("error_type", list(ConferenceErrorType))
def test_conference_error_has_the_type_name(error_type: ConferenceErrorType) -> None:
    # Arrange
    expected = error_type.name

    # Act
    error = conference_error(error_type)

    # Assert
    assert error == {"type": expected}
    assert type(error["type"]) is str


def test_conference_error_types_are_the_apps_script_ones() -> None:
    # Arrange
    expected = {
        "AUTHENTICATION",
        "CONFERENCE_SOLUTION_FORBIDDEN",
        "PERMANENT",
        "PERMISSION_DENIED",
        "TEMPORARY",
        "UNKNOWN",
    }

    # Act
    values = {error_type.value for error_type in ConferenceErrorType}

    # Assert
    assert values == expected


def test_authentication_error_carries_its_url() -> None:
    # Arrange
    url = "https://script.google.com/macros/d/abc/usercallback?state=xyz"

    # Act
    error = conference_error(ConferenceErrorType.AUTHENTICATION, url)

    # Assert
    assert error == {"type": "AUTHENTICATION", "authenticationUrl": url}


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "/relative", "https://", "https://[::1", "h" * 1801]
)
def test_authentication_url_must_be_http_and_at_most_1800(url: str) -> None:
    # Arrange
    at_limit = "https://example.com/" + "a" * (1800 - len("https://example.com/"))
    conference_error(ConferenceErrorType.AUTHENTICATION, at_limit)

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        conference_error(ConferenceErrorType.AUTHENTICATION, url)

    # Assert
    assert raised.value.field == "error.authenticationUrl"


def test_authentication_url_only_with_authentication() -> None:
    # Arrange
    url = "https://example.com/login"

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        conference_error(ConferenceErrorType.TEMPORARY, url)

    # Assert
    assert raised.value.field == "error.authenticationUrl"


def test_unknown_error_type_is_rejected() -> None:
    # Arrange
    error_type: Any = "PERMANENT_FOR_USER"

    # Act
    with pytest.raises(InvalidConferenceData) as raised:
        conference_error(error_type)

    # Assert
    assert raised.value.field == "error.type"


# --- Properties --------------------------------------------------------------------------

SCHEMES = {
    EntryPointType.VIDEO: ["http:", "https:", "HTTPS:", "Http:"],
    EntryPointType.MORE: ["http:", "https:", "hTTps:"],
    EntryPointType.PHONE: ["tel:", "TEL:"],
    EntryPointType.SIP: ["sip:", "SIP:"],
}
short_text = st.text(max_size=20)


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | strategy


def texts_up_to(limit: int) -> st.SearchStrategy[str]:
    """Short texts mostly, and sometimes exactly at the limit."""
    return short_text | st.text(min_size=limit, max_size=limit)


@st.composite
def entry_points(draw: st.DrawFn, kind: EntryPointType) -> EntryPoint:
    scheme = draw(st.sampled_from(SCHEMES[kind]))
    rest = draw(st.text(min_size=1, max_size=40).filter(str.strip))
    phone = kind is EntryPointType.PHONE
    return EntryPoint(
        type=kind,
        uri=scheme + rest,
        label=None if kind is EntryPointType.MORE else draw(optional(texts_up_to(512))),
        pin=draw(optional(texts_up_to(128))),
        access_code=draw(optional(short_text)),
        meeting_code=draw(optional(short_text)),
        passcode=draw(optional(short_text)),
        password=draw(optional(short_text)),
        region_code=draw(optional(st.from_regex(r"[A-Z]{2}|[0-9]{3}", fullmatch=True)))
        if phone
        else None,
        features=draw(
            st.sampled_from(
                [(), (EntryPointFeature.TOLL,), (EntryPointFeature.TOLL_FREE,)] if phone else [()]
            )
        ),
    )


@st.composite
def entry_point_lists(draw: st.DrawFn) -> list[EntryPoint]:
    chosen: list[EntryPoint] = []
    for kind in (EntryPointType.VIDEO, EntryPointType.SIP, EntryPointType.MORE):
        if draw(st.booleans()):
            chosen.append(draw(entry_points(kind)))
    chosen.extend(draw(st.lists(entry_points(EntryPointType.PHONE), max_size=3)))
    if all(item.type is EntryPointType.MORE for item in chosen):
        chosen.append(draw(entry_points(EntryPointType.PHONE)))
    return list(draw(st.permutations(chosen)))


@st.composite
def builders(draw: st.DrawFn) -> ConferenceDataBuilder:
    builder = ConferenceDataBuilder().set_conference_solution(
        ConferenceSolution(name=draw(short_text), icon_uri=draw(short_text))
    )
    for entry_point in draw(entry_point_lists()):
        builder.add_entry_point(entry_point)
    conference_id = draw(optional(texts_up_to(512)))
    if conference_id is not None:
        builder.set_conference_id(conference_id)
    parameters = draw(
        st.dictionaries(st.text(min_size=1, max_size=50), texts_up_to(1024), max_size=4)
    )
    for key, value in parameters.items():
        builder.add_conference_parameter(key, value)
    notes = draw(optional(texts_up_to(2048)))
    if notes is not None:
        builder.set_notes(notes)
    return builder


@PROPERTY_SETTINGS
@given(builders())
def test_built_data_is_valid_and_round_trips_as_json(builder: ConferenceDataBuilder) -> None:
    # Arrange
    data = builder.build()

    # Act
    validate_conference_data(data)
    decoded = json.loads(json.dumps(data))

    # Assert
    assert decoded == data
    validate_conference_data(decoded)


# A mutation breaks exactly one rule of a valid document and returns the field it broke.
Mutation = Callable[[dict[str, Any], st.DataObject], str]


def _pick(data: dict[str, Any], choose: st.DataObject) -> int:
    index: int = choose.draw(st.integers(0, len(data["entryPoints"]) - 1), label="index")
    return index


def uri_too_long(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    uri = entry(data, index)["uri"]
    entry(data, index)["uri"] = uri + "1" * (1301 - len(uri))
    return f"entryPoints[{index}].uri"


def uri_wrong_scheme(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    entry(data, index)["uri"] = choose.draw(st.sampled_from(["mailto:a@b", "//x", "x", ""]))
    return f"entryPoints[{index}].uri"


def uri_missing(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    del entry(data, index)["uri"]
    return f"entryPoints[{index}].uri"


def label_broken(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    target = entry(data, index)
    target["label"] = "x" if target["entryPointType"] == "more" else "x" * 513
    return f"entryPoints[{index}].label"


def code_too_long(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    code = choose.draw(st.sampled_from(CODE_FIELDS))
    entry(data, index)[code] = "1" * 129
    return f"entryPoints[{index}].{code}"


def region_code_broken(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    target = entry(data, index)
    target["regionCode"] = "se" if target["entryPointType"] == "phone" else "SE"
    return f"entryPoints[{index}].regionCode"


def features_broken(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    target = entry(data, index)
    if target["entryPointType"] == "phone":
        target["entryPointFeatures"] = choose.draw(
            st.sampled_from([["toll", "toll_free"], ["toll", "toll"], ["free"]])
        )
    else:
        target["entryPointFeatures"] = ["toll"]
    return f"entryPoints[{index}].entryPointFeatures"


def type_unknown(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    entry(data, index)["entryPointType"] = choose.draw(st.sampled_from(["fax", "VIDEO", "", 1]))
    return f"entryPoints[{index}].entryPointType"


def field_unknown(data: dict[str, Any], choose: st.DataObject) -> str:
    index = _pick(data, choose)
    entry(data, index)["accesscode"] = "1"
    return f"entryPoints[{index}].accesscode"


def second_single(data: dict[str, Any], choose: st.DataObject) -> str:
    kind, uri = choose.draw(
        st.sampled_from([("video", "https://v"), ("sip", "sip:s"), ("more", "https://m")])
    )
    extra = {"entryPointType": kind, "uri": uri}
    present = any(item["entryPointType"] == kind for item in data["entryPoints"])
    data["entryPoints"].extend([extra] if present else [extra, dict(extra)])
    return f"entryPoints[{len(data['entryPoints']) - 1}].entryPointType"


def only_more(data: dict[str, Any], choose: st.DataObject) -> str:
    data["entryPoints"] = [{"entryPointType": "more", "uri": "https://m"}]
    return "entryPoints"


def too_many_entry_points(data: dict[str, Any], choose: st.DataObject) -> str:
    missing = MAX_ENTRY_POINTS + 1 - len(data["entryPoints"])
    data["entryPoints"].extend(phone_json(number) for number in range(missing))
    return "entryPoints"


def no_entry_points(data: dict[str, Any], choose: st.DataObject) -> str:
    data["entryPoints"] = []
    return "entryPoints"


def no_solution(data: dict[str, Any], choose: st.DataObject) -> str:
    del data["conferenceSolution"]
    return "conferenceSolution"


def solution_type_unknown(data: dict[str, Any], choose: st.DataObject) -> str:
    data["conferenceSolution"]["key"]["type"] = "zoom"
    return "conferenceSolution.key.type"


def conference_id_broken(data: dict[str, Any], choose: st.DataObject) -> str:
    data["conferenceId"] = choose.draw(st.sampled_from(["i" * 513, 42]))
    return "conferenceId"


def notes_broken(data: dict[str, Any], choose: st.DataObject) -> str:
    data["notes"] = choose.draw(st.sampled_from(["n" * 2049, None]))
    return "notes"


def _parameters_of(data: dict[str, Any]) -> dict[str, Any]:
    add_on = data.setdefault("parameters", {}).setdefault("addOnParameters", {})
    values: dict[str, Any] = add_on.setdefault("parameters", {})
    return values


def parameter_broken(data: dict[str, Any], choose: st.DataObject) -> str:
    key, value = choose.draw(
        st.sampled_from([("k" * 51, "v"), ("", "v"), ("value", "v" * 1025), ("value", 7)])
    )
    _parameters_of(data)[key] = value
    return f"{PARAMETERS_PATH}[{json.dumps(key)}]"


def too_many_parameters(data: dict[str, Any], choose: st.DataObject) -> str:
    values = _parameters_of(data)
    number = 0
    while len(values) <= MAX_PARAMETERS:
        values.setdefault(f"extra-{number}", "v")
        number += 1
    return PARAMETERS_PATH


MUTATIONS: list[Mutation] = [
    uri_too_long,
    uri_wrong_scheme,
    uri_missing,
    label_broken,
    code_too_long,
    region_code_broken,
    features_broken,
    type_unknown,
    field_unknown,
    second_single,
    only_more,
    too_many_entry_points,
    no_entry_points,
    no_solution,
    solution_type_unknown,
    conference_id_broken,
    notes_broken,
    parameter_broken,
    too_many_parameters,
]


@PROPERTY_SETTINGS
@given(builders(), st.sampled_from(MUTATIONS), st.data())
def test_breaking_one_rule_names_that_field(
    builder: ConferenceDataBuilder, mutation: Mutation, choose: st.DataObject
) -> None:
    # Arrange
    data = copy.deepcopy(builder.build())
    expected = mutation(data, choose)

    # Act
    field = rejected_field(data)

    # Assert
    assert field == expected
