"""Charts drawn as vector graphics (reportlab.graphics), in the report's own fonts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from app.services.pdf import (
    AMBER,
    BOLD_FONT,
    DARK_BLUE,
    FONT,
    GREY_TEXT,
    NHS_BLUE,
    RULE,
    WARNING_RED,
    fit_text,
    register_fonts,
)
from app.services.spc import XmrChart

SERIES_COLOURS = (NHS_BLUE, colors.HexColor("#330072"), AMBER, colors.HexColor("#00A499"))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | Decimal | None]
    dashed: bool = False


def _nice_step(span: float) -> float:
    """A round step that gives four to eight gridlines over `span`."""
    if span <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(span))) - 1) if span >= 1 else 0.1
    for factor in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step = magnitude * factor
        if span / step <= 8:
            return step
    return magnitude * 10


def _axis_range(values: Sequence[float], from_zero: bool = True) -> tuple[float, float, float]:
    values = list(values) or [0.0]
    low = min([*values, 0.0]) if from_zero else min(values)
    high = max([*values, low + 1.0])
    if not from_zero and high - low < high * 0.05:
        low = high * 0.9
    step = _nice_step(high - low)
    low = (low // step) * step
    high = ((high // step) + 1) * step
    return low, high, step


def _drawing(width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    # The renderer starts each drawing in its own font, Helvetica unless told otherwise.
    drawing.initialFontName = FONT
    drawing.initialFontSize = 8
    return drawing


def _title(drawing: Drawing, text: str, width: float, height: float) -> None:
    drawing.add(String(0, height - 11, text, fontName=BOLD_FONT, fontSize=9, fillColor=DARK_BLUE))


def _style_axes(plot: LinePlot) -> None:
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
        axis.labels.fillColor = GREY_TEXT
        axis.strokeColor = RULE
        axis.strokeWidth = 0.5
    plot.yValueAxis.visibleGrid = 1
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#E8EDEE")
    plot.yValueAxis.gridStrokeWidth = 0.4


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    width: float,
    height: float = 150,
    value_format: str = "{:,.0f}",
) -> Drawing:
    """Lines over months (plan, actual, forecast); gaps where a value is missing."""
    register_fonts()
    drawing = _drawing(width, height)
    _title(drawing, title, width, height)
    plot = LinePlot()
    plot.x, plot.y = 42, 28
    plot.width, plot.height = width - 150, height - 52
    data = []
    for item in series:
        points = [(i + 1, float(v)) for i, v in enumerate(item.values) if v is not None]
        data.append(points or [(1, 0.0)])
    plot.data = data
    every = [float(v) for s in series for v in s.values if v is not None]
    low, high, step = _axis_range(every, from_zero=False)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = low, high, step
    plot.yValueAxis.labelTextFormat = lambda v: value_format.format(v)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0.5, len(labels) + 0.5
    plot.xValueAxis.valueSteps = list(range(1, len(labels) + 1))
    plot.xValueAxis.labelTextFormat = lambda v: labels[int(v) - 1] if 1 <= v <= len(labels) else ""
    _style_axes(plot)
    for index, item in enumerate(series):
        line = plot.lines[index]
        line.strokeColor = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        line.strokeWidth = 1.4
        if item.dashed:
            line.strokeDashArray = [3, 2]
        line.symbol = makeMarker("FilledCircle", size=2.5)
        line.symbol.fillColor = line.strokeColor
        line.symbol.strokeColor = line.strokeColor
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = width - 100, height - 30
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.dx, legend.dy, legend.deltay = 8, 6, 11
    legend.colorNamePairs = [
        (SERIES_COLOURS[i % len(SERIES_COLOURS)], s.name) for i, s in enumerate(series)
    ]
    drawing.add(legend)
    return drawing


@dataclass(frozen=True)
class _Limits:
    mean: float
    upper: float
    lower: float
    signals: list[int]


def xmr_chart(title: str, chart: XmrChart, width: float, height: float = 130) -> Drawing:
    """Monthly values with their mean and limits (`app.services.spc`); signals in red."""
    register_fonts()
    labels, values = chart.labels, chart.values
    # Activity cannot fall below nothing, so a negative lower limit is drawn at zero.
    limits = _Limits(
        chart.centre, chart.upper, max(0.0, chart.lower), sorted({i for i, _ in chart.signals})
    )
    drawing = _drawing(width, height)
    _title(drawing, title, width, height)
    plot = LinePlot()
    plot.x, plot.y = 42, 24
    plot.width, plot.height = width - 150, height - 46
    count = max(len(labels), 1)
    points = [(i + 1, float(v)) for i, v in enumerate(values)]
    flat = [(0.5, 0.0), (count + 0.5, 0.0)]
    plot.data = [
        points or [(1, 0.0)],
        [(x, limits.mean) for x, _ in flat],
        [(x, limits.upper) for x, _ in flat],
        [(x, limits.lower) for x, _ in flat],
    ]
    low, high, step = _axis_range(
        [*map(float, values), limits.upper, limits.lower], from_zero=False
    )
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = low, high, step
    plot.yValueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0.5, count + 0.5
    # Up to three years of months: label every few months so the labels never overlap.
    every = max(1, -(-count // 12))
    plot.xValueAxis.valueSteps = list(range(1, count + 1, every))
    plot.xValueAxis.labelTextFormat = lambda v: labels[int(v) - 1] if 1 <= v <= len(labels) else ""
    _style_axes(plot)
    plot.lines[0].strokeColor = NHS_BLUE
    plot.lines[0].strokeWidth = 1.3
    plot.lines[0].symbol = makeMarker("FilledCircle", size=3)
    plot.lines[0].symbol.fillColor = NHS_BLUE
    plot.lines[1].strokeColor = colors.HexColor("#007F3B")
    plot.lines[1].strokeWidth = 0.9
    for index in (2, 3):
        plot.lines[index].strokeColor = WARNING_RED
        plot.lines[index].strokeWidth = 0.8
        plot.lines[index].strokeDashArray = [3, 2]
    drawing.add(plot)
    # Points outside the limits are drawn again in red, so a signal stands out.
    y_scale = plot.height / (high - low) if high > low else 1
    x_scale = plot.width / count
    for index in limits.signals:
        x = plot.x + (index + 0.5) * x_scale
        y = plot.y + (float(values[index]) - low) * y_scale
        drawing.add(Line(x - 3, y - 3, x + 3, y + 3, strokeColor=WARNING_RED, strokeWidth=1.5))
        drawing.add(Line(x - 3, y + 3, x + 3, y - 3, strokeColor=WARNING_RED, strokeWidth=1.5))
    legend = Legend()
    legend.x, legend.y = width - 100, height - 30
    legend.fontName, legend.fontSize = FONT, 7
    legend.dx, legend.dy, legend.deltay = 8, 6, 11
    legend.colorNamePairs = [
        (NHS_BLUE, "Actual"),
        (colors.HexColor("#007F3B"), f"Mean {limits.mean:,.1f}"),
        (WARNING_RED, f"Limits {limits.lower:,.1f}–{limits.upper:,.1f}"),
    ]
    drawing.add(legend)
    return drawing


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], width: float, height: float = 0
) -> Drawing:
    """Horizontal bars (counts by stage, by kind); labels kept readable at any length."""
    register_fonts()
    height = height or 40 + 16 * max(len(labels), 1)
    drawing = _drawing(width, height)
    _title(drawing, title, width, height)
    chart = HorizontalBarChart()
    label_width = 200
    chart.x, chart.y = label_width + 10, 14
    chart.width, chart.height = width - label_width - 40, height - 34
    chart.data = [[float(v) for v in values] or [0.0]]
    chart.categoryAxis.categoryNames = [
        fit_text(label, label_width - 8, FONT, 7) for label in labels
    ] or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = RULE
    chart.categoryAxis.reverseDirection = 1
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max([float(v) for v in values] + [1.0])
    chart.valueAxis.valueMax = top + 1
    chart.valueAxis.valueStep = max(1, int(_nice_step(top)))
    chart.valueAxis.strokeColor = RULE
    chart.bars[0].fillColor = NHS_BLUE
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing
