"""Bad input never gets a 5xx: properties over HTTP against the real stack.

Arbitrary ``X-Goog-*`` header values for ``sync_events``, and arbitrary bodies (with a
valid ID token) or ``Authorization`` values for ``create_conference``, must get an answer
below 500; a 4xx carries the JSON error shape and writes nothing; the functions log no
traceback, no ERROR line and no secret. The issue's cases run first as explicit examples.
The generated examples are derandomized and few (``max_examples``), so CI stays fast and
repeatable; the parsers get many more in tests/unit/http/.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.state.channels import ChannelStore
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

HTTP_PROPERTIES = settings(
    deadline=None,
    derandomize=True,
    max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

ALICE = "alice@example.com"
COLLECTIONS = ("conferences", "calendars", "channels", "syncMessages", "syncLeases")


def assert_clean_answer(response: requests.Response) -> dict[str, Any]:
    """Below 500, JSON; a 4xx in the error shape with a message."""
    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        assert body["error"]["code"] == response.status_code
        assert isinstance(body["error"]["message"], str)
        assert body["error"]["message"]
    return body


def state(stack: Stack) -> dict[str, list[str]]:
    return {name: sorted(map(repr, stack.docs(name))) for name in COLLECTIONS}


class LogMark:
    """Reads what the functions logged since the last read."""

    def __init__(self, stack: Stack) -> None:
        self._paths: list[Path] = [p.log_path for p in (stack.create, stack.sync, stack.sweep)]
        self._offsets = [path.stat().st_size for path in self._paths]

    def mark(self) -> None:
        """Forget what was logged so far (an earlier failing example's lines)."""
        self.new_text()

    def new_text(self) -> str:
        chunks = []
        for index, path in enumerate(self._paths):
            with path.open("rb") as log:
                log.seek(self._offsets[index])
                data = log.read()
            self._offsets[index] += len(data)
            chunks.append(data.decode("utf-8", errors="replace"))
        return "".join(chunks)

    def assert_quiet(self, *secrets: str) -> None:
        """No traceback, no ERROR or CRITICAL line and no secret since the last read."""
        text = self.new_text()
        assert "Traceback" not in text
        for raw in text.splitlines():
            if raw.startswith("{"):
                assert json.loads(raw)["severity"] not in {"ERROR", "CRITICAL"}, raw
        for secret in secrets:
            assert secret not in text


@pytest.fixture
def logs(stack: Stack) -> LogMark:
    return LogMark(stack)


# -- sync_events ------------------------------------------------------------------------

CHANNEL_ID = "ch-0123456789abcdef0123456789abcdef01234567"
CHANNEL_TOKEN = "channel-secret-token-value"
RESOURCE_ID = "resource-123"

# Header bytes a client can send and gunicorn hands on: tab, visible ASCII and 0x80-0xFF,
# not starting with whitespace (requests refuses that; gunicorn refuses other control
# bytes itself, with its own 400). Non-ASCII arrives as latin-1 text; lone surrogates
# cannot be carried by HTTP headers.
HEADER_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0x80, max_codepoint=0xFF),
        st.just("\t"),
    ),
    max_size=40,
)
UTF8_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20)


def sendable(value: bytes) -> bytes:
    return value.lstrip(b" \t")


ODD_VALUES = st.one_of(
    HEADER_TEXT.map(lambda text: text.encode("latin-1")),
    UTF8_TEXT.map(lambda text: text.encode("utf-8")),
    st.integers(min_value=2040, max_value=3000).map(lambda n: b"9" * n),  # over our limit
    st.just(b""),
).map(sendable)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(lambda n: str(n).encode()),
    st.sampled_from(["\u00b2", "1\u00b2", "\u0663", "\uff17", "7 ", "0", "+7", "0x7"]).map(
        lambda text: text.encode("utf-8")
    ),
)
DATES = st.builds(
    lambda day, year, time, zone: f"Tue, {day} Nov {year} {time} {zone}".encode(),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=10**15),
    st.sampled_from(["01:13:52", "25:00:00", "99999999999:00:00"]),
    st.sampled_from(["GMT", "-0000", "+9999", "+99999999999", ""]),
)
CHANNEL_IDS = st.one_of(
    st.text("ABCxyz019-_+/=", min_size=1, max_size=70),
    st.sampled_from(["a/b", "/", "__x__", "____", "__" + CHANNEL_ID + "__", ".", ".."]),
).map(str.encode)

GOOD_PUSH = {
    "X-Goog-Channel-ID": CHANNEL_ID.encode(),
    "X-Goog-Message-Number": b"7",
    "X-Goog-Resource-ID": RESOURCE_ID.encode(),
    "X-Goog-Resource-State": b"exists",
    "X-Goog-Resource-URI": b"https://www.googleapis.com/calendar/v3/x",
    "X-Goog-Channel-Expiration": b"Tue, 19 Nov 2030 01:13:52 GMT",
    "X-Goog-Channel-Token": CHANNEL_TOKEN.encode(),
}
ODD_BY_HEADER: dict[str, st.SearchStrategy[bytes]] = {
    "X-Goog-Channel-ID": CHANNEL_IDS | ODD_VALUES,
    "X-Goog-Message-Number": NUMBERS | ODD_VALUES,
    "X-Goog-Resource-ID": ODD_VALUES,
    "X-Goog-Resource-State": st.sampled_from([b"sync", b"not_exists", b"SYNC"]) | ODD_VALUES,
    "X-Goog-Resource-URI": ODD_VALUES,
    "X-Goog-Channel-Expiration": DATES | ODD_VALUES,
    "X-Goog-Channel-Token": ODD_VALUES,
}
# (header, odd value or None: left out)
PUSH_CHANGES = st.sampled_from(sorted(GOOD_PUSH)).flatmap(
    lambda name: st.tuples(st.just(name), ODD_BY_HEADER[name] | st.none())
)


def changed_headers(changes: list[tuple[str, bytes | None]]) -> dict[str, bytes]:
    headers: dict[str, bytes | None] = {**GOOD_PUSH, **dict(changes)}
    return {name: value for name, value in headers.items() if value is not None}


# The right message with one to three headers changed or left out.
PUSH_HEADERS = st.lists(PUSH_CHANGES, min_size=1, max_size=3).map(changed_headers)
# The issue's cases, always run first.
ISSUE_HEADERS = [
    changed_headers([("X-Goog-Channel-ID", b"a/b")]),
    changed_headers([("X-Goog-Channel-ID", b"__x__")]),
    changed_headers([("X-Goog-Message-Number", "\u00b2".encode("latin-1"))]),
    changed_headers([("X-Goog-Channel-Expiration", b"Tue, 19 Nov 99999999999 01:13:52 GMT")]),
]


def with_issue_headers(**more: Any) -> Callable[[Any], Any]:
    def decorate(test: Any) -> Any:
        for headers in ISSUE_HEADERS:
            test = example(headers=headers, **more)(test)
        return test

    return decorate


def seed_channel(stack: Stack) -> None:
    """One known channel (token and resource id stored) of a calendar not set up for
    sync, so that even a message with every header right answers without writing."""
    store = ChannelStore(stack.db)
    if store.get_channel(CHANNEL_ID) is None:
        store.save_channel(CHANNEL_ID, ALICE, CHANNEL_TOKEN)
        store.record_watch(CHANNEL_ID, RESOURCE_ID, datetime.now(UTC) + timedelta(days=1))


@HTTP_PROPERTIES
@with_issue_headers()
@given(headers=PUSH_HEADERS)
def test_any_push_headers_on_an_empty_store_get_no_5xx_and_write_nothing(
    stack: Stack, logs: LogMark, headers: dict[str, bytes]
) -> None:
    logs.mark()

    response = requests.post(stack.sync.url, headers=headers, timeout=30)

    body = assert_clean_answer(response)
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert body == {"outcome": "unknown_channel"}
    assert not stack.state_written()
    assert stack.docs("syncMessages") == []
    logs.assert_quiet()


@HTTP_PROPERTIES
@with_issue_headers(body=b"")
@given(headers=PUSH_HEADERS, body=st.sampled_from([b"", b"", b" ", b"{}", b"\xff"]))
def test_any_push_headers_for_a_known_channel_get_no_5xx_and_write_nothing(
    stack: Stack, logs: LogMark, headers: dict[str, bytes], body: bytes
) -> None:
    seed_channel(stack)
    before = state(stack)
    logs.mark()

    response = requests.post(stack.sync.url, headers=headers, data=body, timeout=30)

    answer = assert_clean_answer(response)
    assert response.status_code in {200, 400, 401}
    if response.status_code == 200:
        assert answer["outcome"] in {"unknown_channel", "sync_message", "not_set_up"}
    assert state(stack) == before
    assert stack.calendar.control.calls() == []
    logs.assert_quiet(CHANNEL_TOKEN)


# -- create_conference ------------------------------------------------------------------

# Any code point, lone surrogates included: json.dumps escapes them (\ud800), as a caller's
# JSON may.
ODD_TEXT = st.text(
    st.one_of(
        st.characters(exclude_categories=()),
        st.integers(min_value=0xD800, max_value=0xDFFF).map(chr),
        st.sampled_from("./_@%?#"),
    ),
    max_size=16,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=8,
)
IDS = st.one_of(
    ODD_TEXT,
    JSON_VALUES,
    st.sampled_from(["", " ", ".", "..", "a/b", "__x__", "e" * 1025, "\x85", "\ud800"]),
    st.integers(min_value=1000, max_value=1024).map(lambda n: "\U0001f600" * n),
)
GOOD_CREATE: dict[str, Any] = {
    "solutionId": "1",
    "eventData": {"calendarId": ALICE, "eventId": "e1234"},
}
FIELDS = ["solutionId", "eventData", "calendarId", "eventId", "extra"]
# (field, new value or None: left out)
CREATE_CHANGES = st.tuples(st.sampled_from(FIELDS), IDS | st.none())


def changed_body(changes: list[tuple[str, Any]]) -> bytes:
    document: dict[str, Any] = json.loads(json.dumps(GOOD_CREATE))
    for name, value in changes:
        holder = document.get("eventData") if name in ("calendarId", "eventId") else document
        if not isinstance(holder, dict):
            continue
        if value is None:
            holder.pop(name, None)
        else:
            holder[name] = value
    return json.dumps(document).encode()


CREATE_BODIES = st.one_of(
    st.lists(CREATE_CHANGES, min_size=1, max_size=3).map(changed_body),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=1, max_value=200).map(lambda depth: b"[" * depth + b"]" * depth),
    st.binary(max_size=40),
)


@HTTP_PROPERTIES
@example(body=changed_body([("calendarId", "a\ud800")]))
@example(body=changed_body([("eventId", "\udfff")]))
@given(body=CREATE_BODIES)
def test_any_create_body_gets_no_5xx_and_writes_nothing(
    stack: Stack, logs: LogMark, body: bytes
) -> None:
    """Alice has no calendar: every body gets a 400 or a conference error (mostly
    PERMISSION_DENIED: a well-formed body reaches calendars.get as Alice with its odd
    ids), never a write."""
    token = stack.token(ALICE)
    logs.mark()

    response = requests.post(
        stack.create.url,
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )

    answer = assert_clean_answer(response)
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert set(answer) == {"conferenceError"}
    assert token not in response.text
    assert not stack.state_written()
    assert stack.provider_calls() == []
    logs.assert_quiet(token)


# Event ids an add-on could send: any text without control characters or lone surrogates.
VALID_ODD_IDS = st.text(
    st.one_of(
        st.characters(exclude_categories=("Cc", "Cs")),
        st.sampled_from("./_@%?#+= "),
    ),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() and text not in (".", ".."))


@HTTP_PROPERTIES
@given(event_id=VALID_ODD_IDS)
def test_odd_but_valid_event_ids_on_a_real_calendar_get_no_5xx(
    stack: Stack, logs: LogMark, event_id: str
) -> None:
    """Alice's calendar exists: an odd event id the parser takes goes all the way
    (Calendar, Firestore, the provider) and gets an answer, mostly a placeholder meeting."""
    if not stack.calendar.control.has_calendar(ALICE):
        stack.calendar.control.create_calendar(ALICE, owner=ALICE, time_zone="Europe/Berlin")
    token = stack.token(ALICE)
    body = changed_body([("eventId", event_id)])
    logs.mark()

    response = requests.post(
        stack.create.url,
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )

    answer = assert_clean_answer(response)
    assert response.status_code == 200
    assert set(answer) in ({"conferenceData"}, {"conferenceError"})
    logs.assert_quiet(token)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


JWT_PARTS = st.one_of(
    JSON_VALUES.map(lambda value: b64(json.dumps(value).encode())),
    st.binary(max_size=30).map(b64),
    HEADER_TEXT,
    st.just(b64(json.dumps({"alg": "RS256", "kid": "x"}).encode())),
    st.just(b64(json.dumps({"alg": "none"}).encode())),
)
AUTHORIZATIONS = st.one_of(
    HEADER_TEXT.map(lambda text: text.encode("latin-1")),
    st.lists(JWT_PARTS, min_size=1, max_size=4).map(
        lambda parts: ("Bearer " + ".".join(parts)).encode("latin-1")
    ),
    st.sampled_from([b"Bearer", b"Bearer ", b"bearer x", b"Basic YWxpY2U6cHc=", b"Bearer ...."]),
).map(sendable)


@HTTP_PROPERTIES
@given(authorization=AUTHORIZATIONS)
def test_any_authorization_gets_no_5xx_and_writes_nothing(
    stack: Stack, logs: LogMark, authorization: bytes
) -> None:
    logs.mark()

    response = requests.post(
        stack.create.url,
        data=changed_body([]),
        headers={"Authorization": authorization, "Content-Type": "application/json"},
        timeout=30,
    )

    assert_clean_answer(response)
    assert response.status_code == 401
    assert not stack.state_written()
    logs.assert_quiet()
