"""A recording stand-in for ``gcloud``, for the tests of ``deploy.sh``. Standard library only.

Every call appends its argv (a JSON list) to ``$FAKE_GCLOUD_LOG``. It answers from, and
records into, the JSON state file ``$FAKE_GCLOUD_STATE``::

    {"database": "FIRESTORE_NATIVE" | null,   # the Firestore database's type, null: none
     "keys": ["sa:EMAIL", "secret:NAME", "function:NAME", "job:NAME", "ttl:GROUP/FIELD"],
     "services": ["run.googleapis.com", ...],
     "policies": {"project:P" | "sa:EMAIL" | "secret:NAME" | "run:NAME": ["role\\tmember"]},
     "fail": ["functions deploy sweep", ...]}  # commands (positional words) that exit 5

``describe`` of something missing exits 1 (like gcloud's NOT_FOUND), a create of something
that exists exits 1 (ALREADY_EXISTS), and so does an update of something missing, or a
binding whose resource or service-account member does not exist; a deploy checks that its
source folder was staged. Any command it does not know exits 97, loudly.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

NOT_FOUND = 1
UNKNOWN = 97


class Fake:
    def __init__(self, state_path: Path) -> None:
        self.path = state_path
        self.state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))
        self.state.setdefault("keys", [])
        self.state.setdefault("services", [])
        self.state.setdefault("policies", {})
        self.state.setdefault("database", None)

    def save(self) -> None:
        self.path.write_text(json.dumps(self.state, indent=1), encoding="utf-8")

    def has(self, key: str) -> bool:
        return key in self.state["keys"]

    def add(self, key: str) -> None:
        if key not in self.state["keys"]:
            self.state["keys"].append(key)


def fail(status: int, message: str) -> int:
    sys.stderr.write(f"ERROR: (fake gcloud) {message}\n")
    return status


def url_of(name: str, region: str) -> str:
    return f"https://{name}-fakehash-{region}.a.run.app"


def run(argv: list[str], fake: Fake) -> int:
    words = [arg for arg in argv if not arg.startswith("--")]
    flags: dict[str, str] = {}
    for arg in argv:
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            flags[name] = value
    project = flags.get("project", "")
    region = flags.get("region") or flags.get("location", "")
    fmt = flags.get("format", "")
    out = sys.stdout.write
    joined = " ".join(words)
    for prefix in fake.state.get("fail", []):
        if joined.startswith(prefix):
            return fail(5, f"INTERNAL: {prefix} fails (as the test asked)")

    match words:
        case ["services", "list"]:
            for service in fake.state["services"]:
                out(service + "\n")
        case ["services", "enable", *apis]:
            fake.state["services"].extend(a for a in apis if a not in fake.state["services"])
        case ["firestore", "databases", "describe"]:
            if not fake.state["database"]:
                return fail(NOT_FOUND, "NOT_FOUND: database (default) does not exist")
            out(fake.state["database"] + "\n")
        case ["secrets", "describe", name]:
            if not fake.has(f"secret:{name}"):
                return fail(NOT_FOUND, f"NOT_FOUND: secret {name}")
            out(f"projects/{project}/secrets/{name}\n")
        case ["iam", "service-accounts", "describe", email]:
            if not fake.has(f"sa:{email}"):
                return fail(NOT_FOUND, f"NOT_FOUND: service account {email}")
            if "oauth2ClientId" in fmt:
                out(str(100000000000000000000 + sum(map(ord, email))) + "\n")
            else:
                out(email + "\n")
        case ["iam", "service-accounts", "create", account_id]:
            email = f"{account_id}@{project}.iam.gserviceaccount.com"
            if fake.has(f"sa:{email}"):
                return fail(NOT_FOUND, f"ALREADY_EXISTS: {email}")
            fake.add(f"sa:{email}")
        case [*_, "get-iam-policy", resource]:
            key = policy_key(words, resource)
            if key is None or not resource_exists(fake, key):
                return fail(NOT_FOUND, f"NOT_FOUND: {resource}")
            for line in fake.state["policies"].get(key, []):
                out(line + "\n")
        case [*_, "add-iam-policy-binding", resource]:
            key = policy_key(words, resource)
            if key is None or not resource_exists(fake, key):
                return fail(NOT_FOUND, f"NOT_FOUND: {resource}")
            member = flags["member"]
            if member.startswith("serviceAccount:") and not fake.has(f"sa:{member[15:]}"):
                return fail(NOT_FOUND, f"INVALID_ARGUMENT: service account {member} does not exist")
            binding = f"{flags['role']}\t{member}"
            bindings = fake.state["policies"].setdefault(key, [])
            if binding not in bindings:
                bindings.append(binding)
        case ["firestore", "fields", "ttls", "list"]:
            group = flags.get("collection-group", "")
            for key in fake.state["keys"]:
                if key.startswith(f"ttl:{group}/"):
                    field = key.split("/", 1)[1]
                    out(
                        f"projects/{project}/databases/(default)/collectionGroups/{group}"
                        f"/fields/{field}\n"
                    )
        case ["firestore", "fields", "ttls", "update", field]:
            if "enable-ttl" not in flags:
                return fail(UNKNOWN, "ttls update without --enable-ttl")
            fake.add(f"ttl:{flags['collection-group']}/{field}")
        case ["functions", "describe", name]:
            if not fake.has(f"function:{name}"):
                return fail(NOT_FOUND, f"NOT_FOUND: function {name}")
            out(url_of(name, region) + "\n")
        case ["functions", "deploy", name]:
            source = Path(flags["source"])
            for part in ("main.py", "requirements.txt", "shared/__init__.py"):
                if not (source / part).is_file():
                    return fail(UNKNOWN, f"deploy of {name}: {source / part} is missing")
            fake.add(f"function:{name}")
            bindings = fake.state["policies"].setdefault(f"run:{name}", [])
            public = "roles/run.invoker\tallUsers"
            if "allow-unauthenticated" in flags and public not in bindings:
                bindings.append(public)
        case ["run", "services", "update", name]:
            if not fake.has(f"function:{name}"):
                return fail(NOT_FOUND, f"NOT_FOUND: service {name}")
        case ["scheduler", "jobs", "describe", name]:
            if not fake.has(f"job:{name}"):
                return fail(NOT_FOUND, f"NOT_FOUND: job {name}")
            out(f"projects/{project}/locations/{region}/jobs/{name}\n")
        case ["scheduler", "jobs", "create", "http", name]:
            if fake.has(f"job:{name}"):
                return fail(NOT_FOUND, f"ALREADY_EXISTS: job {name}")
            fake.add(f"job:{name}")
        case ["scheduler", "jobs", "update", "http", name]:
            if not fake.has(f"job:{name}"):
                return fail(NOT_FOUND, f"NOT_FOUND: job {name}")
        case _:
            return fail(UNKNOWN, f"unexpected command: gcloud {' '.join(argv)}")
    return 0


def policy_key(words: list[str], resource: str) -> str | None:
    match words[:2]:
        case ["projects", _]:
            return f"project:{resource}"
        case ["iam", "service-accounts"]:
            return f"sa:{resource}"
        case ["secrets", _]:
            return f"secret:{resource}"
        case ["run", "services"]:
            return f"run:{resource}"
    return None


def resource_exists(fake: Fake, key: str) -> bool:
    kind, _, name = key.partition(":")
    if kind == "project":
        return True
    if kind == "run":
        return fake.has(f"function:{name}")
    return fake.has(key)


def main() -> int:
    argv = sys.argv[1:]
    with open(os.environ["FAKE_GCLOUD_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    fake = Fake(Path(os.environ["FAKE_GCLOUD_STATE"]))
    status = run(argv, fake)
    fake.save()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
