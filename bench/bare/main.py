"""A bare functions-framework function: the floor of the cold-start benchmark.

Served exactly as the bundle's functions are (functions-framework, its own process), it
answers every request at once and imports nothing else.
"""

from __future__ import annotations

import flask
import functions_framework


@functions_framework.http
def bare(request: flask.Request) -> str:
    return "ok"
