"""JoinSettings: required values, the opening window, and Google's endpoints on Cloud Run."""

from __future__ import annotations

import pytest

from shared.errors import ConfigurationError
from shared.join.settings import GOOGLE_AUTHORIZE_URL, GOOGLE_TOKEN_URL, load_join_settings

KEY = "k" * 32
BASE = {"JOIN_SESSION_KEY": KEY, "JOIN_OAUTH_CLIENT_ID": "c", "JOIN_OAUTH_CLIENT_SECRET": "s"}


def test_defaults_are_googles_endpoints_and_fifteen_minutes() -> None:
    settings = load_join_settings(BASE)

    assert settings.authorize_url == GOOGLE_AUTHORIZE_URL
    assert settings.token_url == GOOGLE_TOKEN_URL
    assert settings.opens_minutes_before == 15
    assert settings.session_key == KEY.encode()
    assert KEY not in repr(settings)
    assert "'s'" not in repr(settings)


def test_every_problem_is_named_at_once() -> None:
    env = {"JOIN_OPENS_MINUTES_BEFORE": "soon", "GOOGLE_OAUTH_TOKEN_URL": "ftp://x"}

    with pytest.raises(ConfigurationError) as caught:
        load_join_settings(env)

    assert caught.value.problems == [
        "JOIN_SESSION_KEY is required",
        "JOIN_OAUTH_CLIENT_ID is required",
        "JOIN_OAUTH_CLIENT_SECRET is required",
        "JOIN_OPENS_MINUTES_BEFORE must be a number",
        "GOOGLE_OAUTH_TOKEN_URL must be an http(s) URL",
    ]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"JOIN_SESSION_KEY": "short"}, "JOIN_SESSION_KEY must be at least 32 bytes"),
        ({"JOIN_OPENS_MINUTES_BEFORE": "-1"}, "JOIN_OPENS_MINUTES_BEFORE must be between 0"),
        ({"JOIN_OPENS_MINUTES_BEFORE": "2000"}, "JOIN_OPENS_MINUTES_BEFORE must be between 0"),
    ],
)
def test_values_out_of_range_are_refused(overrides: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_join_settings({**BASE, **overrides})

    assert caught.value.problems[0].startswith(problem)


def test_the_window_is_configurable() -> None:
    assert load_join_settings({**BASE, "JOIN_OPENS_MINUTES_BEFORE": "0"}).opens_minutes_before == 0


def test_local_endpoints_are_accepted_off_cloud_run() -> None:
    env = {
        **BASE,
        "GOOGLE_OAUTH_AUTHORIZE_URL": "http://127.0.0.1:1/o/oauth2/v2/auth",
        "GOOGLE_OAUTH_TOKEN_URL": "http://127.0.0.1:1/token",
    }

    settings = load_join_settings(env)

    assert settings.authorize_url == "http://127.0.0.1:1/o/oauth2/v2/auth"
    assert settings.token_url == "http://127.0.0.1:1/token"


def test_on_cloud_run_the_endpoints_must_be_googles() -> None:
    env = {
        **BASE,
        "K_SERVICE": "join-meeting",
        "GOOGLE_OAUTH_AUTHORIZE_URL": "http://127.0.0.1:1/auth",
        "GOOGLE_OAUTH_TOKEN_URL": "https://evil.example/token",
    }

    with pytest.raises(ConfigurationError) as caught:
        load_join_settings(env)

    assert caught.value.problems == [
        "GOOGLE_OAUTH_AUTHORIZE_URL must be Google's on Cloud Run",
        "GOOGLE_OAUTH_TOKEN_URL must be Google's on Cloud Run",
    ]


def test_on_cloud_run_googles_endpoints_pass() -> None:
    env = {**BASE, "K_SERVICE": "join-meeting", "GOOGLE_OAUTH_TOKEN_URL": GOOGLE_TOKEN_URL}

    assert load_join_settings(env).token_url == GOOGLE_TOKEN_URL
