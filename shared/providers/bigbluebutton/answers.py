"""Reading BigBlueButton's XML answers safely, with the standard library only.

bbb-web answers every call with an XML ``<response>`` whose ``returncode`` is ``SUCCESS``
or ``FAILED``; a FAILED one carries ``messageKey`` (stable) and ``message`` (English text
that "may change with time") (API Reference, "API Calls", "Error handling").

An answer comes from the network, so it is read defensively (defusedxml is not a
dependency): it must be UTF-8 (an XML declaration naming another encoding is refused:
expat would decode e.g. UTF-7 through Python's codecs, hiding what follows from any check);
it must not hold a document type declaration or an entity declaration (no DTD means no
entity expansion and no external entities: only XML's five predefined entities remain);
it is at most :data:`MAX_ANSWER_BYTES`. Anything else, or XML that does not parse or is not
a ``<response>`` with a known returncode, is an :class:`UnreadableAnswer`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

#: The largest answer read (a getMeetingInfo of a meeting with hundreds of attendees
#: stays well below).
MAX_ANSWER_BYTES = 2_000_000
RETURN_CODES = ("SUCCESS", "FAILED")
_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*\?>")
_ENCODING = re.compile(r"""encoding\s*=\s*["']([^"']*)["']""")
_UTF8 = ("utf-8", "utf8")


class UnreadableAnswer(ValueError):
    """The answer is not a BigBlueButton XML response this module is willing to read.
    The message says why, never what the answer held."""


@dataclass(frozen=True)
class ApiAnswer:
    """A parsed ``<response>``."""

    returncode: str
    message_key: str
    message: str
    root: ET.Element

    @property
    def succeeded(self) -> bool:
        return self.returncode == "SUCCESS"

    def text(self, tag: str) -> str | None:
        """The text of the direct child ``tag`` ("" when empty), or None if absent."""
        child = self.root.find(tag)
        return None if child is None else (child.text or "").strip()

    def children(self, path: str) -> Iterator[ET.Element]:
        """The elements at ``path`` (e.g. ``attendees/attendee``)."""
        return iter(self.root.findall(path))


def parse_answer(body: bytes) -> ApiAnswer:
    """The answer in ``body``, or :class:`UnreadableAnswer`."""
    if len(body) > MAX_ANSWER_BYTES:
        raise UnreadableAnswer("the answer is too large")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableAnswer("the answer is not UTF-8") from None
    declaration = _DECLARATION.match(text)
    if declaration is not None:
        encoding = _ENCODING.search(declaration.group(0))
        if encoding is not None and encoding.group(1).lower() not in _UTF8:
            raise UnreadableAnswer("the answer declares an encoding other than UTF-8")
        text = text[declaration.end() :]
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise UnreadableAnswer("the answer declares a DTD or entities")
    try:
        root = ET.fromstring(text.encode("utf-8"))  # noqa: S314 (checked above: no DTD)
    except ET.ParseError:
        raise UnreadableAnswer("the answer is not well-formed XML") from None
    if root.tag != "response":
        raise UnreadableAnswer("the answer is not a <response>")
    returncode = (root.findtext("returncode") or "").strip()
    if returncode not in RETURN_CODES:
        raise UnreadableAnswer("the answer has no SUCCESS or FAILED returncode")
    return ApiAnswer(
        returncode=returncode,
        message_key=(root.findtext("messageKey") or "").strip(),
        message=(root.findtext("message") or "").strip(),
        root=root,
    )
