"""The ID token check of create_conference, against a local issuer of Google-shaped tokens."""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests
import requests.adapters

from local.fakes.token_issuer import TokenIssuer, subject_for
from local.ports import free_port
from shared.errors import TransientFailure, Unauthenticated
from shared.google.id_tokens import (
    FETCH_FAILURE_BACKOFF_SECONDS,
    REFETCH_INTERVAL_SECONDS,
    IdTokenVerifier,
    VerifiedUser,
)

AUDIENCE = "1234567890-addon.apps.googleusercontent.com"
EMAIL = "alice@example.com"


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def shared_issuer() -> Iterator[TokenIssuer]:
    """An issuer no test changes (tests that change one use ``issuer``)."""
    with TokenIssuer() as issuer:
        yield issuer


@pytest.fixture
def issuer() -> Iterator[TokenIssuer]:
    with TokenIssuer(cert_max_age=300) as issuer:
        yield issuer


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_verifier(
    issuer: TokenIssuer,
    session: requests.Session,
    clock: FakeClock | None = None,
    allowed_domains: tuple[str, ...] = (),
    certs_url: str | None = None,
) -> IdTokenVerifier:
    return IdTokenVerifier(
        certs_url=certs_url or issuer.certs_url,
        audience=AUDIENCE,
        allowed_domains=allowed_domains,
        session=session,
        clock=clock or FakeClock(),
    )


@pytest.fixture
def verifier(shared_issuer: TokenIssuer, session: requests.Session) -> IdTokenVerifier:
    return make_verifier(shared_issuer, session)


def refusal(verifier: IdTokenVerifier, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    return caught.value


# -- accepted ------------------------------------------------------------------------


def test_valid_token_names_the_user_with_a_lowercased_email(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    token = shared_issuer.mint("Alice@Example.COM", AUDIENCE, hd="example.com")

    user = verifier.verify(token)

    assert user == VerifiedUser(
        email="alice@example.com",
        subject=subject_for("Alice@Example.COM"),
        hosted_domain="example.com",
    )


def test_consumer_account_has_no_hosted_domain(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    user = verifier.verify(shared_issuer.mint("bob@gmail.com", AUDIENCE))

    assert user.hosted_domain is None


@pytest.mark.parametrize("issuer_claim", ["accounts.google.com", "https://accounts.google.com"])
def test_both_google_issuer_spellings_are_accepted(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier, issuer_claim: str
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, issuer=issuer_claim)

    assert verifier.verify(token).email == EMAIL


def test_email_verified_as_the_string_true_is_accepted(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, email_verified="true")

    assert verifier.verify(token).email == EMAIL


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_authorization_header_scheme_is_case_insensitive(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier, scheme: str
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE)

    user = verifier.verify_authorization(f"{scheme} {token}")

    assert user.email == EMAIL


def test_allowed_hosted_domain_is_accepted_case_insensitively(
    shared_issuer: TokenIssuer, session: requests.Session
) -> None:
    verifier = make_verifier(shared_issuer, session, allowed_domains=("Example.COM", "other.org"))
    token = shared_issuer.mint(EMAIL, AUDIENCE, hd="example.com")

    assert verifier.verify(token).hosted_domain == "example.com"


# -- refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing authorization header"),
        ("", "missing authorization header"),
        ("   ", "missing authorization header"),
        ("Basic YWxpY2U6c2VjcmV0", "authorization scheme is not Bearer"),
        ("Bearer", "missing bearer token"),
        ("Bearer   ", "missing bearer token"),
        ("Bearer not-a-jwt", "malformed token"),
        ("Bearer a.b.c", "malformed token"),
        ("Bearer a.b.c.d", "malformed token"),
    ],
)
def test_bad_authorization_headers_are_refused(
    verifier: IdTokenVerifier, header: str | None, reason: str
) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify_authorization(header)

    assert str(caught.value) == reason


def test_expired_token_is_refused(shared_issuer: TokenIssuer, verifier: IdTokenVerifier) -> None:
    issued_at = int(time.time()) - 7200
    token = shared_issuer.mint(EMAIL, AUDIENCE, issued_at=issued_at, expires_in=3600)

    assert str(refusal(verifier, token)) == "token expired"


def test_token_issued_in_the_future_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, issued_at=int(time.time()) + 600)

    assert str(refusal(verifier, token)) == "token issued in the future"


def test_token_signed_by_another_key_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    token = shared_issuer.mint_foreign(EMAIL, AUDIENCE)

    assert str(refusal(verifier, token)) == "invalid signature"


def test_tampered_claims_are_refused(shared_issuer: TokenIssuer, verifier: IdTokenVerifier) -> None:
    header, _, signature = shared_issuer.mint(EMAIL, AUDIENCE).split(".")
    _, payload, _ = shared_issuer.mint("mallory@example.com", AUDIENCE).split(".")

    assert str(refusal(verifier, f"{header}.{payload}.{signature}")) == "invalid signature"


def test_wrong_audience_is_refused(shared_issuer: TokenIssuer, verifier: IdTokenVerifier) -> None:
    token = shared_issuer.mint(EMAIL, "someone-else.apps.googleusercontent.com")

    assert str(refusal(verifier, token)) == "wrong audience"


@pytest.mark.parametrize(
    "issuer_claim", ["https://evil.example", "http://accounts.google.com", "accounts.google.com/"]
)
def test_wrong_issuer_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier, issuer_claim: str
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, issuer=issuer_claim)

    assert str(refusal(verifier, token)) == "wrong issuer"


@pytest.mark.parametrize("email_verified", [False, "false", "True", 1])
def test_unverified_email_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier, email_verified: Any
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, extra_claims={"email_verified": email_verified})

    assert str(refusal(verifier, token)) == "unverified email"


def test_missing_email_verified_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, omit_claims=("email_verified",))

    assert str(refusal(verifier, token)) == "unverified email"


def test_missing_email_is_refused(shared_issuer: TokenIssuer, verifier: IdTokenVerifier) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, omit_claims=("email",))

    assert str(refusal(verifier, token)) == "missing email"


def test_missing_subject_is_refused(shared_issuer: TokenIssuer, verifier: IdTokenVerifier) -> None:
    token = shared_issuer.mint(EMAIL, AUDIENCE, omit_claims=("sub",))

    assert str(refusal(verifier, token)) == "missing subject"


def test_alg_none_is_refused(shared_issuer: TokenIssuer, verifier: IdTokenVerifier) -> None:
    token = shared_issuer.mint_unsigned(EMAIL, AUDIENCE)

    assert str(refusal(verifier, token)) == "unsupported signing algorithm"


def test_hs256_keyed_with_the_public_certificate_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    token = shared_issuer.mint_hs256(EMAIL, AUDIENCE)

    assert str(refusal(verifier, token)) == "unsupported signing algorithm"


def test_token_whose_signature_cloud_run_removed_is_refused(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    header, payload, _ = shared_issuer.mint(EMAIL, AUDIENCE).split(".")

    reason = str(refusal(verifier, f"{header}.{payload}.SIGNATURE_REMOVED_BY_GOOGLE"))

    assert reason == "token signature removed by Cloud Run"


def test_hosted_domain_outside_the_allowed_ones_is_refused(
    shared_issuer: TokenIssuer, session: requests.Session
) -> None:
    verifier = make_verifier(shared_issuer, session, allowed_domains=("example.com",))
    token = shared_issuer.mint("eve@evil.example", AUDIENCE, hd="evil.example")

    assert str(refusal(verifier, token)) == "hosted domain not allowed"


def test_consumer_account_is_refused_when_domains_are_required(
    shared_issuer: TokenIssuer, session: requests.Session
) -> None:
    verifier = make_verifier(shared_issuer, session, allowed_domains=("example.com",))
    token = shared_issuer.mint("eve@gmail.com", AUDIENCE)

    assert str(refusal(verifier, token)) == "hosted domain missing"


def test_refusals_never_carry_the_token_or_its_claims(
    shared_issuer: TokenIssuer, verifier: IdTokenVerifier
) -> None:
    secret_email = "secret.person@example.com"
    wrong_audience = "leaky-audience.apps.googleusercontent.com"
    now = int(time.time())
    good = shared_issuer.mint(secret_email, AUDIENCE)
    header, payload, _ = good.split(".")
    tokens = [
        shared_issuer.mint(secret_email, AUDIENCE, issued_at=now - 7200),
        shared_issuer.mint(secret_email, AUDIENCE, issued_at=now + 600),
        shared_issuer.mint(secret_email, wrong_audience),
        shared_issuer.mint(secret_email, AUDIENCE, issuer="https://evil.example"),
        shared_issuer.mint(secret_email, AUDIENCE, email_verified=False),
        shared_issuer.mint_foreign(secret_email, AUDIENCE),
        shared_issuer.mint_unsigned(secret_email, AUDIENCE),
        f"{header}.{payload}",
        f"{header}.{payload}.!!not-base64!!",
        f"{header}.{payload[:-3]}.{payload}",
        f"{payload}.{header}.{payload}",
    ]

    for token in tokens:
        error = refusal(verifier, token)
        logged = "".join(traceback.format_exception(error))
        for leak in (token, payload, secret_email, wrong_audience):
            assert leak not in str(error)
        assert token not in logged
        assert secret_email not in logged


def test_there_is_no_verification_switch() -> None:
    parameters = IdTokenVerifier.__init__.__code__.co_varnames

    assert not any("verify" in name or "insecure" in name for name in parameters)


# -- certificates --------------------------------------------------------------------


def test_certificates_are_fetched_once_for_many_verifications(
    issuer: TokenIssuer, session: requests.Session, clock: FakeClock
) -> None:
    verifier = make_verifier(issuer, session, clock)
    token = issuer.mint(EMAIL, AUDIENCE)

    for _ in range(20):
        verifier.verify(token)
        clock.advance(10)

    assert issuer.cert_fetches == 1


def test_certificates_are_fetched_again_once_max_age_passes(
    issuer: TokenIssuer, session: requests.Session, clock: FakeClock
) -> None:
    verifier = make_verifier(issuer, session, clock)
    token = issuer.mint(EMAIL, AUDIENCE)
    verifier.verify(token)

    clock.advance(issuer.cert_max_age - 1)
    verifier.verify(token)
    fetches_before_expiry = issuer.cert_fetches
    clock.advance(1)
    verifier.verify(token)

    assert fetches_before_expiry == 1
    assert issuer.cert_fetches == 2


def test_concurrent_first_verifications_share_one_fetch(
    issuer: TokenIssuer, session: requests.Session
) -> None:
    verifier = make_verifier(issuer, session)
    token = issuer.mint(EMAIL, AUDIENCE)
    barrier = threading.Barrier(8)
    users: list[VerifiedUser] = []

    def verify() -> None:
        barrier.wait()
        users.append(verifier.verify(token))

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [user.email for user in users] == [EMAIL] * 8
    assert issuer.cert_fetches == 1


def test_unknown_key_refetches_at_most_once_per_interval(
    issuer: TokenIssuer, session: requests.Session, clock: FakeClock
) -> None:
    verifier = make_verifier(issuer, session, clock)
    verifier.verify(issuer.mint(EMAIL, AUDIENCE))
    clock.advance(REFETCH_INTERVAL_SECONDS)

    first = refusal(verifier, issuer.mint(EMAIL, AUDIENCE, kid="unknown-1"))
    second = refusal(verifier, issuer.mint(EMAIL, AUDIENCE, kid="unknown-2"))

    assert str(first) == str(second) == "unknown signing key"
    assert issuer.cert_fetches == 2


def test_unknown_key_right_after_a_fetch_does_not_refetch(
    issuer: TokenIssuer, session: requests.Session, clock: FakeClock
) -> None:
    verifier = make_verifier(issuer, session, clock)
    verifier.verify(issuer.mint(EMAIL, AUDIENCE))

    error = refusal(verifier, issuer.mint(EMAIL, AUDIENCE, kid="unknown"))

    assert str(error) == "unknown signing key"
    assert issuer.cert_fetches == 1


def test_a_rotated_key_is_picked_up_by_the_refetch(
    issuer: TokenIssuer, session: requests.Session, clock: FakeClock
) -> None:
    verifier = make_verifier(issuer, session, clock)
    verifier.verify(issuer.mint(EMAIL, AUDIENCE))
    issuer.rotate_keys()
    clock.advance(REFETCH_INTERVAL_SECONDS)

    user = verifier.verify(issuer.mint(EMAIL, AUDIENCE))

    assert user.email == EMAIL
    assert issuer.cert_fetches == 2


def test_certificate_endpoint_unreachable_is_a_transient_failure(
    shared_issuer: TokenIssuer, session: requests.Session
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/oauth2/v1/certs"
    verifier = make_verifier(shared_issuer, session, certs_url=unreachable)

    with pytest.raises(TransientFailure):
        verifier.verify(shared_issuer.mint(EMAIL, AUDIENCE))


def test_certificate_endpoint_error_is_a_transient_failure_until_it_recovers(
    issuer: TokenIssuer, session: requests.Session, clock: FakeClock
) -> None:
    verifier = make_verifier(issuer, session, clock)
    token = issuer.mint(EMAIL, AUDIENCE)
    issuer.certs_status = 503

    with pytest.raises(TransientFailure):
        verifier.verify(token)
    issuer.certs_status = None
    with pytest.raises(TransientFailure) as during_backoff:
        verifier.verify(token)
    clock.advance(FETCH_FAILURE_BACKOFF_SECONDS)
    user = verifier.verify(token)

    assert during_backoff.value.retry_after == FETCH_FAILURE_BACKOFF_SECONDS
    assert issuer.cert_fetches == 2
    assert user.email == EMAIL


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers every request with one canned 200 response."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = self.body
        response.headers.update({"Content-Type": "application/json"})
        response.request = request
        response.url = str(request.url)
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "body", [b"<html>not json</html>", b"[]", b'{"kid": 42}', b'{"kid": "not a pem"}']
)
def test_malformed_certificates_are_a_transient_failure(
    shared_issuer: TokenIssuer, body: bytes
) -> None:
    with requests.Session() as session:
        session.mount("http://", CannedAdapter(body))
        verifier = make_verifier(shared_issuer, session)

        with pytest.raises(TransientFailure):
            verifier.verify(shared_issuer.mint(EMAIL, AUDIENCE))


def test_cache_lifetime_defaults_when_max_age_is_absent(
    shared_issuer: TokenIssuer, clock: FakeClock
) -> None:
    issuer = shared_issuer
    adapter = CannedAdapter(json.dumps(issuer.certificates()).encode())
    with requests.Session() as session:
        session.mount("http://", adapter)
        verifier = IdTokenVerifier(
            certs_url=issuer.certs_url,
            audience=AUDIENCE,
            session=session,
            clock=clock,
            default_cache_seconds=60,
        )
        token = issuer.mint(EMAIL, AUDIENCE)
        verifier.verify(token)
        adapter.body = b"[]"  # a refetch would now fail

        clock.advance(59)
        user = verifier.verify(token)
        clock.advance(1)

        assert user.email == EMAIL
        with pytest.raises(TransientFailure):
            verifier.verify(token)
