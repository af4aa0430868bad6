"""``join_meeting`` over HTTP under the real functions-framework, with the Firestore
emulator, the local Calendar server, the local token issuer's sign-in and the local
BigBlueButton: every branch of docs/join-links.md#flow."""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.function_process import FunctionProcess
from shared.join.pages import CSP
from shared.state.cancelled import CancelledConferenceStore
from shared.state.conferences import ConferenceStore
from tests.support.join_stack import (
    ATTENDEE,
    COLLEAGUE,
    OWNER,
    STRANGER,
    JoinStack,
    Visitor,
)

pytestmark = pytest.mark.integration


def join_link(answer: requests.Response) -> str:
    """BigBlueButton's join URL: a redirect's Location, or the link of the page that
    answers the guest form (a redirect after a form is blocked by form-action 'self')."""
    if answer.status_code == 303:
        return answer.headers["Location"]
    assert answer.status_code == 200, answer.text
    assert '<meta http-equiv="refresh" content="0; url=' in answer.text
    return html.unescape(answer.text.split('id="enter" href="', 1)[1].split('"', 1)[0])


def join_query(answer: requests.Response) -> dict[str, str]:
    location = join_link(answer)
    assert "/bigbluebutton/api/join?" in location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def enter(answer: requests.Response) -> requests.Response:
    """What the browser does with the join URL: BigBlueButton's 302, then the client."""
    bbb = requests.get(join_link(answer), allow_redirects=False, timeout=10)
    assert bbb.status_code == 302, bbb.text
    return requests.get(bbb.headers["Location"], timeout=10)


def form_token(page: requests.Response) -> str:
    return page.text.split('name="token" value="', 1)[1].split('"', 1)[0]


def assert_page_headers(answer: requests.Response) -> None:
    assert answer.headers["Content-Security-Policy"] == CSP
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"


def state_of(join_stack: JoinStack) -> tuple[Any, ...]:
    """What a request could change: every Firestore document, BigBlueButton's calls."""
    bbb = join_stack.bbb
    return join_stack.base.everything(), bbb.count("create"), bbb.count("join")


def nothing_done(join_stack: JoinStack, before: tuple[Any, ...]) -> None:
    """Bad input: Firestore holds what it held, and BigBlueButton was not called."""
    assert state_of(join_stack) == before


def test_an_unknown_link_is_a_404_page(join_stack: JoinStack) -> None:
    join_stack.conference()
    before = state_of(join_stack)

    answer = Visitor().get(join_stack.url + "A" * 22)
    odd = Visitor().get(join_stack.url + "not-a-conference-id")

    assert answer.status_code == 404
    assert odd.status_code == 404
    nothing_done(join_stack, before)
    assert answer.headers["Content-Type"].startswith("text/html")
    assert_page_headers(answer)


def test_the_landing_page_and_its_stylesheet(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()

    page = visitor.get(join_stack.url + conference_id)
    css = visitor.get(join_stack.url + "assets/join.css")

    assert page.status_code == 200
    assert "Sign in with Google" in page.text
    assert 'name="name"' in page.text
    assert "<script" not in page.text
    assert_page_headers(page)
    assert "__Host-join-state" in visitor.cookies
    set_cookie = page.headers["Set-Cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"):
        assert attribute in set_cookie
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert join_stack.bbb.meetings() == []


def test_the_organizer_signs_in_and_joins_as_moderator(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference(summary="Quarterly planning")
    visitor = Visitor()

    answer = visitor.sign_in(join_stack, conference_id, OWNER)
    query = join_query(answer)
    page = enter(answer)

    assert query["role"] == "MODERATOR"
    assert query["guest"] == "false"
    assert OWNER not in query["userID"]
    assert page.status_code == 200
    meeting = join_stack.meeting(conference_id)
    assert meeting is not None
    assert meeting["name"] == "Quarterly planning"
    [attendee] = join_stack.bbb.attendees(meeting["meetingID"])
    assert attendee["role"] == "MODERATOR"
    assert "email" not in str(visitor.cookies)


def test_the_meeting_is_created_once_with_the_solutions_options(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference(summary="Weekly sync")

    enter(Visitor().sign_in(join_stack, conference_id, OWNER))
    enter(Visitor().sign_in(join_stack, conference_id, ATTENDEE))

    [meeting] = join_stack.bbb.meetings()  # create is idempotent on the derived meetingID
    assert join_stack.bbb.count("create") == 2
    # Derived from the conference id with a key: not the id the link shows.
    assert join_stack.meeting(conference_id) == meeting
    assert meeting["meetingID"] != conference_id
    assert meeting["name"] == "Weekly sync"
    assert meeting["record"] is True
    assert meeting["guestPolicy"] == "ASK_MODERATOR"
    roles = sorted(user["role"] for user in join_stack.bbb.attendees(meeting["meetingID"]))
    assert roles == ["MODERATOR", "VIEWER"]


def test_an_attendee_joins_as_viewer_and_losing_the_invitation_takes_it_away(
    join_stack: JoinStack,
) -> None:
    conference_id, event = join_stack.conference()
    visitor = Visitor()

    first = join_query(visitor.sign_in(join_stack, conference_id, ATTENDEE.upper()))
    join_stack.owner().patch(OWNER, event["id"], {"attendees": []})
    again = visitor.get(join_stack.url + conference_id)

    assert first["role"] == "VIEWER"
    assert first["guest"] == "false"
    assert again.status_code == 200
    assert "not on this meeting" in again.text


def test_a_stranger_who_signs_in_gets_the_guest_form(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()

    page = Visitor().sign_in(join_stack, conference_id, STRANGER)

    assert page.status_code == 200
    assert 'name="name"' in page.text
    assert join_stack.bbb.meetings() == []


def test_a_guest_waits_in_the_lobby(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()
    landing = visitor.get(join_stack.url + conference_id)

    answer = visitor.post(
        f"{join_stack.url}{conference_id}/guest",
        {"name": "Gus Guest", "token": form_token(landing)},
    )
    query = join_query(answer)
    enter(answer)

    assert query["role"] == "VIEWER"
    assert query["guest"] == "true"
    assert query["fullName"] == "Gus Guest"
    meeting = join_stack.meeting(conference_id)
    assert meeting is not None
    assert [user["fullName"] for user in join_stack.bbb.lobby(meeting["meetingID"])] == [
        "Gus Guest"
    ]


def test_the_domain_policy_admits_the_organisation(join_stack: JoinStack) -> None:
    join_stack.base.issuer.oidc.workspace_domains.add("example.com")
    conference_id, _ = join_stack.conference(solution_id="2", attendees=())

    colleague = join_query(Visitor().sign_in(join_stack, conference_id, COLLEAGUE))
    outsider = Visitor().sign_in(join_stack, conference_id, ATTENDEE)

    assert colleague["role"] == "VIEWER"
    assert colleague["guest"] == "false"
    assert outsider.status_code == 200


def test_before_the_window_a_page_says_when_it_opens_and_a_move_moves_it(
    join_stack: JoinStack,
) -> None:
    conference_id, event = join_stack.conference(starts_in=timedelta(hours=2))
    visitor = Visitor()
    start = datetime.fromisoformat(event["start"]["dateTime"])

    early = visitor.get(join_stack.url + conference_id)
    join_stack.owner().patch(
        OWNER, event["id"], {"start": {"dateTime": (start - timedelta(hours=2)).isoformat()}}
    )
    moved = visitor.get(join_stack.url + conference_id)

    assert early.status_code == 200
    assert "opens on" in early.text
    assert moved.status_code == 200
    assert "Sign in with Google" in moved.text
    assert join_stack.bbb.meetings() == []


def test_a_cancelled_event_is_a_410_page(join_stack: JoinStack) -> None:
    conference_id, event = join_stack.conference()
    join_stack.owner().delete(OWNER, event["id"])

    answer = Visitor().get(join_stack.url + conference_id)

    assert answer.status_code == 410
    assert "cancelled" in answer.text
    assert_page_headers(answer)


def test_a_tombstone_keeps_the_410_after_sync_removed_the_record(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    store = ConferenceStore(join_stack.base.db)
    record = store.find_by_join_id(conference_id)
    assert record is not None
    CancelledConferenceStore(join_stack.base.db).record(record, 30)
    join_stack.base.db.collection("conferences").document(record.key.doc_id).delete()

    answer = Visitor().get(join_stack.url + conference_id)
    signin = Visitor().get(f"{join_stack.url}{conference_id}/signin")

    assert answer.status_code == 410
    assert signin.status_code == 410


@pytest.mark.parametrize("case", ["forged token", "no cookie", "long name", "empty name"])
def test_a_bad_guest_form_is_a_400_and_creates_nothing(join_stack: JoinStack, case: str) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()
    landing = visitor.get(join_stack.url + conference_id)
    form = {"name": "Gus", "token": form_token(landing)}
    if case == "forged token":
        form["token"] = "forged"
    if case == "no cookie":
        visitor.cookies.clear()
    if case == "long name":
        form["name"] = "G" * 65
    if case == "empty name":
        form["name"] = " "
    before = state_of(join_stack)

    answer = visitor.post(f"{join_stack.url}{conference_id}/guest", form)

    assert answer.status_code == 400
    assert_page_headers(answer)
    assert join_stack.bbb.meetings() == []
    nothing_done(join_stack, before)


def test_an_oversized_form_is_refused_unread(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()

    answer = Visitor().post(f"{join_stack.url}{conference_id}/guest", {"name": "x" * 10_000})

    assert answer.status_code == 413


def test_a_replayed_code_or_callback_is_a_400(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()
    started = visitor.get(f"{join_stack.url}{conference_id}/signin")
    chosen = requests.get(
        started.headers["Location"] + "&identity=" + OWNER, allow_redirects=False, timeout=10
    )
    callback = chosen.headers["Location"]
    before = state_of(join_stack)
    first = visitor.get(callback)
    replayed_callback = visitor.get(callback)

    thief = Visitor()
    thief.get(f"{join_stack.url}{conference_id}/signin")
    thief_state = parse_qs(
        urlsplit(thief.get(f"{join_stack.url}{conference_id}/signin").headers["Location"]).query
    )["state"][0]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    replayed_code = thief.get(f"{join_stack.url}oauth/callback?state={thief_state}&code={code}")

    assert first.status_code == 303
    assert replayed_callback.status_code == 400
    assert replayed_code.status_code == 400
    assert "__Host-join-session" not in thief.cookies
    assert join_stack.bbb.meetings() == []
    nothing_done(join_stack, before)


def test_a_tampered_state_cookie_is_a_400(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()
    started = visitor.get(f"{join_stack.url}{conference_id}/signin")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    value = visitor.cookies["__Host-join-state"]
    visitor.cookies["__Host-join-state"] = value[:-4] + (
        "AAAA" if not value.endswith("AAAA") else "BBBB"
    )

    before = state_of(join_stack)

    answer = visitor.get(f"{join_stack.url}oauth/callback?state={state}&code=4/x")

    assert answer.status_code == 400
    assert join_stack.base.issuer.oidc.exchanges == []
    nothing_done(join_stack, before)


def test_a_tampered_session_cookie_is_ignored(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()
    visitor.sign_in(join_stack, conference_id, OWNER)
    session = visitor.cookies["__Host-join-session"]
    visitor.cookies["__Host-join-session"] = "x" + session[1:]
    before = state_of(join_stack)

    answer = visitor.get(join_stack.url + conference_id)

    assert answer.status_code == 200
    assert "Sign in with Google" in answer.text
    nothing_done(join_stack, before)


def test_sign_in_cancelled_at_google_is_a_400(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()
    visitor = Visitor()
    started = visitor.get(f"{join_stack.url}{conference_id}/signin")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]

    answer = visitor.get(f"{join_stack.url}oauth/callback?state={state}&error=access_denied")

    assert answer.status_code == 400


def test_logs_are_json_without_personal_data(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference(summary="Secret title")
    visitor = Visitor()
    visitor.sign_in(join_stack, conference_id, OWNER)
    landing = Visitor().get(join_stack.url + conference_id)
    guest = Visitor()
    guest.cookies.update(
        {"__Host-join-state": landing.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]}
    )
    guest.post(
        f"{join_stack.url}{conference_id}/guest",
        {"name": "Gus Hidden", "token": form_token(landing)},
    )

    logs = join_stack.process.logs()
    lines = join_stack.log_lines()

    assert any(line.get("outcome") == "joined" for line in lines)
    assert all("severity" in line for line in lines)
    for private in (OWNER, "Gus Hidden", "Secret title", conference_id, "4/local-"):
        assert private not in logs


def test_missing_join_settings_stop_the_instance_naming_each(
    join_stack: JoinStack, tmp_path: Path
) -> None:
    env = {
        k: v
        for k, v in join_stack.process.env.items()
        if k not in ("JOIN_SESSION_KEY", "JOIN_OAUTH_CLIENT_SECRET")
    }
    process = FunctionProcess("join_meeting", "join_meeting", env, tmp_path / "join.log")

    with pytest.raises(RuntimeError, match="exited"):
        process.start(timeout=60)

    critical = [
        json.loads(line)
        for line in process.logs().splitlines()
        if line.startswith("{") and '"CRITICAL"' in line
    ]
    assert critical[0]["problems"] == [
        "JOIN_SESSION_KEY is required",
        "JOIN_OAUTH_CLIENT_SECRET is required",
    ]


def test_a_form_with_too_many_fields_is_refused(join_stack: JoinStack) -> None:
    conference_id, _ = join_stack.conference()

    answer = Visitor().post(
        f"{join_stack.url}{conference_id}/guest", {f"f{i}": "x" for i in range(20)}
    )

    assert answer.status_code == 413
    assert join_stack.bbb.meetings() == []
