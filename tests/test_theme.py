"""The application follows the system's light or dark theme: the colours it adds stay readable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel

from app.settings import Settings
from app.ui.context import UiContext
from app.ui.home_tab import HomeTab
from app.ui.main_window import MainWindow
from app.ui.theme import AA_CONTRAST, contrast, is_dark, warning_colour

AS_OF = date(2026, 11, 24)
UI_FOLDER = Path(__file__).resolve().parents[1] / "app" / "ui"


def _dark_palette() -> QPalette:
    """What a system in dark mode hands Qt: light text on dark grey."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#f0f0f0",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#f0f0f0",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#f0f0f0",
        QPalette.ColorRole.Highlight: "#3d7ab8",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    return palette


def _light_palette() -> QPalette:
    palette = QPalette()
    for role, colour in {
        QPalette.ColorRole.Window: "#efefef",
        QPalette.ColorRole.WindowText: "#000000",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.Text: "#000000",
    }.items():
        palette.setColor(role, QColor(colour))
    return palette


@pytest.fixture
def dark_theme(qapp: QApplication) -> Iterator[QPalette]:
    before = qapp.palette()
    dark = _dark_palette()
    qapp.setPalette(dark)
    yield dark
    qapp.setPalette(before)


@pytest.mark.parametrize("palette", [_light_palette(), _dark_palette()], ids=["light", "dark"])
def test_the_warning_colour_is_readable_on_tables_and_labels(palette: QPalette) -> None:
    colour = warning_colour(palette)
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
        assert contrast(colour, palette.color(role)) >= AA_CONTRAST
    assert colour.red() > colour.green() and colour.red() > colour.blue()  # still a red


def test_the_theme_is_told_apart_by_its_window_colour() -> None:
    assert is_dark(_dark_palette()) and not is_dark(_light_palette())
    assert warning_colour(_light_palette()).name() in ("#d5281b", "#8a1538")  # NHS colours


def _coloured_cells(view: QAbstractItemView) -> Iterator[tuple[str, QColor]]:
    model = view.model()
    if model is None:
        return
    for row in range(min(model.rowCount(), 200)):
        for column in range(model.columnCount()):
            brush = model.data(model.index(row, column), Qt.ItemDataRole.ForegroundRole)
            if isinstance(brush, QBrush):
                yield f"{view.accessibleName()} row {row + 1}", brush.color()
            elif isinstance(brush, QColor):
                yield f"{view.accessibleName()} row {row + 1}", brush


def test_in_a_dark_theme_every_coloured_cell_and_label_stays_readable(
    qtbot, demo_database, tmp_path: Path, dark_theme: QPalette
) -> None:
    context = UiContext(
        database=demo_database,
        settings=Settings.load(),
        log_file=tmp_path / "logs" / "commissioning.log",
        as_of=AS_OF,
        is_demo=True,
    )
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    home = window.findChild(HomeTab)
    assert home is not None
    qtbot.waitUntil(lambda: home.is_loaded, timeout=60_000)  # gathered on a worker
    for number in range(window.tabs.count()):
        window.tabs.setCurrentIndex(number)
        qtbot.wait(50)
    qtbot.waitUntil(lambda: not QApplication.overrideCursor(), timeout=20_000)
    qtbot.wait(200)
    base = dark_theme.color(QPalette.ColorRole.Base)
    checked, unreadable = 0, []
    for view in window.findChildren(QAbstractItemView):
        for where, colour in _coloured_cells(view):
            checked += 1
            if contrast(colour, base) < AA_CONTRAST:
                unreadable.append(f"{where}: {colour.name()}")
    assert checked > 0, "the demo has overdue lines to colour"
    assert unreadable == []
    window_colour = dark_theme.color(QPalette.ColorRole.Window)
    for label in window.findChildren(QLabel):
        found = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", label.styleSheet())
        if found:
            assert contrast(QColor(found.group(1)), window_colour) >= AA_CONTRAST, label


def test_no_screen_fixes_a_text_colour_of_its_own() -> None:
    """Text colours come from the palette or from the theme module, never a fixed value."""
    fixed = re.compile(r"setStyleSheet\([^)]*(?<![-\w])color:\s*#|GlobalColor\.(red|darkRed)\)")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(UI_FOLDER.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if fixed.search(line)
    ]
    assert offenders == []
