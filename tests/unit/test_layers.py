"""The layers of ``shared/`` (docs/development.md#layers): imports only go down.

Every ``import`` of every module under ``shared/`` is read with :mod:`ast` (imports
inside functions included), so a shortcut upwards fails here before it tangles the tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"

# Bottom to top. Modules directly in shared/ are the cross-cutting layer, except the wiring.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "shared.errors",
        "shared.clock",
        "shared.config",
        "shared.logos",
        "shared.structured_logging",
        "shared.retries",
        "shared.parallel",
    ),
    ("shared.http",),
    ("shared.conferences",),
    ("shared.providers",),
    ("shared.google",),
    ("shared.state",),
    ("shared.sync",),
    ("shared.creation",),
    ("shared.join",),
    ("shared.runtime",),
)

# Third-party clients, each confined to the layer that wraps it.
CONFINED = {
    "flask": ("shared.http",),
    "googleapiclient": ("shared.google",),
    "google_auth_httplib2": ("shared.google",),
    "google.cloud.firestore": ("shared.state",),
    "google.cloud.firestore_v1": ("shared.state",),
}


def layer_of(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    parts = path.relative_to(SHARED.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(p for p in SHARED.rglob("*.py") if module_name(p) != "shared")


def upward_imports(importer: str, targets: list[str]) -> list[str]:
    return [
        target
        for target in targets
        if target.startswith("shared.")
        and _is_module(target)
        and layer_of(target) > layer_of(importer)
    ]


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_imports_only_go_down(path: Path) -> None:
    importer = module_name(path)
    assert upward_imports(importer, imports_of(path)) == [], f"{importer} imports upwards"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_third_party_clients_stay_in_their_layer(path: Path) -> None:
    importer = module_name(path)
    misplaced = [
        target
        for target in imports_of(path)
        for client, allowed in CONFINED.items()
        if (target == client or target.startswith(client + "."))
        and not any(importer.startswith(p) for p in (*allowed, "shared.runtime"))
    ]
    assert misplaced == [], f"{importer} imports a client that belongs to another layer"


def test_every_module_has_a_layer() -> None:
    layers = {module_name(p): layer_of(module_name(p)) for p in MODULES}
    assert len(layers) > 30
    assert set(layers.values()) == set(range(len(LAYERS)))


def test_a_shortcut_upwards_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "from shared.errors import NotFound\n"
        "def later() -> None:\n"
        "    from shared.sync.lease import LeasedSync\n"
    )
    targets = imports_of(module)
    assert upward_imports("shared.state.calendars", targets) == ["shared.sync.lease"]


def _is_module(target: str) -> bool:
    """True for a module path under shared/ (``from x import name`` also yields x.name)."""
    relative = Path(*target.split(".")[1:])
    return (SHARED / relative).with_suffix(".py").exists() or (SHARED / relative).is_dir()
