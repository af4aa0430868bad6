"""The Firestore client, created lazily once per instance, error translation, and the
rule for document ids."""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterator
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared.errors import DocumentGone, TransientFailure

_lock = threading.Lock()
_clients: dict[str, firestore.Client] = {}

#: Firestore's limit on a document id, in UTF-8 bytes.
MAX_DOCUMENT_ID_BYTES = 1500
_RESERVED_ID = re.compile(r"__.*__", re.DOTALL)


def firestore_client(project: str) -> firestore.Client:
    """The process's client for ``project`` (FIRESTORE_EMULATOR_HOST is honoured)."""
    with _lock:
        client = _clients.get(project)
        if client is None:
            client = firestore.Client(project=project)
            _clients[project] = client
        return client


def is_document_id(value: str) -> bool:
    """Whether ``value`` can be a Firestore document id, as Firestore's constraints say:
    valid UTF-8 of 1 to 1500 bytes, no ``/``, not ``.`` or ``..``, not matching ``__.*__``.

    Check any id that comes from outside before it names a document: Firestore refuses
    the others (the client raises ValueError, the server INVALID_ARGUMENT), and ``a/b``
    would name a document of another collection.
    """
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return (
        0 < size <= MAX_DOCUMENT_ID_BYTES
        and "/" not in value
        and value not in (".", "..")
        and not _RESERVED_ID.fullmatch(value)
    )


def digest(*parts: str) -> str:
    """A document id for a natural key made of ``parts`` (always a valid one)."""
    joined = "\x1f".join(parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """Turn Firestore's transient errors into TransientFailure."""
    try:
        yield
    except (
        gexc.ServiceUnavailable,
        gexc.DeadlineExceeded,
        gexc.Aborted,
        gexc.InternalServerError,
        gexc.TooManyRequests,
        gexc.ResourceExhausted,
    ) as err:
        raise TransientFailure(f"Firestore unavailable during {what}") from err
    except gexc.NotFound as err:  # an update of a document that is gone
        raise DocumentGone(f"document gone during {what}") from err
    except ValueError as err:
        # A transaction that kept meeting contention ("Failed to commit transaction in N
        # attempts") is a ValueError in google-cloud-firestore.
        if "attempts" not in str(err):
            raise
        raise TransientFailure(f"Firestore contention during {what}") from err


def as_dict(snapshot: Any) -> dict[str, Any] | None:
    """A snapshot's data, or None when the document does not exist."""
    if snapshot is None or not snapshot.exists:
        return None
    return fields_of(snapshot)


def fields_of(snapshot: Any) -> dict[str, Any]:
    """The fields of a snapshot we read ourselves, as a new top-level dict.

    ``to_dict()`` deep-copies every nested map and list, which costs as much as decoding
    them when a sync reads a calendar's thousand records; the snapshot is dropped after
    reading, so its data is taken as is (nested values shared with the dropped snapshot).
    A client version without that field is read with ``to_dict()``.
    """
    data = getattr(snapshot, "_data", None)
    if not isinstance(data, dict):
        data = snapshot.to_dict()
    return dict(data) if data else {}
