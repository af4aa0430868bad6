"""A Zoom meeting object as Calendar ConferenceData (private helper of the ``zoom`` provider).

The shape follows what Zoom's own Google Calendar add-on writes (seen on public events):
a ``video`` entry point with the join URL, ``meetingCode`` = the meeting id and
``passcode`` = the meeting passcode; ``phone`` entry points with ``regionCode``, the number
as ``label`` and ``passcode`` = the numeric phone passcode; a ``more`` link; conference id
= the meeting id. The host's ``start_url`` is never read.

Rules of our own:

- Phone URIs are Zoom's one-tap form ``tel:+16465588656,,MEETINGID#,,,,*PASSCODE#``
  (the ``,,,,*PASSCODE#`` part only when the meeting has a phone passcode).
- Order (Calendar shows only the first two phone entry points): Zoom lists the dial-in
  numbers of the host's dial-in countries first, so the first listed country is taken as
  the host's. The first two are its first toll-free number, then its first toll number (a
  toll-free call costs the caller nothing; the toll number works where toll-free does
  not, e.g. from abroad); without a toll-free number its first two numbers. The others
  follow in Zoom's order, duplicates dropped, at most :data:`MAX_PHONE_ENTRY_POINTS`.
- ``more``: ``https://<join URL host>/zoomconference``, Zoom's page of international
  dial-in numbers (the per-meeting ``/u/...`` and add-on invitation links are not
  available through the API); only when the meeting has dial-in numbers.
- ``sip`` (only when the solution's ``sip`` option is on): ``sip:MEETINGID.PASSCODE@
  zoomcrc.com`` with the H.323/SIP passcode (``sip:MEETINGID@zoomcrc.com`` without one).
- Parameters: ``meetingUuid`` (the meeting's uuid) and ``solutionId``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.conferences.conference_data import (
    MAX_CODE_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_PARAMETER_VALUE_LENGTH,
    MAX_URI_LENGTH,
    ConferenceDataBuilder,
    ConferenceSolution,
    EntryPoint,
    EntryPointFeature,
    EntryPointType,
)
from shared.conferences.solutions import Solution
from shared.errors import InvalidConferenceData, TransientFailure

MAX_PHONE_ENTRY_POINTS = 50
SIP_DOMAIN = "zoomcrc.com"
_E164 = re.compile(r"^\+[1-9]\d{5,14}$")
_REGION = re.compile(r"^[A-Z]{2}$")
_DIGITS = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class DialIn:
    number: str  # E.164, e.g. +16465588656
    label: str  # as Zoom writes it, e.g. "+1 6465588656"
    country: str | None  # ISO 3166 alpha-2, when Zoom's value is one
    toll_free: bool | None  # None: Zoom did not say


def _dial_ins(raw: Any) -> list[DialIn]:
    """Zoom's ``settings.global_dial_in_numbers``, cleaned; unusable entries are skipped."""
    found: list[DialIn] = []
    seen: set[str] = set()
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("number"), str):
            continue
        label = " ".join(item["number"].replace("(0)", " ").split())
        number = re.sub(r"[\s().-]", "", label)
        if not _E164.match(number) or number in seen:
            continue
        seen.add(number)
        country = item.get("country")
        kind = item.get("type")
        found.append(
            DialIn(
                number=number,
                label=label[:MAX_LABEL_LENGTH],
                country=country if isinstance(country, str) and _REGION.match(country) else None,
                toll_free={"tollfree": True, "toll": False}.get(kind)
                if isinstance(kind, str)
                else None,
            )
        )
    return found


def order_dial_ins(numbers: list[DialIn]) -> list[DialIn]:
    """The two most useful first (see the module doc), then Zoom's order, capped."""
    if not numbers:
        return []
    home = [n for n in numbers if n.country == numbers[0].country]
    toll_free = next((n for n in home if n.toll_free), None)
    toll = next((n for n in home if n.toll_free is not True), None)
    first = [n for n in (toll_free, toll) if n is not None]
    if len(first) < 2:
        first = home[:2]
    rest = [n for n in numbers if n not in first]
    return (first + rest)[:MAX_PHONE_ENTRY_POINTS]


def meeting_id_of(meeting: Mapping[str, Any]) -> str:
    """The meeting's int64 id as a string (never through a float)."""
    value = meeting.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TransientFailure("Zoom answered a meeting without an id")
    text = str(value)
    if not _DIGITS.match(text):
        raise TransientFailure("Zoom answered a meeting with a malformed id")
    return text


def _code(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_CODE_LENGTH else None


def _numeric(value: Any) -> str | None:
    return value if isinstance(value, str) and _DIGITS.match(value) else None


def build_conference_data(
    meeting: Mapping[str, Any], solution: Solution, logo_url: str
) -> dict[str, Any]:
    """ConferenceData of ``meeting`` (a Zoom meeting object), shown with the solution's name
    and ``logo_url`` (``ADDON_LOGO_URL``); TransientFailure when the
    object lacks what joining needs (``id``, an http(s) ``join_url``) or holds something
    unparsable (a malformed URL)."""
    try:
        return _build_conference_data(meeting, solution, logo_url)
    except InvalidConferenceData:
        raise  # a rule of ours broken: not Zoom's answer
    except ValueError as err:  # urlsplit on "https://[x", and the like
        raise TransientFailure("Zoom answered a meeting that cannot be parsed") from err


def _build_conference_data(
    meeting: Mapping[str, Any], solution: Solution, logo_url: str
) -> dict[str, Any]:
    meeting_id = meeting_id_of(meeting)
    join_url = meeting.get("join_url")
    if (
        not isinstance(join_url, str)
        or len(join_url) > MAX_URI_LENGTH
        or urlsplit(join_url).scheme not in ("https", "http")
        or not urlsplit(join_url).hostname
    ):
        raise TransientFailure("Zoom answered a meeting without a usable join_url")
    join_host = urlsplit(join_url).hostname or "zoom.us"
    phone_passcode = _numeric(meeting.get("pstn_password")) or _numeric(
        meeting.get("h323_password")
    )
    sip_passcode = _numeric(meeting.get("h323_password")) or phone_passcode
    settings = meeting.get("settings")
    numbers = order_dial_ins(
        _dial_ins(settings.get("global_dial_in_numbers") if isinstance(settings, Mapping) else [])
    )

    builder = (
        ConferenceDataBuilder()
        .set_conference_id(meeting_id)
        .set_conference_solution(ConferenceSolution(name=solution.name, icon_uri=logo_url))
        .add_entry_point(
            EntryPoint(
                type=EntryPointType.VIDEO,
                uri=join_url,
                label=join_url.split("://", 1)[1][:MAX_LABEL_LENGTH],
                meeting_code=meeting_id,
                passcode=_code(meeting.get("password")),
            )
        )
    )
    tap = f",,,,*{phone_passcode}#" if phone_passcode else ""
    for dial_in in numbers:
        features: tuple[EntryPointFeature, ...] = ()
        if dial_in.toll_free is not None:
            features = (
                EntryPointFeature.TOLL_FREE if dial_in.toll_free else EntryPointFeature.TOLL,
            )
        builder.add_entry_point(
            EntryPoint(
                type=EntryPointType.PHONE,
                uri=f"tel:{dial_in.number},,{meeting_id}#{tap}",
                label=dial_in.label,
                passcode=phone_passcode,
                region_code=dial_in.country,
                features=features,
            )
        )
    if solution.options.get("sip") is True:
        address = f"{meeting_id}.{sip_passcode}" if sip_passcode else meeting_id
        builder.add_entry_point(
            EntryPoint(
                type=EntryPointType.SIP,
                uri=f"sip:{address}@{SIP_DOMAIN}",
                label=f"{meeting_id}@{SIP_DOMAIN}",
                meeting_code=meeting_id,
                passcode=sip_passcode,
            )
        )
    if numbers:
        builder.add_entry_point(
            EntryPoint(type=EntryPointType.MORE, uri=f"https://{join_host}/zoomconference")
        )
    uuid = meeting.get("uuid")
    if isinstance(uuid, str) and 0 < len(uuid) <= MAX_PARAMETER_VALUE_LENGTH:
        builder.add_conference_parameter("meetingUuid", uuid)
    builder.add_conference_parameter("solutionId", solution.id)
    return builder.build()
