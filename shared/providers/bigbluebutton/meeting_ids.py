"""BigBlueButton meeting ids derived from conference ids: stable and unguessable.

A BigBlueButton ``meetingID`` is chosen by the caller (2 to 256 characters, no comma;
"A good choice ... is to generate a GUID": API Reference, create). Deriving it from the
conference id with a keyed hash makes ``create`` idempotent across retries and processes
(the same conference always names the same meeting), while nobody without the key can
compute the id of another conference's meeting from its conference id.
"""

from __future__ import annotations

import hashlib
import hmac

#: 40 hex digits: 160 bits of HMAC-SHA256.
MEETING_ID_HEX_DIGITS = 40
#: Keeps these MACs apart from anything else the same key may sign.
_PURPOSE = b"bigbluebutton-meeting-id\x00"


def derive_meeting_id(conference_id: str, secret: str | bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``conference_id`` under ``secret``, cut to
    :data:`MEETING_ID_HEX_DIGITS`. ``secret`` should be a key of the deployment kept
    for this (it never leaves the server; the result is shown in join URLs)."""
    if not conference_id:
        raise ValueError("a conference id is needed")
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("a secret is needed")
    mac = hmac.new(key, _PURPOSE + conference_id.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()[:MEETING_ID_HEX_DIGITS]
