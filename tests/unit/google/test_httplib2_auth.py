"""httplib2's WWW-Authenticate parser loaded on first use (a cold start imports less)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httplib2

from shared.google import httplib2_auth

REPO = Path(__file__).resolve().parents[3]


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_the_parser_and_pyparsing_are_not_imported_with_the_calendar_client() -> None:
    out = run(
        """
        import sys
        import shared.google.calendar_api
        print("pyparsing" in sys.modules, type(sys.modules["httplib2.auth"]).__name__)
        """
    )

    assert out == "False _OnFirstUse"


def test_a_challenge_is_parsed_by_the_real_module_on_first_use() -> None:
    out = run(
        """
        import sys
        import shared.google.calendar_api
        import httplib2
        challenge = {"www-authenticate": 'Digest realm="r", nonce="n"'}
        parsed = httplib2.auth._parse_www_authenticate(challenge, "www-authenticate")
        print(parsed["digest"]["realm"], parsed["digest"]["nonce"], "pyparsing" in sys.modules)
        """
    )

    assert out == "r n True"


def test_nothing_changes_once_httplib2_is_imported() -> None:
    before = sys.modules["httplib2.auth"]

    httplib2_auth.defer()

    assert sys.modules["httplib2.auth"] is before
    assert httplib2.auth is not None
