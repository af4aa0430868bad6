"""Calendar v3 errors as Google sends them.

Every error answer has one shape (docs/calendar-behaviour.md#errors):
``{"error": {"errors": [{"domain", "reason", "message", ["locationType", "location"]}],
"code": N, "message": ...}}``. :class:`ApiError` carries one such answer; the factories
below build the ones the server raises on its own, :func:`fault_error` the injected ones.
A token without the method's scope gets the newer shape Google's front end answers with
(a ``status`` and ``details`` beside ``errors``; :func:`insufficient_scopes`).
"""

from __future__ import annotations

from typing import Any

#: Domain and message Google uses for a reason (injected faults default to these).
REASONS: dict[str, tuple[str, str]] = {
    "authError": ("global", "Invalid Credentials"),
    "backendError": ("global", "Backend Error"),
    "badRequest": ("global", "Bad Request"),
    "conditionNotMet": ("global", "Precondition Failed"),
    "deleted": ("global", "Resource has been deleted"),
    "duplicate": ("global", "The requested identifier already exists."),
    "forbidden": ("global", "Forbidden"),
    "forbiddenForNonOrganizer": (
        "calendar",
        "Shared properties can only be changed by the organizer of the event.",
    ),
    "fullSyncRequired": ("calendar", "Sync token is no longer valid, a full sync is required."),
    "notFound": ("global", "Not Found"),
    "quotaExceeded": ("usageLimits", "Calendar usage limits exceeded."),
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "requiredAccessLevel": ("calendar", "You need to have writer access to this calendar."),
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
}


class ApiError(Exception):
    """One Calendar error answer: HTTP ``code`` plus the single ``errors[]`` entry."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str | None = None,
        *,
        domain: str | None = None,
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
        item_message: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        known_domain, known_message = REASONS.get(reason, ("global", reason))
        self.code = code
        self.reason = reason
        self.message = message if message is not None else known_message
        self.domain = domain if domain is not None else known_domain
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})
        self.item_message = item_message  # errors[0].message when it differs from message
        self.extra = dict(extra or {})  # more members of "error" (status, details)
        super().__init__(f"{code} {reason}: {self.message}")

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.item_message or self.message,
        }
        if self.location is not None:
            item["locationType"] = self.location_type or "parameter"
            item["location"] = self.location
        error = {"errors": [item], "code": self.code, "message": self.message, **self.extra}
        return {"error": error}


def auth_error() -> ApiError:
    return ApiError(401, "authError", location="Authorization", location_type="header")


def not_found() -> ApiError:
    return ApiError(404, "notFound")


def deleted() -> ApiError:
    return ApiError(410, "deleted")


def full_sync_required() -> ApiError:
    return ApiError(410, "fullSyncRequired", location="syncToken", location_type="parameter")


def condition_not_met() -> ApiError:
    return ApiError(412, "conditionNotMet", location="If-Match", location_type="header")


def writer_required() -> ApiError:
    return ApiError(403, "requiredAccessLevel")


def insufficient_scopes(method: str) -> ApiError:
    """403 for a token that carries none of ``method``'s scopes (e.g.
    ``calendarList.list``). Google documents no body for it; this is the one public
    reports show (**Evidence**: docs/calendar-behaviour.md#access-roles)."""
    resource, verb = method.split(".")
    grpc_method = f"calendar.v3.{resource[0].upper()}{resource[1:]}.{verb[0].upper()}{verb[1:]}"
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "domain": "googleapis.com",
        "metadata": {"service": "calendar-json.googleapis.com", "method": grpc_method},
    }
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        domain="global",
        item_message="Insufficient Permission",
        extra={"status": "PERMISSION_DENIED", "details": [info]},
    )


def duplicate() -> ApiError:
    return ApiError(409, "duplicate")


def invalid(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "invalid", message, location=location)


def required(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "required", message, location=location)


def bad_request(message: str = "Bad Request") -> ApiError:
    return ApiError(400, "badRequest", message)


def invalid_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "invalidParameter", message, location=name)


def fault_error(
    status: int, reason: str, message: str | None = None, retry_after: float | None = None
) -> ApiError:
    """An injected failure; ``fullSyncRequired`` keeps its exact contract-C body."""
    if reason == "fullSyncRequired" and message is None:
        error = full_sync_required()
        error.code = status
        return error
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    if reason == "conditionNotMet":
        return ApiError(
            status, reason, message, location="If-Match", location_type="header", headers=headers
        )
    return ApiError(status, reason, message, headers=headers)
