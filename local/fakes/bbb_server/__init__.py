"""A local stand-in for BigBlueButton's API (bbb-web, versions 2.7 to 3.0).

Written from BigBlueButton's API reference (docs.bigbluebutton.org, "API Reference" and
its "API Security Model") and bbb-web's source (bbb-common-web's ValidationService,
request models, constraints, ParamsProcessorUtil and Meeting; bigbluebutton-web's
ApiController and its response templates), for the tests and local runs; never deployed.

- Every call is ``GET {base}/bigbluebutton/api/{call}?{query}&checksum=HEX``, HEX the
  digest of ``call + query + secret`` (the query as sent, without the checksum); the
  algorithm is told by the length (sha1, sha256, sha384, sha512) and must be among the
  ``supportedChecksumAlgorithms``; otherwise ``checksumError``.
- Answers are XML with HTTP 200: ``<response><returncode>SUCCESS|FAILED</returncode>
  <messageKey/><message/>...``; only ``join`` redirects (302) unless ``redirect=false``.
- ``create`` (idempotent on meetingID: ``duplicateWarning``; other passwords:
  ``idNotUnique``), ``join`` (roles, guest lobby under ``ASK_MODERATOR``),
  ``isMeetingRunning``, ``getMeetingInfo``, ``getMeetings``, ``end``; unknown meetings
  are ``notFound`` (isMeetingRunning answers ``running`` false instead, as bbb-web does).

Behaviours and where the sources are silent: :mod:`local.fakes.bbb_server.store` and
:mod:`local.fakes.bbb_server.security`. Run standalone with
``python -m local.fakes.bbb_server --port N`` and configure it through ``/_control/...``
(see :mod:`local.fakes.bbb_server.app`).
"""

from __future__ import annotations

from local.fakes.bbb_server.security import DEFAULT_SUPPORTED
from local.fakes.bbb_server.server import DEFAULT_SECRET, BBBServer
from local.fakes.bbb_server.store import Call

__all__ = ["DEFAULT_SECRET", "DEFAULT_SUPPORTED", "BBBServer", "Call"]
