"""The layers point one way: nothing outside `app/ui` imports Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import app

PACKAGE = Path(app.__file__).parent


def _modules_outside_ui() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if relative.parts[1] == "ui":
            continue
        if "migrations" in relative.parts or path.name == "__main__.py":
            continue
        names.append(".".join(relative.with_suffix("").parts).removesuffix(".__init__"))
    return names


def test_nothing_below_the_user_interface_imports_qt() -> None:
    modules = _modules_outside_ui()
    assert "app.services.definitions" in modules and "app.cli" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_module_outside_the_user_interface_mentions_pyside() -> None:
    offenders = [
        str(path)
        for path in PACKAGE.rglob("*.py")
        if "ui" not in path.relative_to(PACKAGE).parts[:1] and "PySide6" in path.read_text()
    ]
    assert offenders == []


# What the start path must not load: the data, spreadsheet, PDF and Word libraries. Each is
# loaded by the action that needs it (a report, an export, an import, a view's worker), so
# the window comes up in the time Qt takes, not Qt plus a second of pandas.
HEAVY_AT_START = (
    "pandas",
    "numpy",
    "pyarrow",
    "openpyxl",
    "xlsxwriter",
    "python_calamine",
    "reportlab",
    "PIL",
    "docx",
    "lxml",
    "pypdf",
    "pypdfium2",
    # Loaded only to create or upgrade a database (or to check one against the models).
    "alembic",
    "mako",
)


def test_the_start_path_loads_no_heavy_library() -> None:
    # What `commissioning` imports before its window is up: the command line with every
    # area's parser, the application's start and the main window with all its tabs.
    script = (
        "import sys\n"
        "from app.cli import build_parser, parse_arguments\n"
        "build_parser()\n"
        "parse_arguments(['--db', 'x.sqlite'])\n"
        "import app.ui.application, app.ui.main_window\n"
        f"heavy = {HEAVY_AT_START!r}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
