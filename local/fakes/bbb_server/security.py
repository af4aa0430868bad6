"""The checksum check of the local BigBlueButton, as bbb-web does it.

Followed: docs.bigbluebutton.org, API Reference, "API Security Model" (versions 2.7 to
3.0): the checksum is the hex digest of ``callName + queryString + sharedSecret``, the
query string being the one sent, without the checksum; sha1 and sha256 everywhere, sha384
and sha512 since 2.5, each accepted only while listed in bbb-web's
``supportedChecksumAlgorithms``. And bbb-common-web's ``GetChecksum`` /
``GetChecksumValidator`` (also ``ParamsProcessorUtil.isChecksumSame``):

- the query string is ``request.getQueryString()``: the raw, still percent-encoded
  string, so a value encoded differently (``%20`` instead of ``+``, ``%7E`` instead of
  ``~``) gives a different checksum;
- the checksum is taken out of it by plain string replacement of ``&checksum=VALUE``,
  ``checksum=VALUE&`` and ``checksum=VALUE`` (wherever they occur), VALUE being the
  decoded ``checksum`` parameter;
- the algorithm is chosen by the checksum's length (40, 64, 96, 128 hex digits); a
  length that names no algorithm, or an algorithm not supported, fails;
- the comparison ignores case (``equalsIgnoreCase``);
- the digest is over the UTF-8 bytes of the string (commons-codec ``sha*Hex(String)``).

Not followed: an empty shared secret disables the check in bbb-web; here a secret is
always required (a test server never runs open).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

#: bbb-web's algorithms, by the length of their hex digest.
ALGORITHM_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
#: bbb-web's default ``supportedChecksumAlgorithms`` (bbb-web.properties, 2.5 and later).
DEFAULT_SUPPORTED = ("sha1", "sha256", "sha384", "sha512")


@dataclass(frozen=True)
class ChecksumCheck:
    """What the check found: whether it passed and which algorithm the length named."""

    valid: bool
    algorithm: str | None


def query_without_checksum(raw_query: str, checksum: str) -> str:
    """``raw_query`` with the checksum taken out the way bbb-web does it."""
    stripped = raw_query.replace("&checksum=" + checksum, "")
    stripped = stripped.replace("checksum=" + checksum + "&", "")
    return stripped.replace("checksum=" + checksum, "")


def check_checksum(
    call: str, raw_query: str, checksum: str, secret: str, supported: tuple[str, ...]
) -> ChecksumCheck:
    """Whether ``checksum`` (the decoded ``checksum`` parameter) signs ``raw_query``."""
    algorithm = ALGORITHM_BY_LENGTH.get(len(checksum))
    if not checksum.isascii() or algorithm is None or algorithm not in supported:
        return ChecksumCheck(False, algorithm)
    data = call + query_without_checksum(raw_query, checksum) + secret
    expected = hashlib.new(algorithm, data.encode("utf-8")).hexdigest()
    return ChecksumCheck(hmac.compare_digest(expected, checksum.lower()), algorithm)
