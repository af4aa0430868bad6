"""How Calendar's HTTP errors become the bundle's kinds (``translate_http_error``)."""

from __future__ import annotations

import json

import httplib2
import pytest
from googleapiclient.errors import HttpError

from shared.errors import (
    AccessDenied,
    NotFound,
    PermanentFailure,
    PreconditionFailed,
    QuotaExhausted,
    TransientFailure,
)
from shared.google.calendar_api import SyncTokenInvalid, translate_http_error


def http_error(status: int, *reasons: str) -> HttpError:
    body = {
        "error": {
            "errors": [{"domain": "usageLimits", "reason": reason} for reason in reasons],
            "code": status,
            "message": "refused",
        }
    }
    return HttpError(httplib2.Response({"status": str(status)}), json.dumps(body).encode())


@pytest.mark.parametrize(
    ("status", "reasons", "kind"),
    [
        pytest.param(403, ("quotaExceeded",), QuotaExhausted, id="quota-long-back-off"),
        pytest.param(403, ("rateLimitExceeded",), TransientFailure, id="rate-limit"),
        pytest.param(403, ("userRateLimitExceeded",), TransientFailure, id="user-rate-limit"),
        pytest.param(
            403, ("quotaExceeded", "rateLimitExceeded"), TransientFailure, id="rate-limit-wins"
        ),
        pytest.param(429, ("rateLimitExceeded",), TransientFailure, id="429"),
        pytest.param(503, ("backendError",), TransientFailure, id="5xx"),
        pytest.param(403, ("forbiddenForNonOrganizer",), AccessDenied, id="forbidden"),
        pytest.param(404, ("notFound",), NotFound, id="404"),
        pytest.param(412, ("conditionNotMet",), PreconditionFailed, id="412"),
        pytest.param(400, ("badRequest",), PermanentFailure, id="other-4xx"),
    ],
)
def test_translate_http_error(status: int, reasons: tuple[str, ...], kind: type) -> None:
    translated = translate_http_error(http_error(status, *reasons), "events.list")

    assert type(translated) is kind


def test_an_exhausted_quota_is_not_retried_in_a_loop() -> None:
    translated = translate_http_error(http_error(403, "quotaExceeded"), "events.list")

    assert isinstance(translated, QuotaExhausted)
    assert isinstance(translated, TransientFailure)  # the pass keeps its token (503)
    assert translated.retry_after == 3600.0  # in-request retries give up at once
    assert "quotaExceeded" in str(translated)


def test_a_410_on_a_listing_asks_for_a_full_sync() -> None:
    translated = translate_http_error(http_error(410, "fullSyncRequired"), "x", listing=True)

    assert isinstance(translated, SyncTokenInvalid)
