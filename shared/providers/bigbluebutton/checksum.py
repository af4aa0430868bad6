"""Signing BigBlueButton API calls: pure functions, no I/O.

Every call is ``GET {api_url}{call}?{query}&checksum={hex}`` where ``hex`` is the digest
of ``call + query + secret``, ``query`` being the query string exactly as sent, without
the checksum (docs.bigbluebutton.org, API Reference, "API Security Model"). The server
tells the algorithm by the digest's length and accepts only those in its
``supportedChecksumAlgorithms`` (sha1 and sha256 everywhere, sha384 and sha512 since
2.5); sha256 is the default here.

The server signs the raw query string it received, so the query is built once
(:func:`encode_query`) and the very same text is signed and sent: any re-encoding on the
way (``%20`` for ``+``, ``~`` for ``%7E``) is a ``checksumError``. :func:`encode_query`
writes what every BigBlueButton client library writes (``application/x-www-form-urlencoded``
in UTF-8: spaces as ``+``, everything but ``A-Za-z0-9_.-~`` percent-encoded), in the order
given.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import quote_plus, urlencode

ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
DEFAULT_ALGORITHM = "sha256"
_CALL = re.compile(r"[A-Za-z]+")
#: "The string must not contain control characters (values 0x00 through 0x1F)" (API
#: Reference, "API Data Types"); DEL and C1 controls are refused too.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def encode_query(params: Iterable[tuple[str, str]]) -> str:
    """The query string of ``params``, in order. Refuses a ``checksum`` parameter (the
    signature is added by :func:`signed_query`) and control characters."""
    pairs = list(params)
    for name, value in pairs:
        if name == "checksum":
            raise ValueError("the checksum parameter is added when signing")
        if not name or _CONTROL.search(name) or _CONTROL.search(value):
            raise ValueError("a parameter name is empty or holds a control character")
    return urlencode(pairs, quote_via=quote_plus)


def checksum(call: str, query: str, secret: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The lowercase hex digest of ``call + query + secret`` (UTF-8)."""
    if not _CALL.fullmatch(call):
        raise ValueError("an API call name is letters only")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}; one of {ALGORITHMS}")
    if not secret:
        raise ValueError("the shared secret is empty")
    return hashlib.new(algorithm, (call + query + secret).encode("utf-8")).hexdigest()


def signed_query(call: str, query: str, secret: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """``query`` with its checksum appended: what goes after the ``?``."""
    digest = checksum(call, query, secret, algorithm)
    return f"{query}&checksum={digest}" if query else f"checksum={digest}"


def signed_url(
    api_url: str,
    call: str,
    params: Iterable[tuple[str, str]],
    secret: str,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """``{api_url}{call}?{query}&checksum=...`` (``api_url`` ends with ``/api/``)."""
    base = api_url if api_url.endswith("/") else api_url + "/"
    return f"{base}{call}?{signed_query(call, encode_query(params), secret, algorithm)}"
