"""The conference solutions of each provider, read from solutions.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shared.conferences.solutions import (
    Solution,
    deployed_id,
    deployed_solutions,
    find_solution,
    known_providers,
    recorded_solution_ids,
    solutions_for,
    stored_solution,
)
from shared.errors import ConfigurationError

ONE = {"id": "1", "name": "Meet here"}


def test_the_shipped_solutions_are_read_in_file_order() -> None:
    zoom = solutions_for("zoom")

    assert list(zoom) == ["1", "2"]
    assert zoom["2"].name == "Zoom Meeting (recorded)"
    assert zoom["2"].options["autoRecording"] == "cloud"
    assert list(solutions_for("jitsi")) == ["1"]


def test_a_solution_is_found_by_id_or_is_none() -> None:
    assert find_solution("zoom", "2") == solutions_for("zoom")["2"]
    assert find_solution("zoom", "3") is None


def write(tmp_path: Path, provider_list: Any) -> Path:
    path = tmp_path / "solutions.json"
    path.write_text(json.dumps({"acme": provider_list}), encoding="utf-8")
    return path


def test_options_are_optional(tmp_path: Path) -> None:
    solutions = solutions_for("acme", write(tmp_path, [ONE]))

    assert solutions == {"1": Solution("1", "Meet here", {}, provider="acme")}


@pytest.mark.parametrize(
    ("provider_list", "problem"),
    [
        (None, "solutions.json: no solutions for provider 'acme'"),
        ([], "solutions.json: no solutions for provider 'acme'"),
        ({"1": ONE}, "solutions.json: no solutions for provider 'acme'"),
        ([ONE, "2"], "solutions.json: acme: entries must be objects"),
        ([{"id": "1"}], "solutions.json: acme: missing 'name'"),
        ([ONE, {**ONE, "name": "Again"}], "solutions.json: acme: duplicate id 1"),
        ([{**ONE, "id": "2"}], "solutions.json: acme: solution '1' must exist"),
    ],
)
def test_a_malformed_list_stops_with_its_problem(
    provider_list: Any, problem: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError) as stopped:
        solutions_for("acme", write(tmp_path, provider_list))

    assert stopped.value.problems == [problem]


def test_every_solution_names_its_provider() -> None:
    for provider in ("jitsi", "zoom", "bigbluebutton"):
        assert {s.provider for s in solutions_for(provider).values()} == {provider}


def test_the_first_provider_keeps_its_file_ids_the_others_are_prefixed() -> None:
    deployed = deployed_solutions(["jitsi", "bigbluebutton", "zoom"])

    assert list(deployed) == ["1", "bigbluebutton-1", "bigbluebutton-2", "zoom-1", "zoom-2"]
    assert deployed["1"] == replace(solutions_for("jitsi")["1"], id="1")
    assert deployed["zoom-2"].options["autoRecording"] == "cloud"
    assert deployed["zoom-2"].provider == "zoom"
    assert deployed["bigbluebutton-1"].options == {
        "admission": "guests",
        "record": True,
        "guestPolicy": "ASK_MODERATOR",
    }


def test_a_single_provider_keeps_todays_ids() -> None:
    assert list(deployed_solutions(["zoom"])) == ["1", "2"]
    assert deployed_id(["zoom", "jitsi"], "zoom", "2") == "2"
    assert deployed_id(["zoom", "jitsi"], "jitsi", "1") == "jitsi-1"


def test_deployed_ids_never_collide(tmp_path: Path) -> None:
    path = tmp_path / "solutions.json"
    path.write_text(
        json.dumps({"a": [ONE, {"id": "b-1", "name": "x"}], "b": [ONE]}), encoding="utf-8"
    )

    with pytest.raises(ConfigurationError) as stopped:
        deployed_solutions(["a", "b"], path)

    assert stopped.value.problems == ["solutions.json: two solutions are 'b-1'"]


def test_records_are_looked_for_under_the_ids_an_enabled_provider_may_carry() -> None:
    # Plain file ids (the previous release; whichever provider was first before) and the
    # enabled providers' prefixed ids; not those of providers that are not enabled.
    assert known_providers() == ("jitsi", "zoom", "bigbluebutton")
    ids = recorded_solution_ids(["jitsi"])
    assert ids[0] == "1"
    assert set(ids) == {"1", "2", "jitsi-1"}

    assert set(recorded_solution_ids(["zoom", "bigbluebutton"])) == {
        "1",
        "2",
        "bigbluebutton-1",
        "bigbluebutton-2",
        "zoom-1",
        "zoom-2",
    }


@pytest.mark.parametrize(
    ("provider", "stored", "expected"),
    [
        ("zoom", "2", ("2", "Zoom Meeting (recorded)")),
        ("zoom", "zoom-2", ("zoom-2", "Zoom Meeting (recorded)")),
        ("bigbluebutton", "bigbluebutton-1", ("bigbluebutton-1", "BigBlueButton")),
        ("zoom", "3", None),
        ("zoom", "jitsi-1", None),
        ("acme", "1", None),
    ],
)
def test_a_records_solution_is_found_under_its_stored_id(
    provider: str, stored: str, expected: tuple[str, str] | None
) -> None:
    found = stored_solution(provider, stored)

    assert ((found.id, found.name) if found else None) == expected
