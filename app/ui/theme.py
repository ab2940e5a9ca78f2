"""Colours that stay readable in the system's light and dark themes.

The application never sets a palette or a style of its own: Qt follows the system's theme.
The few colours it adds (warnings, overdue lines) are chosen here against the palette in use,
so that text keeps a contrast of at least 4.5 to 1 (WCAG 2.1 AA) on light and dark
backgrounds alike.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel

# NHS identity colours first; lighter tints for dark backgrounds.
WARNING_CANDIDATES = ("#D5281B", "#8A1538", "#FF8A80", "#FFB3AD", "#FFFFFF", "#000000")
AA_CONTRAST = 4.5


def relative_luminance(colour: QColor) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(colour.redF())
        + 0.7152 * linear(colour.greenF())
        + 0.0722 * linear(colour.blueF())
    )


def contrast(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _palette(palette: QPalette | None) -> QPalette:
    return palette if palette is not None else QGuiApplication.palette()


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the theme in use draws light text on dark backgrounds."""
    return _palette(palette).color(QPalette.ColorRole.Window).lightness() < 128


def warning_colour(palette: QPalette | None = None) -> QColor:
    """A red readable both on the palette's base (tables) and its window (labels)."""
    chosen = _palette(palette)
    backgrounds = (
        chosen.color(QPalette.ColorRole.Base),
        chosen.color(QPalette.ColorRole.Window),
    )
    for name in WARNING_CANDIDATES:
        candidate = QColor(name)
        if all(contrast(candidate, background) >= AA_CONTRAST for background in backgrounds):
            return candidate
    return chosen.color(QPalette.ColorRole.Text)


def warning_brush(palette: QPalette | None = None) -> QBrush:
    """The warning colour as a brush, for a model's ForegroundRole."""
    return QBrush(warning_colour(palette))


def mark_as_warning(label: QLabel, bold: bool = False) -> None:
    """Draw a label's text in the warning colour of the theme in use."""
    weight = " font-weight: bold;" if bold else ""
    label.setStyleSheet(f"color: {warning_colour(label.palette()).name()};{weight}")
