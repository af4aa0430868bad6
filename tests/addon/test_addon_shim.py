"""The Apps Script add-on: the generated project, the generator's refusals, and the shim.

The shim itself runs in Node (``addon/test``, built-in modules only) against an Apps Script
stand-in; :func:`test_shim_in_apps_script_standin` generates the add-on, writes the function's
answers as fixtures (:func:`write_shim_fixtures`) and runs ``node --test addon/test/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from addon.generate import (
    CODE_FILE,
    CONFIG_FILE,
    EXIT_REFUSED,
    MANIFEST_FILE,
    OAUTH_SCOPES,
    function_names,
    generate,
    known_providers,
)
from local.stack import LOGO_URL
from shared.conferences.solutions import deployed_solutions, solutions_for
from shared.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]
NODE_TESTS = ROOT / "addon" / "test"
FUNCTION_URL = "https://europe-west1-bundle-test.cloudfunctions.net/create-conference"
LOGO_CASES: dict[str, list[str]] = json.loads(
    (NODE_TESTS / "logo_urls.json").read_text(encoding="utf-8")
)
PROVIDERS = known_providers()
ERROR_TYPES = (
    "AUTHENTICATION",
    "CONFERENCE_SOLUTION_FORBIDDEN",
    "PERMANENT",
    "PERMISSION_DENIED",
    "TEMPORARY",
    "UNKNOWN",
)


def write_shim_fixtures(directory: Path, answers: list[dict[str, Any]]) -> None:
    """Writes answers of the create-conference function as fixtures of the Node shim tests.

    Each answer is ``{"name": str, "solutionId": str, "status": int, "body": <JSON>}``: the
    HTTP status and the parsed JSON body the function gave (a string body is fed to the shim
    as raw text). One file per answer, numbered in list order.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for index, answer in enumerate(answers):
        name, solution_id, status = answer["name"], answer["solutionId"], answer["status"]
        if not isinstance(name, str) or not isinstance(solution_id, str):
            raise TypeError(f"answer {index}: name and solutionId must be strings")
        if not isinstance(status, int) or isinstance(status, bool):
            raise TypeError(f"answer {index}: status must be an int")
        if "body" not in answer:
            raise KeyError(f"answer {index}: no body")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "answer"
        fixture = {
            "name": name,
            "solutionId": solution_id,
            "status": status,
            "body": answer["body"],
        }
        path = directory / f"{index:03d}-{slug}.json"
        path.write_text(json.dumps(fixture, indent=2) + "\n", encoding="utf-8")


JITSI_LIKE: dict[str, Any] = {
    "conferenceSolution": {
        "key": {"type": "addOn"},
        "name": "Jitsi Meet",
        "iconUri": LOGO_URL,
    },
    "conferenceId": "BundleWeeklySync-7f3a9c21",
    "entryPoints": [
        {
            "entryPointType": "video",
            "uri": "https://meet.jit.si/BundleWeeklySync-7f3a9c21",
            "label": "meet.jit.si/BundleWeeklySync-7f3a9c21",
        }
    ],
    "parameters": {"addOnParameters": {"parameters": {"room": "BundleWeeklySync-7f3a9c21"}}},
}

ZOOM_LIKE: dict[str, Any] = {
    "conferenceSolution": {
        "key": {"type": "addOn"},
        "name": "Zoom Meeting",
        "iconUri": LOGO_URL,
    },
    "conferenceId": "85746065432",
    "entryPoints": [
        {
            "entryPointType": "video",
            "uri": "https://us02web.zoom.us/j/85746065432?pwd=bFdQa2xNZz09",
            "label": "us02web.zoom.us/j/85746065432",
            "meetingCode": "85746065432",
            "passcode": "491823",
        },
        {
            "entryPointType": "phone",
            "uri": "tel:+46850539728,,85746065432#,,,,*491823#",
            "label": "+46 8 505 397 28",
            "regionCode": "SE",
            "entryPointFeatures": ["toll"],
            "passcode": "491823",
        },
        {
            "entryPointType": "phone",
            "uri": "tel:+18335480276,,85746065432#,,,,*491823#",
            "label": "+1 833 548 0276",
            "regionCode": "US",
            "entryPointFeatures": ["toll_free"],
            "passcode": "491823",
        },
        {"entryPointType": "more", "uri": "https://us02web.zoom.us/u/kbHtR3cRm"},
    ],
    "notes": "Meeting ID: 857 4606 5432<br>Passcode: 491823",
    "parameters": {
        "addOnParameters": {
            "parameters": {"meetingId": "85746065432", "autoRecording": "none", "sip": "false"}
        }
    },
}


def representative_answers(solution_ids: list[str]) -> list[dict[str, Any]]:
    """Hand-written answers of the function, for the solutions of one provider."""
    answers: list[dict[str, Any]] = [
        {
            "name": "jitsi-like conference",
            "solutionId": "1",
            "status": 200,
            "body": {"conferenceData": JITSI_LIKE},
        },
        {
            "name": "zoom-like conference",
            "solutionId": solution_ids[-1],
            "status": 200,
            "body": {"conferenceData": ZOOM_LIKE},
        },
    ]
    answers += [
        {
            "name": f"conference error {error_type}",
            "solutionId": "1",
            "status": 200,
            "body": {"conferenceError": {"type": error_type}},
        }
        for error_type in ERROR_TYPES
    ]
    answers += [
        {
            "name": "401 bad identity token",
            "solutionId": "1",
            "status": 401,
            "body": {"error": {"code": 401, "message": "missing or invalid identity token"}},
        },
        {
            "name": "500 internal error",
            "solutionId": "1",
            "status": 500,
            "body": {"error": {"code": 500, "message": "internal error"}},
        },
    ]
    return answers


def read_manifest(out: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    return manifest


def run_generate_cli(
    *args: str, out: Path, logo_url: str | None = LOGO_URL
) -> subprocess.CompletedProcess[str]:
    logo = [] if logo_url is None else ["--logo-url", logo_url]
    return subprocess.run(
        [sys.executable, "-m", "addon.generate", *args, *logo, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_providers_are_listed() -> None:
    assert PROVIDERS
    assert not any(provider.startswith("_") for provider in PROVIDERS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_manifest_matches_solutions(provider: str, tmp_path: Path) -> None:
    written = generate(provider, FUNCTION_URL, tmp_path, logo_url=LOGO_URL)

    assert sorted(path.name for path in written) == sorted([MANIFEST_FILE, CODE_FILE, CONFIG_FILE])
    manifest = read_manifest(tmp_path)
    assert manifest["timeZone"] == "Etc/UTC"
    assert manifest["runtimeVersion"] == "V8"
    assert manifest["exceptionLogging"] == "STACKDRIVER"
    assert manifest["oauthScopes"] == [
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/script.external_request",
        "https://www.googleapis.com/auth/calendar.addons.execute",
    ]
    assert list(OAUTH_SCOPES) == manifest["oauthScopes"]
    assert manifest["urlFetchWhitelist"] == [FUNCTION_URL]
    solutions = solutions_for(provider)
    entries = manifest["addOns"]["calendar"]["conferenceSolution"]
    assert [entry["id"] for entry in entries] == list(solutions)
    for entry in entries:
        assert (entry["name"], entry["logoUrl"]) == (solutions[entry["id"]].name, LOGO_URL)
    assert manifest["addOns"]["common"] == {"name": solutions["1"].name, "logoUrl": LOGO_URL}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_solution_has_its_function(provider: str, tmp_path: Path) -> None:
    generate(provider, FUNCTION_URL, tmp_path, logo_url=LOGO_URL)

    code = (tmp_path / CODE_FILE).read_text(encoding="utf-8")
    entries = read_manifest(tmp_path)["addOns"]["calendar"]["conferenceSolution"]
    names = [entry["onCreateFunction"] for entry in entries]
    assert len(set(names)) == len(names)
    for entry in entries:
        name = entry["onCreateFunction"]
        assert re.fullmatch(r"[A-Za-z0-9_]*[A-Za-z0-9]", name)
        assert f"function {name}(arg) {{" in code
        assert f"return createConference_({json.dumps(entry['id'])}, arg);" in code
    assert "function createConference_(solutionId, arg) {" in code


def test_config_holds_the_url_as_a_js_string(tmp_path: Path) -> None:
    generate("jitsi", FUNCTION_URL, tmp_path, logo_url=LOGO_URL)

    config = (tmp_path / CONFIG_FILE).read_text(encoding="utf-8")
    match = re.search(r"^var CREATE_CONFERENCE_URL = (.+);$", config, re.MULTILINE)
    assert match is not None
    assert json.loads(match.group(1)) == FUNCTION_URL


def test_url_without_path_gets_a_slash(tmp_path: Path) -> None:
    generate("jitsi", "https://create-conference-abc123-ew.a.run.app", tmp_path, logo_url=LOGO_URL)

    assert read_manifest(tmp_path)["urlFetchWhitelist"] == [
        "https://create-conference-abc123-ew.a.run.app/"
    ]


def test_add_on_name_is_configurable(tmp_path: Path) -> None:
    generate("zoom", FUNCTION_URL, tmp_path, logo_url=LOGO_URL, add_on_name="Acme Meetings")

    assert read_manifest(tmp_path)["addOns"]["common"]["name"] == "Acme Meetings"


def test_function_names_are_safe_and_unique() -> None:
    assert function_names(["1", "zoom-recorded", "a.b c", "x_"]) == {
        "1": "onCreateConference_1",
        "zoom-recorded": "onCreateConference_zoom_recorded",
        "a.b c": "onCreateConference_a_b_c",
        "x_": "onCreateConference_x",
    }
    with pytest.raises(ConfigurationError, match="both give the function name"):
        function_names(["a-b", "a_b"])
    with pytest.raises(ConfigurationError, match="no letter or digit"):
        function_names(["--"])


@pytest.mark.parametrize(
    "url",
    [
        "http://europe-west1-bundle-test.cloudfunctions.net/create-conference",
        "ftp://example.com/create-conference",
        "europe-west1-bundle-test.cloudfunctions.net/create-conference",
        "https:///create-conference",
        "https://user:secret@example.com/create-conference",
        "https://example.com/create-conference?key=1",
        "https://example.com/create conference",
    ],
)
def test_cli_refuses_unusable_urls(url: str, tmp_path: Path) -> None:
    result = run_generate_cli("--provider", "jitsi", "--function-url", url, out=tmp_path)

    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "--function-url" in result.stderr
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_cli_refuses_http_unless_allowed(tmp_path: Path) -> None:
    url = "http://127.0.0.1:8080/create-conference"

    refused = run_generate_cli("--provider", "jitsi", "--function-url", url, out=tmp_path)
    allowed = run_generate_cli(
        "--provider", "jitsi", "--function-url", url, "--allow-insecure-url", out=tmp_path
    )

    assert refused.returncode == EXIT_REFUSED
    assert "https://" in refused.stderr
    assert "--allow-insecure-url" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert read_manifest(tmp_path)["urlFetchWhitelist"] == [url]


@pytest.mark.parametrize("logo_url", LOGO_CASES["accepted"])
def test_every_google_host_is_accepted_as_the_logo(logo_url: str, tmp_path: Path) -> None:
    generate("zoom", FUNCTION_URL, tmp_path, logo_url=logo_url)

    manifest = read_manifest(tmp_path)
    entries = manifest["addOns"]["calendar"]["conferenceSolution"]
    assert {entry["logoUrl"] for entry in entries} == {logo_url}
    assert manifest["addOns"]["common"]["logoUrl"] == logo_url


@pytest.mark.parametrize("logo_url", LOGO_CASES["refused"])
def test_a_logo_off_google_hosts_is_refused(logo_url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        generate("jitsi", FUNCTION_URL, tmp_path, logo_url=logo_url)

    assert [p for p in refused.value.problems if p.startswith("--logo-url")] != []
    assert not (tmp_path / MANIFEST_FILE).exists()


@pytest.mark.parametrize(
    "logo_url",
    [
        "https://meet.jit.si/images/favicon.svg",
        "https://evilgoogleusercontent.com/logo.png",
        "https://lh3.googleusercontent.com.evil.org/logo.png",
        "http://lh3.googleusercontent.com/logo.png",
    ],
)
def test_cli_refuses_a_logo_off_google_hosts(logo_url: str, tmp_path: Path) -> None:
    result = run_generate_cli(
        "--provider", "jitsi", "--function-url", FUNCTION_URL, out=tmp_path, logo_url=logo_url
    )

    assert result.returncode == EXIT_REFUSED
    assert "addon.generate: --logo-url" in result.stderr
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_cli_needs_a_logo_url(tmp_path: Path) -> None:
    result = run_generate_cli(
        "--provider", "jitsi", "--function-url", FUNCTION_URL, out=tmp_path, logo_url=None
    )

    assert result.returncode == EXIT_REFUSED
    assert "--logo-url" in result.stderr
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_cli_lists_every_problem_at_once(tmp_path: Path) -> None:
    result = run_generate_cli(
        "--provider",
        "skype",
        "--function-url",
        "ftp://example.com/x",
        out=tmp_path,
        logo_url="https://st1.zoom.us/zoom.ico",
    )

    assert result.returncode == EXIT_REFUSED
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].split()[0] for line in lines] == [
        "--function-url",
        "--logo-url",
        "unknown",
    ]


def test_cli_refuses_unknown_provider(tmp_path: Path) -> None:
    result = run_generate_cli("--provider", "skype", "--function-url", FUNCTION_URL, out=tmp_path)

    assert result.returncode == EXIT_REFUSED
    assert "unknown provider 'skype'" in result.stderr
    assert "jitsi" in result.stderr
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_cli_writes_the_add_on(tmp_path: Path) -> None:
    result = run_generate_cli("--provider", "zoom", "--function-url", FUNCTION_URL, out=tmp_path)

    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [MANIFEST_FILE, CODE_FILE, CONFIG_FILE]
    )


def test_write_shim_fixtures_writes_one_file_per_answer(tmp_path: Path) -> None:
    answers = representative_answers(["1"])

    write_shim_fixtures(tmp_path, answers)

    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == len(answers)
    assert [json.loads(path.read_text(encoding="utf-8")) for path in files] == answers


def run_node_shim_tests(
    provider: str, answers: list[dict[str, Any]], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """Generate the add-on, write ``answers`` as fixtures and run ``node --test`` on them."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH (Node 20 is needed for the add-on tests; see README)")
    build = tmp_path / "build"
    fixtures = tmp_path / "fixtures"
    generate(provider, FUNCTION_URL, build, logo_url=LOGO_URL)
    write_shim_fixtures(fixtures, answers)
    return subprocess.run(
        [node, "--test", str(NODE_TESTS) + os.sep],
        cwd=ROOT,
        env={**os.environ, "ADDON_BUILD_DIR": str(build), "SHIM_FIXTURES_DIR": str(fixtures)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_node_passed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    assert "# fail 0" in result.stdout
    assert "# skipped 0" in result.stdout


@pytest.mark.parametrize("provider", PROVIDERS)
def test_shim_in_apps_script_standin(provider: str, tmp_path: Path) -> None:
    answers = representative_answers(list(solutions_for(provider)))

    result = run_node_shim_tests(provider, answers, tmp_path)

    assert_node_passed(result)


# -- several providers -------------------------------------------------------------------

SEVERAL = "jitsi,bigbluebutton,zoom"
# A JavaScript identifier Apps Script lists as a callable function (no trailing "_").
JS_FUNCTION = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*[A-Za-z0-9$]")


def test_several_providers_offer_every_solution_under_its_deployed_id(tmp_path: Path) -> None:
    generate(SEVERAL, FUNCTION_URL, tmp_path, logo_url=LOGO_URL)

    entries = read_manifest(tmp_path)["addOns"]["calendar"]["conferenceSolution"]
    deployed = deployed_solutions(SEVERAL.split(","))
    assert [entry["id"] for entry in entries] == list(deployed)
    assert [entry["id"] for entry in entries] == [
        "1",
        "bigbluebutton-1",
        "bigbluebutton-2",
        "zoom-1",
        "zoom-2",
    ]
    assert [entry["name"] for entry in entries] == [s.name for s in deployed.values()]
    assert read_manifest(tmp_path)["addOns"]["common"]["name"] == "Jitsi Meet"


def test_prefixed_ids_give_valid_apps_script_function_names(tmp_path: Path) -> None:
    generate(SEVERAL, FUNCTION_URL, tmp_path, logo_url=LOGO_URL)

    entries = read_manifest(tmp_path)["addOns"]["calendar"]["conferenceSolution"]
    by_id = {entry["id"]: entry["onCreateFunction"] for entry in entries}
    assert by_id["bigbluebutton-1"] == "onCreateConference_bigbluebutton_1"
    assert by_id["zoom-2"] == "onCreateConference_zoom_2"
    assert all(JS_FUNCTION.fullmatch(name) for name in by_id.values())
    node = shutil.which("node")
    assert node is not None
    script = tmp_path / "Code.js"  # node checks .js files only
    shutil.copyfile(tmp_path / CODE_FILE, script)
    checked = subprocess.run(
        [node, "--check", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_shim_serves_several_providers_solutions(tmp_path: Path) -> None:
    answers = representative_answers(list(deployed_solutions(SEVERAL.split(","))))

    result = run_node_shim_tests(SEVERAL, answers, tmp_path)

    assert_node_passed(result)


def test_cli_takes_a_provider_list_or_reads_the_functions_setting(tmp_path: Path) -> None:
    listed = run_generate_cli(
        "--providers", "zoom,bigbluebutton", "--function-url", FUNCTION_URL, out=tmp_path / "a"
    )
    from_env = subprocess.run(
        [
            sys.executable,
            "-m",
            "addon.generate",
            "--function-url",
            FUNCTION_URL,
            "--logo-url",
            LOGO_URL,
            "--out",
            str(tmp_path / "b"),
        ],
        cwd=ROOT,
        env={**os.environ, "CONFERENCE_PROVIDERS": "zoom,bigbluebutton"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert listed.returncode == 0, listed.stderr
    assert from_env.returncode == 0, from_env.stderr
    for folder in ("a", "b"):
        entries = read_manifest(tmp_path / folder)["addOns"]["calendar"]["conferenceSolution"]
        assert [e["id"] for e in entries] == ["1", "2", "bigbluebutton-1", "bigbluebutton-2"]


@pytest.mark.parametrize(
    ("providers", "problem"),
    [
        ("jitsi,skype", "unknown provider 'skype'"),
        ("jitsi,jitsi", "a provider is listed twice"),
        (" , ", "no provider given"),
    ],
)
def test_a_bad_provider_list_is_refused(providers: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        generate(providers, FUNCTION_URL, tmp_path, logo_url=LOGO_URL)

    assert any(problem in text for text in refused.value.problems)
