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
