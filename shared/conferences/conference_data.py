"""Calendar v3 ConferenceData: the Python counterpart of Apps Script's ConferenceDataService.

:class:`ConferenceDataBuilder` builds the REST JSON (camelCase) a third-party provider
attaches to an event; :func:`validate_conference_data` checks any ConferenceData dict (one
a provider built, one read back from the API) against Calendar's rules; and
:func:`conference_error` shapes the error an add-on returns instead of conference data.

Rules enforced (every violation raises :class:`shared.errors.InvalidConferenceData` whose
``field`` is the path of the offending field, e.g. ``entryPoints[2].uri`` or
``parameters.addOnParameters.parameters["meetingId"]``; messages carry lengths and rule
names, never the values):

- ``conferenceSolution`` (with ``key.type``) plus at least one entry point, or
  ``createRequest``, is required. ``key.type`` is one of ``hangoutsMeet``, ``addOn``,
  ``eventHangout``, ``eventNamedHangout``; the builder always writes ``addOn``.
- Entry points: at most 300; ``video`` 0..1, ``phone`` 0..n, ``sip`` 0..1, ``more`` 0..1;
  a conference whose only entry point is ``more`` is invalid; any other type is invalid.
- ``uri`` is required, at most 1300 characters, and starts with ``http:``/``https:``
  (video, more), ``tel:`` (phone) or ``sip:`` (sip), scheme case-insensitive, followed by
  something other than blanks.
- ``label`` at most 512 characters and not on ``more``; ``pin``, ``accessCode``,
  ``meetingCode``, ``passcode``, ``password`` at most 128 characters each.
- ``regionCode`` on phone entry points only: a CLDR/ISO 3166 region code, two uppercase
  ASCII letters (``SE``) or three digits (``419``).
- ``entryPointFeatures`` on phone entry points only: a list of ``toll`` / ``toll_free``
  without duplicates, never both.
- ``conferenceId`` at most 512 characters; ``notes`` at most 2048 (HTML allowed).
- ``parameters.addOnParameters.parameters``: at most 300 entries, keys 1..50 characters,
  values at most 1024 characters.
- Every string field must be a ``str``, objects must be mappings, lists must be lists;
  fields the Calendar v3 schema does not define are rejected (they are typos, and Calendar
  would drop them silently).

Lengths count characters (``len`` of the Python string), as the API documents them.

Like Apps Script, the builder enforces limits where it can as soon as a value is set:
``set_conference_id`` (> 512), ``set_notes`` (> 2048), ``add_entry_point`` (the 301st, or
an entry point that breaks a rule of its own), ``add_conference_parameter`` (the 301st,
a key or value too long, a key added twice) raise immediately; the rules that concern the
whole document (entry point counts, "only ``more``", a missing solution or entry point)
are checked by ``build()``, which validates everything once more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Final, Required, TypedDict, cast
from urllib.parse import urlsplit

from shared.errors import InvalidConferenceData

__all__ = [
    "ADD_ON",
    "MAX_AUTHENTICATION_URL_LENGTH",
    "MAX_CODE_LENGTH",
    "MAX_CONFERENCE_ID_LENGTH",
    "MAX_ENTRY_POINTS",
    "MAX_LABEL_LENGTH",
    "MAX_NOTES_LENGTH",
    "MAX_PARAMETERS",
    "MAX_PARAMETER_KEY_LENGTH",
    "MAX_PARAMETER_VALUE_LENGTH",
    "MAX_URI_LENGTH",
    "PARAMETERS_PATH",
    "SOLUTION_KEY_TYPES",
    "AddOnParametersJson",
    "ConferenceDataBuilder",
    "ConferenceDataJson",
    "ConferenceErrorType",
    "ConferenceParametersJson",
    "ConferenceRequestStatusJson",
    "ConferenceSolution",
    "ConferenceSolutionJson",
    "ConferenceSolutionKeyJson",
    "CreateConferenceRequestJson",
    "EntryPoint",
    "EntryPointFeature",
    "EntryPointJson",
    "EntryPointType",
    "conference_error",
    "validate_conference_data",
]

MAX_ENTRY_POINTS: Final = 300
MAX_URI_LENGTH: Final = 1300
MAX_LABEL_LENGTH: Final = 512
MAX_CODE_LENGTH: Final = 128
MAX_CONFERENCE_ID_LENGTH: Final = 512
MAX_NOTES_LENGTH: Final = 2048
MAX_PARAMETERS: Final = 300
MAX_PARAMETER_KEY_LENGTH: Final = 50
MAX_PARAMETER_VALUE_LENGTH: Final = 1024
MAX_AUTHENTICATION_URL_LENGTH: Final = 1800

ADD_ON: Final = "addOn"
"""``conferenceSolution.key.type`` of third-party providers: what the builder writes."""

SOLUTION_KEY_TYPES: Final = frozenset({"hangoutsMeet", ADD_ON, "eventHangout", "eventNamedHangout"})
"""The documented ``conferenceSolution.key.type`` values (the ``eventHangout`` ones are
deprecated but may still appear on existing events)."""

PARAMETERS_PATH: Final = "parameters.addOnParameters.parameters"
"""Path of the add-on parameter map; one parameter is ``PARAMETERS_PATH + '["key"]'``."""

_REQUEST_STATUS_CODES: Final = frozenset({"pending", "success", "failure"})
_REGION_CODE: Final = re.compile(r"[A-Z]{2}|[0-9]{3}")


class EntryPointType(StrEnum):
    """How an entry point joins the conference (``entryPointType``)."""

    VIDEO = "video"
    PHONE = "phone"
    SIP = "sip"
    MORE = "more"


class EntryPointFeature(StrEnum):
    """Features of a phone entry point (``entryPointFeatures``)."""

    TOLL = "toll"
    TOLL_FREE = "toll_free"


class ConferenceErrorType(StrEnum):
    """Apps Script's ConferenceErrorType: why an add-on could not create a conference."""

    AUTHENTICATION = "AUTHENTICATION"
    CONFERENCE_SOLUTION_FORBIDDEN = "CONFERENCE_SOLUTION_FORBIDDEN"
    PERMANENT = "PERMANENT"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    TEMPORARY = "TEMPORARY"
    UNKNOWN = "UNKNOWN"


# Per entry point type: the accepted URI schemes and how many such entry points may exist.
_SCHEMES: Final[Mapping[str, tuple[str, ...]]] = {
    EntryPointType.VIDEO: ("http:", "https:"),
    EntryPointType.PHONE: ("tel:",),
    EntryPointType.SIP: ("sip:",),
    EntryPointType.MORE: ("http:", "https:"),
}
_AT_MOST_ONE: Final = frozenset({EntryPointType.VIDEO, EntryPointType.SIP, EntryPointType.MORE})
_FEATURES: Final = frozenset(feature.value for feature in EntryPointFeature)

# The access code fields: Python attribute of EntryPoint -> REST field.
_CODE_FIELDS: Final = (
    ("pin", "pin"),
    ("access_code", "accessCode"),
    ("meeting_code", "meetingCode"),
    ("passcode", "passcode"),
    ("password", "password"),
)


# --- REST wire shapes ---------------------------------------------------------------------


class ConferenceSolutionKeyJson(TypedDict):
    """``conferenceSolution.key`` / ``createRequest.conferenceSolutionKey``."""

    type: str


class ConferenceSolutionJson(TypedDict, total=False):
    """``conferenceSolution``."""

    key: Required[ConferenceSolutionKeyJson]
    name: str
    iconUri: str


class EntryPointJson(TypedDict, total=False):
    """One of ``entryPoints``."""

    entryPointType: Required[str]
    uri: Required[str]
    label: str
    pin: str
    accessCode: str
    meetingCode: str
    passcode: str
    password: str
    regionCode: str
    entryPointFeatures: list[str]


class AddOnParametersJson(TypedDict, total=False):
    """``parameters.addOnParameters``."""

    parameters: dict[str, str]


class ConferenceParametersJson(TypedDict, total=False):
    """``parameters``."""

    addOnParameters: AddOnParametersJson


class ConferenceRequestStatusJson(TypedDict, total=False):
    """``createRequest.status``."""

    statusCode: str


class CreateConferenceRequestJson(TypedDict, total=False):
    """``createRequest`` (Meet conferences; never written by an add-on)."""

    requestId: str
    conferenceSolutionKey: ConferenceSolutionKeyJson
    status: ConferenceRequestStatusJson


class ConferenceDataJson(TypedDict, total=False):
    """``Event.conferenceData``."""

    conferenceId: str
    conferenceSolution: ConferenceSolutionJson
    entryPoints: list[EntryPointJson]
    parameters: ConferenceParametersJson
    notes: str
    signature: str
    createRequest: CreateConferenceRequestJson


_DATA_FIELDS: Final = frozenset(ConferenceDataJson.__annotations__)
_SOLUTION_FIELDS: Final = frozenset(ConferenceSolutionJson.__annotations__)
_KEY_FIELDS: Final = frozenset(ConferenceSolutionKeyJson.__annotations__)
_ENTRY_POINT_FIELDS: Final = frozenset(EntryPointJson.__annotations__)
_PARAMETERS_FIELDS: Final = frozenset(ConferenceParametersJson.__annotations__)
_ADD_ON_PARAMETERS_FIELDS: Final = frozenset(AddOnParametersJson.__annotations__)
_CREATE_REQUEST_FIELDS: Final = frozenset(CreateConferenceRequestJson.__annotations__)
_STATUS_FIELDS: Final = frozenset(ConferenceRequestStatusJson.__annotations__)


# --- Our records ---------------------------------------------------------------------------


def _wire(value: object) -> Any:
    """An enum member as its plain value (so built dicts hold only JSON types)."""
    return value.value if isinstance(value, Enum) else value


@dataclass(frozen=True)
class EntryPoint:
    """One way to join the conference (Apps Script's EntryPoint, plus ``label``).

    Fill only the access code fields the provider's own terminology uses; ``region_code``
    and ``features`` are for phone entry points only; ``label`` is not for ``more``.
    """

    type: EntryPointType
    uri: str
    label: str | None = None
    pin: str | None = None
    access_code: str | None = None
    meeting_code: str | None = None
    passcode: str | None = None
    password: str | None = None
    region_code: str | None = None
    features: tuple[EntryPointFeature, ...] = ()

    def as_json(self) -> EntryPointJson:
        """The REST shape, holding only the fields that are set (not validated)."""
        data: EntryPointJson = {"entryPointType": _wire(self.type), "uri": self.uri}
        if self.label is not None:
            data["label"] = self.label
        if self.pin is not None:
            data["pin"] = self.pin
        if self.access_code is not None:
            data["accessCode"] = self.access_code
        if self.meeting_code is not None:
            data["meetingCode"] = self.meeting_code
        if self.passcode is not None:
            data["passcode"] = self.passcode
        if self.password is not None:
            data["password"] = self.password
        if self.region_code is not None:
            data["regionCode"] = self.region_code
        if self.features:
            data["entryPointFeatures"] = [_wire(feature) for feature in self.features]
        return data


@dataclass(frozen=True)
class ConferenceSolution:
    """The solution the user picked: its user-visible name and icon."""

    name: str
    icon_uri: str

    def as_json(self) -> ConferenceSolutionJson:
        """The REST shape of an add-on solution (``key.type`` is ``addOn``)."""
        return {"key": {"type": ADD_ON}, "name": self.name, "iconUri": self.icon_uri}


# --- Validation ----------------------------------------------------------------------------


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _child(path: str, key: object) -> str:
    if not isinstance(key, str):
        return f"{path}[{key!r}]"
    return f"{path}.{key}" if path else key


def _parameter_path(key: str) -> str:
    return f"{PARAMETERS_PATH}[{json.dumps(key, ensure_ascii=False)}]"


def _require_mapping(value: object, path: str, allowed: frozenset[str]) -> Mapping[Any, Any]:
    """``value`` as a mapping holding only ``allowed`` keys (``path`` "" is the root)."""
    if not isinstance(value, Mapping):
        where = path or "conferenceData"
        raise InvalidConferenceData(where, f"must be an object, got {_type_name(value)}")
    for key in value:
        if key not in allowed:
            raise InvalidConferenceData(_child(path, key), "unknown field")
    return value


def _require_list(value: object, path: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidConferenceData(path, f"must be a list, got {_type_name(value)}")
    return value


def _check_string(value: object, path: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise InvalidConferenceData(path, f"must be a string, got {_type_name(value)}")
    if max_length is not None and len(value) > max_length:
        raise InvalidConferenceData(
            path, f"at most {max_length} characters allowed, got {len(value)}"
        )
    return value


def _has_scheme(uri: str, schemes: tuple[str, ...]) -> bool:
    for scheme in schemes:
        prefix = uri[: len(scheme)]
        if prefix.isascii() and prefix.lower() == scheme and uri[len(scheme) :].strip():
            return True
    return False


def _check_solution_key(value: object, path: str) -> None:
    key = _require_mapping(value, path, _KEY_FIELDS)
    if "type" not in key:
        raise InvalidConferenceData(f"{path}.type", "is required")
    key_type = _check_string(key["type"], f"{path}.type")
    if key_type not in SOLUTION_KEY_TYPES:
        raise InvalidConferenceData(
            f"{path}.type", f"must be one of {', '.join(sorted(SOLUTION_KEY_TYPES))}"
        )


def _check_solution(value: object) -> None:
    path = "conferenceSolution"
    solution = _require_mapping(value, path, _SOLUTION_FIELDS)
    if "key" not in solution:
        raise InvalidConferenceData(f"{path}.key", "is required")
    _check_solution_key(solution["key"], f"{path}.key")
    for name in ("name", "iconUri"):
        if name in solution:
            _check_string(solution[name], f"{path}.{name}")


def _check_create_request(value: object) -> None:
    path = "createRequest"
    request = _require_mapping(value, path, _CREATE_REQUEST_FIELDS)
    if "requestId" in request:
        _check_string(request["requestId"], f"{path}.requestId")
    if "conferenceSolutionKey" in request:
        _check_solution_key(request["conferenceSolutionKey"], f"{path}.conferenceSolutionKey")
    if "status" in request:
        status = _require_mapping(request["status"], f"{path}.status", _STATUS_FIELDS)
        if "statusCode" in status:
            code_path = f"{path}.status.statusCode"
            if _check_string(status["statusCode"], code_path) not in _REQUEST_STATUS_CODES:
                raise InvalidConferenceData(
                    code_path, f"must be one of {', '.join(sorted(_REQUEST_STATUS_CODES))}"
                )


def _check_features(value: object, path: str) -> None:
    features = _require_list(value, path)
    seen: set[str] = set()
    for feature in features:
        if not isinstance(feature, str):
            raise InvalidConferenceData(path, f"values must be strings, got {_type_name(feature)}")
        if feature not in _FEATURES:
            raise InvalidConferenceData(
                path, f"unknown feature, allowed: {', '.join(sorted(_FEATURES))}"
            )
        if feature in seen:
            raise InvalidConferenceData(path, f"feature {feature} listed twice")
        seen.add(feature)
    if seen >= _FEATURES:
        raise InvalidConferenceData(path, "toll and toll_free cannot both be set")


def _check_entry_point(value: object, path: str) -> str:
    """Checks the rules of one entry point on its own; returns its type."""
    entry = _require_mapping(value, path, _ENTRY_POINT_FIELDS)

    type_path = f"{path}.entryPointType"
    if "entryPointType" not in entry:
        raise InvalidConferenceData(type_path, "is required")
    kind = _check_string(entry["entryPointType"], type_path)
    if kind not in _SCHEMES:
        raise InvalidConferenceData(type_path, f"must be one of {', '.join(_SCHEMES)}")

    uri_path = f"{path}.uri"
    if "uri" not in entry:
        raise InvalidConferenceData(uri_path, "is required")
    uri = _check_string(entry["uri"], uri_path, MAX_URI_LENGTH)
    if not _has_scheme(uri, _SCHEMES[kind]):
        raise InvalidConferenceData(
            uri_path, f"a {kind} entry point needs a {' or '.join(_SCHEMES[kind])} URI"
        )

    if "label" in entry:
        if kind == EntryPointType.MORE:
            raise InvalidConferenceData(f"{path}.label", "not allowed on a more entry point")
        _check_string(entry["label"], f"{path}.label", MAX_LABEL_LENGTH)

    for _, field in _CODE_FIELDS:
        if field in entry:
            _check_string(entry[field], f"{path}.{field}", MAX_CODE_LENGTH)

    if "regionCode" in entry:
        region_path = f"{path}.regionCode"
        if kind != EntryPointType.PHONE:
            raise InvalidConferenceData(region_path, "only allowed on a phone entry point")
        region = _check_string(entry["regionCode"], region_path)
        if not _REGION_CODE.fullmatch(region):
            raise InvalidConferenceData(
                region_path, "must be a CLDR/ISO 3166 region code (two uppercase letters)"
            )

    if "entryPointFeatures" in entry:
        features_path = f"{path}.entryPointFeatures"
        if kind != EntryPointType.PHONE:
            raise InvalidConferenceData(features_path, "only allowed on a phone entry point")
        _check_features(entry["entryPointFeatures"], features_path)

    return kind


def _check_entry_points(value: object) -> int:
    """Checks the entry point list; returns how many there are."""
    path = "entryPoints"
    entries = _require_list(value, path)
    if len(entries) > MAX_ENTRY_POINTS:
        raise InvalidConferenceData(
            path, f"at most {MAX_ENTRY_POINTS} entry points allowed, got {len(entries)}"
        )
    kinds = [_check_entry_point(entry, f"{path}[{index}]") for index, entry in enumerate(entries)]
    seen: set[str] = set()
    for index, kind in enumerate(kinds):
        if kind in _AT_MOST_ONE and kind in seen:
            raise InvalidConferenceData(
                f"{path}[{index}].entryPointType", f"at most one {kind} entry point allowed"
            )
        seen.add(kind)
    if seen == {EntryPointType.MORE}:
        raise InvalidConferenceData(path, "a conference whose only entry point is more is invalid")
    return len(entries)


def _check_parameter(key: object, value: object) -> None:
    if not isinstance(key, str):
        raise InvalidConferenceData(PARAMETERS_PATH, f"keys must be strings, got {_type_name(key)}")
    path = _parameter_path(key)
    if not 1 <= len(key) <= MAX_PARAMETER_KEY_LENGTH:
        raise InvalidConferenceData(
            path, f"key must be 1 to {MAX_PARAMETER_KEY_LENGTH} characters, got {len(key)}"
        )
    _check_string(value, path, MAX_PARAMETER_VALUE_LENGTH)


def _check_parameters(value: object) -> None:
    parameters = _require_mapping(value, "parameters", _PARAMETERS_FIELDS)
    if "addOnParameters" not in parameters:
        return
    add_on = _require_mapping(
        parameters["addOnParameters"], "parameters.addOnParameters", _ADD_ON_PARAMETERS_FIELDS
    )
    if "parameters" not in add_on:
        return
    values = add_on["parameters"]
    if not isinstance(values, Mapping):
        raise InvalidConferenceData(PARAMETERS_PATH, f"must be an object, got {_type_name(values)}")
    if len(values) > MAX_PARAMETERS:
        raise InvalidConferenceData(
            PARAMETERS_PATH, f"at most {MAX_PARAMETERS} parameters allowed, got {len(values)}"
        )
    for key, item in values.items():
        _check_parameter(key, item)


def validate_conference_data(data: Mapping[str, Any]) -> None:
    """Checks a REST ConferenceData dict against every Calendar rule (see the module doc).

    Raises :class:`InvalidConferenceData` naming the first offending field.
    """
    data = _require_mapping(data, "", _DATA_FIELDS)
    if "conferenceId" in data:
        _check_string(data["conferenceId"], "conferenceId", MAX_CONFERENCE_ID_LENGTH)
    if "conferenceSolution" in data:
        _check_solution(data["conferenceSolution"])
    entry_points = _check_entry_points(data["entryPoints"]) if "entryPoints" in data else 0
    if "parameters" in data:
        _check_parameters(data["parameters"])
    if "notes" in data:
        _check_string(data["notes"], "notes", MAX_NOTES_LENGTH)
    if "signature" in data:
        _check_string(data["signature"], "signature")
    if "createRequest" in data:
        _check_create_request(data["createRequest"])
        return
    if "conferenceSolution" not in data:
        raise InvalidConferenceData(
            "conferenceSolution", "required (with at least one entry point) without createRequest"
        )
    if entry_points == 0:
        raise InvalidConferenceData(
            "entryPoints", "at least one entry point is required without createRequest"
        )


# --- Builder ------------------------------------------------------------------------------


class ConferenceDataBuilder:
    """Builds an add-on's ConferenceData, like Apps Script's ConferenceDataBuilder.

    Each setter returns the builder; ``build()`` returns the validated REST JSON, with
    entry points and parameters in the order they were added and only the fields that
    were set. A builder can be built more than once; each result is a fresh dict.
    """

    def __init__(self) -> None:
        self._conference_id: str | None = None
        self._solution: ConferenceSolution | None = None
        self._entry_points: list[EntryPoint] = []
        self._parameters: dict[str, str] = {}
        self._notes: str | None = None

    def set_conference_id(self, conference_id: str) -> ConferenceDataBuilder:
        """Sets the provider's id of the conference (at most 512 characters)."""
        self._conference_id = _check_string(conference_id, "conferenceId", MAX_CONFERENCE_ID_LENGTH)
        return self

    def add_entry_point(self, entry_point: EntryPoint) -> ConferenceDataBuilder:
        """Appends an entry point (at most 300; its own rules are checked right away)."""
        path = f"entryPoints[{len(self._entry_points)}]"
        if len(self._entry_points) >= MAX_ENTRY_POINTS:
            raise InvalidConferenceData(
                "entryPoints", f"at most {MAX_ENTRY_POINTS} entry points allowed"
            )
        if not isinstance(entry_point, EntryPoint):
            raise InvalidConferenceData(
                path, f"must be an EntryPoint, got {_type_name(entry_point)}"
            )
        _check_entry_point(entry_point.as_json(), path)
        self._entry_points.append(entry_point)
        return self

    def add_conference_parameter(self, key: str, value: str) -> ConferenceDataBuilder:
        """Adds an add-on parameter (at most 300; key 1..50, value at most 1024 characters).

        A key can be added once: the REST shape is a map, so a second value would silently
        replace the first.
        """
        _check_parameter(key, value)
        if key in self._parameters:
            raise InvalidConferenceData(_parameter_path(key), "parameter added twice")
        if len(self._parameters) >= MAX_PARAMETERS:
            raise InvalidConferenceData(
                PARAMETERS_PATH, f"at most {MAX_PARAMETERS} parameters allowed"
            )
        self._parameters[key] = value
        return self

    def set_notes(self, notes: str) -> ConferenceDataBuilder:
        """Sets the notes shown with the conference (HTML allowed, at most 2048 characters)."""
        self._notes = _check_string(notes, "notes", MAX_NOTES_LENGTH)
        return self

    def set_conference_solution(self, solution: ConferenceSolution) -> ConferenceDataBuilder:
        """Sets the solution (name and icon) the user picked; its key type is ``addOn``."""
        if not isinstance(solution, ConferenceSolution):
            raise InvalidConferenceData(
                "conferenceSolution",
                f"must be a ConferenceSolution, got {_type_name(solution)}",
            )
        _check_string(solution.name, "conferenceSolution.name")
        _check_string(solution.icon_uri, "conferenceSolution.iconUri")
        self._solution = solution
        return self

    def build(self) -> dict[str, Any]:
        """The validated Calendar v3 REST JSON (camelCase) of the conference."""
        if self._solution is None:
            raise InvalidConferenceData("conferenceSolution", "is required")
        if not self._entry_points:
            raise InvalidConferenceData("entryPoints", "at least one entry point is required")
        data: ConferenceDataJson = {}
        if self._conference_id is not None:
            data["conferenceId"] = self._conference_id
        data["conferenceSolution"] = self._solution.as_json()
        data["entryPoints"] = [entry_point.as_json() for entry_point in self._entry_points]
        if self._parameters:
            data["parameters"] = {"addOnParameters": {"parameters": dict(self._parameters)}}
        if self._notes is not None:
            data["notes"] = self._notes
        result = cast(dict[str, Any], data)
        validate_conference_data(result)
        return result


# --- Errors -------------------------------------------------------------------------------


def conference_error(
    error_type: ConferenceErrorType, authentication_url: str | None = None
) -> dict[str, str]:
    """The ConferenceError an add-on returns instead of conference data.

    ``{"type": "TEMPORARY"}``; with :attr:`ConferenceErrorType.AUTHENTICATION` an
    ``authentication_url`` (http/https, at most 1800 characters) where the user signs in
    may be added as ``authenticationUrl``.
    """
    try:
        kind = ConferenceErrorType(error_type)
    except ValueError as err:
        raise InvalidConferenceData(
            "error.type", f"must be one of {', '.join(ConferenceErrorType)}"
        ) from err
    error = {"type": kind.value}
    if authentication_url is None:
        return error
    path = "error.authenticationUrl"
    if kind is not ConferenceErrorType.AUTHENTICATION:
        raise InvalidConferenceData(path, "only allowed with the AUTHENTICATION error type")
    url = _check_string(authentication_url, path, MAX_AUTHENTICATION_URL_LENGTH)
    try:
        parts = urlsplit(url)
    except ValueError as err:
        raise InvalidConferenceData(path, "must be an absolute http or https URL") from err
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidConferenceData(path, "must be an absolute http or https URL")
    error["authenticationUrl"] = url
    return error
