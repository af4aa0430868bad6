"""A failed token fetch, sorted: transient, the deployment's, or the user's.

Every exception here is the one google-auth raises itself: token-endpoint answers go
through ``google.oauth2._client.jwt_grant`` and signBlob answers through
``google.auth.iam.Signer.sign``, each over a fake transport that answers as Google would
(google-auth's backoff sleeps are skipped). The local signer cannot fail like IAM, so
this is where the signBlob cases are checked.
"""

from __future__ import annotations

import functools
import json
import logging
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import google.auth._exponential_backoff
import google.auth.credentials
import google.auth.exceptions
import google.auth.iam
import google.auth.transport.requests
import google.oauth2._client
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from local.fakes.token_issuer import TokenIssuer
from shared.errors import AccessDenied, DeploymentMisconfigured, TransientFailure
from shared.google.calendar_api import MISCONFIGURED_LOG, CalendarApi
from shared.google.credentials import CALENDAR_SCOPES, DelegatedCredentialsCache
from shared.google.token_errors import (
    BINDING_FIX,
    GRANT_FIX,
    TokenFault,
    classify_token_error,
    translate_token_error,
)

SERVICE_ACCOUNT = "conf-delegate@example-project.iam.gserviceaccount.com"
TOKEN_URI = "https://oauth2.googleapis.com/token"
ASSERTION = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWFzc2VydGlvbg.c2lnbmF0dXJl"  # never in messages


@dataclass
class FakeResponse:
    status: int
    data: bytes
    headers: dict[str, str]


def answering(status: int, body: Any) -> Callable[..., FakeResponse]:
    """A google.auth transport ``Request`` that always answers ``status`` with ``body``."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")

    def request(**_: Any) -> FakeResponse:
        return FakeResponse(status, data, {"content-type": "application/json"})

    return request


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        google.auth._exponential_backoff, "time", types.SimpleNamespace(sleep=lambda _: None)
    )


def token_endpoint_error(status: int, body: Any) -> google.auth.exceptions.RefreshError:
    """What ``jwt_grant`` raises when the token endpoint answers ``status`` ``body``."""
    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        google.oauth2._client.jwt_grant(  # type: ignore[no-untyped-call]
            answering(status, body), TOKEN_URI, ASSERTION
        )
    return caught.value


def sign_blob_error(
    request: Callable[..., Any],
    source: google.auth.credentials.Credentials | None = None,
) -> google.auth.exceptions.GoogleAuthError:
    """What ``iam.Signer.sign`` raises when signBlob is reached through ``request``."""
    credentials = source or google.auth.credentials.AnonymousCredentials()  # type: ignore[no-untyped-call]
    signer = google.auth.iam.Signer(  # type: ignore[no-untyped-call]
        request, credentials, SERVICE_ACCOUNT
    )
    with pytest.raises(google.auth.exceptions.GoogleAuthError) as caught:
        signer.sign(b"header.claims")
    return caught.value


def iam_refusal(status: int, name: str) -> google.auth.exceptions.GoogleAuthError:
    body = {"error": {"code": status, "message": f"{name} on the account", "status": name}}
    return sign_blob_error(answering(status, body))


def timed_out() -> google.auth.exceptions.GoogleAuthError:
    """signBlob through google-auth's requests transport, whose session times out."""

    class Session:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            raise requests.exceptions.ReadTimeout("read timed out")

        def close(self) -> None:
            """Called when google-auth's Request is collected."""

    return sign_blob_error(google.auth.transport.requests.Request(Session()))  # type: ignore[arg-type]


class MetadataDown(google.auth.credentials.AnonymousCredentials):
    """The instance's own credentials failing as compute_engine.Credentials.refresh does."""

    def before_request(self, *args: Any, **kwargs: Any) -> None:
        caught = google.auth.exceptions.TransportError(  # type: ignore[no-untyped-call]
            "Failed to retrieve http://metadata.google.internal/... from the Google Compute "
            "Engine metadata service. Status: 500 Response:\nb'backend error'"
        )
        raise google.auth.exceptions.RefreshError(caught) from caught  # type: ignore[no-untyped-call]


def metadata_down() -> google.auth.credentials.Credentials:
    return MetadataDown()  # type: ignore[no-untyped-call]


def oauth(error: str, description: str | None = None) -> dict[str, str]:
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return body


UNAUTHORIZED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
CLOCK = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)
T, D, U = TokenFault.TRANSIENT, TokenFault.DEPLOYMENT, TokenFault.USER_LOST_ACCESS

# (case, status, body, fault): answers of the token endpoint.
TOKEN_ANSWERS: list[tuple[str, int, Any, TokenFault]] = [
    # transient: the sync token is kept, the answer is 503
    ("503 temporarily_unavailable", 503, oauth("temporarily_unavailable"), T),
    ("500 without a body", 500, b"", T),
    ("429", 429, oauth("rate_limit_exceeded"), T),
    ("400 server_error", 400, oauth("server_error"), T),
    ("502 html page", 502, b"<html>Bad Gateway</html>", T),
    ("200 without a token", 200, {"token_type": "Bearer"}, T),
    ("400 unknown code", 400, oauth("something_new"), T),
    # the deployment's: nothing changes for any calendar, one ERROR
    ("401 unauthorized_client (no grant)", 401, oauth("unauthorized_client", UNAUTHORIZED), D),
    ("400 access_denied", 400, oauth("access_denied", "Requested client not authorized."), D),
    ("400 invalid_scope", 400, oauth("invalid_scope"), D),
    ("401 invalid_client", 401, oauth("invalid_client", "The OAuth client was disabled."), D),
    ("400 invalid_grant bad signature", 400, oauth("invalid_grant", "Invalid JWT Signature."), D),
    ("400 invalid_grant Invalid JWT: clock", 400, oauth("invalid_grant", CLOCK), D),
    # the user's: that user lost access
    ("400 invalid_grant unknown user", 400, oauth("invalid_grant", "Invalid email or User ID"), U),
    ("400 invalid_grant without description", 400, oauth("invalid_grant"), U),
    ("400 admin_policy_enforced", 400, oauth("admin_policy_enforced"), U),
]  # fmt: skip

# (case, status, status name, fault): answers of IAM Credentials signBlob.
SIGN_BLOB_ANSWERS: list[tuple[str, int, str, TokenFault]] = [
    ("signBlob 429", 429, "RESOURCE_EXHAUSTED", T),
    ("signBlob 503 until retries run out", 503, "UNAVAILABLE", T),
    ("signBlob 500 until retries run out", 500, "INTERNAL", T),
    ("signBlob 403 (token-creator binding gone)", 403, "PERMISSION_DENIED", D),
    ("signBlob 404 (account deleted)", 404, "NOT_FOUND", D),
    ("signBlob 400", 400, "INVALID_ARGUMENT", D),
]

CASES: list[tuple[str, Callable[[], google.auth.exceptions.GoogleAuthError], TokenFault]] = [
    *[
        (case, functools.partial(token_endpoint_error, status, body), fault)
        for case, status, body, fault in TOKEN_ANSWERS
    ],
    *[
        (case, functools.partial(iam_refusal, status, name), fault)
        for case, status, name, fault in SIGN_BLOB_ANSWERS
    ],
    ("signBlob timeout", timed_out, T),
    ("metadata server down", lambda: sign_blob_error(answering(200, {}), metadata_down()), T),
]

RAISED_AS = {
    TokenFault.TRANSIENT: TransientFailure,
    TokenFault.DEPLOYMENT: DeploymentMisconfigured,
    TokenFault.USER_LOST_ACCESS: AccessDenied,
}


@pytest.mark.parametrize(("case", "make", "fault"), CASES, ids=[c[0] for c in CASES])
def test_each_failure_is_sorted_and_raised_as_its_kind(
    case: str, make: Callable[[], google.auth.exceptions.GoogleAuthError], fault: TokenFault
) -> None:
    err = make()

    verdict = classify_token_error(err)
    raised = translate_token_error(err, "events.list")

    assert verdict.fault is fault, case
    assert type(raised) is RAISED_AS[fault]
    for secret_or_prose in (ASSERTION, UNAUTHORIZED, CLOCK, "Invalid email", "Signature"):
        assert secret_or_prose not in str(raised)


def test_retryable_token_answers_were_tried_three_times_by_google_auth() -> None:
    calls: list[int] = []
    answer = answering(503, oauth("temporarily_unavailable"))

    def counting(**kwargs: Any) -> FakeResponse:
        calls.append(1)
        return answer(**kwargs)

    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        google.oauth2._client.jwt_grant(  # type: ignore[no-untyped-call]
            counting, TOKEN_URI, ASSERTION
        )

    assert caught.value.retryable is True
    assert len(calls) == 3


def test_a_deployment_failure_is_transient_for_every_handler_and_says_what_to_fix() -> None:
    grant = translate_token_error(
        token_endpoint_error(401, oauth("unauthorized_client")), "events.list"
    )
    binding = translate_token_error(iam_refusal(403, "PERMISSION_DENIED"), "events.list")

    assert isinstance(grant, DeploymentMisconfigured)
    assert isinstance(binding, DeploymentMisconfigured)
    assert isinstance(grant, TransientFailure)  # the work is kept: token, state, due times
    assert not isinstance(grant, AccessDenied)
    assert grant.fix == GRANT_FIX
    assert binding.fix == BINDING_FIX
    assert binding.cause == "IAM signBlob 403 PERMISSION_DENIED"
    assert "DELEGATION_SERVICE_ACCOUNT" in str(grant)
    assert grant.retry_after is not None
    assert grant.retry_after >= 60


# -- through CalendarApi, with the local token endpoint ---------------------------------


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer() as issuer:
        yield issuer


@pytest.fixture
def calendar_api(issuer: TokenIssuer) -> CalendarApi:
    issuer.reset_token_controls()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer.trust_service_account(SERVICE_ACCOUNT, key.public_key())
    cache = DelegatedCredentialsCache(
        service_account_email=SERVICE_ACCOUNT,
        signer=google.auth.crypt.RSASigner(key),  # type: ignore[no-untyped-call]
        token_uri=issuer.token_uri,
    )
    # The token fetch fails before any Calendar call: no Calendar server is needed.
    return CalendarApi(credentials_for=cache.get, api_endpoint="http://127.0.0.1:9/calendar/v3/")


def test_a_refused_grant_is_one_error_naming_the_setting_and_the_grant(
    issuer: TokenIssuer, calendar_api: CalendarApi, caplog: pytest.LogCaptureFixture
) -> None:
    issuer.fail_token_requests(1, status=401, error="unauthorized_client")

    with caplog.at_level(logging.ERROR), pytest.raises(DeploymentMisconfigured):
        calendar_api.get_calendar("alice@example.com", "alice@example.com")

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [MISCONFIGURED_LOG]
    logged: dict[str, Any] = errors[0].json_fields  # type: ignore[attr-defined]
    assert logged["setting"] == "DELEGATION_SERVICE_ACCOUNT"
    assert logged["delegation_service_account"] == SERVICE_ACCOUNT
    assert logged["grant_scopes"] == ",".join(CALENDAR_SCOPES)
    assert logged["cause"] == "unauthorized_client"
    assert "local-user:" not in caplog.text


def test_a_user_google_refuses_is_access_denied_and_logs_no_error(
    issuer: TokenIssuer, calendar_api: CalendarApi, caplog: pytest.LogCaptureFixture
) -> None:
    issuer.fail_token_requests(
        1, error="invalid_grant", description="Invalid email or User ID", subject="bob@example.com"
    )

    with caplog.at_level(logging.ERROR), pytest.raises(AccessDenied):
        calendar_api.get_calendar("bob@example.com", "team@example.com")

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert issuer.refused_token_requests("bob@example.com") == 1


def test_a_token_endpoint_blip_is_transient(issuer: TokenIssuer, calendar_api: CalendarApi) -> None:
    issuer.fail_token_requests(3, status=503, error="temporarily_unavailable")

    with pytest.raises(TransientFailure) as caught:
        calendar_api.get_calendar("alice@example.com", "alice@example.com")

    assert not isinstance(caught.value, DeploymentMisconfigured)
    assert issuer.refused_token_requests() == 3  # google-auth tried three times
