"""Seams between the parts: what no module may import (issue 12).

A management command is a face, like a view: code two commands share lives in a module both
import (`flags.seed`'s demo flags, `llmhub.seeding`), never in one of the commands. And the
flags and telemetry apps sit below the hub: they offer their seeders to `seed_test_data`
instead of importing the hub's seeding (`llmhub.seeding` is below them all).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".venv", "node_modules", ".git", "staticfiles"}
COMMAND_MODULE = re.compile(r"(^|\.)management\.commands(\.|$)")
# A dotted path in a string (`import_string("flags.management.commands.x.Y")`) is an import too.
DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$")


def python_files(*tops: str) -> Iterator[Path]:
    for top in tops or (".",):
        for path in (ROOT / top).rglob("*.py"):
            if not SKIPPED.intersection(path.relative_to(ROOT).parts):
                yield path


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, module: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in `path` (the module `module`, by default the one its
    place in the checkout makes it), relative ones resolved, and dotted strings."""
    package = (module or module_of(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            yield node.lineno, module
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Constant) and DOTTED.match(str(node.value)):
            yield node.lineno, str(node.value)  # a dotted path, as import_string takes it


def offenders(paths: Iterator[Path], forbidden: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in imported(path)
        if forbidden.search(module)
    ]


def test_no_module_imports_a_management_command() -> None:
    assert offenders(python_files(), COMMAND_MODULE) == []


def test_flags_and_telemetry_never_import_the_hub_or_its_operators() -> None:
    """The apps' own code (their tests may drive hub pages end to end)."""
    code = (p for p in python_files("flags", "telemetry") if "tests" not in p.parts)
    assert offenders(code, re.compile(r"^llmhub\.(hub|ops)(\.|$)")) == []


def test_the_seeding_types_import_no_app() -> None:
    seeding = ROOT / "llmhub" / "seeding.py"
    assert offenders(iter([seeding]), re.compile(r"^(flags|telemetry|llmhub)(\.|$)")) == []


def test_the_checks_see_what_they_forbid(tmp_path: Path) -> None:
    """The checker itself: each kind of import it must catch."""
    source = (
        "import flags.management.commands.load_demo\n"
        "from flags.management.commands.load_demo import DEMO_FLAGS\n"
        "from .commands import load_demo\n"
        "PATH = 'flags.management.commands.load_demo.Command'\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source)
    found = [
        module
        for _, module in imported(path, "flags.management.probe")
        if COMMAND_MODULE.search(module)
    ]
    assert len(found) == 6  # each line, the from-imports twice (module and name)


# Imports inside a function, each with why it cannot sit at the top of its module (besides an
# app's `AppConfig.ready`, where Django wants signal receivers connected). A new one
# fails the test below until it is listed here with its reason: an import placed in a function
# only to dodge a circle is a layering defect to fix, not a reason.
DEFERRED_IMPORTS: dict[tuple[str, str], str] = {
    ("flags/store.py", "_changes_applied"): "the store loads with `flags`, before the models",
    ("flags/store.py", "_merged"): "the store loads with `flags`, before the models",
    ("flags/store.py", "_full_load"): "the store loads with `flags`, before the models",
    ("flags/store.py", "_read_revision"): "the store loads with `flags`, before the models",
    ("telemetry/__init__.py", "__getattr__"): "the package's public names load lazily (PEP 562)",
    ("telemetry/metrics.py", "collect"): "imported by worker processes without Django",
    ("llmhub/celery.py", "_flush_telemetry"): "the Celery app loads before Django's apps",
    ("llmhub/health.py", "_broker"): "the Celery app only when a broker is configured",
    ("llmhub/ops/seed_users.py", "seed_users"): "factory-boy is a development requirement",
    ("telemetry/seed.py", "_store_events"): "factory-boy is a development requirement",
}
# The project's packages, as the import contracts name them.
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]
PROJECT = re.compile(rf"^({'|'.join(PACKAGES)})(\.|$)")


def deferred_imports() -> set[tuple[str, str]]:
    """(file, function) for every function of the project's own code importing a project module."""
    found = set()
    for path in python_files(*PACKAGES):
        if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if path.name == "apps.py" and node.name == "ready":
                continue
            for inner in ast.walk(node):
                names = (
                    [alias.name for alias in inner.names]
                    if isinstance(inner, ast.Import)
                    else [inner.module or ""]
                    if isinstance(inner, ast.ImportFrom) and not inner.level
                    else []
                )
                if any(PROJECT.match(name) for name in names):
                    found.add((str(path.relative_to(ROOT)), node.name))
    return found


def test_every_import_inside_a_function_has_a_stated_reason() -> None:
    assert deferred_imports() - DEFERRED_IMPORTS.keys() == set()
    assert DEFERRED_IMPORTS.keys() - deferred_imports() == set(), "listed but gone: drop it"


def test_the_import_contracts_of_pyproject_hold() -> None:
    """import-linter's layers and forbidden contracts (pyproject.toml), as `make lint` runs them."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout
