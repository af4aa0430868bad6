"""The answers of the local BigBlueButton: XML documents, redirects and raw bodies.

bbb-web answers every API call with HTTP 200 and an XML ``<response>`` (errors included:
``returncode`` ``FAILED`` with ``messageKey`` and ``message``); only ``join`` redirects
(docs.bigbluebutton.org, API Reference, "API Calls" and "Error handling"; bbb-web's
freemarker templates ``api-error.ftlx``, ``create-meeting.ftlx``, ...). The templates
write no XML declaration and escape text (``auto_esc``); so does this module.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

#: bbb-web renders its XML with ``contentType: "text/xml"`` (UTF-8).
XML_CONTENT_TYPE = "text/xml;charset=utf-8"

#: A child of ``<response>``: a text value, or nested children (``<attendees>``, ...).
Value: TypeAlias = "str | int | bool | Children | None"
Children: TypeAlias = Sequence[tuple[str, Value]]


@dataclass
class Answer:
    """One HTTP answer: ``body`` with ``content_type``, or a redirect to ``location``."""

    status: int = 200
    body: bytes = b""
    content_type: str = XML_CONTENT_TYPE
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: The returncode and messageKey of an XML answer (for the call log).
    returncode: str | None = None
    message_key: str | None = None


def _text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, children: Children) -> None:
    for tag, value in children:
        child = ET.SubElement(parent, tag)
        if value is None:
            continue
        if isinstance(value, str | int | bool):
            child.text = _text(value)
        else:
            _fill(child, value)


def xml_answer(children: Children) -> Answer:
    """``<response>`` with ``children`` in order; ``returncode`` and ``messageKey`` among
    them are also kept on the answer for the call log."""
    root = ET.Element("response")
    _fill(root, children)
    values = {tag: value for tag, value in children if isinstance(value, str)}
    return Answer(
        body=ET.tostring(root, encoding="utf-8", xml_declaration=False),
        headers={"Cache-Control": "no-cache"},
        returncode=values.get("returncode"),
        message_key=values.get("messageKey") or None,
    )


def failed(key: str, message: str) -> Answer:
    """bbb-web's error answer (``api-error.ftlx``)."""
    return xml_answer([("returncode", "FAILED"), ("messageKey", key), ("message", message)])


def redirect(location: str) -> Answer:
    """A 302 (Grails ``redirect(url: ...)``)."""
    return Answer(status=302, location=location, content_type="text/plain")


def raw(status: int, body: str, content_type: str = "text/html;charset=utf-8") -> Answer:
    return Answer(status=status, body=body.encode("utf-8"), content_type=content_type)
