"""The join function's HTML answers: small, accessible pages that work without
JavaScript, every value escaped (docs/join-links.md#pages).

Every answer carries :data:`SECURITY_HEADERS`: a Content-Security-Policy that allows
nothing but our own stylesheet and forms posting to ourselves, no referrer (the join link
is a credential), no caching. This module is the join edge's answer table: which page,
with which status, for each outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CSP),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)
# Not under static/: Flask (under functions-framework) routes /static/ to its own folder.
STYLESHEET_PATH = "assets/join.css"
STYLESHEET = """\
body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
  padding: 0 1rem; line-height: 1.5; color: #1f1f1f; background: #fff; }
h1 { font-size: 1.5rem; }
a.button, button { display: inline-block; padding: .6rem 1.2rem; border-radius: .3rem;
  border: 1px solid #1a73e8; background: #1a73e8; color: #fff; font-size: 1rem;
  text-decoration: none; cursor: pointer; }
a.button:focus, button:focus, input:focus { outline: 3px solid #fbbc04; outline-offset: 2px; }
label { display: block; margin: 1rem 0 .3rem; }
input { font-size: 1rem; padding: .4rem; width: 100%; box-sizing: border-box; }
section { margin: 2rem 0; }
"""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer of the join function (the entry point turns it into a response)."""

    status: int
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    cookies: tuple[str, ...] = ()
    """``Set-Cookie`` values."""
    extra_headers: tuple[tuple[str, str], ...] = field(default=())

    def with_cookies(self, cookies: tuple[str, ...]) -> Answer:
        return Answer(
            self.status,
            self.body,
            self.content_type,
            self.location,
            (*self.cookies, *cookies),
            self.extra_headers,
        )

    def headers(self) -> list[tuple[str, str]]:
        headers = [("Content-Type", self.content_type), *SECURITY_HEADERS, *self.extra_headers]
        if self.location is not None:
            headers.append(("Location", self.location))
        headers.extend(("Set-Cookie", cookie) for cookie in self.cookies)
        return headers


def _page(
    status: int,
    title: str,
    body: str,
    stylesheet: str,
    cookies: tuple[str, ...] = (),
    head: str = "",
) -> Answer:
    html = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(stylesheet)}"></head>\n'
        f'<body><main><h1 id="title">{escape(title)}</h1>\n{body}\n</main></body></html>\n'
    )
    return Answer(status, html, cookies=cookies)


def landing(
    *,
    stylesheet: str,
    sign_in_href: str,
    guest_action: str,
    form_token: str,
    signed_in_as: str | None,
    cookies: tuple[str, ...] = (),
) -> Answer:
    """The first page: sign in with Google, or give a name and wait in the lobby."""
    if signed_in_as is None:
        sign_in = (
            '<section aria-labelledby="signin-title"><h2 id="signin-title">Invited?</h2>'
            "<p>Sign in with the Google account the invitation was sent to.</p>"
            f'<p><a class="button" id="sign-in" href="{escape(sign_in_href)}">'
            "Sign in with Google</a></p></section>"
        )
    else:
        sign_in = (
            '<section aria-labelledby="signin-title"><h2 id="signin-title">Signed in</h2>'
            f'<p id="signed-in">You are signed in as {escape(signed_in_as)}, which is not on '
            "this meeting's guest list. You can "
            f'<a id="sign-in" href="{escape(sign_in_href)}">sign in with another account</a>'
            " or join as a guest.</p></section>"
        )
    guest = (
        '<section aria-labelledby="guest-title"><h2 id="guest-title">Join as a guest</h2>'
        "<p>A moderator lets you in from the waiting room.</p>"
        f'<form method="post" action="{escape(guest_action)}">'
        f'<input type="hidden" name="token" value="{escape(form_token)}">'
        '<label for="name">Your name</label>'
        '<input id="name" name="name" type="text" required maxlength="64" autocomplete="name">'
        '<p><button id="join-as-guest" type="submit">Join as a guest</button></p>'
        "</form></section>"
    )
    return _page(200, "Join the meeting", sign_in + guest, stylesheet, cookies)


def not_yet_open(stylesheet: str, opens: datetime) -> Answer:
    when = opens.strftime("%A %d %B %Y, %H:%M %Z").strip()
    stamp = opens.isoformat()
    body = (
        f'<p id="opens">This meeting opens on <time datetime="{escape(stamp)}">'
        f"{escape(when)}</time>. Come back then: this page does not refresh by itself.</p>"
    )
    return _page(200, "Not open yet", body, stylesheet)


def cancelled(stylesheet: str) -> Answer:
    body = '<p id="cancelled">This meeting was cancelled. Its link no longer works.</p>'
    return _page(410, "Meeting cancelled", body, stylesheet)


def not_found(stylesheet: str) -> Answer:
    body = '<p id="not-found">No meeting has this link. Check the link in the invitation.</p>'
    return _page(404, "Meeting not found", body, stylesheet)


def bad_request(stylesheet: str, reason: str, retry_href: str | None = None) -> Answer:
    """Tampered, expired or replayed input: nothing was done; start again."""
    again = (
        f' <a id="start-again" href="{escape(retry_href)}">Start again</a>.' if retry_href else ""
    )
    body = f'<p id="bad-request">{escape(reason)}{again}</p>'
    return _page(400, "This link cannot be used", body, stylesheet)


def method_not_allowed(stylesheet: str, allowed: str) -> Answer:
    page = _page(405, "Not allowed", "<p>This address does not take that request.</p>", stylesheet)
    return Answer(page.status, page.body, extra_headers=(("Allow", allowed),))


def too_large(stylesheet: str) -> Answer:
    body = '<p id="too-large">The form sent was too large.</p>'
    return _page(413, "Too large", body, stylesheet)


def unavailable(stylesheet: str) -> Answer:
    body = (
        '<p id="unavailable">The meeting service could not be reached. Try again in a minute.</p>'
    )
    page = _page(503, "Try again shortly", body, stylesheet)
    return Answer(page.status, page.body, extra_headers=(("Retry-After", "30"),))


def failed(stylesheet: str) -> Answer:
    body = '<p id="failed">Something went wrong on our side. Try again later.</p>'
    return _page(500, "Something went wrong", body, stylesheet)


def stylesheet() -> Answer:
    return Answer(
        200,
        STYLESHEET,
        content_type="text/css; charset=utf-8",
    )


def forward(stylesheet: str, url: str) -> Answer:
    """A page that takes the browser on to ``url`` (another origin) at once, without
    JavaScript: the answer to a form. A redirect cannot do it, since the CSP's
    ``form-action 'self'`` also applies to the redirects that follow a form's submission
    (browsers block the navigation). A meta refresh, with a link for browsers that
    ignore it, is a new navigation. ``url`` is a credential: ``no-store``, no referrer."""
    target = escape(url)
    body = (
        '<p id="forward">Taking you to the meeting. '
        f'<a class="button" id="enter" href="{target}">Enter the meeting</a></p>'
    )
    head = f'<meta http-equiv="refresh" content="0; url={target}">'
    return _page(200, "Entering the meeting", body, stylesheet, head=head)


def redirect(location: str, cookies: tuple[str, ...] = ()) -> Answer:
    """303 See Other to ``location`` (the next step is always a GET)."""
    return Answer(303, "", location=location, cookies=cookies)
