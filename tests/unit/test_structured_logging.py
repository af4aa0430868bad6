"""JSON log lines: one object a record, with severity, that never fails to be written."""

from __future__ import annotations

import io
import json
import logging

from shared.structured_logging import JsonFormatter, fields


def write(message: str, **extra: object) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.structured_logging")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, extra=fields(**extra))
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    text.encode("utf-8")  # what a UTF-8 stream would have to write
    line: dict[str, object] = json.loads(text)
    return line


def test_a_line_carries_severity_message_and_fields() -> None:
    line = write("calendar synced", calendar_id="team@example.com")

    assert (line["severity"], line["message"]) == ("WARNING", "calendar synced")
    assert line["calendar_id"] == "team@example.com"


def test_text_that_is_not_valid_unicode_never_breaks_the_line() -> None:
    line = write("odd \ud800 input", event_id="\udfff", name="Zoë")

    assert line["message"] == "odd \ud800 input"
    assert line["event_id"] == "\udfff"
    assert line["name"] == "Zoë"
