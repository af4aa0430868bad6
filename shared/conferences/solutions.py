"""Conference solutions: the variants of each provider, from ``solutions.json``.

Every list in the file belongs to the provider it is named after. A deployment offers the
solutions of every enabled provider (``CONFERENCE_PROVIDERS``) under their *deployed* ids
(:func:`deployed_solutions`): the first provider keeps its file ids ("1", "2"), every
other provider's ids are prefixed with its name ("zoom-1", "bigbluebutton-1"). Ids never
change once deployed: Google's reference says a solution's id should not, and it is part
of every conference document's id (docs/providers.md#several-providers).

The add-on manifest is generated from the same file (``addon/generate.py``), so the ids
Calendar sends always match the ones this module knows. A solution's logo is not here: it is
the deployment's ``ADDON_LOGO_URL`` (an image Google hosts; :mod:`shared.logos`), the same
for every solution.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from shared.errors import ConfigurationError

SOLUTIONS_FILE = Path(__file__).with_name("solutions.json")


@dataclass(frozen=True)
class Solution:
    """One conference solution: what the user picks in "Add video conferencing"."""

    id: str  # as deployed: the file id for the first provider, else "<provider>-<file id>"
    name: str
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    provider: str = ""  # the provider it belongs to (its list in solutions.json)


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
                provider=provider,
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


def deployed_id(providers: Sequence[str], provider: str, file_id: str) -> str:
    """The id Calendar knows a solution by: ``file_id`` for the first provider,
    ``<provider>-<file_id>`` for the others."""
    return file_id if providers and providers[0] == provider else f"{provider}-{file_id}"


def deployed_solutions(
    providers: Sequence[str], path: Path = SOLUTIONS_FILE
) -> dict[str, Solution]:
    """The solutions of every enabled provider, by deployed id, in list then file order.
    ``providers`` are provider names (``Provider.name``), the first the primary."""
    solutions: dict[str, Solution] = {}
    for provider in providers:
        for file_id, solution in solutions_for(provider, path).items():
            solution_id = deployed_id(providers, provider, file_id)
            if solution_id in solutions:
                raise ConfigurationError([f"solutions.json: two solutions are {solution_id!r}"])
            solutions[solution_id] = replace(solution, id=solution_id)
    return solutions


@cache
def known_providers(path: Path = SOLUTIONS_FILE) -> tuple[str, ...]:
    """The providers listed in ``solutions.json`` (keys starting with ``_`` are comments)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return tuple(name for name in document if not name.startswith("_"))


def recorded_solution_ids(providers: Sequence[str], path: Path = SOLUTIONS_FILE) -> tuple[str, ...]:
    """The solution ids sync looks up for a listed event: the deployed ids; every known
    provider's file ids ("1", "2": the previous release's records, and those of whichever
    provider was first in an earlier list); and every enabled provider's ids prefixed (it
    was not first in an earlier list). Nothing is re-keyed.

    Not the prefixed ids of a provider that is not enabled (one removed from the list
    while it was not first): each listed event would cost a read more per such id, on
    every page. Such a record is left alone all the same: an edit of its event finds no
    record and is not ours to act on; the sweep puts its retries off; its meeting is never
    deleted (docs/providers.md#several-providers)."""
    known = known_providers(path)
    ids = dict.fromkeys(deployed_solutions(providers, path))
    for provider in known:
        for file_id in solutions_for(provider, path):
            ids.setdefault(file_id)
    for provider in providers:
        if provider in known:
            for file_id in solutions_for(provider, path):
                ids.setdefault(f"{provider}-{file_id}")
    return tuple(ids)


def stored_solution(provider: str, solution_id: str) -> Solution | None:
    """The solution a record names, by its provider and stored solution id (a file id, or
    ``<provider>-<file id>``), keeping the stored id; None if there is no such solution."""
    try:
        solutions = solutions_for(provider)
    except ConfigurationError:
        return None
    found = solutions.get(solution_id.removeprefix(f"{provider}-")) or None
    return replace(found, id=solution_id) if found is not None else None
