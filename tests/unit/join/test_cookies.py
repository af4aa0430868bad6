"""Signed cookies: round trip, tampering, expiry, purpose, attributes, form tokens."""

from __future__ import annotations

import pytest

from shared.join import cookies

KEY = b"k" * 32
NOW = 1_800_000_000.0


def test_a_signed_value_reads_back_until_it_expires() -> None:
    value = cookies.sign(KEY, "session", {"email": "a@b.c"}, now=NOW, max_age=3600)

    assert cookies.read_signed(KEY, "session", value, now=NOW + 3599) == {"email": "a@b.c"}
    assert cookies.read_signed(KEY, "session", value, now=NOW + 3600) is None


def test_a_cookie_lasts_at_most_an_hour() -> None:
    with pytest.raises(ValueError, match="at most an hour"):
        cookies.sign(KEY, "state", {}, now=NOW, max_age=3601)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature changed
        lambda v: "e30" + v[3:],  # payload changed
        lambda v: v.replace(".", ""),
        lambda v: v + ".x",
        lambda v: "",
        lambda v: "x" * 3000,
        lambda v: "é.é",
        lambda v: "!!!." + v.split(".")[1],
    ],
)
def test_anything_tampered_reads_as_nothing(mangle: object) -> None:
    value = cookies.sign(KEY, "session", {"email": "a@b.c"}, now=NOW, max_age=60)

    assert cookies.read_signed(KEY, "session", mangle(value), now=NOW) is None  # type: ignore[operator]


def test_another_key_or_purpose_reads_as_nothing() -> None:
    value = cookies.sign(KEY, "state", {"sid": "x"}, now=NOW, max_age=60)

    assert cookies.read_signed(b"o" * 32, "state", value, now=NOW) is None
    assert cookies.read_signed(KEY, "session", value, now=NOW) is None
    assert cookies.read_signed(KEY, "state", None, now=NOW) is None


def test_a_signed_non_object_or_bad_expiry_reads_as_nothing() -> None:
    body = cookies._b64encode(b"[1]")
    assert cookies.read_signed(KEY, "s", f"{body}.{cookies._mac(KEY, body)}", now=NOW) is None
    body = cookies._b64encode(b'{"p": "s", "exp": "later"}')
    assert cookies.read_signed(KEY, "s", f"{body}.{cookies._mac(KEY, body)}", now=NOW) is None
    body = cookies._b64encode(b"not json")
    assert cookies.read_signed(KEY, "s", f"{body}.{cookies._mac(KEY, body)}", now=NOW) is None


def test_the_attributes_are_host_only_secure_httponly_lax() -> None:
    header = cookies.set_cookie_header(cookies.SESSION_COOKIE, "v", max_age=3600)

    assert header == ("__Host-join-session=v; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax")
    assert "Domain" not in header
    assert cookies.clear_cookie_header(cookies.STATE_COOKIE).startswith("__Host-join-state=;")


def test_form_tokens_are_bound_to_the_state_and_the_conference() -> None:
    token = cookies.form_token(KEY, "sid-1", "conf-1")

    assert cookies.form_token_valid(KEY, "sid-1", "conf-1", token)
    assert not cookies.form_token_valid(KEY, "sid-2", "conf-1", token)
    assert not cookies.form_token_valid(KEY, "sid-1", "conf-2", token)
    assert not cookies.form_token_valid(KEY, "sid-1", "conf-1", token + "x")
    assert not cookies.form_token_valid(KEY, "sid-1", "conf-1", "é")
