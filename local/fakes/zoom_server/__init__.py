"""A local stand-in for Zoom's REST API v2 and its Server-to-Server OAuth token endpoint.

Written from Zoom's public reference, for the tests and the local stack; never deployed.

- ``POST /oauth/token?grant_type=account_credentials&account_id=ID`` with HTTP Basic
  ``client_id:client_secret`` -> ``{access_token, token_type: "bearer", expires_in: 3600,
  scope, api_url}``; wrong credentials -> 400
  ``{"reason": "Invalid client_id or client_secret", "error": "invalid_client"}``.
- ``POST /v2/users/{userId}/meetings`` (userId: an email or id of a user of the token's
  account) -> 201 meeting object; unknown user -> 404 ``{"code": 1001, "message":
  "User does not exist: ..."}``; a user of another account -> 400 code 1010.
- ``GET /v2/users/{userId}/meetings?type=&page_size=&next_page_token=`` -> the host's
  meetings (``type`` ``scheduled``, the default: every unexpired one; ``live``;
  ``upcoming``/``upcoming_meetings``; ``previous_meetings``), ``page_size`` at most 300
  (default 30), the next page through ``next_page_token`` (``""`` on the last page). An
  item has ``uuid, id, host_id, topic, type, start_time, duration, timezone, agenda,
  created_at, join_url``; its ``agenda`` is cut to 250 characters ("truncated to 250
  characters when you list all of a user's meetings"). Zoom's reference is silent on the
  order (here: creation order) and on the answer to a ``page_size`` over 300 or an unknown
  page token (here: 400 code 300).
- ``GET /v2/meetings/{id}``, ``PATCH`` (204), ``DELETE`` (204), ``GET .../invitation``;
  an unknown meeting -> 404 ``{"code": 3001, "message": "Meeting does not exist: N."}``.
  A meeting in progress answers ``DELETE`` and ``PATCH`` with 400 code 3002 ("Sorry, you
  cannot delete this meeting since it is in progress."), one that has ended with 400 code
  3007 ("... since it has ended."), and stays (Zoom's Delete a meeting reference; its
  Update reference also lists code 3000 "You cannot update or delete meetings that have
  started using this method", which this server does not send).
- Invalid or expired token -> 401 ``{"code": 124, "message": "Invalid access token."}``
  (``"Access token is expired."``); a missing scope -> 400 ``{"code": 4711, "message":
  "Invalid access token, does not contain scopes:[...]."}`` (what Zoom answers today; its
  error page lists the family as 4700).
- Validation failures -> 400 ``{"code": 300, "message": "Validation Failed.", "errors":
  [{"field", "message"}]}``.
- Rate-limit headers on every ``/v2`` answer; injected 429s as Zoom sends them.

Run standalone with ``python -m local.fakes.zoom_server --port N`` and configure it through
``/_control/...`` (see :mod:`local.fakes.zoom_server.app`).
"""

from __future__ import annotations

from local.fakes.zoom_server.server import ZoomServer
from local.fakes.zoom_server.store import (
    DEFAULT_DIAL_IN_NUMBERS,
    DEFAULT_SCOPES,
    Call,
    DialInNumber,
)

__all__ = ["DEFAULT_DIAL_IN_NUMBERS", "DEFAULT_SCOPES", "Call", "DialInNumber", "ZoomServer"]
