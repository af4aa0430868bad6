"""The pages: security headers on every answer, everything escaped, no JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.join import pages

CSS = "/assets/join.css"
ALL = [
    pages.landing(
        stylesheet=CSS,
        sign_in_href="/x/signin",
        guest_action="/x/guest",
        form_token="t",
        signed_in_as=None,
    ),
    pages.not_yet_open(CSS, datetime(2030, 3, 4, 9, 45, tzinfo=UTC)),
    pages.cancelled(CSS),
    pages.not_found(CSS),
    pages.bad_request(CSS, "no", "/x"),
    pages.method_not_allowed(CSS, "GET"),
    pages.too_large(CSS),
    pages.unavailable(CSS),
    pages.failed(CSS),
    pages.stylesheet(),
    pages.redirect("/x", cookies=("c=1",)),
]


@pytest.mark.parametrize("answer", ALL, ids=lambda a: str(a.status))
def test_every_answer_carries_the_security_headers(answer: pages.Answer) -> None:
    headers = dict(answer.headers())

    assert headers["Content-Security-Policy"] == pages.CSP
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "<script" not in answer.body


def test_the_csp_allows_only_our_stylesheet_and_forms() -> None:
    assert pages.CSP == (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def test_values_are_escaped() -> None:
    page = pages.landing(
        stylesheet=CSS,
        sign_in_href='/x"><script>',
        guest_action="/x/guest",
        form_token='"t',
        signed_in_as="<b>@example.com",
    )

    assert "<script>" not in page.body
    assert "&lt;b&gt;@example.com" in page.body
    assert 'value="&quot;t"' in page.body


def test_statuses_and_extras() -> None:
    assert [a.status for a in ALL] == [200, 200, 410, 404, 400, 405, 413, 503, 500, 200, 303]
    assert ("Allow", "GET") in pages.method_not_allowed(CSS, "GET").headers()
    assert ("Location", "/x") in pages.redirect("/x").headers()
    assert ("Set-Cookie", "c=1") in ALL[-1].headers()
    assert pages.stylesheet().content_type.startswith("text/css")
    assert pages.bad_request(CSS, "x").with_cookies(("a=b",)).cookies == ("a=b",)


def test_the_opening_time_is_shown_and_machine_readable() -> None:
    page = pages.not_yet_open(CSS, datetime(2030, 3, 4, 9, 45, tzinfo=UTC))

    assert '<time datetime="2030-03-04T09:45:00+00:00">' in page.body
    assert "Monday 04 March 2030, 09:45 UTC" in page.body
