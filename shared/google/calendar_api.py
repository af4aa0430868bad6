"""The Calendar v3 client: google-api-python-client, called as the acting user.

The discovery build (static, no network) is done once per instance. Each call runs on
its own authorized transport, built from the acting user's credentials around a
per-thread ``httplib2.Http`` (httplib2 is not thread-safe, and functions-framework serves
requests on several threads). Retries are the library's (``num_retries``: 5xx, 429 and
the 403 rate-limit reasons); its sleep is injectable for tests.

``HttpError`` is translated here: 404 -> NotFound, 410 on a listing -> SyncTokenInvalid
(else NotFound), 412 -> PreconditionFailed, 429 / 5xx / 403 rate-limit -> TransientFailure,
403 ``quotaExceeded`` (a daily or project quota, which the library does not retry either)
-> QuotaExhausted (a long back-off, never a loop), 401 / other 403 -> AccessDenied, other
4xx -> PermanentFailure. Transport errors and timeouts are TransientFailure. A failed
token fetch is sorted by ``shared.google.token_errors``: transient, the deployment's
(DeploymentMisconfigured, logged here once as ERROR), or the user's (AccessDenied).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from shared.errors import (
    AccessDenied,
    DeploymentMisconfigured,
    NotFound,
    PermanentFailure,
    PreconditionFailed,
    QuotaExhausted,
    ScopeNotGranted,
    TransientFailure,
)
from shared.google.credentials import CALENDAR_LIST_SCOPE, CALENDAR_SCOPES
from shared.google.token_errors import DELEGATION_SETTING, translate_token_error
from shared.structured_logging import fields

logger = logging.getLogger(__name__)

# The listing parameters of the first full sync and of every incremental sync: they must
# match (docs/calendar-behaviour.md#incremental-sync). No orderBy / updatedMin / timeMin,
# so that a sync token is returned.
LIST_PARAMS: dict[str, Any] = {"singleEvents": False, "maxResults": 2500}
RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
#: A daily or project quota: it does not clear in seconds (docs/calendar-behaviour.md#errors).
QUOTA_REASONS = frozenset({"quotaExceeded"})


class SyncTokenInvalid(PermanentFailure):
    """events.list answered 410: the sync token is gone, a full sync is required."""


def _reasons(err: HttpError) -> set[str]:
    try:
        body = json.loads(err.content.decode("utf-8"))
        return {str(item.get("reason")) for item in body["error"]["errors"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


# What Google answers for a token without the scope a call needs (403,
# "Request had insufficient authentication scopes."), and what its token endpoint answers a
# domain-wide delegation whose grant lacks a scope (unauthorized_client).
SCOPE_REFUSALS = (
    "insufficientPermissions",
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    "unauthorized_client",
)


def _scope_refusal(err: BaseException) -> bool:
    seen: BaseException | None = err
    while seen is not None:
        if any(reason in str(seen) for reason in SCOPE_REFUSALS):
            return True
        seen = seen.__cause__
    return False


def translate_http_error(
    err: HttpError, what: str, *, listing: bool = False, token_used: bool = False
) -> Exception:
    status = int(err.resp.status)
    reasons = _reasons(err)
    label = f"Calendar {what} answered {status}"
    if reasons:
        label += f" ({', '.join(sorted(reasons))})"
    if listing and (status == 410 or (status == 400 and "invalid" in reasons and token_used)):
        # 410: the token expired. 400 "Invalid sync token value.": a malformed token;
        # both are cured the same way, by a full sync.
        return SyncTokenInvalid(label)
    if status in (404, 410):
        return NotFound(label)
    if status == 412:
        return PreconditionFailed(label)
    if status == 403 and reasons & QUOTA_REASONS and not reasons & RATE_LIMIT_REASONS:
        return QuotaExhausted(label)
    if status == 429 or status >= 500 or (status == 403 and reasons & RATE_LIMIT_REASONS):
        return TransientFailure(label)
    if status in (401, 403):
        return AccessDenied(label)
    return PermanentFailure(label)


#: The one ERROR line of a deployment-level refusal (docs/operations.md#logs).
MISCONFIGURED_LOG = "calendar delegation refused for the whole deployment; sync paused"


def _log_misconfigured(
    failure: DeploymentMisconfigured, credentials: Credentials | None, what: str
) -> None:
    """One ERROR per refusal, naming the setting, the account and the grant's scopes."""
    logger.error(
        MISCONFIGURED_LOG,
        extra=fields(
            setting=DELEGATION_SETTING,
            delegation_service_account=getattr(credentials, "service_account_email", None),
            grant_scopes=",".join(CALENDAR_SCOPES),
            cause=failure.cause,
            fix=failure.fix,
            call=what,
        ),
    )


class CalendarApi:
    """Calendar v3 calls as a given user."""

    def __init__(
        self,
        *,
        credentials_for: Callable[[str], Credentials],
        list_credentials_for: Callable[[str], Credentials] | None = None,
        api_endpoint: str | None = None,
        num_retries: int = 3,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials_for = credentials_for
        # calendarList calls carry their own scope (shared/google/credentials.py).
        self._list_credentials_for = list_credentials_for or credentials_for
        self._api_endpoint = api_endpoint
        self._num_retries = num_retries
        self._timeout = timeout
        self._sleep = sleep
        self._service: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _resource(self) -> Any:
        with self._lock:
            if self._service is None:
                options = {"api_endpoint": self._api_endpoint} if self._api_endpoint else None
                self._service = build(
                    "calendar",
                    "v3",
                    static_discovery=True,
                    cache_discovery=False,
                    client_options=options,
                    http=httplib2.Http(timeout=self._timeout),
                )
            return self._service

    def prepare(self) -> None:
        """Build the service now (a static discovery document: no network I/O), and the
        methods it calls most (their requests are built, never sent)."""
        service = self._resource()
        service.calendarList().get(calendarId="primary")
        service.events().get(calendarId="primary", eventId="x")
        service.events().list(calendarId="primary", **LIST_PARAMS)

    def _http(self) -> httplib2.Http:
        http = getattr(self._local, "http", None)
        if http is None:
            http = httplib2.Http(timeout=self._timeout)
            self._local.http = http
        return http

    def _execute(
        self,
        user: str,
        request: Any,
        what: str,
        *,
        listing: bool = False,
        token_used: bool = False,
        headers: dict[str, str] | None = None,
        num_retries: int | None = None,
        calendar_list: bool = False,
    ) -> Any:
        if headers:
            request.headers.update(headers)
        request._sleep = self._sleep
        credentials: Credentials | None = None
        try:
            credentials = (self._list_credentials_for if calendar_list else self._credentials_for)(
                user
            )
            authorized = google_auth_httplib2.AuthorizedHttp(credentials, http=self._http())
            retries = self._num_retries if num_retries is None else num_retries
            return request.execute(http=authorized, num_retries=retries)
        except HttpError as err:
            raise translate_http_error(err, what, listing=listing, token_used=token_used) from err
        except (google.auth.exceptions.RefreshError, google.auth.exceptions.TransportError) as err:
            # A token blip is not a revocation (shared/google/token_errors.py).
            failure = translate_token_error(err, what)
            if isinstance(failure, DeploymentMisconfigured):
                _log_misconfigured(failure, credentials, what)
            raise failure from err
        except httplib2.HttpLib2Error as err:
            raise TransientFailure(f"Calendar {what} failed in transport") from err
        except (TimeoutError, ConnectionError, OSError) as err:
            self._local.http = None  # a broken connection must not be reused
            raise TransientFailure(f"Calendar {what} timed out or was cut") from err

    # -- calls -------------------------------------------------------------------------
    def get_calendar(self, user: str, calendar_id: str, **kw: Any) -> dict[str, Any]:
        request = self._resource().calendars().get(calendarId=calendar_id)
        return dict(self._execute(user, request, "calendars.get", **kw))

    # -- the user's calendar list (own credentials and scope: CALENDAR_LIST_SCOPE) --------
    def get_calendar_list_entry(self, user: str, calendar_id: str, **kw: Any) -> dict[str, Any]:
        """calendarList.get as ``user``: the calendar on their list, with their
        ``accessRole`` (404 when it is not on their list)."""
        request = self._resource().calendarList().get(calendarId=calendar_id)
        return dict(
            self._scoped(
                lambda: self._execute(user, request, "calendarList.get", calendar_list=True, **kw)
            )
        )

    def list_calendar_list_page(
        self,
        user: str,
        *,
        min_access_role: str,
        page_token: str | None = None,
        max_results: int = 50,
    ) -> dict[str, Any]:
        """One page of calendarList.list as ``user``."""
        params: dict[str, Any] = {"minAccessRole": min_access_role, "maxResults": max_results}
        if page_token:
            params["pageToken"] = page_token
        request = self._resource().calendarList().list(**params)
        return dict(
            self._scoped(
                lambda: self._execute(user, request, "calendarList.list", calendar_list=True)
            )
        )

    @staticmethod
    def _scoped(call: Callable[[], Any]) -> Any:
        """A calendar-list call refused for its scope raises ScopeNotGranted: the grant (or
        the token) lacks CALENDAR_LIST_SCOPE."""
        try:
            return call()
        except (AccessDenied, DeploymentMisconfigured) as err:
            # These credentials carry only CALENDAR_LIST_SCOPE: a token request refused
            # as unauthorized_client means the grant lacks exactly that scope.
            if isinstance(err, ScopeNotGranted) or not _scope_refusal(err):
                raise
            raise ScopeNotGranted(str(err), CALENDAR_LIST_SCOPE) from err

    def get_event(self, user: str, calendar_id: str, event_id: str, **kw: Any) -> dict[str, Any]:
        request = self._resource().events().get(calendarId=calendar_id, eventId=event_id)
        return dict(self._execute(user, request, "events.get", **kw))

    def list_events_page(
        self,
        user: str,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        fields: str | None = None,
        time_min: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"calendarId": calendar_id, **LIST_PARAMS}
        if time_min:
            params["timeMin"] = time_min
        if sync_token:
            params["syncToken"] = sync_token
        if page_token:
            params["pageToken"] = page_token
        if fields:
            params["fields"] = fields
        request = self._resource().events().list(**params)
        return dict(
            self._execute(
                user, request, "events.list", listing=True, token_used=bool(sync_token), **kw
            )
        )

    def watch(
        self,
        user: str,
        calendar_id: str,
        *,
        channel_id: str,
        token: str,
        address: str,
        ttl_seconds: int,
        **kw: Any,
    ) -> dict[str, Any]:
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_seconds)},
        }
        request = self._resource().events().watch(calendarId=calendar_id, body=body, **LIST_PARAMS)
        return dict(self._execute(user, request, "events.watch", **kw))

    def stop_channel(self, user: str, channel_id: str, resource_id: str, **kw: Any) -> None:
        body = {"id": channel_id, "resourceId": resource_id}
        request = self._resource().channels().stop(body=body)
        try:
            self._execute(user, request, "channels.stop", **kw)
        except NotFound:
            return  # already stopped or expired: the goal is reached

    def patch_event(
        self,
        user: str,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        *,
        etag: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        request = (
            self._resource()
            .events()
            .patch(calendarId=calendar_id, eventId=event_id, body=body, conferenceDataVersion=1)
        )
        headers = {"If-Match": etag} if etag else None
        return dict(self._execute(user, request, "events.patch", headers=headers, **kw))
