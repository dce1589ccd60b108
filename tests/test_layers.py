"""The layer rule of DESIGN.md: a module imports only from its own layer or below.

Order: core < storage < reference, audit < identity < domains < workflows < reports, demo < adapters.
Domains do not import each other (cross-domain steps live in workflows). The two web
adapters, api and web, do not import each other: their shared plumbing lives in http,
whose app factory (http/app.py) is the one module that imports them, to mount them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "secassist"

LAYERS: dict[str, int] = {
    "core": 0,
    "storage": 1,
    "reference": 2,
    "audit": 2,
    "identity": 3,
    "programs": 4,
    "cases": 4,
    "vetting": 4,
    "notification": 4,
    "equipment": 4,
    "transfers": 4,
    "workflows": 5,
    "reports": 6,
    "demo": 6,  # loads the demo through the workflows; only adapters (cli) load it
    "http": 7,
    "api": 7,
    "web": 7,
    "cli": 7,
}
DOMAINS = {name for name, rank in LAYERS.items() if rank == 4}
# Adapters that must not import each other: (importer, imported).
SEPARATE_ADAPTERS = {("api", "web"), ("web", "api"), ("http", "api"), ("http", "web")}
MOUNTS_ADAPTERS = Path("http") / "app.py"  # the app factory mounts api and web
ADAPTER_LIBRARIES = ("fastapi", "starlette", "typer", "click", "jinja2", "uvicorn", "rich")


def _package_of(path: Path, root: Path = SRC) -> str | None:
    rel = path.relative_to(root).parts
    return rel[0] if len(rel) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if _package_of(p) is not None)


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(LAYERS), f"add {packages - set(LAYERS)} to LAYERS"


def layer_violations(paths: list[Path], root: Path = SRC) -> list[str]:
    """Upward imports in ``paths``, modules of the ``secassist`` package rooted at ``root``."""
    problems = []
    for path in paths:
        pkg = _package_of(path, root)
        assert pkg is not None
        rank = LAYERS[pkg]
        for lineno, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "secassist" and len(parts) > 1 and parts[1] in LAYERS:
                target = parts[1]
                where = f"{path.relative_to(root.parent)}:{lineno} imports {module}"
                if LAYERS[target] > rank:
                    problems.append(f"{where} (layer {target} is above {pkg})")
                elif pkg in DOMAINS and target in DOMAINS and target != pkg:
                    problems.append(f"{where} (domains must not import each other)")
                elif (pkg, target) in SEPARATE_ADAPTERS and path.relative_to(root) != MOUNTS_ADAPTERS:
                    problems.append(f"{where} ({pkg} must not import {target}; share through http)")
            elif rank < 7 and parts[0] in ADAPTER_LIBRARIES:
                problems.append(
                    f"{path.relative_to(root.parent)}:{lineno} imports {module} below the adapters"
                )
    return problems


def test_no_module_imports_from_a_higher_layer() -> None:
    assert layer_violations(_modules()) == []


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    # The probe lives in a package tree of its own: writing into src/ would race other
    # test workers and fail on a read-only checkout.
    root = tmp_path / "secassist"
    (root / "core").mkdir(parents=True)
    bad = root / "core" / "_layer_probe.py"
    bad.write_text("from secassist.api.app import create_app\nimport fastapi\n")
    problems = layer_violations([bad], root)
    assert len(problems) == 2
    assert "layer api is above core" in problems[0]


@pytest.mark.parametrize(
    "module", ["secassist.reference.service", "secassist.storage.migrate", "secassist.demo.dataset"]
)
def test_lower_layers_import_without_adapter_libraries(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"bad = [m for m in {ADAPTER_LIBRARIES!r} if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{module} pulled in {r.stdout.strip()} {r.stderr}"


def test_the_checker_catches_api_and_web_importing_each_other(tmp_path: Path) -> None:
    def probe(module: str, text: str) -> list[str]:
        path = tmp_path / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return layer_violations([path], root=tmp_path)

    problems = probe("web/cases.py", "from secassist.api.routes import cases\n")
    assert len(problems) == 1
    assert "web must not import api" in problems[0]
    assert probe("api/router.py", "from secassist.web.render import page\n")
    assert probe("http/deps.py", "import secassist.web.render\n")
    assert probe("http/app.py", "from secassist.web.render import page\n") == []
    assert probe("web/auth.py", "from secassist.http.deps import clock_of\n") == []
