"""The contract monitoring report: plan, actual and forecast, variances, SPC charts, clause 9.

Every figure comes from the contracts monitoring service (`position_in`, `monthly_series_in`)
and the clause 9 summary (`clause9_in`), the same functions the Contracts tab shows, so the
paper and the screen cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.formatting import format_money, format_number, format_signed_percent
from app.models import Contract, FinancialYear
from app.services.monitoring import (
    Dimension,
    MonitoringFilter,
    MonthPoint,
    PositionRow,
    Status,
    monthly_series_in,
    position_in,
)
from app.services.reports.charts import Series, line_chart, xmr_chart
from app.services.reports.document import ReportWriter
from app.services.spc import XmrChart
from app.services.year_end import Clause9Summary, clause9_in, forecast_outturn


@dataclass
class MonitoringData:
    """What the report prints: the monitoring service's positions for one scope."""

    title: str
    scope: str
    filter: MonitoringFilter
    months_reported: int
    total: PositionRow
    by_contract: list[PositionRow] = field(default_factory=list)
    by_line: list[PositionRow] = field(default_factory=list)
    by_commissioner: list[PositionRow] = field(default_factory=list)
    months: list[MonthPoint] = field(default_factory=list)
    spc: list[tuple[str, XmrChart]] = field(default_factory=list)
    clause9: Clause9Summary | None = None

    @property
    def year(self) -> FinancialYear:
        return self.filter.year

    @property
    def outside_margin(self) -> list[PositionRow]:
        return [row for row in self.by_line if row.status in (Status.OVER, Status.UNDER)]


def monitoring_data(
    session: Session,
    contract_reference: str | None = None,
    year: FinancialYear | None = None,
    as_of: date | None = None,
    charts: int = 8,
) -> MonitoringData:
    """Plan, actual and forecast for one contract, or for every contract of a year."""
    if contract_reference:
        contract = session.scalars(
            select(Contract).where(Contract.reference == contract_reference)
        ).first()
        if contract is None or contract.deleted_at is not None:
            raise NotFound(f"there is no contract '{contract_reference}'")
        flt = MonitoringFilter(contract.financial_year, contract=contract.reference)
        scope = f"Contract {contract.reference} with {contract.provider.name}, {flt.year}"
    else:
        flt = MonitoringFilter(year or FinancialYear.containing(as_of or date.today()))
        scope = f"All contracts of the SCG, {flt.year}"
    by_line = position_in(session, flt, Dimension.SERVICE_LINE)
    data = MonitoringData(
        title="Contract monitoring report",
        scope=scope,
        filter=flt,
        months_reported=by_line.months_reported,
        total=by_line.total,
        by_line=by_line.rows,
        by_commissioner=position_in(session, flt, Dimension.COMMISSIONER).rows,
        months=by_line.months,
        clause9=clause9_in(session, flt),
    )
    if not contract_reference:
        data.by_contract = position_in(session, flt, Dimension.CONTRACT).rows
    # SPC for the lines that matter most to the money: the largest plans first.
    for row in sorted(by_line.rows, key=lambda r: -r.plan_cost)[:charts]:
        line_filter = MonitoringFilter(flt.year, contract=flt.contract, service_line=row.id)
        chart = monthly_series_in(session, line_filter, measure="actual_activity")
        if len(chart.values) >= 2:
            data.spc.append((row.label, chart))
    return data


# ---------------------------------------------------------------------------------------------
# The report


def _signed_money(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_money(value)


POSITION_HEADERS = ["Plan (year)", "Plan to date", "Actual to date", "Variance", "Var. %",
                    "Forecast"]  # fmt: skip


def position_cells(row: PositionRow) -> list[object]:
    """A position row's figures, written as the Contracts tab writes them."""
    return [
        format_money(row.plan_cost),
        format_money(row.plan_cost_ytd),
        format_money(row.actual_cost_ytd),
        format_money(row.variance_cost),
        format_signed_percent(row.variance_percent),
        format_money(row.forecast_cost),
    ]


def _position_table(
    writer: ReportWriter, name: str, rows: list[PositionRow], total: PositionRow | None
) -> None:
    body: list[list[object]] = [[row.label, *position_cells(row)] for row in rows]
    highlight = [i for i, row in enumerate(rows) if row.status == Status.OVER]
    if total is not None:
        body.append(["Total", *position_cells(total)])
    writer.table(
        [name, *POSITION_HEADERS], body, widths=[2.2, 1.6, 1.6, 1.6, 1.4, 0.95, 1.65],
        numeric=range(1, 7), total=total is not None, highlight=highlight,
    )  # fmt: skip


def add_monitoring(writer: ReportWriter, data: MonitoringData, charts: int = 8) -> None:
    """The monitoring report's sections, at the writer's heading level."""
    from app.models.financial_year import MONTH_NAMES

    months = data.months_reported
    through = f"month {months} ({MONTH_NAMES[months - 1]})" if months else "no months yet"
    total = data.total
    writer.heading("Summary", 0)
    writer.paragraph(
        f"{data.scope}. Returns are in to {through}. Spend to date is "
        f"{format_money(total.actual_cost_ytd)} against a plan to date of "
        f"{format_money(total.plan_cost_ytd)} ({_signed_money(total.variance_cost)}, "
        f"{format_signed_percent(total.variance_percent)}). The forecast for the year is "
        f"{format_money(forecast_outturn(total))} against an annual plan of "
        f"{format_money(total.plan_cost)}."
    )
    outside = data.outside_margin
    if outside:
        writer.paragraph(
            f"{len(outside)} service line(s) are outside their agreed margin to date; those "
            "over it are shown in red below, and over-performance beyond the margin starts "
            "the six-question investigation.",
            "warning",
        )
    width = writer.width
    if data.months and months:
        points = data.months
        forecast = [
            p.cumulative_forecast_cost if i >= months - 1 else None for i, p in enumerate(points)
        ]
        writer.chart(
            line_chart(
                "Cumulative spend: plan, actual and forecast (£)",
                MONTH_NAMES,
                [
                    Series("Plan", [p.cumulative_plan_cost for p in points], dashed=True),
                    Series("Actual", [p.cumulative_actual_cost for p in points]),
                    Series("Forecast", forecast, dashed=True),
                ],
                width,
                value_format="{:,.0f}",
            )
        )

    if data.by_contract:
        writer.heading("Plan, actual and forecast by contract", 0)
        _position_table(writer, "Contract", data.by_contract, data.total)
    writer.heading("Plan, actual and forecast by service line", 0)
    _position_table(writer, "Service line", data.by_line, data.total)
    writer.paragraph(
        "To date means to the last month returned. The forecast runs the year on at the rate "
        "to date (straight line); lines in red are over their agreed margin to date. These are "
        "the figures of the Contracts tab's monitoring view for the same scope.",
        "note",
    )

    writer.heading("By commissioner", 0)
    writer.paragraph(
        "Activity by PCT from the providers' returns, with each PCT's share of the plan.", "note"
    )
    _position_table(writer, "Commissioner", data.by_commissioner, None)

    if data.spc:
        writer.heading("Statistical process control", 0)
        writer.paragraph(
            "Each chart shows monthly activity over up to three years with its mean and natural "
            "process limits (mean ± 2.66 × the average moving range). A red cross marks a "
            "signal worth asking the provider about: a point outside the limits, or a run of "
            "seven on one side of the mean or rising or falling. Other points are ordinary "
            "variation.",
            "note",
        )
        for name, chart in data.spc[:charts]:
            writer.chart(xmr_chart(f"{name}: activity by month", chart, width))

    summary = data.clause9
    if summary is None:
        return
    writer.heading("Risk sharing (clause 9 summary)", 0)
    variance = summary.rows[0].forecast_variance if summary.rows else Decimal(0)
    writer.paragraph(
        "Clause 9 of the model Establishment Agreement asks the SCG to give its members, "
        "month by month, the finance and activity of each contract in total and for each "
        "PCT, with the forecast variance and how it would be shared by weighted capitation. "
        f"The forecast variance for the year is {_signed_money(variance)}."
    )
    writer.table(
        ["Member", "Planned cost", "Actual to date", "Forecast outturn", "Forecast variance",
         "Shared by capitation"],
        [
            [r.member, format_money(r.plan_cost), format_money(r.actual_cost_ytd),
             format_money(r.forecast_cost), _signed_money(r.forecast_variance),
             _signed_money(r.risk_share_by_capitation)]
            for r in summary.rows
        ],
        widths=[3.2, 1.45, 1.45, 1.45, 1.45, 1.5],
        numeric=range(1, 6),
    )  # fmt: skip
    activity = format_number(total.actual_activity_ytd)
    writer.paragraph(
        "The first row is the total; the forecast outturn is seasonal where last year's "
        f"returns allow, else straight line. Activity: {activity} to date against a plan to "
        f"date of {format_number(total.plan_activity_ytd)}.",
        "note",
    )
