"""Imports run one way: ui/ -> ml/ -> core/, and the views under ui/ do not import one another.

Read from the source (ast), so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "desktop_app"
VIEWS = ("label", "train", "live", "under_the_hood")  # ui/<view>/: one tab each
WINDOW = {"desktop_app.ui.shell.main_window"}  # the window hosts the views; nothing else in shell


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("desktop_app.")}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def modules(*under: str) -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PACKAGE.joinpath(*under).rglob("*.py")}


def offenders(found: dict[str, set[str]], forbidden) -> list[str]:
    return sorted(
        f"{mod} imports {name}"
        for mod, names in found.items()
        for name in names
        if forbidden(mod, name)
    )


def test_core_imports_neither_ml_nor_ui_nor_the_commands():
    bad = ("desktop_app.ml", "desktop_app.ui", "desktop_app.commands")
    assert offenders(modules("core"), lambda _m, name: name.startswith(bad)) == []


def test_ml_does_not_import_the_ui_or_the_commands():
    bad = ("desktop_app.ui", "desktop_app.commands")
    assert offenders(modules("ml"), lambda _m, name: name.startswith(bad)) == []


def view_of(name: str) -> str | None:
    parts = name.split(".")
    return (
        parts[2]
        if len(parts) > 2 and parts[:2] == ["desktop_app", "ui"] and parts[2] in VIEWS
        else None
    )


def test_each_view_imports_no_other_view_and_not_the_window():
    def forbidden(mod: str, name: str) -> bool:
        mine, theirs = view_of(mod), view_of(name)
        if mine is None:
            return False
        return (theirs is not None and theirs != mine) or name.startswith(
            ("desktop_app.ui.shell.main_window", "desktop_app.ui.shell.launch")
        )

    assert offenders(modules("ui"), forbidden) == []


def test_only_the_window_in_shell_knows_the_views():
    def forbidden(mod: str, name: str) -> bool:
        return mod not in WINDOW and view_of(name) is not None

    assert offenders(modules("ui", "shell"), forbidden) == []


def test_the_views_are_grouped_in_folders_not_loose_in_ui():
    loose = sorted(p.name for p in (PACKAGE / "ui").glob("*.py") if p.name != "__init__.py")
    assert loose == []
