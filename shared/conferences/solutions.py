"""Conference solutions: the variants of the deployment's provider, from ``solutions.json``.

The add-on manifest is generated from the same file (``addon/generate.py``), so the ids
Calendar sends always match the ones this module knows. A solution's logo is not here: it is
the deployment's ``ADDON_LOGO_URL`` (an image Google hosts; :mod:`shared.logos`), the same
for every solution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from shared.errors import ConfigurationError

SOLUTIONS_FILE = Path(__file__).with_name("solutions.json")


@dataclass(frozen=True)
class Solution:
    """One conference solution: what the user picks in "Add video conferencing"."""

    id: str
    name: str
    options: dict[str, Any] = field(default_factory=dict, hash=False)


def _parse(provider: str, raw: object) -> dict[str, Solution]:
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError([f"solutions.json: no solutions for provider {provider!r}"])
    solutions: dict[str, Solution] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise ConfigurationError([f"solutions.json: {provider}: entries must be objects"])
        try:
            solution = Solution(
                id=str(item["id"]),
                name=str(item["name"]),
                options=dict(item.get("options") or {}),
            )
        except KeyError as err:
            raise ConfigurationError([f"solutions.json: {provider}: missing {err}"]) from err
        if solution.id in solutions:
            raise ConfigurationError([f"solutions.json: {provider}: duplicate id {solution.id}"])
        solutions[solution.id] = solution
    if "1" not in solutions:
        raise ConfigurationError([f"solutions.json: {provider}: solution '1' must exist"])
    return solutions


@cache
def solutions_for(provider: str, path: Path = SOLUTIONS_FILE) -> dict[str, Solution]:
    """The solutions of ``provider``, by id, in file order."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return _parse(provider, document.get(provider))


def find_solution(provider: str, solution_id: str) -> Solution | None:
    """The solution with ``solution_id``, or None when the deployment has no such solution."""
    return solutions_for(provider).get(solution_id)
