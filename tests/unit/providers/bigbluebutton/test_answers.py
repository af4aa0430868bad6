"""Reading BigBlueButton's XML answers safely (``shared.providers.bigbluebutton.answers``)."""

from __future__ import annotations

import time

import pytest

from shared.providers.bigbluebutton.answers import (
    MAX_ANSWER_BYTES,
    UnreadableAnswer,
    parse_answer,
)


def test_a_success_answer_is_read() -> None:
    answer = parse_answer(
        b"<response><returncode>SUCCESS</returncode><running>true</running>"
        b"<attendees><attendee><userID>a</userID></attendee><attendee><userID>b</userID>"
        b"</attendee></attendees></response>"
    )

    assert answer.succeeded
    assert answer.returncode == "SUCCESS"
    assert answer.text("running") == "true"
    assert answer.text("missing") is None
    assert [e.findtext("userID") for e in answer.children("attendees/attendee")] == ["a", "b"]
    assert (answer.message_key, answer.message) == ("", "")


def test_a_failed_answer_keeps_its_key_and_message() -> None:
    answer = parse_answer(
        b"<response>\n  <returncode>FAILED</returncode>\n  <messageKey>notFound</messageKey>\n"
        b"  <message>A meeting with that ID does not exist</message>\n</response>"
    )

    assert not answer.succeeded
    assert answer.message_key == "notFound"
    assert answer.message == "A meeting with that ID does not exist"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="UTF-8"?><response><returncode>SUCCESS</returncode>'
        b"<name>B &amp; C \xc3\x84</name></response>",
        b"\xef\xbb\xbf<response><returncode>SUCCESS</returncode>"
        b"<name>B &amp; C \xc3\x84</name></response>",
        b"<?xml version='1.0'?>\n<response><returncode>SUCCESS</returncode>"
        b"<name>B &#38; C &#196;</name></response>",
    ],
    ids=["utf8-declaration", "bom", "no-encoding-named"],
)
def test_utf8_answers_with_a_declaration_or_bom_are_read(body: bytes) -> None:
    assert parse_answer(body).text("name") == "B & C Ä"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><response><returncode>SUCCESS</returncode><x>&lol9;</x></response>"
)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (BILLION_LAUGHS, "DTD"),
        (
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<response><returncode>SUCCESS</returncode><x>&x;</x></response>",
            "DTD",
        ),
        (b"<!doctype response><response><returncode>SUCCESS</returncode></response>", "DTD"),
        (
            b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x+AD4-'
            b"<response><returncode>SUCCESS</returncode></response>",
            "encoding",
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?><response><returncode>SUCCESS'
            b"</returncode></response>",
            "encoding",
        ),
        (b"<response><returncode>SUCCESS</returncode><n>\xc4</n></response>", "UTF-8"),
        ("<response><returncode>SUCCESS</returncode></response>".encode("utf-16"), "UTF-8"),
        (b"<response><returncode>SUCC", "well-formed"),
        (b"<html><body>502 Bad Gateway</body></html>", "response"),
        (b"<response><running>true</running></response>", "returncode"),
        (b"<response><returncode>ERR</returncode></response>", "returncode"),
        (b"", "well-formed"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "lowercase-doctype",
        "utf7",
        "latin1",
        "not-utf8",
        "utf16",
        "truncated",
        "html",
        "no-returncode",
        "unknown-returncode",
        "empty",
    ],
)
def test_unsafe_or_unreadable_answers_are_refused(body: bytes, why: str) -> None:
    started = time.monotonic()

    with pytest.raises(UnreadableAnswer, match=why):
        parse_answer(body)

    assert time.monotonic() - started < 1.0  # nothing was expanded


def test_an_answer_too_large_is_refused_before_parsing() -> None:
    body = (
        b"<response><returncode>SUCCESS</returncode><x>"
        + b"a" * MAX_ANSWER_BYTES
        + b"</x></response>"
    )

    with pytest.raises(UnreadableAnswer, match="too large"):
        parse_answer(body)


def test_the_refusal_never_repeats_the_answer() -> None:
    with pytest.raises(UnreadableAnswer) as caught:
        parse_answer(b"<response><returncode>SECRET-VALUE</returncode></response>")

    assert "SECRET-VALUE" not in str(caught.value)
