"""One walk in a real headless browser: from the link in the event, through the local
sign-in page, to the local BigBlueButton's client with the right role."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.join_stack import ATTENDEE, JoinStack

pytestmark = pytest.mark.integration

WAIT_SECONDS = 30


def test_an_attendee_follows_the_link_signs_in_and_enters_as_viewer(
    join_stack: JoinStack, browser: Any
) -> None:
    conference_id, _ = join_stack.conference(summary="Browser walk")
    wait = WebDriverWait(browser, WAIT_SECONDS)

    browser.get(join_stack.url + conference_id)
    wait.until(ec.element_to_be_clickable((By.ID, "sign-in"))).click()
    wait.until(ec.element_to_be_clickable((By.ID, "email"))).send_keys(ATTENDEE)
    browser.find_element(By.ID, "continue").click()
    wait.until(ec.url_contains("/html5client/join"))
    wait.until(ec.title_is("BigBlueButton"))

    meeting = join_stack.meeting(conference_id)
    assert meeting is not None
    assert meeting["name"] == "Browser walk"
    [attendee] = join_stack.bbb.attendees(meeting["meetingID"])
    assert attendee["role"] == "VIEWER"
    assert attendee["fullName"] == ATTENDEE


def test_someone_without_an_invitation_gives_a_name_and_waits_in_the_lobby(
    join_stack: JoinStack, browser: Any
) -> None:
    conference_id, _ = join_stack.conference(summary="Browser lobby walk")
    wait = WebDriverWait(browser, WAIT_SECONDS)

    browser.get(join_stack.url + conference_id)
    wait.until(ec.element_to_be_clickable((By.ID, "name"))).send_keys("Visiting Guest")
    browser.find_element(By.ID, "join-as-guest").click()
    # The form's answer takes the browser on with a meta refresh (a redirect after a
    # form would be blocked by the CSP's form-action 'self').
    wait.until(ec.url_contains("/html5client/guestWait"))
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "wait for a moderator"))

    meeting = join_stack.meeting(conference_id)
    assert meeting is not None
    assert join_stack.bbb.attendees(meeting["meetingID"]) == []
    [waiting] = join_stack.bbb.lobby(meeting["meetingID"])
    assert waiting["fullName"] == "Visiting Guest"
    assert waiting["role"] == "VIEWER"
    assert waiting["guest"] is True
