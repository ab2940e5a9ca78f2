"""The usual start paints the window before the database is open; the rest waits for it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from app.cli.context import CommandContext
from app.services.users import add_user
from app.settings import Settings
from app.store.database import Database, open_database
from app.store.peek import HEAD_REVISION, glance
from app.ui.context import UiContext
from app.ui.lazy_tab import LazyTab
from app.ui.main_window import MainWindow

AS_OF = date(2026, 11, 24)


@pytest.fixture
def file(template_database: Path, tmp_path: Path) -> Path:
    """A database of the test's own with a profile, `sam`, who needs no password."""
    path = tmp_path / "data" / "commissioning.sqlite"
    path.parent.mkdir()
    shutil.copyfile(template_database, path)
    database = open_database(path, user="sam")
    with database.session() as session:
        add_user(session, "sam", "administrator")
    database.close()
    return path


@pytest.fixture
def settings(isolated_folders: Path) -> Settings:
    """Settings that remember `sam`, so the start asks nobody who they are."""
    settings = Settings.load()
    settings.user_name = "sam"
    settings.save()
    return settings


def _waiting_window(qtbot, file: Path, settings: Settings, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    context = UiContext(
        None, settings, tmp_path / "log.txt", AS_OF, display_name=str(file), user="sam", file=file
    )
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _open(file: Path) -> Database:
    database = open_database(file, user="sam")
    database.user = "sam"
    return database


def _action(window: MainWindow, text: str) -> QAction:
    [action] = [a for a in window.findChildren(QAction) if a.text() == text]
    return action


def test_the_window_is_painted_before_sqlalchemy_is_imported(
    file: Path, settings: Settings
) -> None:
    script = (
        "import sys\n"
        "from app.ui import main_window\n"
        "seen = []\n"
        "paint = main_window.MainWindow.paintEvent\n"
        "def watched(self, event):\n"
        "    seen.append('sqlalchemy' in sys.modules)\n"
        "    paint(self, event)\n"
        "main_window.MainWindow.paintEvent = watched\n"
        "from app.cli import main\n"
        f"code = main(['--db', {str(file)!r}, '--as-of', '2026-11-24'])\n"
        "print('painted', seen[:1], 'exit', code)\n"
    )
    environment = {"COMMISSIONING_MEASURE_STARTUP": "1", "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, **environment},
    )
    assert "painted [False] exit 0" in result.stdout, result.stdout + result.stderr


def test_the_actions_that_need_the_database_wait_for_it(
    qtbot, file: Path, settings: Settings, tmp_path: Path
) -> None:
    window = _waiting_window(qtbot, file, settings, tmp_path)
    needing = ["&Back up database…", "&Report (PDF)…", "&Restore from a backup…", "&Settings…"]
    assert not any(_action(window, text).isEnabled() for text in needing)
    assert _action(window, "&Glossary of acronyms").isEnabled()  # needs nothing
    assert str(file) in window.database_label.text() and "sam" in window.user_label.text()

    database = _open(file)
    try:
        window.context.database_opened(database)
        assert all(_action(window, text).isEnabled() for text in needing)
        assert window.context.ready and window.context.database is database
    finally:
        window.close()
        database.close()


def test_a_tab_opened_before_the_database_is_ready_fills_once_it_is(
    qtbot, file: Path, settings: Settings, tmp_path: Path
) -> None:
    from app.ui.definitions_tab import DefinitionsTab
    from app.ui.home_tab import HomeTab

    window = _waiting_window(qtbot, file, settings, tmp_path)
    names = [window.tabs.widget(i).objectName() for i in range(window.tabs.count())]
    number = names.index("definitionsTab")
    window.tabs.setCurrentIndex(number)
    holder = window.tabs.widget(number)
    assert isinstance(holder, LazyTab) and holder.is_waiting and not holder.is_built
    waiting = holder.findChild(QLabel, "waitingForDatabase")
    assert waiting is not None and waiting.isVisible()

    home_holder = window.tabs.widget(0)
    assert isinstance(home_holder, LazyTab) and home_holder.is_waiting
    home_waiting = home_holder.findChild(QLabel, "waitingForDatabase")
    assert home_waiting is not None and home_waiting.text() == "Opening the database…"

    database = _open(file)
    try:
        window.context.database_opened(database)
        assert isinstance(holder.built_page, DefinitionsTab)
        assert not holder.is_waiting
        # Home, the first tab, is built too and gathers its list.
        home = window.tab_for("home")
        assert isinstance(home, HomeTab)
        qtbot.waitUntil(lambda: home.is_loaded, timeout=20_000)
    finally:
        window.close()
        database.close()


def _run(file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """The application's start, in this process; the message boxes it shows, recorded."""
    from app.ui.application import run

    said: list[str] = []

    def critical(parent: object, title: str, text: str, *rest: object) -> object:
        said.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Ok

    def box_exec(box: QMessageBox) -> int:
        said.append(f"{box.windowTitle() or box.text()}: {box.text()}")
        return 0

    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "exec", box_exec)
    command = CommandContext(str(file), "sam", AS_OF, settings)
    code = run(command)
    QApplication.processEvents()
    return code, said


def test_a_locked_database_is_refused_in_its_dialog(
    qtbot, file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom app.store.database import open_database\n"
            "database = open_database(sys.argv[1], user='alex')\n"
            "print('open', flush=True)\nsys.stdin.readline()\n",
            str(file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert glance(file, "sam") is None  # not the fast road
        code, said = _run(file, settings, monkeypatch)
    finally:
        holder.kill()
        holder.wait()
    assert code != 0
    assert any("in use by alex" in text for text in said), said


def test_a_database_from_a_newer_version_is_refused_in_its_dialog(
    qtbot, file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    connection.close()
    assert glance(file, "sam") is None
    code, said = _run(file, settings, monkeypatch)
    assert code != 0
    assert any("newer version" in text for text in said), said


def test_a_database_needing_an_upgrade_takes_the_full_road(file: Path) -> None:
    assert glance(file, "sam") is not None
    with sqlite3.connect(file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'an_older_one'")
    connection.close()
    assert HEAD_REVISION != "an_older_one" and glance(file, "sam") is None


def test_an_upgrade_runs_on_a_worker_while_a_dialog_says_so(
    qtbot, file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database from the previous release is backed up and upgraded off the GUI thread
    (a large one takes a minute or more), with a dialog saying so, then the window opens."""
    import threading

    from alembic import command as alembic
    from PySide6.QtWidgets import QProgressDialog
    from sqlalchemy import create_engine

    from app.store import database as store
    from app.store.database import alembic_config
    from app.store.peek import needs_upgrade

    engine = create_engine(f"sqlite:///{file}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.downgrade(config, "monitoring_3")
    engine.dispose()
    assert needs_upgrade(file) and glance(file, "sam") is None

    seen: dict[str, object] = {"dialogs": []}
    migrate, show_dialog, paint = store._migrate, QProgressDialog.show, MainWindow.paintEvent

    def migrating(*args: object, **kwargs: object) -> object:
        seen["migrated on"] = threading.current_thread()
        return migrate(*args, **kwargs)  # type: ignore[arg-type]

    def dialog_shown(dialog: QProgressDialog) -> None:
        seen["dialogs"].append(dialog.labelText())  # type: ignore[union-attr]
        show_dialog(dialog)

    def painted(window: MainWindow, event: object) -> None:
        paint(window, event)  # type: ignore[arg-type]
        seen["window"] = window.context.ready
        window.close()  # the last window: the application quits

    monkeypatch.setattr(store, "_migrate", migrating)
    monkeypatch.setattr(QProgressDialog, "show", dialog_shown)
    monkeypatch.setattr(MainWindow, "paintEvent", painted)
    code, said = _run(file, settings, monkeypatch)
    assert code == 0 and said == []
    assert any("upgrading it to this version" in text for text in seen["dialogs"])  # type: ignore[attr-defined]
    assert seen["migrated on"] is not threading.main_thread()
    assert seen["window"] is True
    assert not needs_upgrade(file)
    assert any("before-upgrade-monitoring_3" in p.name for p in (file.parent / "backups").iterdir())


def test_a_damaged_database_offers_its_backup_in_its_dialog(
    qtbot, file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytearray(file.read_bytes())
    for offset in range(4096 * 3, min(len(data), 4096 * 12)):
        data[offset] = 0xA5
    file.write_bytes(bytes(data))
    code, said = _run(file, settings, monkeypatch)
    assert code != 0
    assert any("damaged" in text for text in said), said


def test_who_must_sign_in_takes_the_full_road(file: Path) -> None:
    assert glance(file, "sam") is not None
    assert glance(file, "someone else") is None  # asked who they are
    assert glance(file, "") is None


def test_damage_found_after_the_paint_offers_the_backup_in_its_dialog(
    qtbot, file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = open_database(file, user="sam")
    with database.engine.begin() as connection:  # pages at the end that the glance never reads
        connection.exec_driver_sql("CREATE TABLE padding (filler BLOB)")
        connection.exec_driver_sql("INSERT INTO padding SELECT randomblob(3000) FROM term LIMIT 60")
    database.close()  # takes a rolling backup: the latest good copy
    data = bytearray(file.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for offset in range(len(data) - page * 6, len(data)):
        data[offset] = 0xA5
    file.write_bytes(bytes(data))
    assert glance(file, "sam") is not None  # the fast road: the window first

    windows: list[bool] = []
    original = MainWindow.paintEvent

    def painted(window: MainWindow, event: object) -> None:
        windows.append(window.context.ready)
        original(window, event)  # type: ignore[arg-type]

    monkeypatch.setattr(MainWindow, "paintEvent", painted)
    code, said = _run(file, settings, monkeypatch)
    assert windows and windows[0] is False  # painted before the database was open
    assert code != 0
    assert any("damaged" in text and "latest good backup" in text for text in said), said


def test_the_usual_start_opens_the_database_after_the_paint(
    qtbot, file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.store import lock
    from app.ui.home_tab import HomeTab

    seen: dict[str, object] = {}
    original = MainWindow.paintEvent

    def painted(window: MainWindow, event: object) -> None:
        if "at paint" not in seen:
            backup = _action(window, "&Back up database…")
            seen["at paint"] = (window.context.ready, backup.isEnabled())
            seen["sync line at paint"] = window.sync_label.text()
            window.context.when_ready(lambda: opened(window))
        original(window, event)  # type: ignore[arg-type]

    def opened(window: MainWindow) -> None:
        seen["when open"] = _action(window, "&Back up database…").isEnabled()
        seen["sync line when open"] = window.sync_label.text()
        seen["home"] = window.tab_for("home")
        seen["user"] = window.context.database.user
        window.close()  # the last window: the application quits

    monkeypatch.setattr(MainWindow, "paintEvent", painted)
    code, said = _run(file, settings, monkeypatch)
    assert code == 0 and said == []
    assert seen["at paint"] == (False, False)
    assert seen["when open"] is True
    # The sync line was read with sqlite3 before the paint, and the service agrees.
    assert "waiting" in str(seen["sync line at paint"])
    assert seen["sync line at paint"] == seen["sync line when open"]
    assert isinstance(seen["home"], HomeTab) and seen["user"] == "sam"
    assert lock.read_holder(file) is None  # closed, and its lock released, at exit


def test_the_sync_line_read_before_the_database_opens_matches_the_service(file: Path) -> None:
    from app.services.sync import sync_status

    database = open_database(file, user="sam")
    with database.session() as session:  # changes that wait to be sent
        add_user(session, "kim", "viewer")
    try:
        with database.reader() as session:
            status = sync_status(session)
    finally:
        database.close()
    seen = glance(file, "sam")
    assert seen is not None and seen.sync is not None
    assert status.waiting > 0
    assert (seen.sync.last_sync, seen.sync.waiting, seen.sync.open_conflicts) == (
        status.last_sync,
        status.waiting,
        status.open_conflicts,
    )
