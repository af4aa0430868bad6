"""Meeting ids derived from conference ids (``shared.providers.bigbluebutton.meeting_ids``)."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from shared.providers.bigbluebutton.meeting_ids import MEETING_ID_HEX_DIGITS, derive_meeting_id


def test_the_id_is_stable_for_a_conference_and_secret() -> None:
    assert derive_meeting_id("conf-1", "key") == derive_meeting_id("conf-1", b"key")


def test_the_id_is_hmac_sha256_of_the_conference_id_cut_to_40_hex_digits() -> None:
    expected = hmac.new(b"key", b"bigbluebutton-meeting-id\x00conf-1", hashlib.sha256).hexdigest()

    meeting_id = derive_meeting_id("conf-1", "key")

    assert MEETING_ID_HEX_DIGITS == 40
    assert meeting_id == expected[:40]
    assert re.fullmatch(r"[0-9a-f]{40}", meeting_id)


def test_other_conferences_and_other_secrets_give_other_ids() -> None:
    ids = {
        derive_meeting_id("conf-1", "key"),
        derive_meeting_id("conf-2", "key"),
        derive_meeting_id("conf-1", "other key"),
        derive_meeting_id("conf-1 ", "key"),
    }

    assert len(ids) == 4


def test_the_id_does_not_show_the_conference_id() -> None:
    assert "conf" not in derive_meeting_id("conf-1", "key")
    assert derive_meeting_id("conf-1", "key") != hashlib.sha256(b"conf-1").hexdigest()[:40]


@pytest.mark.parametrize(
    ("conference_id", "secret"), [("", "key"), ("conf-1", ""), ("conf-1", b"")]
)
def test_empty_inputs_are_refused(conference_id: str, secret: str | bytes) -> None:
    with pytest.raises(ValueError, match="needed"):
        derive_meeting_id(conference_id, secret)
