"""What it means when the acting user's delegated access token cannot be had.

google-auth fails in two ways while it fetches a delegated token:

- ``RefreshError`` from the OAuth token endpoint (``google.oauth2._client``). Its
  ``args`` are ``"error: description"`` and the decoded JSON body (only the body text when
  it was not JSON); ``retryable`` is set for 408, 429, 500, 503 and 504 and for the codes
  ``internal_failure``, ``server_error`` and ``temporarily_unavailable``, which google-auth
  has already tried three times. Other ``RefreshError``s carry no OAuth body at all: the
  instance's own credentials (the metadata server) failing, an answer with no token.
- ``TransportError`` from the IAM Credentials ``signBlob`` call that signs the assertion
  (``google.auth.iam.Signer``): any answer but 200 outside 500, 502, 503 and 504 becomes
  ``TransportError("Error calling the IAM signBlob API: b'<body>'")``; those four are
  retried and end as ``"exhausted signBlob endpoint retries"``; a connection error or a
  timeout is a ``TransportError`` around the transport's exception.

:func:`classify_token_error` sorts them (the codes are those Google documents for the
JWT-bearer grant of service accounts with domain-wide delegation):

===============================================  ===================  =====================
failure                                          :class:`TokenFault`  raised as
===============================================  ===================  =====================
``RefreshError`` with ``retryable`` set          ``TRANSIENT``        TransientFailure
signBlob 429, 5xx, exhausted retries, timeouts   ``TRANSIENT``        TransientFailure
anything without an OAuth error code, unknown    ``TRANSIENT``        TransientFailure
codes
``unauthorized_client``, ``access_denied``       ``DEPLOYMENT``       DeploymentMisconfigured
(the grant lacks the client or a scope),
``invalid_scope``, ``invalid_client``,
``invalid_request``, ``unsupported_grant_type``,
``org_internal``
``invalid_grant`` "Invalid JWT..." (the          ``DEPLOYMENT``       DeploymentMisconfigured
assertion itself: signature, clock)
signBlob other 4xx (403, 404: the token-creator  ``DEPLOYMENT``       DeploymentMisconfigured
binding on the delegation account is gone)
``invalid_grant`` for the user (suspended,       ``USER_LOST_ACCESS``  AccessDenied
deleted), ``admin_policy_enforced``
===============================================  ===================  =====================

A blip is never a revocation: only Google's verdict on the user makes an AccessDenied.
Messages name codes and HTTP statuses only, never tokens, assertions or descriptions.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import google.auth.exceptions

from shared.errors import AccessDenied, BundleError, DeploymentMisconfigured, TransientFailure

#: The setting that names the account the grant and the binding belong to.
DELEGATION_SETTING = "DELEGATION_SERVICE_ACCOUNT"
#: How google.auth.iam.Signer words a signBlob answer other than 200.
IAM_SIGN_ERROR_PREFIX = "Error calling the IAM signBlob API: "

# Codes of the token endpoint that refuse the deployment's client, whoever the user is.
DEPLOYMENT_CODES = frozenset(
    {
        "unauthorized_client",
        "access_denied",
        "invalid_scope",
        "invalid_client",
        "invalid_request",
        "unsupported_grant_type",
        "org_internal",
    }
)
# Codes that speak of the one user the assertion names.
USER_CODES = frozenset({"invalid_grant", "admin_policy_enforced"})
# invalid_grant descriptions about the assertion itself, not about its subject.
ASSERTION_DESCRIPTION_PREFIX = "invalid jwt"

GRANT_FIX = (
    f"grant domain-wide delegation to the OAuth client id of {DELEGATION_SETTING} "
    "with exactly the scopes of grant_scopes (Admin console, API controls)"
)
BINDING_FIX = (
    "give each function's runtime service account roles/iam.serviceAccountTokenCreator "
    f"on {DELEGATION_SETTING}, and keep the IAM Credentials API enabled"
)
ASSERTION_FIX = (
    f"the assertion signed as {DELEGATION_SETTING} was refused: check that the setting "
    "names the account that signs, and the instance's clock"
)


class TokenFault(StrEnum):
    """Whose problem a failed token fetch is."""

    TRANSIENT = "transient"  # try again later; nothing is wrong for good
    DEPLOYMENT = "deployment"  # the deployment's client or binding: an operator must act
    USER_LOST_ACCESS = "user_lost_access"  # Google refuses this user


@dataclass(frozen=True)
class TokenVerdict:
    fault: TokenFault
    cause: str  # an error code or HTTP status, safe to log
    fix: str = ""


def _oauth_body(err: google.auth.exceptions.RefreshError) -> Mapping[str, Any] | None:
    return next((arg for arg in err.args if isinstance(arg, Mapping)), None)


def _iam_error(err: google.auth.exceptions.TransportError) -> tuple[int, str] | None:
    """The HTTP status and status name of a signBlob refusal, if ``err`` is one."""
    text = err.args[0] if err.args else None
    if not isinstance(text, str) or not text.startswith(IAM_SIGN_ERROR_PREFIX):
        return None
    raw = text[len(IAM_SIGN_ERROR_PREFIX) :].strip()
    try:
        body = ast.literal_eval(raw) if raw[:2] in ("b'", 'b"') else raw
        error = json.loads(body)["error"]
        return int(error["code"]), str(error.get("status") or "")
    except (ValueError, SyntaxError, TypeError, KeyError, MemoryError, RecursionError):
        return None


def classify_token_error(err: google.auth.exceptions.GoogleAuthError) -> TokenVerdict:
    """Sort a failed token fetch (see the module's table)."""
    if isinstance(err, google.auth.exceptions.RefreshError):
        if err.retryable:
            return TokenVerdict(TokenFault.TRANSIENT, "retryable token answer")
        body = _oauth_body(err)
        code = body.get("error") if body is not None else None
        if not isinstance(code, str):
            return TokenVerdict(TokenFault.TRANSIENT, "token refresh failed")
        description = body.get("error_description") if body is not None else None
        about_assertion = isinstance(description, str) and description.strip().lower().startswith(
            ASSERTION_DESCRIPTION_PREFIX
        )
        if code == "invalid_grant" and about_assertion:
            return TokenVerdict(TokenFault.DEPLOYMENT, "invalid_grant (assertion)", ASSERTION_FIX)
        if code in USER_CODES:
            return TokenVerdict(TokenFault.USER_LOST_ACCESS, code)
        if code in DEPLOYMENT_CODES:
            return TokenVerdict(TokenFault.DEPLOYMENT, code, GRANT_FIX)
        return TokenVerdict(TokenFault.TRANSIENT, "unknown token error code")
    if isinstance(err, google.auth.exceptions.TransportError):
        iam = _iam_error(err)
        if iam is None:
            return TokenVerdict(TokenFault.TRANSIENT, "transport")
        status, name = iam
        cause = f"IAM signBlob {status} {name}".strip()
        if status in (408, 429) or status >= 500:
            return TokenVerdict(TokenFault.TRANSIENT, cause)
        return TokenVerdict(TokenFault.DEPLOYMENT, cause, BINDING_FIX)
    return TokenVerdict(TokenFault.TRANSIENT, type(err).__name__)


def translate_token_error(err: google.auth.exceptions.GoogleAuthError, what: str) -> BundleError:
    """The bundle's error for a failed token fetch (or a transport failure) of ``what``."""
    verdict = classify_token_error(err)
    if verdict.fault is TokenFault.USER_LOST_ACCESS:
        return AccessDenied(f"Calendar credentials for {what} were refused ({verdict.cause})")
    if verdict.fault is TokenFault.DEPLOYMENT:
        return DeploymentMisconfigured(
            f"Calendar credentials for {what} were refused for the whole deployment "
            f"({verdict.cause}): check {DELEGATION_SETTING} and its grant",
            cause=verdict.cause,
            fix=verdict.fix,
        )
    if isinstance(err, google.auth.exceptions.RefreshError):
        return TransientFailure(f"Calendar credentials for {what} could not be had for now")
    return TransientFailure(f"Calendar {what} failed in transport")
