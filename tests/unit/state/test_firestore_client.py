"""The document-id rule (Firestore's constraints on document ids) and digests."""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.state.firestore_client import (
    MAX_DOCUMENT_ID_BYTES,
    as_dict,
    digest,
    fields_of,
    is_document_id,
)


@pytest.mark.parametrize(
    "value",
    [
        "ch-0123456789abcdef",
        "a",
        "_",
        "__",
        "___",
        "__x_",
        "_x__",
        "...",
        ".a",
        "a.",
        "+=-_",
        "caf\u00e9",
        "\U0001f600",
        "x" * MAX_DOCUMENT_ID_BYTES,
        "\u00e9" * (MAX_DOCUMENT_ID_BYTES // 2),
    ],
)
def test_valid_document_ids(value: str) -> None:
    assert is_document_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "/",
        "a/b",
        "a//b",
        "/a",
        "a/",
        ".",
        "..",
        "____",
        "__x__",
        "__a/b__",
        "__\n__",
        "x" * (MAX_DOCUMENT_ID_BYTES + 1),
        "\u00e9" * (MAX_DOCUMENT_ID_BYTES // 2 + 1),
        "\ud800",
        "a\udfffb",
    ],
)
def test_invalid_document_ids(value: str) -> None:
    assert not is_document_id(value)


# Any code point, with surrogates, slashes, dots and underscores made common.
ID_CHARACTERS = st.one_of(
    st.characters(exclude_categories=()),
    st.integers(min_value=0xD800, max_value=0xDFFF).map(chr),
    st.sampled_from("/._"),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.text(ID_CHARACTERS)
    | st.builds(
        lambda ch, n: ch * n, st.sampled_from(["x", "\u00e9", "\U0001f600"]), st.integers(0, 1600)
    )
)
def test_an_id_is_invalid_exactly_when_it_breaks_a_stated_constraint(value: str) -> None:
    breaks_one = (
        not value
        or "/" in value
        or value in (".", "..")
        or (len(value) >= 4 and value.startswith("__") and value.endswith("__"))
        or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
        or len(value.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_ID_BYTES
    )

    assert is_document_id(value) is not breaks_one


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.text(), min_size=1, max_size=3))
def test_digests_are_always_valid_document_ids(parts: list[str]) -> None:
    assert is_document_id(digest(*parts))


class SnapshotWithoutData:
    """A snapshot of a client version that keeps its fields elsewhere."""

    exists = True

    def to_dict(self) -> dict[str, object]:
        return {"a": 1}


def test_a_snapshots_fields_are_read_without_a_deep_copy_and_as_to_dict_reads_them() -> None:
    from google.cloud.firestore_v1.base_document import DocumentSnapshot

    data = {"state": "ready", "spec": {"title": "x"}, "followers": ["e"]}
    snapshot: Any = DocumentSnapshot(cast(Any, None), data, True, None, None, None)

    fields = fields_of(snapshot)
    fields["state"] = "changed"

    assert fields == {**data, "state": "changed"}
    assert snapshot.to_dict() == data  # a new top-level dict: the snapshot is unchanged
    assert as_dict(snapshot) == data


def test_without_that_field_the_fields_come_from_to_dict() -> None:
    assert fields_of(SnapshotWithoutData()) == {"a": 1}
    assert as_dict(SnapshotWithoutData()) == {"a": 1}
