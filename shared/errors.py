"""The bundle's exception hierarchy.

Every error raised below the HTTP edge derives from :class:`BundleError`. Lower-level
errors (googleapiclient, requests, Firestore) are translated where they are caught
(``raise Ours(...) from err``), so callers only ever handle these kinds:

- :class:`ConfigurationError`: settings missing or invalid; names every offending variable.
- :class:`InvalidInput`: a caller sent something malformed (HTTP 400 at the edge).
- :class:`Unauthenticated`: missing or invalid credentials of the caller (HTTP 401).
- :class:`InvalidConferenceData`: ConferenceData that breaks a Calendar rule; ``field``
  names the offending field (a ``ValueError`` too).
- :class:`TransientFailure`: a dependency failed in a way that may pass when retried
  (5xx, 429, timeouts); ``retry_after`` is the server's hint in seconds, if any.
  - :class:`CreationUnconfirmed`: a provider's create may have made a meeting that could
    not be confirmed (its answer was lost and the look for it failed). Create again with
    the same request key and ``may_exist=True``; never with a new key.
  - :class:`MeetingBusy` (a :class:`MeetingRefusal`): the service refuses to change or
    delete the meeting while it is in progress; ``retry_after`` says when to try again.
    A delete refused so must be tried again later, never dropped.
  - :class:`HostLimitReached` (a :class:`MeetingRefusal`): the host's daily quota of
    creates and updates is spent; ``retry_after`` is the time until it resets.
  - :class:`MeetingCallFailed`: the service answered a call about one meeting with a 5xx
    until the retries ran out. It may concern that meeting alone (a meeting whose update
    keeps failing) or the whole service: sync keeps it on the meeting's record, and takes
    a second one in a row, on another meeting, for the service's failure. Connection
    errors, timeouts, 429s and token failures stay plain :class:`TransientFailure`: they
    concern every meeting.
  - :class:`QuotaExhausted`: Calendar answered 403 ``quotaExceeded`` (a daily or project
    quota): it does not clear in seconds, so it is not retried in a loop; ``retry_after``
    is the long back-off.
  - :class:`DeploymentMisconfigured`: the deployment, not one calendar or user, is refused
    (the domain-wide delegation grant lacks a scope, the token-creator binding on the
    delegation account is gone). Never a calendar's failure: it is a TransientFailure so
    that every generic handler keeps the work (sync token, due times, calendar state)
    and answers 503; it heals by itself once an operator fixes the grant. ``cause`` and
    ``fix`` say what was refused and what to repair; ``retry_after`` tells in-request
    retries not to bother.
- :class:`PermanentFailure`: retrying the same call cannot help.
  - :class:`AccessDenied`: the acting user may not do this (no calendar access, a user
    whose delegated token Google refuses with ``invalid_grant``: suspended or deleted, a
    host unknown to the conferencing account).
  - :class:`NotFound`: the object does not exist (or no longer does).
  - :class:`PreconditionFailed`: an ``If-Match`` write lost a race (re-read and retry).
  - :class:`DocumentGone`: a Firestore update of a document removed meanwhile (not a
    :class:`NotFound`, which speaks of Calendar or provider objects).
  - :class:`ProviderAccountFailure`: the conferencing account or app is misconfigured
    (credentials refused, a scope missing, the app deactivated, tokens refused as soon as
    issued). It concerns every meeting, not one event: an operator must act; ``setting``
    names what to check (never a secret).
  - :class:`MeetingRefused` (a :class:`MeetingRefusal`): the service refused this one
    meeting's call (invalid fields, a meeting that has ended, ...); other meetings are
    unaffected.

:class:`MeetingRefusal` is a marker base (never raised itself) of the refusals that
concern one meeting: transient (:class:`MeetingBusy`, :class:`HostLimitReached`) or
permanent (:class:`MeetingRefused`). So a caller can tell "this meeting, now or for good"
(``except MeetingRefusal``) from "every meeting" (``except ProviderAccountFailure``), and
code that only knows :class:`TransientFailure` / :class:`PermanentFailure` keeps working.

Messages never carry secrets, tokens, titles, descriptions or attendee emails: they may be
logged. Only the edge (``shared.http.edge``) turns these into HTTP answers.
"""

from __future__ import annotations


class BundleError(Exception):
    """Base of every error the bundle raises on purpose."""


class ConfigurationError(BundleError):
    """The settings are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration: " + "; ".join(self.problems))


class InvalidInput(BundleError):
    """The caller's request is malformed."""


class Unauthenticated(BundleError):
    """The caller's credentials are missing or invalid."""


class InvalidConferenceData(BundleError, ValueError):
    """ConferenceData that Calendar would reject; ``field`` names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class TransientFailure(BundleError):
    """A dependency failed in a way that may pass when retried."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


# -- deployment-level failures (kept in one block) -----------------------------------------
class DeploymentMisconfigured(TransientFailure):
    """The deployment's own credentials were refused: every calendar fails alike until an
    operator fixes it, so no calendar's state may change because of it."""

    #: Seconds before trying again is worth it (an operator has to act).
    RETRY_AFTER_SECONDS = 300.0

    def __init__(self, message: str, *, cause: str, fix: str) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(message, retry_after=self.RETRY_AFTER_SECONDS)


# ------------------------------------------------------------------------------------------
class PermanentFailure(BundleError):
    """A dependency refused in a way that retrying the same call cannot change."""


class AccessDenied(PermanentFailure):
    """The acting user may not do this."""


class ScopeNotGranted(AccessDenied):
    """The credentials lack an OAuth scope the call needs (with domain-wide delegation:
    the grant does not list it). A deployment's problem, not the user's."""

    def __init__(self, message: str, scope: str) -> None:
        super().__init__(message)
        self.scope = scope


class NotFound(PermanentFailure):
    """The object does not exist, or no longer does."""


class PreconditionFailed(PermanentFailure):
    """A conditional write (If-Match) lost a race with another writer."""


class DocumentGone(PermanentFailure):
    """A Firestore document was removed before an update reached it."""


class ProviderAccountFailure(PermanentFailure):
    """The conferencing account or app is misconfigured: every meeting is affected.

    ``setting`` names what an operator should check (a setting's name, or a scope to
    grant); never a secret.
    """

    def __init__(self, message: str, setting: str) -> None:
        self.setting = setting
        super().__init__(message)


class MeetingRefusal(BundleError):
    """Marker base: the service refused a call about one meeting (never raised itself)."""


class MeetingRefused(MeetingRefusal, PermanentFailure):
    """The service refused this one meeting's call for good (invalid fields, ended, ...)."""


class MeetingBusy(MeetingRefusal, TransientFailure):
    """The meeting is in progress: it cannot be changed or deleted until it ends.

    ``retry_after`` (seconds) is when to try again; the service gives no hint of its own.
    """


class HostLimitReached(MeetingRefusal, TransientFailure):
    """The host's daily quota of creates and updates is spent; ``retry_after`` is the
    time until it resets (from the service's ``Retry-After``)."""


class MeetingCallFailed(TransientFailure):
    """A call about one meeting kept answering 5xx: that meeting's failure, or the
    service's when it happens to two meetings in a row (docs/sync-model.md#failures)."""


class QuotaExhausted(TransientFailure):
    """Calendar's ``403 quotaExceeded``: a daily or project quota, not a rate limit.

    ``retry_after`` is long (an hour): in-request retries give up at once, and the
    calendar backs off (docs/sync-model.md#failures).
    """

    #: Seconds a calendar backs off after Calendar's quota was exhausted.
    BACK_OFF_SECONDS = 3600.0

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=self.BACK_OFF_SECONDS)
        self.recorded = False  # the calendar's back-off was recorded (and logged) already


class CreationUnconfirmed(TransientFailure):
    """A create may have made a meeting that could not be confirmed either way.

    Call create again with the same request key and ``may_exist=True`` (the provider then
    looks for that meeting before making one); a new key could leave two meetings.
    """
