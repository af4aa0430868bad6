"""The join function's request flow; ``functions/join_meeting/main.py`` only converts
HTTP to :class:`JoinRequest` and :class:`~shared.join.pages.Answer` back
(docs/join-links.md#flow).

Paths, relative to ``JOIN_BASE_URL``:

- ``<conference id>`` (GET): the link in the event. Unknown id: 404; cancelled (a
  tombstone, or the event cancelled in Calendar): 410; before the window: when it opens;
  with a session whose person is admitted (moderator, attendee): the meeting is created
  (idempotent) and the browser is sent to BigBlueButton (303); else the landing page.
- ``<conference id>/signin`` (GET): a new sign-in attempt in the state cookie, then 303
  to Google's authorization endpoint.
- ``oauth/callback`` (GET, reserved: a conference id has no ``/``): state checked against
  the cookie, code exchanged, ID token verified, session cookie set, 303 to the target the
  signed state names (always a conference path under ``JOIN_BASE_URL``).
- ``<conference id>/guest`` (POST ``name``, ``token``): the guest form; the token is bound
  to the state cookie. 303 to BigBlueButton's lobby (``guest=true``).
- ``assets/join.css`` (GET): the stylesheet (the CSP allows ``style-src 'self'`` only).

Bad input (an unknown id, a tampered or expired cookie, a replayed code, a wrong form
token, an over-long name) is a 4xx page, and nothing is created or written. Logs carry
the outcome and a short digest of the conference id; never an email, a name, a code or
a token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from shared.errors import (
    AccessDenied,
    BundleError,
    NotFound,
    TransientFailure,
    Unauthenticated,
)
from shared.google.id_tokens import VerifiedUser
from shared.join import admission, cookies, oidc, pages
from shared.join.admission import Identity, Role
from shared.join.settings import JoinSettings
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

CONFERENCE_ID = re.compile(r"[A-Za-z0-9_-]{22}")
CALLBACK_PATH = "oauth/callback"
MAX_NAME_LENGTH = 64
MAX_FORM_BYTES = 4096
MAX_TITLE_LENGTH = 256


@dataclass(frozen=True)
class JoinRequest:
    method: str
    path: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    cookies: Mapping[str, str]


@dataclass(frozen=True)
class Conference:
    """What the join flow needs of a conference record."""

    conference_id: str
    calendar_id: str
    event_id: str
    owner_email: str
    solution_id: str
    options: Mapping[str, Any]


class JoinBackend(Protocol):
    """The I/O of the flow (Firestore, Calendar, BigBlueButton); see ``backend.py``."""

    def find(self, conference_id: str) -> Conference | None: ...

    def is_tombstoned(self, conference_id: str) -> bool: ...

    def read_event(self, conference: Conference) -> Mapping[str, Any]:
        """The event as Calendar answers now (NotFound if it is gone)."""
        ...

    def start_meeting(self, conference: Conference, title: str) -> None: ...

    def join_url(
        self, conference: Conference, full_name: str, *, moderator: bool, guest: bool, user_id: str
    ) -> str: ...


class SignIn(Protocol):
    def sign_in(self, code: str, verifier: str, nonce: str, redirect_uri: str) -> VerifiedUser: ...


def _digest(conference_id: str) -> str:
    return hashlib.sha256(conference_id.encode("utf-8")).hexdigest()[:12]


def clean_name(raw: str) -> str | None:
    """A guest's name: trimmed, 1..64 characters, no control characters; else None."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        return None
    return name


class JoinHandler:
    def __init__(
        self,
        *,
        settings: JoinSettings,
        join_base_url: str,
        allowed_domains: tuple[str, ...],
        backend: JoinBackend,
        sign_in: SignIn,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._base_url = join_base_url
        self._base_path = urlsplit(join_base_url).path or "/"
        self._allowed_domains = allowed_domains
        self._backend = backend
        self._sign_in = sign_in
        self._clock = clock
        self._css = self._base_path + pages.STYLESHEET_PATH

    @property
    def redirect_uri(self) -> str:
        return self._base_url + CALLBACK_PATH

    def too_large(self) -> pages.Answer:
        return pages.too_large(self._css)

    def handle(self, request: JoinRequest) -> pages.Answer:
        try:
            return self._route(request)
        except TransientFailure:
            logger.warning("join: a dependency failed", extra=fields(outcome="unavailable"))
            return pages.unavailable(self._css)
        except BundleError as err:
            logger.error(
                "join: refused by a dependency",
                extra=fields(outcome="failed", error=type(err).__name__),
            )
            return pages.failed(self._css)
        except Exception as err:  # noqa: BLE001 (no internals leak: a generic page)
            logger.error(
                "join: unexpected error", extra=fields(outcome="failed", error=type(err).__name__)
            )
            return pages.failed(self._css)

    # -- routing ---------------------------------------------------------------------
    def _route(self, request: JoinRequest) -> pages.Answer:
        if not request.path.startswith(self._base_path):
            return pages.not_found(self._css)
        rest = request.path[len(self._base_path) :]
        if rest == pages.STYLESHEET_PATH:
            return self._only(request, "GET") or pages.stylesheet()
        if rest == CALLBACK_PATH:
            return self._only(request, "GET") or self._callback(request)
        conference_id, _, action = rest.partition("/")
        if not CONFERENCE_ID.fullmatch(conference_id) or action not in ("", "signin", "guest"):
            return pages.not_found(self._css)
        if action == "guest":
            return self._only(request, "POST") or self._guest(request, conference_id)
        if action == "signin":
            return self._only(request, "GET") or self._start_sign_in(request, conference_id)
        return self._only(request, "GET") or self._link(request, conference_id)

    def _only(self, request: JoinRequest, method: str) -> pages.Answer | None:
        allowed = (method, "HEAD") if method == "GET" else (method,)
        if request.method in allowed:
            return None
        return pages.method_not_allowed(self._css, ", ".join(allowed))

    # -- the link ----------------------------------------------------------------------
    def _open_conference(
        self, conference_id: str
    ) -> tuple[Conference, Mapping[str, Any]] | pages.Answer:
        """The conference and its event now, or the page that says why not."""
        # The tombstone first: sync removes a cancelled conference's record after it.
        if self._backend.is_tombstoned(conference_id):
            self._log("cancelled", conference_id)
            return pages.cancelled(self._css)
        conference = self._backend.find(conference_id)
        if conference is None:
            self._log("unknown", conference_id)
            return pages.not_found(self._css)
        try:
            event = self._backend.read_event(conference)
        except NotFound:
            self._log("cancelled", conference_id)
            return pages.cancelled(self._css)
        except AccessDenied:
            self._log("event unreadable", conference_id)
            return pages.not_found(self._css)
        if admission.is_cancelled(event):
            self._log("cancelled", conference_id)
            return pages.cancelled(self._css)
        now = datetime.fromtimestamp(self._clock(), UTC)
        opening = admission.not_open_until(event, now, self._settings.opens_minutes_before)
        if opening is not None:
            self._log("not open yet", conference_id)
            return pages.not_yet_open(self._css, opening)
        return conference, event

    def _link(self, request: JoinRequest, conference_id: str) -> pages.Answer:
        opened = self._open_conference(conference_id)
        if isinstance(opened, pages.Answer):
            return opened
        conference, event = opened
        who = self._session(request)
        if who is not None:
            policy = admission.policy_of(conference.options)
            role = admission.admit(
                policy, who, event, conference.owner_email, self._allowed_domains
            )
            if role is not Role.LOBBY:
                return self._join(conference, event, who.email, role, _user_id(who.email))
        state = self._state(request)
        state_id = str(state.get("sid") or secrets.token_urlsafe(16))
        new_state = {**state, "sid": state_id}
        self._log("landing", conference_id)
        return pages.landing(
            stylesheet=self._css,
            sign_in_href=f"{self._base_path}{conference_id}/signin",
            guest_action=f"{self._base_path}{conference_id}/guest",
            form_token=cookies.form_token(self._settings.session_key, state_id, conference_id),
            signed_in_as=who.email if who is not None else None,
            cookies=(self._state_cookie(new_state),),
        )

    def _join(
        self,
        conference: Conference,
        event: Mapping[str, Any],
        full_name: str,
        role: Role,
        user_id: str,
        *,
        from_form: bool = False,
    ) -> pages.Answer:
        self._backend.start_meeting(conference, _title(event))
        url = self._backend.join_url(
            conference,
            full_name,
            moderator=role is Role.MODERATOR,
            guest=role is Role.LOBBY,
            user_id=user_id,
        )
        self._log("joined", conference.conference_id, role=role.value)
        # A form's answer cannot redirect to BigBlueButton: form-action 'self' blocks it.
        return pages.forward(self._css, url) if from_form else pages.redirect(url)

    # -- guests ------------------------------------------------------------------------
    def _guest(self, request: JoinRequest, conference_id: str) -> pages.Answer:
        retry = f"{self._base_path}{conference_id}"
        state_id = self._state(request).get("sid")
        token = request.form.get("token", "")
        if not isinstance(state_id, str) or not cookies.form_token_valid(
            self._settings.session_key, state_id, conference_id, token
        ):
            self._log("bad form token", conference_id)
            return pages.bad_request(self._css, "This form has expired.", retry)
        name = clean_name(request.form.get("name", ""))
        if name is None:
            self._log("bad name", conference_id)
            return pages.bad_request(
                self._css, f"Give a name of 1 to {MAX_NAME_LENGTH} characters.", retry
            )
        opened = self._open_conference(conference_id)
        if isinstance(opened, pages.Answer):
            return opened
        conference, event = opened
        return self._join(
            conference,
            event,
            name,
            Role.LOBBY,
            "guest-" + secrets.token_hex(8),
            from_form=True,
        )

    # -- sign-in ------------------------------------------------------------------------
    def _start_sign_in(self, request: JoinRequest, conference_id: str) -> pages.Answer:
        if self._backend.is_tombstoned(conference_id):
            self._log("cancelled", conference_id)
            return pages.cancelled(self._css)
        if self._backend.find(conference_id) is None:
            self._log("unknown", conference_id)
            return pages.not_found(self._css)
        attempt = oidc.new_attempt()
        state = self._state(request)
        new_state = {
            "sid": state.get("sid") or secrets.token_urlsafe(16),
            "state": attempt.state,
            "nonce": attempt.nonce,
            "verifier": attempt.verifier,
            "target": f"{self._base_path}{conference_id}",
        }
        self._log("sign-in started", conference_id)
        return pages.redirect(
            oidc.authorize_url(self._settings, self.redirect_uri, attempt),
            cookies=(self._state_cookie(new_state),),
        )

    def _callback(self, request: JoinRequest) -> pages.Answer:
        state = self._state(request)
        target = state.get("target")
        expected = state.get("state")
        received = request.query.get("state", "")
        if (
            not isinstance(expected, str)
            or not isinstance(target, str)
            or not self._is_conference_path(target)
            or not hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace"))
        ):
            logger.info("join: callback refused", extra=fields(outcome="bad state"))
            return pages.bad_request(self._css, "This sign-in has expired or was already used.")
        # The attempt is used up whatever happens next: a replay finds no state.
        spent = (self._state_cookie({"sid": state.get("sid") or secrets.token_urlsafe(16)}),)
        if "error" in request.query or not request.query.get("code"):
            logger.info("join: callback refused", extra=fields(outcome="sign-in not completed"))
            return pages.bad_request(self._css, "Sign-in was not completed.", target).with_cookies(
                spent
            )
        try:
            user = self._sign_in.sign_in(
                request.query["code"],
                str(state.get("verifier", "")),
                str(state.get("nonce", "")),
                self.redirect_uri,
            )
        except Unauthenticated as err:
            logger.info("join: sign-in refused", extra=fields(outcome="refused", reason=str(err)))
            return pages.bad_request(self._css, "Sign-in failed.", target).with_cookies(spent)
        session = cookies.sign(
            self._settings.session_key,
            "session",
            {"email": user.email, "hd": user.hosted_domain},
            now=self._clock(),
            max_age=cookies.MAX_AGE_SECONDS,
        )
        logger.info("join: signed in", extra=fields(outcome="signed in"))
        return pages.redirect(
            target,
            cookies=(
                *spent,
                cookies.set_cookie_header(
                    cookies.SESSION_COOKIE, session, max_age=cookies.MAX_AGE_SECONDS
                ),
            ),
        )

    # -- cookies -----------------------------------------------------------------------
    def _is_conference_path(self, target: str) -> bool:
        if not target.startswith(self._base_path):
            return False
        return CONFERENCE_ID.fullmatch(target[len(self._base_path) :]) is not None

    def _state(self, request: JoinRequest) -> dict[str, Any]:
        value = request.cookies.get(cookies.STATE_COOKIE)
        payload = cookies.read_signed(self._settings.session_key, "state", value, now=self._clock())
        return payload or {}

    def _state_cookie(self, payload: Mapping[str, Any]) -> str:
        value = cookies.sign(
            self._settings.session_key,
            "state",
            dict(payload),
            now=self._clock(),
            max_age=cookies.MAX_AGE_SECONDS,
        )
        return cookies.set_cookie_header(
            cookies.STATE_COOKIE, value, max_age=cookies.MAX_AGE_SECONDS
        )

    def _session(self, request: JoinRequest) -> Identity | None:
        value = request.cookies.get(cookies.SESSION_COOKIE)
        payload = cookies.read_signed(
            self._settings.session_key, "session", value, now=self._clock()
        )
        if payload is None or not isinstance(payload.get("email"), str):
            return None
        hd = payload.get("hd")
        return Identity(email=payload["email"], hosted_domain=hd if isinstance(hd, str) else None)

    @staticmethod
    def _log(outcome: str, conference_id: str, **extra: str) -> None:
        logger.info(
            "join: " + outcome,
            extra=fields(outcome=outcome, conference=_digest(conference_id), **extra),
        )


def _user_id(email: str) -> str:
    """BigBlueButton's ``userID`` of a signed-in person: stable, not their email."""
    return "u-" + hashlib.sha256(email.casefold().encode("utf-8")).hexdigest()[:20]


def _title(event: Mapping[str, Any]) -> str:
    title = " ".join(str(event.get("summary") or "").split())[:MAX_TITLE_LENGTH]
    return title if len(title) >= 2 else "Meeting"
