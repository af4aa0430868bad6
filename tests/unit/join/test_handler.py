"""The join flow over a fake backend: every route and branch, and that bad input creates
nothing. (Over HTTP with the real stores, Calendar and BigBlueButton:
tests/integration/test_join_meeting.py.)"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.errors import (
    AccessDenied,
    NotFound,
    PermanentFailure,
    TransientFailure,
    Unauthenticated,
)
from shared.google.id_tokens import VerifiedUser
from shared.join import cookies, pages
from shared.join.handler import Conference, JoinHandler, JoinRequest, clean_name
from shared.join.settings import JoinSettings

KEY = b"k" * 32
NOW = 1_900_000_000.0  # 2030-03-17T17:46:40Z
CID = "A" * 22
BASE = "https://join.example/"
SETTINGS = JoinSettings(
    session_key=KEY,
    oauth_client_id="client",
    oauth_client_secret="secret",
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
)
OPEN_EVENT = {
    "status": "confirmed",
    "summary": "Planning",
    "organizer": {"email": "org@example.com"},
    "attendees": [{"email": "ann@partner.org"}],
    "start": {"dateTime": "2030-03-17T18:00:00Z"},
}


@dataclass
class FakeBackend:
    event: Mapping[str, Any] | Exception = field(default_factory=lambda: dict(OPEN_EVENT))
    known: bool = True
    tombstoned: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    joins: list[dict[str, Any]] = field(default_factory=list)
    start_error: Exception | None = None

    def find(self, conference_id: str) -> Conference | None:
        if not self.known:
            return None
        return Conference(conference_id, "cal", "ev", "owner@example.com", "1", self.options)

    def is_tombstoned(self, conference_id: str) -> bool:
        return self.tombstoned

    def read_event(self, conference: Conference) -> Mapping[str, Any]:
        if isinstance(self.event, Exception):
            raise self.event
        return self.event

    def start_meeting(self, conference: Conference, title: str) -> None:
        if self.start_error is not None:
            raise self.start_error
        self.started.append(title)

    def join_url(
        self, conference: Conference, full_name: str, *, moderator: bool, guest: bool, user_id: str
    ) -> str:
        self.joins.append(
            {"name": full_name, "moderator": moderator, "guest": guest, "user": user_id}
        )
        return "https://bbb.example/join?x=1"


@dataclass
class FakeSignIn:
    user: VerifiedUser | Exception = field(
        default_factory=lambda: VerifiedUser("ann@partner.org", "1", None)
    )
    calls: list[tuple[str, str, str, str]] = field(default_factory=list)

    def sign_in(self, code: str, verifier: str, nonce: str, redirect_uri: str) -> VerifiedUser:
        self.calls.append((code, verifier, nonce, redirect_uri))
        if isinstance(self.user, Exception):
            raise self.user
        return self.user


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def sign_in() -> FakeSignIn:
    return FakeSignIn()


@pytest.fixture
def handler(backend: FakeBackend, sign_in: FakeSignIn) -> JoinHandler:
    return JoinHandler(
        settings=SETTINGS,
        join_base_url=BASE,
        allowed_domains=("example.com",),
        backend=backend,
        sign_in=sign_in,
        clock=lambda: NOW,
    )


def get(
    handler: JoinHandler, path: str, cookie_jar: Mapping[str, str] | None = None, **query: str
) -> pages.Answer:
    return handler.handle(JoinRequest("GET", path, query, {}, cookie_jar or {}))


def post(
    handler: JoinHandler, path: str, form: Mapping[str, str], cookie_jar: Mapping[str, str]
) -> pages.Answer:
    return handler.handle(JoinRequest("POST", path, {}, form, cookie_jar))


def jar(answer: pages.Answer) -> dict[str, str]:
    found = {}
    for header in answer.cookies:
        name, _, rest = header.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


def session_for(email: str, hd: str | None = None) -> dict[str, str]:
    value = cookies.sign(KEY, "session", {"email": email, "hd": hd}, now=NOW, max_age=3600)
    return {cookies.SESSION_COOKIE: value}


def form_of(answer: pages.Answer) -> str:
    return answer.body.split('name="token" value="', 1)[1].split('"', 1)[0]


# -- the link --------------------------------------------------------------------------
def test_the_landing_page_offers_sign_in_and_the_guest_form(handler: JoinHandler) -> None:
    answer = get(handler, "/" + CID)

    assert answer.status == 200
    assert f'href="/{CID}/signin"' in answer.body
    assert f'action="/{CID}/guest"' in answer.body
    assert cookies.STATE_COOKIE in jar(answer)


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        ({"known": False}, 404),
        ({"tombstoned": True}, 410),
        ({"tombstoned": True, "known": False}, 410),
        ({"event": NotFound("gone")}, 410),
        ({"event": AccessDenied("no")}, 404),
        ({"event": {**OPEN_EVENT, "status": "cancelled"}}, 410),
        ({"event": TransientFailure("later")}, 503),
        ({"event": PermanentFailure("odd")}, 500),
        ({"event": RuntimeError("bug")}, 500),
    ],
)
def test_what_the_conference_state_answers(setup: dict[str, Any], status: int) -> None:
    backend = FakeBackend(**setup)
    handler = JoinHandler(
        settings=SETTINGS,
        join_base_url=BASE,
        allowed_domains=(),
        backend=backend,
        sign_in=FakeSignIn(),
        clock=lambda: NOW,
    )

    answer = get(handler, "/" + CID, session_for("org@example.com"))

    assert answer.status == status
    assert backend.started == []


def test_before_the_window_a_page_says_when_it_opens(
    backend: FakeBackend, handler: JoinHandler
) -> None:
    backend.event = {**OPEN_EVENT, "start": {"dateTime": "2030-03-17T19:00:00Z"}}

    answer = get(handler, "/" + CID, session_for("org@example.com"))

    assert answer.status == 200
    assert "18:45" in answer.body
    assert backend.started == []


@pytest.mark.parametrize(
    ("email", "moderator"), [("org@example.com", True), ("ANN@partner.org", False)]
)
def test_an_admitted_person_is_sent_to_the_meeting(
    backend: FakeBackend, handler: JoinHandler, email: str, moderator: bool
) -> None:
    answer = get(handler, "/" + CID, session_for(email))

    assert answer.status == 303
    assert answer.location == "https://bbb.example/join?x=1"
    assert backend.started == ["Planning"]
    [joined] = backend.joins
    assert joined["moderator"] is moderator
    assert joined["guest"] is False
    assert email.lower() not in joined["user"]


def test_a_signed_in_non_attendee_gets_the_guest_form(
    backend: FakeBackend, handler: JoinHandler
) -> None:
    answer = get(handler, "/" + CID, session_for("eve@else.org"))

    assert answer.status == 200
    assert "eve@else.org" in answer.body
    assert backend.started == []


def test_the_domain_policy_admits_the_organisation(
    backend: FakeBackend, handler: JoinHandler
) -> None:
    backend.options = {"admission": "domain"}

    answer = get(handler, "/" + CID, session_for("bob@example.com", "example.com"))

    assert answer.status == 303
    assert backend.joins[0]["moderator"] is False


def test_an_untitled_event_gets_a_fallback_name(backend: FakeBackend, handler: JoinHandler) -> None:
    backend.event = {**OPEN_EVENT, "summary": " "}

    get(handler, "/" + CID, session_for("org@example.com"))

    assert backend.started == ["Meeting"]


@pytest.mark.parametrize(
    "path", ["/", "/short", "/" + CID + "/other", "/" + "A" * 23, "/" + CID[:-1] + "!", "x"]
)
def test_other_paths_are_not_found(handler: JoinHandler, path: str) -> None:
    assert get(handler, path).status == 404


def test_methods_are_checked(handler: JoinHandler) -> None:
    assert post(handler, "/" + CID, {}, {}).status == 405
    assert get(handler, f"/{CID}/guest").status == 405
    assert post(handler, "/oauth/callback", {}, {}).status == 405
    assert post(handler, f"/{CID}/signin", {}, {}).status == 405
    assert post(handler, "/assets/join.css", {}, {}).status == 405
    assert handler.handle(JoinRequest("HEAD", "/assets/join.css", {}, {}, {})).status == 200


def test_the_stylesheet_is_served(handler: JoinHandler) -> None:
    answer = get(handler, "/assets/join.css")

    assert answer.status == 200
    assert answer.content_type.startswith("text/css")


def test_a_base_url_with_a_path() -> None:
    handler = JoinHandler(
        settings=SETTINGS,
        join_base_url="https://example.org/join/",
        allowed_domains=(),
        backend=FakeBackend(),
        sign_in=FakeSignIn(),
        clock=lambda: NOW,
    )

    assert get(handler, f"/join/{CID}").status == 200
    assert get(handler, f"/{CID}").status == 404
    assert handler.redirect_uri == "https://example.org/join/oauth/callback"


# -- guests ----------------------------------------------------------------------------
def test_a_guest_gives_a_name_and_waits_in_the_lobby(
    backend: FakeBackend, handler: JoinHandler
) -> None:
    landing = get(handler, "/" + CID)

    answer = post(
        handler, f"/{CID}/guest", {"name": " Gus  Guest ", "token": form_of(landing)}, jar(landing)
    )

    # A page that goes on to BigBlueButton, not a redirect: the CSP's form-action 'self'
    # would block a redirect that follows the form.
    assert answer.status == 200
    assert answer.location is None
    assert '<meta http-equiv="refresh" content="0; url=' in answer.body
    assert 'id="enter" href="' in answer.body
    assert backend.joins == [
        {"name": "Gus Guest", "moderator": False, "guest": True, "user": backend.joins[0]["user"]}
    ]
    assert backend.joins[0]["user"].startswith("guest-")


@pytest.mark.parametrize(
    ("form", "use_cookie"),
    [
        ({"name": "Gus", "token": "forged"}, True),
        ({"name": "Gus"}, True),
        ({"name": "Gus", "token": "TOKEN"}, False),
        ({"name": "x" * 65, "token": "TOKEN"}, True),
        ({"name": "   ", "token": "TOKEN"}, True),
        ({"name": "Gus\u202e", "token": "TOKEN"}, True),
    ],
)
def test_a_bad_guest_form_is_refused_and_nothing_is_created(
    backend: FakeBackend, handler: JoinHandler, form: dict[str, str], use_cookie: bool
) -> None:
    landing = get(handler, "/" + CID)
    form = {k: (form_of(landing) if v == "TOKEN" else v) for k, v in form.items()}

    answer = post(handler, f"/{CID}/guest", form, jar(landing) if use_cookie else {})

    assert answer.status == 400
    assert backend.started == []


def test_a_form_token_of_another_conference_is_refused(
    backend: FakeBackend, handler: JoinHandler
) -> None:
    landing = get(handler, "/" + CID)

    answer = post(
        handler, f"/{'B' * 22}/guest", {"name": "Gus", "token": form_of(landing)}, jar(landing)
    )

    assert answer.status == 400


def test_a_guest_of_a_cancelled_meeting_is_told(backend: FakeBackend, handler: JoinHandler) -> None:
    landing = get(handler, "/" + CID)
    backend.tombstoned = True

    answer = post(
        handler, f"/{CID}/guest", {"name": "Gus", "token": form_of(landing)}, jar(landing)
    )

    assert answer.status == 410


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Ann", "Ann"),
        ("  A  B ", "A B"),
        ("", None),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("a\x00b", None),
    ],
)
def test_names(raw: str, clean: str | None) -> None:
    assert clean_name(raw) == clean


# -- sign-in ---------------------------------------------------------------------------
def start(
    handler: JoinHandler, cookie_jar: Mapping[str, str] | None = None
) -> tuple[pages.Answer, dict[str, list[str]]]:
    answer = get(handler, f"/{CID}/signin", cookie_jar)
    assert answer.status == 303
    assert answer.location is not None
    return answer, parse_qs(urlsplit(answer.location).query)


def test_sign_in_redirects_to_google_with_pkce_and_nonce(handler: JoinHandler) -> None:
    answer, query = start(handler)

    assert answer.location is not None
    assert answer.location.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["https://join.example/oauth/callback"]
    assert query["scope"] == ["openid email"]
    assert query["nonce"]
    assert query["state"]
    assert query["code_challenge"]
    assert cookies.STATE_COOKIE in jar(answer)


def test_sign_in_for_an_unknown_or_cancelled_conference(
    backend: FakeBackend, handler: JoinHandler
) -> None:
    backend.known = False
    assert get(handler, f"/{CID}/signin").status == 404
    backend.tombstoned = True
    assert get(handler, f"/{CID}/signin").status == 410


def test_the_callback_sets_a_session_and_returns_to_the_conference(
    handler: JoinHandler, sign_in: FakeSignIn
) -> None:
    started, query = start(handler)

    answer = get(handler, "/oauth/callback", jar(started), state=query["state"][0], code="c0de")

    assert answer.status == 303
    assert answer.location == f"/{CID}"
    session = jar(answer)[cookies.SESSION_COOKIE]
    assert cookies.read_signed(KEY, "session", session, now=NOW) == {
        "email": "ann@partner.org",
        "hd": None,
    }
    [(code, verifier, nonce, redirect_uri)] = sign_in.calls
    assert (code, nonce, redirect_uri) == ("c0de", query["nonce"][0], handler.redirect_uri)
    assert verifier
    assert verifier != query["code_challenge"][0]


def test_a_replayed_callback_is_refused(handler: JoinHandler, sign_in: FakeSignIn) -> None:
    started, query = start(handler)
    first = get(handler, "/oauth/callback", jar(started), state=query["state"][0], code="c")

    replay = get(handler, "/oauth/callback", jar(first), state=query["state"][0], code="c")

    assert replay.status == 400
    assert len(sign_in.calls) == 1


@pytest.mark.parametrize(
    "case", ["no cookie", "wrong state", "error", "no code", "refused", "tampered target"]
)
def test_a_bad_callback_is_refused_without_a_session(
    handler: JoinHandler, sign_in: FakeSignIn, case: str
) -> None:
    started, query = start(handler)
    cookie_jar = {} if case == "no cookie" else jar(started)
    params = {"state": query["state"][0], "code": "c"}
    if case == "wrong state":
        params["state"] = "other"
    if case == "error":
        params = {"state": query["state"][0], "error": "access_denied"}
    if case == "no code":
        params = {"state": query["state"][0]}
    if case == "refused":
        sign_in.user = Unauthenticated("nonce mismatch")
    if case == "tampered target":
        state = cookies.read_signed(KEY, "state", cookie_jar[cookies.STATE_COOKIE], now=NOW)
        assert state is not None
        state["target"] = "https://evil.example/"
        forged = cookies.sign(KEY, "state", state, now=NOW, max_age=60)
        cookie_jar = {cookies.STATE_COOKIE: forged}

    answer = get(handler, "/oauth/callback", cookie_jar, **params)

    assert answer.status == 400
    assert cookies.SESSION_COOKIE not in jar(answer)
    assert answer.location is None


def test_the_token_endpoint_failing_is_a_503(handler: JoinHandler, sign_in: FakeSignIn) -> None:
    started, query = start(handler)
    sign_in.user = TransientFailure("down")

    answer = get(handler, "/oauth/callback", jar(started), state=query["state"][0], code="c")

    assert answer.status == 503


def test_no_personal_data_in_logs(
    backend: FakeBackend, handler: JoinHandler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    started, query = start(handler)
    signed = get(handler, "/oauth/callback", jar(started), state=query["state"][0], code="c0de")
    get(handler, "/" + CID, jar(signed))
    landing = get(handler, "/" + CID)
    post(
        handler,
        f"/{CID}/guest",
        {"name": "Gus Secretname", "token": form_of(landing)},
        jar(landing),
    )

    logged = json.dumps([(r.getMessage(), getattr(r, "json_fields", {})) for r in caplog.records])
    for secret in ("ann@partner.org", "Secretname", "c0de", CID, query["state"][0], "Planning"):
        assert secret not in logged
    assert "joined" in logged
