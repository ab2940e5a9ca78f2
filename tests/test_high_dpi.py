"""The window scales on high-DPI screens, fractional factors (150%, common on laptops) included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.store.database import Database

# Starts the application's own QApplication, opens the main window on the database given,
# and reports the scale the window is drawn at and the size of its menu bar's text.
SCRIPT = """
import json, sys
from datetime import date
from pathlib import Path
from app.settings import Settings
from app.store.database import open_database
from app.ui.application import create_application
from app.ui.context import UiContext
from app.ui.main_window import MainWindow

application = create_application()
database = open_database(sys.argv[1], user="tester")
window = MainWindow(UiContext(database=database, settings=Settings.load(),
    log_file=Path(sys.argv[2]), as_of=date(2026, 11, 24), is_demo=True))
window.resize(1000, 700)
window.show()
for _ in range(20):
    application.processEvents()
picture = window.grab()
print(json.dumps({
    "ratio": window.devicePixelRatioF(),
    "picture_ratio": picture.devicePixelRatioF(),
    "picture_width": picture.width(),
    "logical_width": window.width(),
}))
database.close()
"""


def _drawn_at(factor: str, database: Path, tmp_path: Path) -> dict[str, float]:
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QT_SCALE_FACTOR": factor,
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(database), str(tmp_path / "log")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.sqlite_only
def test_the_window_is_drawn_at_the_screens_scale_fractions_included(
    database: Database, tmp_path: Path
) -> None:
    assert database.path is not None
    path = database.path
    database.close()
    for factor in ("1.5", "2"):
        drawn = _drawn_at(factor, path, tmp_path)
        # Not rounded to a whole number: 150% is drawn at 1.5, crisp, not at 2 or 1.
        assert drawn["ratio"] == pytest.approx(float(factor))
        assert drawn["picture_ratio"] == pytest.approx(float(factor))
        assert drawn["picture_width"] == pytest.approx(
            drawn["logical_width"] * float(factor), abs=1
        )
