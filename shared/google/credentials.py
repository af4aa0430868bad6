"""Credentials to call the Calendar API as the acting user.

Two modes:

- **delegated** (deployed): a delegation service account (``DELEGATION_SERVICE_ACCOUNT``,
  one for all three functions, so that one OAuth client acts for users and may stop the
  channels any function opened), keyless. The JWT-bearer assertion (``iss`` = that account,
  ``sub`` = the user, ``scope`` = :data:`CALENDAR_SCOPES`) is signed through the IAM
  Credentials ``signBlob`` API (:class:`google.auth.iam.Signer`), so no key file exists
  anywhere. Each function's runtime account needs ``roles/iam.serviceAccountTokenCreator``
  on the delegation account, and a Workspace admin grants its client id exactly
  :data:`CALENDAR_SCOPES` under domain-wide delegation.
- **anonymous** (local stack): :class:`LocalUserCredentials` sends
  ``Authorization: Bearer local-user:<email>``, which the local Calendar server reads as
  the acting user.
- **delegated, locally** (tests of token failures): the same delegated credentials, but
  the assertion is signed with a local key (:func:`local_key_signer`,
  ``CALENDAR_SIGNING_KEY_FILE``) and exchanged at a local token endpoint
  (``CALENDAR_TOKEN_URI``, ``local/fakes/token_issuer.py``). Both settings are refused on
  Cloud Run: deployed functions never hold a key.

Nothing here touches the network or looks up default credentials at import.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.crypt
import google.auth.iam
import google.auth.transport.requests
import google.oauth2.service_account

# The least scopes covering every Calendar call the bundle makes, per the per-method
# "scopes" of the Calendar v3 discovery document:
# - calendar.events covers events.get / list / watch / patch and channels.stop, on every
#   calendar the user can write to. The narrower calendar.events.owned covers the same
#   methods but only on calendars the user owns, so conferences on shared or delegated
#   calendars (a team calendar, an assistant booking for an executive) would fail with 403;
#   calendar.events.readonly and the other read-only scopes do not allow events.patch.
# - calendar.events does not cover calendars.get (time zone and summary of the calendar):
#   calendar.calendars.readonly is the least scope for it (read-only calendar properties,
#   no events, no sharing settings).
# Neither is the broad https://www.googleapis.com/auth/calendar (ACLs, deleting calendars).
CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
CALENDARS_READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.calendars.readonly"
CALENDAR_SCOPES: tuple[str, ...] = (CALENDAR_EVENTS_SCOPE, CALENDARS_READONLY_SCOPE)
# calendarList.get / calendarList.list (a user's access role on a calendar, the calendars
# they can write to) need calendar.calendarlist.readonly. With domain-wide delegation one
# scope missing from the grant fails the whole token request (unauthorized_client), so
# these calls use credentials of their own that carry only this scope: while the grant
# lacks it, only they fail (docs/operations.md).
CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
CALENDAR_LIST_SCOPES: tuple[str, ...] = (CALENDAR_LIST_SCOPE,)

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
#: The scope the source credentials need to call the IAM Credentials signBlob API.
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
LOCAL_USER_TOKEN_PREFIX = "local-user:"  # noqa: S105 (not a secret)


def iam_signer(
    service_account_email: str,
    *,
    source_credentials: google.auth.credentials.Credentials | None = None,
) -> google.auth.crypt.Signer:
    """A signer that signs as ``service_account_email`` through the IAM Credentials API.

    ``source_credentials`` default to the instance's own (``google.auth.default()``),
    looked up now, i.e. on first use, never at import.
    """
    if source_credentials is None:
        source_credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    request = google.auth.transport.requests.Request()
    signer: google.auth.crypt.Signer = google.auth.iam.Signer(  # type: ignore[no-untyped-call]
        request, source_credentials, service_account_email
    )
    return signer


def local_key_signer(key_file: str) -> google.auth.crypt.Signer:
    """A signer with the PEM private key in ``key_file`` (local use only)."""
    with open(key_file, encoding="ascii") as handle:
        pem = handle.read()
    signer: google.auth.crypt.Signer = google.auth.crypt.RSASigner.from_string(  # type: ignore[no-untyped-call]
        pem
    )
    return signer


def delegated_credentials(
    user_email: str,
    *,
    service_account_email: str,
    scopes: Sequence[str],
    signer: google.auth.crypt.Signer | None = None,
    source_credentials: google.auth.credentials.Credentials | None = None,
    token_uri: str = GOOGLE_TOKEN_URI,
) -> google.oauth2.service_account.Credentials:
    """Credentials of ``service_account_email`` acting as ``user_email`` (domain-wide
    delegation). ``signer=None`` signs through IAM (see :func:`iam_signer`).

    The credentials fetch their token on first use and refresh it when it expires. With
    ``signer=None`` every call looks up default credentials again: request paths should
    use :class:`DelegatedCredentialsCache`, which does it once and reuses tokens.
    """
    if not scopes:
        raise ValueError("delegated credentials need at least one scope")
    if signer is None:
        signer = iam_signer(service_account_email, source_credentials=source_credentials)
    return google.oauth2.service_account.Credentials(  # type: ignore[no-untyped-call]
        signer,
        service_account_email,
        token_uri,
        scopes=list(scopes),
        subject=user_email,
    )


class DelegatedCredentialsCache:
    """Delegated credentials per user, reused across requests so that their access
    tokens are; thread-safe, least recently used first out past ``max_size`` users.

    The IAM signer (and the default-credentials lookup behind it) is created on the first
    :meth:`get`, once for all users.
    """

    def __init__(
        self,
        *,
        service_account_email: str,
        scopes: Sequence[str] = CALENDAR_SCOPES,
        signer: google.auth.crypt.Signer | None = None,
        source_credentials: google.auth.credentials.Credentials | None = None,
        token_uri: str = GOOGLE_TOKEN_URI,
        max_size: int = 256,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._service_account_email = service_account_email
        self._scopes = tuple(scopes)
        self._signer = signer
        self._source_credentials = source_credentials
        self._token_uri = token_uri
        self._max_size = max_size
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, google.oauth2.service_account.Credentials] = OrderedDict()

    def get(self, user_email: str) -> google.oauth2.service_account.Credentials:
        """The credentials acting as ``user_email`` (matched case-insensitively)."""
        key = user_email.lower()
        with self._lock:
            credentials = self._entries.get(key)
            if credentials is not None:
                self._entries.move_to_end(key)
                return credentials
            if self._signer is None:
                self._signer = iam_signer(
                    self._service_account_email, source_credentials=self._source_credentials
                )
            credentials = delegated_credentials(
                key,
                service_account_email=self._service_account_email,
                scopes=self._scopes,
                signer=self._signer,
                token_uri=self._token_uri,
            )
            self._entries[key] = credentials
            if len(self._entries) > self._max_size:
                self._entries.popitem(last=False)
            return credentials

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class LocalUserCredentials(google.auth.credentials.Credentials):
    """Credentials for the local Calendar server: ``Bearer local-user:<email>``.

    Always valid; refreshing does nothing.
    """

    def __init__(self, email: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.email = email
        self.token = LOCAL_USER_TOKEN_PREFIX + email

    def refresh(self, request: Any) -> None:
        """Nothing to refresh: the token never expires."""
