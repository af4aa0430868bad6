"""Channel ids: ours are valid document ids; a message's id that cannot be one is an
unknown channel, answered without a Firestore read."""

from __future__ import annotations

from typing import Any

import pytest

from shared.http.push_message import CHANNEL_ID
from shared.state.channels import ChannelStore, new_channel_secrets
from shared.state.firestore_client import is_document_id


class NoReads:
    """A Firestore client stand-in that fails any use beyond naming the collection."""

    def collection(self, name: str) -> NoReads:
        return self

    def document(self, *path: str) -> Any:
        raise AssertionError("a document was named")


@pytest.mark.parametrize("channel_id", ["a/b", "/", "a//b", "__x__", "____", ".", "..", ""])
def test_a_channel_id_that_cannot_be_a_document_id_is_unknown_without_a_read(
    channel_id: str,
) -> None:
    store = ChannelStore(NoReads())  # type: ignore[arg-type]

    assert store.get_channel(channel_id) is None


def test_our_channel_ids_are_valid_for_calendar_and_firestore() -> None:
    for _ in range(200):
        channel_id, token = new_channel_secrets()

        assert CHANNEL_ID.fullmatch(channel_id)
        assert is_document_id(channel_id)
        assert len(token) <= 256
