"""Conformance of the local BigBlueButton with the API Security Model: checksums over the
query string as sent, the algorithms, ``checksumError``, and the version call."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
import requests

from local.fakes.bbb_server import BBBServer
from tests.support.bbb_fixtures import (
    MEETING_ID,
    RawBBB,
    Sent,
    send_exactly,
    signed_url,
    xml_of,
)


def _refused_with_checksum_error(answer: Sent) -> None:
    root = xml_of(answer)
    assert root.findtext("returncode") == "FAILED"
    assert root.findtext("messageKey") == "checksumError"
    assert root.findtext("message") == "Checksums do not match"


def test_the_version_needs_no_checksum(bbb: BBBServer) -> None:
    for url in (bbb.api_url, bbb.api_url.rstrip("/")):
        root = xml_of(requests.get(url, timeout=5))

        assert root.findtext("returncode") == "SUCCESS"
        assert root.findtext("version") == "2.0"
        assert root.findtext("apiVersion") == "2.0"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_each_algorithm_is_accepted_and_told_by_length(
    bbb: BBBServer, raw_bbb: RawBBB, algorithm: str
) -> None:
    root = raw_bbb.xml("create", {"name": "Planning", "meetingID": MEETING_ID}, algorithm=algorithm)

    assert root.findtext("returncode") == "SUCCESS"
    assert [call.checksum_algorithm for call in bbb.calls("create")] == [algorithm]
    assert bbb.meeting(MEETING_ID) is not None


def test_an_algorithm_the_server_does_not_support_is_refused(
    bbb: BBBServer, raw_bbb: RawBBB
) -> None:
    bbb.set_algorithms(("sha256", "sha512"))

    refused = raw_bbb.get("create", {"name": "Planning", "meetingID": "m-1"}, algorithm="sha1")
    accepted = raw_bbb.xml("create", {"name": "Planning", "meetingID": "m-2"}, algorithm="sha512")

    _refused_with_checksum_error(refused)
    assert accepted.findtext("returncode") == "SUCCESS"
    assert [m["meetingID"] for m in bbb.meetings()] == ["m-2"]


def test_a_length_that_names_no_algorithm_is_refused(bbb: BBBServer) -> None:
    query = "name=Planning&meetingID=m-1"
    md5 = hashlib.md5(("create" + query + bbb.secret).encode()).hexdigest()  # noqa: S324

    answer = send_exactly(f"{bbb.api_url}create?{query}&checksum={md5}")

    _refused_with_checksum_error(answer)
    assert bbb.meetings() == []


def test_a_wrong_secret_is_refused_and_nothing_is_done(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    answer = raw_bbb.get("create", {"name": "Planning", "meetingID": "m-1"}, secret="wrong")

    assert answer.status_code == 200
    _refused_with_checksum_error(answer)
    assert bbb.meetings() == []
    assert bbb.calls("create")[0].message_key == "checksumError"


def test_a_missing_checksum_is_refused(bbb: BBBServer) -> None:
    answer = send_exactly(f"{bbb.api_url}create?name=Planning&meetingID=m-1")

    _refused_with_checksum_error(answer)


def test_the_checksum_may_be_written_in_capitals(bbb: BBBServer) -> None:
    url = signed_url(bbb, "create", "name=Planning&meetingID=m-1")
    base, checksum = url.rsplit("checksum=", 1)

    root = xml_of(send_exactly(base + "checksum=" + checksum.upper()))

    assert root.findtext("returncode") == "SUCCESS"


def test_the_checksum_may_come_first(bbb: BBBServer) -> None:
    query = "name=Planning&meetingID=m-1"
    checksum = hashlib.sha256(("create" + query + bbb.secret).encode()).hexdigest()

    root = xml_of(send_exactly(f"{bbb.api_url}create?checksum={checksum}&{query}"))

    assert root.findtext("returncode") == "SUCCESS"


def test_the_checksum_covers_the_call_name(bbb: BBBServer, raw_bbb: RawBBB) -> None:
    raw_bbb.create()
    signed_for_end = signed_url(bbb, "end", f"meetingID={MEETING_ID}")
    as_info = signed_for_end.replace("/end?", "/getMeetingInfo?")

    _refused_with_checksum_error(send_exactly(as_info))
    assert bbb.meeting(MEETING_ID) is not None


def test_parameters_in_another_order_than_signed_are_refused(bbb: BBBServer) -> None:
    signed = signed_url(bbb, "create", "name=Planning&meetingID=m-1")
    checksum = signed.rsplit("checksum=", 1)[1]

    answer = send_exactly(f"{bbb.api_url}create?meetingID=m-1&name=Planning&checksum={checksum}")

    _refused_with_checksum_error(answer)


@pytest.mark.parametrize(
    ("signed", "sent"),
    [
        ("name=Team+Meeting", "name=Team%20Meeting"),
        ("name=Team%20Meeting", "name=Team+Meeting"),
        ("name=a%7Eb", "name=a~b"),
        ("name=%C3%84rzte", "name=%c3%84rzte"),
    ],
    ids=["plus-vs-%20", "%20-vs-plus", "%7E-vs-tilde", "hex-case"],
)
def test_the_checksum_signs_the_query_exactly_as_sent(
    bbb: BBBServer, signed: str, sent: str
) -> None:
    query = f"{signed}&meetingID=m-1"
    checksum = signed_url(bbb, "create", query).rsplit("checksum=", 1)[1]

    answer = send_exactly(f"{bbb.api_url}create?{sent}&meetingID=m-1&checksum={checksum}")

    _refused_with_checksum_error(answer)
    assert bbb.calls("create")[0].raw_query.startswith(sent)


@pytest.mark.parametrize(
    ("query_name", "name"),
    [
        ("Team+Meeting", "Team Meeting"),
        ("Team%20Meeting", "Team Meeting"),
        ("C%2B%2B+review", "C++ review"),
        ("a~b", "a~b"),
        ("a%7Eb", "a~b"),
        (quote("Überprüfung 会議 😀"), "Überprüfung 会議 😀"),
    ],
)
def test_any_encoding_is_accepted_when_signed_as_sent(
    bbb: BBBServer, raw_bbb: RawBBB, query_name: str, name: str
) -> None:
    root = raw_bbb.xml("create", f"name={query_name}&meetingID=m-1")
    info = raw_bbb.xml("getMeetingInfo", "meetingID=m-1")

    assert root.findtext("returncode") == "SUCCESS"
    assert info.findtext("meetingName") == name
    assert bbb.calls("create")[0].raw_query.startswith(f"name={query_name}&")
