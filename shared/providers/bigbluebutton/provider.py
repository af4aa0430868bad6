"""The ``bigbluebutton`` provider: conferences whose meeting is made when someone joins.

BigBlueButton meetings cannot be booked ahead: a meeting is created on the server when
the first person arrives, and expires by itself when nobody joins. So:

- :meth:`BigBlueButtonProvider.create` makes **no call** to the server. The conference id
  is 128 random bits (``secrets.token_urlsafe(16)``: 22 url-safe characters); it is the
  record's meeting id and ConferenceData's ``conferenceId``, and the video entry point is
  ``JOIN_BASE_URL`` followed by it: the join function (``join_meeting``) starts the
  meeting and sends each person in with their role.
- The server's ``meetingID`` is derived from the conference id with a keyed hash
  (:meth:`~BigBlueButtonProvider.meeting_id_for`): stable across event changes and
  retries, so :meth:`~BigBlueButtonProvider.start_meeting` (``create``) is idempotent,
  and unguessable without the key.
- Edits never call the server (:meth:`~BigBlueButtonProvider.relevant` is empty): the
  title is read when someone joins. :meth:`~BigBlueButtonProvider.update` rebuilds the
  same join details.
- :meth:`~BigBlueButtonProvider.delete` ends the meeting (``end``); a meeting the server
  does not know (never started, ended, expired) counts as deleted.

docs/providers.md#bigbluebutton. Errors are the client's (:mod:`.client`); join URLs are
credentials and are never logged.
"""

from __future__ import annotations

import secrets
from typing import Any

from shared.conferences.solutions import Solution
from shared.config import Settings
from shared.errors import ConfigurationError, NotFound
from shared.providers.base import Meeting, MeetingSpec, link_meeting
from shared.providers.bigbluebutton.client import (
    MODERATOR,
    VIEWER,
    BigBlueButtonClient,
    utf16_length,
)
from shared.providers.bigbluebutton.meeting_ids import derive_meeting_id

#: Bytes of randomness in a conference id (128 bits; 22 url-safe characters).
CONFERENCE_ID_BYTES = 16
#: The admission policies a BigBlueButton solution may name (solutions.json ``admission``).
ADMISSIONS = ("guests", "domain")
#: The meeting name when the event has no usable title (create needs 2 characters).
FALLBACK_NAME = "Meeting"


def new_conference_id() -> str:
    """A fresh conference id: 128 random bits, url-safe base64 without padding."""
    return secrets.token_urlsafe(CONFERENCE_ID_BYTES)


def meeting_name(title: str, solution: Solution) -> str:
    """The name ``create`` is given: the event's title, else the solution's name, else a
    fixed word (BigBlueButton wants 2 to 256 characters; the client cuts longer ones)."""
    for candidate in (title.strip(), solution.name.strip()):
        if utf16_length(candidate) >= 2:
            return candidate
    return FALLBACK_NAME


def create_options(solution: Solution) -> dict[str, Any]:
    """``create``'s options from the solution's: recording allowed (not started by itself)
    and the guest policy (``ASK_MODERATOR`` unless the solution says otherwise)."""
    record = bool(solution.options.get("record", False))
    return {
        "record": record,
        # ASSUMPTION: the API reference says recording marks are honoured only with
        # record=true and that allowStartStopRecording lets moderators start and stop it;
        # it is silent on autoStartRecording's default when record=true, so it is sent.
        "auto_start_recording": False,
        "allow_start_stop_recording": record,
        "guest_policy": str(solution.options.get("guestPolicy", "ASK_MODERATOR")),
    }


class BigBlueButtonProvider:
    """Conferences on one BigBlueButton server, joined through ``JOIN_BASE_URL``."""

    name = "bigbluebutton"
    retries_itself = True  # the client retries within max_retry_seconds

    def __init__(
        self,
        client: BigBlueButtonClient,
        *,
        secret: str,
        join_base_url: str,
        logo_url: str,
    ) -> None:
        if not join_base_url.endswith("/"):
            raise ConfigurationError(["JOIN_BASE_URL must end with '/'"])
        self._client = client
        self._secret = secret
        self._join_base_url = join_base_url
        self._logo_url = logo_url

    def __repr__(self) -> str:
        return f"BigBlueButtonProvider(join_base_url={self._join_base_url!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> BigBlueButtonProvider:
        bbb = settings.bigbluebutton
        if bbb is None or not settings.join_base_url:
            raise ConfigurationError(["the bigbluebutton settings are missing"])
        client = BigBlueButtonClient(
            bbb.api_url,
            bbb.secret,
            algorithm=bbb.checksum_algorithm,
            max_retry_seconds=settings.provider_retry_seconds,
        )
        return cls(
            client,
            secret=bbb.secret,
            join_base_url=settings.join_base_url,
            logo_url=settings.addon_logo_url,
        )

    # -- the provider interface ------------------------------------------------------

    def relevant(self, spec: MeetingSpec) -> dict[str, Any]:
        # Nothing of the event is sent ahead: the title is read when someone joins.
        return {}

    def create(
        self,
        spec: MeetingSpec,
        solution: Solution,
        host_email: str,
        request_key: str,
        *,
        may_exist: bool = False,
    ) -> Meeting:
        # No call to the server: the meeting is made when the first person joins. A
        # retried creation that gets another id leaves nothing behind on the server.
        return self._conference(new_conference_id(), solution)

    def update(
        self, meeting_id: str, spec: MeetingSpec, solution: Solution, host_email: str
    ) -> Meeting:
        return self._conference(meeting_id, solution)

    def delete(self, meeting_id: str) -> None:
        """End the conference's meeting if the server has it; gone counts as deleted.

        ``meeting_id`` is the conference id (the record's meeting id). One ``end`` call:
        it ends a running meeting, and one created but still empty (which would otherwise
        wait ``meetingExpireIfNoUserJoinedInMinutes`` for someone); ``notFound`` means
        there is nothing to end.
        """
        # ASSUMPTION: the API reference documents `end` for a running meeting ("forcibly
        # end a meeting and kick all participants out") and is silent on one created but
        # not yet joined. bbb-web's EndMeeting only checks that the meeting exists
        # (MeetingExistsConstraint), as the local server does, so one `end` is sent
        # rather than isMeetingRunning first, which would leave such a meeting open to a
        # join until it expires. Its answer says the end was sent: bbb-web ends the
        # meeting within seconds.
        try:
            self._client.end(self.meeting_id_for(meeting_id))
        except NotFound:
            return

    # -- what the join function uses -------------------------------------------------

    def meeting_id_for(self, conference_id: str) -> str:
        """The server's ``meetingID`` of a conference: 40 hex digits of HMAC-SHA256 under
        the BigBlueButton secret (never shown without the join URL's checksum)."""
        return derive_meeting_id(conference_id, self._secret)

    def start_meeting(self, conference_id: str, title: str, solution: Solution) -> str:
        """Create the conference's meeting on the server, or find it running (``create``
        is idempotent on ``meetingID``); returns the server's ``meetingID``."""
        meeting_id = self.meeting_id_for(conference_id)
        self._client.create(meeting_id, meeting_name(title, solution), **create_options(solution))
        return meeting_id

    def join_url(
        self,
        conference_id: str,
        full_name: str,
        *,
        moderator: bool,
        guest: bool,
        user_id: str | None = None,
    ) -> str:
        """The signed ``join`` URL for one person (no request is made): ``role`` MODERATOR
        or VIEWER, ``guest`` always sent (true: the guest lobby under ASK_MODERATOR), no
        passwords. A credential: hand it to that person's browser only, never log it."""
        return self._client.join_url(
            self.meeting_id_for(conference_id),
            full_name,
            MODERATOR if moderator else VIEWER,
            user_id or "guest-" + secrets.token_hex(8),
            guest,
        )

    # -- helpers ---------------------------------------------------------------------

    def _conference(self, conference_id: str, solution: Solution) -> Meeting:
        url = self._join_base_url + conference_id
        return link_meeting(conference_id, url, solution, self._logo_url)
