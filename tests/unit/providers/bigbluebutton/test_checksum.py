"""Signing BigBlueButton API calls (``shared.providers.bigbluebutton.checksum``)."""

from __future__ import annotations

import hashlib

import pytest

from shared.providers.bigbluebutton.checksum import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    checksum,
    encode_query,
    signed_query,
    signed_url,
)

# The worked example of the API reference's "API Security Model" section.
DOC_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
DOC_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
DOC_SHA1 = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"


def test_the_documented_example_signs_to_the_documented_checksum() -> None:
    assert checksum("create", DOC_QUERY, DOC_SECRET, "sha1") == DOC_SHA1


def test_the_documented_query_is_what_encode_query_writes() -> None:
    params = [
        ("name", "Test Meeting"),
        ("meetingID", "abc123"),
        ("attendeePW", "111222"),
        ("moderatorPW", "333444"),
    ]

    assert encode_query(params) == DOC_QUERY


@pytest.mark.parametrize(
    ("algorithm", "length"), [("sha1", 40), ("sha256", 64), ("sha384", 96), ("sha512", 128)]
)
def test_each_algorithm_is_the_hex_digest_of_call_query_secret(algorithm: str, length: int) -> None:
    digest = checksum("getMeetingInfo", "meetingID=m1", "s3cret", algorithm)

    assert len(digest) == length
    assert digest == hashlib.new(algorithm, b"getMeetingInfomeetingID=m1s3cret").hexdigest()


def test_sha256_is_the_default() -> None:
    assert DEFAULT_ALGORITHM == "sha256"
    assert checksum("end", "meetingID=m1", "k") == checksum("end", "meetingID=m1", "k", "sha256")
    assert ALGORITHMS == ("sha1", "sha256", "sha384", "sha512")


def test_the_digest_is_over_utf8() -> None:
    digest = checksum("create", "name=%C3%84", "k")

    assert digest == hashlib.sha256(b"createname=%C3%84k").hexdigest()
    assert checksum("create", "name=Ä", "k") == hashlib.sha256("createname=Äk".encode()).hexdigest()


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("Team Meeting", "Team+Meeting"),
        ("C++ review", "C%2B%2B+review"),
        ("a~b_c.d-e", "a~b_c.d-e"),
        ("Åsa & Ärlig=1", "%C3%85sa+%26+%C3%84rlig%3D1"),
        ("会議 😀", "%E4%BC%9A%E8%AD%B0+%F0%9F%98%80"),
        ("a/b?c#d,e", "a%2Fb%3Fc%23d%2Ce"),
    ],
)
def test_values_are_form_encoded_in_utf8(value: str, encoded: str) -> None:
    assert encode_query([("name", value)]) == f"name={encoded}"


def test_the_order_of_parameters_is_kept() -> None:
    assert encode_query([("b", "1"), ("a", "2"), ("b", "3")]) == "b=1&a=2&b=3"


@pytest.mark.parametrize(
    "params",
    [
        [("checksum", "x")],
        [("name", "a\x00b")],
        [("name", "line\nbreak")],
        [("", "x")],
        [("na\tme", "x")],
    ],
    ids=["checksum", "nul", "newline", "empty-name", "tab-in-name"],
)
def test_what_bigbluebutton_cannot_take_is_refused(params: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError, match=r"checksum|control|empty"):
        encode_query(params)


@pytest.mark.parametrize(
    ("call", "algorithm", "secret"),
    [
        ("create", "md5", "k"),
        ("create?x", "sha256", "k"),
        ("", "sha256", "k"),
        ("end", "sha256", ""),
    ],
    ids=["md5", "call-with-query", "no-call", "no-secret"],
)
def test_bad_signing_inputs_are_refused(call: str, algorithm: str, secret: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own message)
        checksum(call, "meetingID=m1", secret, algorithm)


def test_the_checksum_is_appended_to_the_query() -> None:
    digest = checksum("end", "meetingID=m1", "k")

    assert signed_query("end", "meetingID=m1", "k") == f"meetingID=m1&checksum={digest}"
    assert signed_query("getMeetings", "", "k") == f"checksum={checksum('getMeetings', '', 'k')}"


@pytest.mark.parametrize(
    "api_url", ["https://bbb.example/bigbluebutton/api", "https://bbb.example/bigbluebutton/api/"]
)
def test_a_signed_url_sends_the_signed_query(api_url: str) -> None:
    url = signed_url(api_url, "end", [("meetingID", "m 1")], "k", "sha1")

    digest = checksum("end", "meetingID=m+1", "k", "sha1")
    assert url == f"https://bbb.example/bigbluebutton/api/end?meetingID=m+1&checksum={digest}"
