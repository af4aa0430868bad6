"""Credentials for Calendar calls as the acting user, with a local key in place of IAM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.crypt
import google.auth.exceptions
import google.auth.iam
import google.auth.transport.requests
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.fakes.token_issuer import GOOGLE_TOKEN_AUDIENCE, TokenIssuer
from shared.google import credentials as calendar_credentials
from shared.google.credentials import (
    CALENDAR_SCOPES,
    DelegatedCredentialsCache,
    LocalUserCredentials,
    delegated_credentials,
    local_key_signer,
)

SERVICE_ACCOUNT = "conferencing@example-project.iam.gserviceaccount.com"
USER = "alice@example.com"


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def service_account_key(issuer: TokenIssuer) -> rsa.RSAPrivateKey:
    """The service account's key, trusted by the issuer: the IAM signBlob stand-in."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer.trust_service_account(SERVICE_ACCOUNT, key.public_key())
    return key


def local_signer(key: rsa.RSAPrivateKey) -> google.auth.crypt.Signer:
    signer: google.auth.crypt.Signer = google.auth.crypt.RSASigner(key)  # type: ignore[no-untyped-call]
    return signer


@pytest.fixture
def http_request() -> Iterator[google.auth.transport.requests.Request]:
    with requests.Session() as session:
        yield google.auth.transport.requests.Request(session)


@pytest.fixture
def no_default_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("google.auth.default() must not be called")

    monkeypatch.setattr(google.auth, "default", refuse)


def test_delegated_credentials_act_as_the_user_checked_with_a_local_key(
    issuer: TokenIssuer,
    service_account_key: rsa.RSAPrivateKey,
    http_request: google.auth.transport.requests.Request,
) -> None:
    credentials = delegated_credentials(
        USER,
        service_account_email=SERVICE_ACCOUNT,
        scopes=CALENDAR_SCOPES,
        signer=local_signer(service_account_key),
        token_uri=issuer.token_uri,
    )

    credentials.refresh(http_request)  # type: ignore[no-untyped-call]

    assertion = issuer.received_assertions[-1]
    assert assertion["iss"] == SERVICE_ACCOUNT
    assert assertion["sub"] == USER
    assert assertion["scope"].split(" ") == list(CALENDAR_SCOPES)
    # google-auth always sets Google's endpoint as `aud`, whatever token_uri is.
    assert assertion["aud"] == GOOGLE_TOKEN_AUDIENCE
    assert assertion["exp"] - assertion["iat"] <= 3600
    assert credentials.token == issuer.issued_access_tokens[-1]
    # A delegated token is one the local Calendar server takes as the user.
    assert credentials.token == "local-user:alice@example.com"
    assert credentials.valid


def test_delegated_credentials_signed_by_an_untrusted_key_are_refused(
    issuer: TokenIssuer, http_request: google.auth.transport.requests.Request
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    credentials = delegated_credentials(
        USER,
        service_account_email=SERVICE_ACCOUNT,
        scopes=CALENDAR_SCOPES,
        signer=local_signer(stranger),
        token_uri=issuer.token_uri,
    )

    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        credentials.refresh(http_request)  # type: ignore[no-untyped-call]


def test_a_local_key_file_signs_assertions_the_issuer_trusts(
    issuer: TokenIssuer,
    service_account_key: rsa.RSAPrivateKey,
    http_request: google.auth.transport.requests.Request,
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "delegation-key.pem"
    key_file.write_bytes(
        service_account_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cache = DelegatedCredentialsCache(
        service_account_email=SERVICE_ACCOUNT,
        signer=local_key_signer(str(key_file)),
        token_uri=issuer.token_uri,
    )
    credentials = cache.get(USER)

    credentials.refresh(http_request)  # type: ignore[no-untyped-call]

    assert credentials.token == f"local-user:{USER}"


def test_calendar_scopes_are_the_two_least_ones() -> None:
    assert CALENDAR_SCOPES == (
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.calendars.readonly",
    )


def test_delegated_credentials_need_a_scope(
    service_account_key: rsa.RSAPrivateKey,
) -> None:
    with pytest.raises(ValueError, match="scope"):
        delegated_credentials(
            USER,
            service_account_email=SERVICE_ACCOUNT,
            scopes=(),
            signer=local_signer(service_account_key),
        )


@pytest.mark.usefixtures("no_default_credentials")
def test_without_a_signer_the_iam_signer_of_the_given_source_credentials_is_used() -> None:
    source = LocalUserCredentials("source@example.com")

    credentials = delegated_credentials(
        USER,
        service_account_email=SERVICE_ACCOUNT,
        scopes=CALENDAR_SCOPES,
        source_credentials=source,
    )

    assert isinstance(credentials.signer, google.auth.iam.Signer)
    assert credentials.signer_email == SERVICE_ACCOUNT


@pytest.mark.usefixtures("no_default_credentials")
def test_cache_returns_one_credentials_object_per_user(
    service_account_key: rsa.RSAPrivateKey,
) -> None:
    cache = DelegatedCredentialsCache(
        service_account_email=SERVICE_ACCOUNT, signer=local_signer(service_account_key)
    )

    alice = cache.get(USER)
    alice_again = cache.get("Alice@Example.com")
    bob = cache.get("bob@example.com")

    assert alice is alice_again
    assert bob is not alice
    assert len(cache) == 2


@pytest.mark.usefixtures("no_default_credentials")
def test_cache_evicts_the_least_recently_used_user(
    service_account_key: rsa.RSAPrivateKey,
) -> None:
    cache = DelegatedCredentialsCache(
        service_account_email=SERVICE_ACCOUNT,
        signer=local_signer(service_account_key),
        max_size=2,
    )
    alice = cache.get("alice@example.com")
    bob = cache.get("bob@example.com")
    cache.get("alice@example.com")

    cache.get("carol@example.com")

    assert len(cache) == 2
    assert cache.get("alice@example.com") is alice
    assert cache.get("bob@example.com") is not bob


def test_cache_looks_up_default_credentials_lazily_and_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups: list[Any] = []

    def fake_default(*args: Any, **kwargs: Any) -> tuple[Any, str]:
        lookups.append(kwargs.get("scopes"))
        return LocalUserCredentials("instance@example.com"), "example-project"

    monkeypatch.setattr(google.auth, "default", fake_default)
    cache = DelegatedCredentialsCache(service_account_email=SERVICE_ACCOUNT)
    looked_up_at_construction = list(lookups)

    alice = cache.get("alice@example.com")
    bob = cache.get("bob@example.com")

    assert looked_up_at_construction == []
    assert lookups == [[calendar_credentials.CLOUD_PLATFORM_SCOPE]]
    assert alice.signer is bob.signer


def test_local_user_credentials_send_the_acting_user() -> None:
    credentials = LocalUserCredentials(USER)
    headers: dict[str, str] = {}

    credentials.before_request(  # type: ignore[no-untyped-call]
        None, "GET", "http://127.0.0.1/calendar/v3/x", headers
    )

    assert headers["authorization"] == "Bearer local-user:alice@example.com"
    assert credentials.valid


def test_local_user_credentials_refresh_changes_nothing() -> None:
    credentials = LocalUserCredentials(USER)

    credentials.refresh(None)

    assert credentials.token == "local-user:alice@example.com"
    assert credentials.expiry is None
