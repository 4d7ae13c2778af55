"""The tests run without what the bundle leaves out, so a missing module fails here, not in it.

packaging/hotdog_studio.spec excludes modules the app never needs (SciPy, matplotlib, torch, ...).
The venv has some of them anyway, pulled in by other packages: imagehash imported SciPy inside a
function, the tests passed, and the bundle's near-duplicates failed. conftest.py imports this
file, and puts its folder first on PYTHONPATH, so the app processes the tests start load it as
their sitecustomize too. HOTDOG_ALLOW_EXCLUDED=1 turns it off (a test comparing with SciPy).
"""

from __future__ import annotations

import ast
import importlib.abc
import os
import sys
from pathlib import Path

SPEC = Path(__file__).resolve().parents[2] / "packaging" / "hotdog_studio.spec"
# The tests' own tools, and JAX: the bundle runs on TensorFlow, while the tests also train on
# Keras' JAX backend (its own processes) and ask JAX for devices.
TEST_TOOLS = {"pytest", "_pytest", "pytestqt", "imageio_ffmpeg", "jax", "jaxlib"}


def excluded_modules(spec: Path = SPEC) -> set[str]:
    """EXCLUDED_MODULES, read from the spec's source (running the spec needs PyInstaller)."""
    for node in ast.walk(ast.parse(spec.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXCLUDED_MODULES" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise LookupError(f"no EXCLUDED_MODULES in {spec}")


class ExcludedImports(importlib.abc.MetaPathFinder):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if any(name == n or name.startswith(n + ".") for n in self.names):
            raise ModuleNotFoundError(
                f"No module named {name!r} (the bundle leaves it out: packaging/hotdog_studio.spec)",
                name=name,
            )
        return None


def install() -> ExcludedImports | None:
    if os.environ.get("HOTDOG_ALLOW_EXCLUDED") == "1" or not SPEC.is_file():
        return None
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return None  # a JAX or torch process is not the bundle's configuration (JAX needs SciPy)
    names = excluded_modules() - TEST_TOOLS
    if any(isinstance(f, ExcludedImports) for f in sys.meta_path):
        return None
    blocker = ExcludedImports({n for n in names if n not in sys.modules})
    sys.meta_path.insert(0, blocker)
    return blocker


install()
