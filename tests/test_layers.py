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
