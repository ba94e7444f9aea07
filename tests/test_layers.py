"""The package's layers: every module imports only from its own layer or the ones above it
(as ``mirl/__init__.py`` and the README list them), lazy imports inside functions included.
The one exception: the package's ``__getattr__`` gives ``mirl.run`` and the rest of the
Python API (the bottom layer) on first use, and ``import mirl`` loads the library alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mirl

LAYERS = [
    {"mirl"},  # the library: bounds, critics, encoders, ..., tasks/, and private helpers
    {"mirl.data"},
    {"mirl.runtime"},
    {"mirl.paper", "mirl.estimation"},
    {"mirl.results"},
    {"mirl.colab", "mirl.figures"},
    {"mirl.experiments"},
    {"mirl.report", "mirl.bench"},
    {"mirl.api", "mirl.selection", "mirl.cli"},
]
ON_FIRST_USE = {("mirl", "mirl.api")}
"""(module, what it imports on first use of an attribute): the package's entry points."""
ROOT = Path(mirl.__file__).parent


def layer_of(module: str) -> int:
    """The layer of a dotted module name: its subpackage's, else the library's."""
    parts = module.split(".")
    package = ".".join(parts[:2])
    for depth, names in enumerate(LAYERS):
        if package in names:
            return depth
    return 0


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n == "mirl" or n.startswith("mirl.")}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_imports_only_from_its_layer_or_above():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        module = module_name(path)
        for imported in imported_modules(path):
            if layer_of(imported) > layer_of(module) and (module, imported) not in ON_FIRST_USE:
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_import_mirl_loads_the_library_alone_and_the_api_on_first_use():
    code = (
        "import sys, mirl; before = sorted(m for m in sys.modules if m.startswith('mirl.')); "
        "assert mirl.run is mirl.api.run and mirl.reproduce is mirl.api.reproduce; "
        "print(' '.join(before))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded and all(layer_of(m) == 0 for m in loaded), loaded
