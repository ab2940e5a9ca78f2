"""A small line chart drawn with QPainter (QtCharts is not part of our Qt): plan, actual, XmR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


@dataclass(frozen=True)
class Series:
    """A line of the chart; None values leave a gap (months with no return yet)."""

    name: str
    values: Sequence[float | None]
    colour: QColor
    dashed: bool = False
    marked: list[int] = field(default_factory=list)  # points drawn as signals


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the chart, such as a control limit."""

    name: str
    value: float
    colour: QColor
    dashed: bool = True


class LineChart(QWidget):
    """Lines over labelled points, with a legend; colours from the palette where they can be."""

    MARGIN_LEFT = 72
    MARGIN = 24

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Chart"))
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.title = ""
        self.labels: list[str] = []
        self.series: list[Series] = []
        self.rules: list[Rule] = []
        self.from_zero = True

    def sizeHint(self) -> QSize:
        return QSize(640, 280)

    def set_data(
        self,
        title: str,
        labels: list[str],
        series: list[Series],
        rules: list[Rule] | None = None,
        from_zero: bool = True,
    ) -> None:
        self.from_zero = from_zero
        self.title = title
        self.labels = labels
        self.series = series
        self.rules = rules or []
        self.setAccessibleDescription(
            f"{title}: " + "; ".join(s.name for s in series)  # read by screen readers
        )
        self.update()

    def _range(self) -> tuple[float, float]:
        values = [v for s in self.series for v in s.values if v is not None]
        values += [r.value for r in self.rules]
        if not values:
            return 0.0, 1.0
        low, high = (min([*values, 0.0]) if self.from_zero else min(values)), max(values)
        if not self.from_zero:
            low -= (high - low) * 0.05
        if high == low:
            high = low + 1
        return low, high + (high - low) * 0.05

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        text_colour = palette.color(QPalette.ColorRole.Text)
        grid_colour = palette.color(QPalette.ColorRole.Mid)
        font = QFont(self.font())
        painter.setFont(font)
        metrics = painter.fontMetrics()
        top = self.MARGIN + metrics.height() + 4
        legend_height = metrics.height() + 8
        plot = QRectF(
            self.MARGIN_LEFT,
            top,
            max(10, self.width() - self.MARGIN_LEFT - self.MARGIN),
            max(10, self.height() - top - self.MARGIN - metrics.height() - legend_height),
        )
        painter.setPen(text_colour)
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QPointF(self.MARGIN_LEFT, self.MARGIN + metrics.ascent()), self.title)
        painter.setFont(font)
        if not self.labels:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No data"))
            return
        low, high = self._range()

        def y_of(value: float) -> float:
            return plot.bottom() - (value - low) / (high - low) * plot.height()

        count = len(self.labels)

        def x_of(index: int) -> float:
            return plot.left() + (index + 0.5) * plot.width() / count

        # Grid and value axis.
        for step in range(5):
            value = low + (high - low) * step / 4
            y = y_of(value)
            painter.setPen(QPen(grid_colour, 0.5))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, self.MARGIN_LEFT - 6, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                _short(value),
            )
        # As many labels as fit side by side.
        widest = max(metrics.horizontalAdvance(label) for label in self.labels) + 12
        every = max(1, -(-count * widest // max(1, int(plot.width()))))
        for index, label in enumerate(self.labels):
            if index % every == 0:
                painter.drawText(
                    QRectF(x_of(index) - widest / 2, plot.bottom() + 2, widest, metrics.height()),
                    Qt.AlignmentFlag.AlignHCenter,
                    label,
                )
        for rule in self.rules:
            pen = QPen(rule.colour, 1.2)
            if rule.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            y = y_of(rule.value)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        for series in self.series:
            pen = QPen(series.colour, 2)
            if series.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            previous: QPointF | None = None
            for index, maybe in enumerate(series.values):
                if maybe is None:
                    previous = None
                    continue
                point = QPointF(x_of(index), y_of(maybe))
                if previous is not None:
                    painter.drawLine(previous, point)
                previous = point
            painter.setBrush(series.colour)
            for index, maybe in enumerate(series.values):
                if maybe is None:
                    continue
                radius = 4.5 if index in series.marked else 2.5
                if index in series.marked:
                    painter.setBrush(QColor("#d5281b"))
                painter.drawEllipse(QPointF(x_of(index), y_of(maybe)), radius, radius)
                painter.setBrush(series.colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        # Legend.
        x = plot.left()
        y = self.height() - self.MARGIN / 2 - metrics.height() / 2
        for name, colour, dashed in [(s.name, s.colour, s.dashed) for s in self.series] + [
            (r.name, r.colour, r.dashed) for r in self.rules
        ]:
            pen = QPen(colour, 2)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, y), QPointF(x + 18, y))
            painter.setPen(text_colour)
            painter.drawText(QPointF(x + 22, y + metrics.ascent() / 2 - 1), name)
            x += 34 + metrics.horizontalAdvance(name)
        painter.end()


def _short(value: float) -> str:
    """£1.2m, 350k: axis labels that fit."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}m"
    if size >= 10_000:
        return f"{value / 1_000:.0f}k"
    if size >= 1_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:.0f}" if size >= 10 else f"{value:.1f}"
