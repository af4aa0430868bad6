"""The logo of the conference solutions: an image that Google hosts.

Calendar shows a conference solution's logo (the add-on manifest's ``logoUrl``, and the
``conferenceSolution.iconUri`` of the ConferenceData the functions answer) only from
Google's infrastructure; Google's conferencing guide says to use the add-on's Marketplace
store-listing icon (docs/calendar-behaviour.md#apps-script-conference-data). So the logo
is a setting, ``ADDON_LOGO_URL``, and a logo URL is accepted only when it is::

    https://<host>/<path>

with ``<host>`` one of :data:`LOGO_HOSTS` (any letter case; a ``*.`` means one or more
labels of letters, digits and inner hyphens; no user name, no port) and ``<path>`` one or
more of ``A-Z a-z 0-9 - . _ ~ / % = + , ; : @ ! $ & ( ) * ?`` (no space, quote, backslash,
``|`` or ``#``). The store listing's images are served from ``lh3.googleusercontent.com``
and its siblings; ``storage.googleapis.com`` serves public Cloud Storage objects.

The same rule is written three times: here (the functions' settings and
``addon/generate.py``), in ``deploy.sh`` and in the add-on's Node stand-in
(``addon/test/apps_script_standin.js``). ``addon/test/logo_urls.json`` holds the cases all
three are tested on.
"""

from __future__ import annotations

import re

LOGO_HOSTS: tuple[str, ...] = ("*.googleusercontent.com", "*.gstatic.com", "storage.googleapis.com")

_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST = rf"(?:(?:{_LABEL}\.)+(?:googleusercontent|gstatic)\.com|storage\.googleapis\.com)"
_PATH = r"/[a-z0-9._~/%=+,;:@!$&()*?-]+"
_FLAGS = re.ASCII | re.IGNORECASE
_LOGO_URL = re.compile(rf"https://{_HOST}{_PATH}", _FLAGS)
_HOST_ONLY = re.compile(_HOST, _FLAGS)
_SCHEME = "https://"


def is_google_hosted(url: str) -> bool:
    """True when ``url`` is a logo URL Calendar can show (see the module docstring)."""
    return _LOGO_URL.fullmatch(url) is not None


def logo_url_problems(name: str, url: str) -> list[str]:
    """What is wrong with ``url`` as the logo URL ``name`` (empty: nothing)."""
    if not url:
        return [f"{name} is required (docs/operations.md, step 6)"]
    if is_google_hosted(url):
        return []
    if url[: len(_SCHEME)].lower() != _SCHEME:
        return [f"{name} must start with https:// (got {url!r})"]
    host = re.split(r"[/?#\\]", url[len(_SCHEME) :], maxsplit=1)[0]
    if _HOST_ONLY.fullmatch(host) is None:
        return [
            f"{name}: {host!r} is not a Google host: Calendar shows a solution's logo only "
            f"from Google's infrastructure, so use a URL on {', '.join(LOGO_HOSTS)}, without "
            "a user name or port (the add-on's store-listing icon: docs/operations.md, step 6)"
        ]
    return [
        f"{name} must name an image after the host, in URL characters only (no space, "
        f"quote, backslash, '|' or '#') (got {url!r})"
    ]
