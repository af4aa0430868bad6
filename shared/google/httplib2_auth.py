"""httplib2's ``WWW-Authenticate`` parser, loaded on first use instead of at import.

``httplib2`` imports its ``auth`` module (and with it ``pyparsing``, about 20 ms of a
cold start here) when it is imported, though only an answer with a 401 uses it: our
Calendar requests carry their own ``Authorization`` header and never give httplib2
credentials. :func:`defer` puts a stand-in under ``httplib2.auth`` before httplib2 is
imported; the real module is loaded, once and under a lock, the first time one of its
names is read. If httplib2 is already imported, or its ``auth`` module is not where this
expects it, nothing changes.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from pathlib import Path
from typing import Any

NAME = "httplib2.auth"


class _OnFirstUse(types.ModuleType):
    """Stands in for ``httplib2.auth``: any name read loads the real module."""

    def __init__(self, path: Path) -> None:
        super().__init__(NAME)
        self._path = path
        self._lock = threading.Lock()
        self._real: types.ModuleType | None = None

    def __getattr__(self, name: str) -> Any:  # only names this stand-in does not hold
        if name.startswith("__"):
            raise AttributeError(name)
        with self._lock:
            if self._real is None:
                spec = importlib.util.spec_from_file_location("httplib2._auth", self._path)
                if spec is None or spec.loader is None:
                    raise AttributeError(name)
                real = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(real)
                self._real = real
        return getattr(self._real, name)


def defer() -> None:
    """Install the stand-in, unless httplib2 (or its ``auth``) is already imported."""
    if "httplib2" in sys.modules or NAME in sys.modules:
        return
    spec = importlib.util.find_spec("httplib2")  # a top-level name: found, not imported
    if spec is None or not spec.submodule_search_locations:
        return
    path = Path(next(iter(spec.submodule_search_locations))) / "auth.py"
    if path.is_file():
        sys.modules[NAME] = _OnFirstUse(path)
