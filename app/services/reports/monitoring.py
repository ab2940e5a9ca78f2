"""The contract monitoring report: plan, actual and forecast, variances, SPC charts, risk sharing.

The report is drawn from `MonitoringData`. `monitoring_data` fills it straight from the
contracts, plans and returns for now; when the contracts service (issue 4) lands with its own
plan/actual/forecast, XmR and clause 9 functions, only `monitoring_data` changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.formatting import format_money, format_percent
from app.models import (
    Contract,
    ContractLine,
    FinancialYear,
    Membership,
    Organisation,
    PlannedActivity,
    ReturnRow,
    ReturnSubmission,
    ServiceDefinition,
)
from app.models.financial_year import MONTH_NAMES
from app.services.reference_data import current_edition
from app.services.reports.charts import Series, line_chart, xmr_chart
from app.services.reports.document import ReportWriter

PENNY = Decimal("0.01")


@dataclass(frozen=True)
class MonitoringLine:
    """One service line of one provider: the year's plan, to date, and the forecast."""

    service: str
    provider: str
    point_of_delivery: str
    margin: Decimal
    plan_year_activity: Decimal
    plan_to_date_activity: Decimal
    actual_to_date_activity: Decimal
    plan_year_cost: Decimal
    plan_to_date_cost: Decimal
    actual_to_date_cost: Decimal
    forecast_year_cost: Decimal

    @property
    def variance_cost(self) -> Decimal:
        return self.actual_to_date_cost - self.plan_to_date_cost

    @property
    def variance_fraction(self) -> Decimal | None:
        if not self.plan_to_date_cost:
            return None
        return self.variance_cost / self.plan_to_date_cost

    @property
    def outside_margin(self) -> bool:
        fraction = self.variance_fraction
        return fraction is not None and abs(fraction) > self.margin

    @property
    def over_margin_cost(self) -> Decimal:
        """Forecast spend above the plan plus its margin: what risk sharing covers."""
        limit = self.plan_year_cost * (1 + self.margin)
        return max(Decimal(0), self.forecast_year_cost - limit).quantize(PENNY)


@dataclass(frozen=True)
class CommissionerLine:
    name: str
    capitation_share: Decimal
    plan_to_date_cost: Decimal
    actual_to_date_cost: Decimal
    forecast_year_cost: Decimal

    @property
    def variance_cost(self) -> Decimal:
        return self.actual_to_date_cost - self.plan_to_date_cost


@dataclass(frozen=True)
class MonthlySeries:
    """A month-by-month series (April first): plan, actual to date, forecast after."""

    name: str
    plan: list[Decimal]
    actual: list[Decimal | None]
    forecast: list[Decimal | None]


@dataclass(frozen=True)
class RiskShare:
    """Clause 9: the over-performance above the margins, shared by capitation and by use."""

    commissioner: str
    capitation_share: Decimal
    use_share: Decimal
    by_capitation: Decimal
    by_use: Decimal


@dataclass
class MonitoringData:
    title: str
    scope: str
    year: FinancialYear
    months_reported: int
    lines: list[MonitoringLine] = field(default_factory=list)
    commissioners: list[CommissionerLine] = field(default_factory=list)
    activity_series: list[MonthlySeries] = field(default_factory=list)
    cost_series: MonthlySeries | None = None
    risk_shares: list[RiskShare] = field(default_factory=list)

    @property
    def over_margin_total(self) -> Decimal:
        return sum((line.over_margin_cost for line in self.lines), Decimal(0))

    def totals(self) -> dict[str, Decimal]:
        def total(name: str) -> Decimal:
            return sum((getattr(line, name) for line in self.lines), Decimal(0))

        return {
            name: total(name)
            for name in (
                "plan_year_cost",
                "plan_to_date_cost",
                "actual_to_date_cost",
                "forecast_year_cost",
            )
        }


def _money(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def monitoring_data(
    session: Session, contract_reference: str | None = None, year: FinancialYear | None = None,
    as_of: date | None = None,
) -> MonitoringData:  # fmt: skip
    """Plan, actual and forecast for one contract, or for every contract of a year."""
    today = as_of or date.today()
    if contract_reference:
        contract = session.scalars(
            select(Contract).where(Contract.reference == contract_reference)
        ).first()
        if contract is None or contract.deleted_at is not None:
            raise NotFound(f"there is no contract '{contract_reference}'")
        contracts = [contract]
        year = contract.financial_year
        scope = f"Contract {contract.reference} with {contract.provider.name}, {year}"
    else:
        year = year or FinancialYear.containing(today)
        contracts = list(
            session.scalars(
                select(Contract)
                .where(Contract.financial_year == year, Contract.deleted_at.is_(None))
                .order_by(Contract.reference)
            )
        )
        scope = f"All contracts of the SCG, {year}"
    edition = current_edition(session)
    names = {
        line: f"{code} {name}"
        for line, code, name in session.execute(
            select(
                ServiceDefinition.service_line_id, ServiceDefinition.code, ServiceDefinition.name
            ).where(ServiceDefinition.edition_id == edition.id)
        )
    }
    codes = {
        line: code
        for line, code in session.execute(
            select(ServiceDefinition.service_line_id, ServiceDefinition.code).where(
                ServiceDefinition.edition_id == edition.id
            )
        )
    }
    providers = {c.provider_id for c in contracts}

    # Actuals from the current (not replaced) submissions of the year.
    actual: dict[tuple[object, object, str, int], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    by_commissioner: dict[object, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    months_seen: set[int] = set()
    rows = session.execute(
        select(
            ReturnSubmission.provider_id,
            ReturnSubmission.month,
            ReturnRow.commissioner_id,
            ReturnRow.service_line_id,
            ReturnRow.point_of_delivery,
            ReturnRow.planned_activity,
            ReturnRow.actual_activity,
            ReturnRow.price,
            ReturnRow.actual_cost,
        )
        .join(ReturnRow, ReturnRow.submission_id == ReturnSubmission.id)
        .where(
            ReturnSubmission.financial_year == year,
            ReturnSubmission.replaced_by_id.is_(None),
            ReturnSubmission.deleted_at.is_(None),
            ReturnSubmission.provider_id.in_(providers),
        )
    ).all()
    for provider_id, month, commissioner, line_id, point, planned, done, price, cost in rows:
        index = FinancialYear.month_index(month)
        months_seen.add(index)
        key = (provider_id, line_id, point, index)
        if cost is None:
            cost = done * (price or 0)
        actual[key][0] += done
        actual[key][1] += cost
        by_commissioner[commissioner][0] += Decimal((planned or 0) * (price or 0))
        by_commissioner[commissioner][1] += cost
    reported = max(months_seen, default=0)

    lines: list[MonitoringLine] = []
    month_plan_total = [Decimal(0)] * 12
    month_actual_total: list[Decimal] = [Decimal(0)] * 12
    service_plan: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 12)
    service_actual: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 12)
    plans: dict[object, list[tuple[int, Decimal]]] = defaultdict(list)
    for line_id, month, activity in session.execute(
        select(PlannedActivity.line_id, PlannedActivity.month, PlannedActivity.activity)
        .join(ContractLine, ContractLine.id == PlannedActivity.line_id)
        .where(ContractLine.contract_id.in_([c.id for c in contracts]))
    ):
        plans[line_id].append((month, activity))
    for contract in contracts:
        contract_lines = session.scalars(
            select(ContractLine).where(
                ContractLine.contract_id == contract.id, ContractLine.deleted_at.is_(None)
            )
        ).all()
        for line in contract_lines:
            plan = [Decimal(0)] * 12
            for month, activity in plans.get(line.id, []):
                plan[FinancialYear.month_index(month) - 1] = activity
            actual_activity = [Decimal(0)] * 12
            actual_cost = [Decimal(0)] * 12
            for index in range(1, reported + 1):
                value = actual.get(
                    (contract.provider_id, line.service_line_id, line.point_of_delivery, index)
                )
                if value:
                    actual_activity[index - 1], actual_cost[index - 1] = value
            plan_to_date = sum(plan[:reported], Decimal(0))
            actual_to_date = sum(actual_activity[:reported], Decimal(0))
            plan_year = sum(plan, Decimal(0))
            ratio = actual_to_date / plan_to_date if plan_to_date else Decimal(1)
            remaining = sum(plan[reported:], Decimal(0)) * ratio * line.price
            actual_cost_to_date = sum(actual_cost[:reported], Decimal(0))
            service = names.get(line.service_line_id, "")
            lines.append(
                MonitoringLine(
                    service=service,
                    provider=contract.provider.name,
                    point_of_delivery=line.point_of_delivery,
                    margin=line.margin,
                    plan_year_activity=plan_year,
                    plan_to_date_activity=plan_to_date,
                    actual_to_date_activity=actual_to_date,
                    plan_year_cost=_money(plan_year * line.price),
                    plan_to_date_cost=_money(plan_to_date * line.price),
                    actual_to_date_cost=_money(actual_cost_to_date),
                    forecast_year_cost=_money(actual_cost_to_date + remaining),
                )
            )
            label = codes.get(line.service_line_id, "") + " " + line.point_of_delivery
            for i in range(12):
                month_plan_total[i] += plan[i] * line.price
                month_actual_total[i] += actual_cost[i]
                service_plan[label][i] += plan[i]
                service_actual[label][i] += actual_activity[i]

    def forecast_after(plan: list[Decimal], actual_values: list[Decimal]) -> MonthlySeries:
        plan_to_date = sum(plan[:reported], Decimal(0))
        ratio = sum(actual_values[:reported], Decimal(0)) / plan_to_date if plan_to_date else 1
        return MonthlySeries(
            name="",
            plan=plan,
            actual=[actual_values[i] if i < reported else None for i in range(12)],
            forecast=[
                (actual_values[i] if i == reported - 1 else plan[i] * ratio)
                if i >= reported - 1 and reported
                else None
                for i in range(12)
            ],
        )

    cost_series = forecast_after(month_plan_total, month_actual_total)
    activity_series = []
    ranked = sorted(service_plan, key=lambda k: -sum(service_plan[k]))
    for label in ranked:
        series = forecast_after(service_plan[label], service_actual[label])
        activity_series.append(
            MonthlySeries(label.strip(), series.plan, series.actual, series.forecast)
        )

    commissioners = _commissioner_lines(session, by_commissioner, reported, year)
    data = MonitoringData(
        title="Contract monitoring report",
        scope=scope,
        year=year,
        months_reported=reported,
        lines=lines,
        commissioners=commissioners,
        activity_series=activity_series,
        cost_series=cost_series,
    )
    data.risk_shares = _risk_shares(commissioners, data.over_margin_total)
    return data


def _commissioner_lines(
    session: Session, by_commissioner: dict[Any, list[Decimal]], reported: int,
    year: FinancialYear,
) -> list[CommissionerLine]:  # fmt: skip
    shares: dict[object, Decimal] = {}
    for membership in session.scalars(
        select(Membership).where(
            Membership.effective_from <= year.starts_on, Membership.deleted_at.is_(None)
        )
    ):
        if membership.effective_to is None or membership.effective_to >= year.starts_on:
            shares[membership.member_id] = membership.capitation_share
    organisations = {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(Organisation.id.in_(list(by_commissioner)))
        )
    }
    result = []
    for commissioner_id, (plan, cost) in by_commissioner.items():
        organisation = organisations.get(commissioner_id)
        # A merged PCT's activity counts towards its successor.
        while organisation is not None and organisation.successor is not None:
            organisation = organisation.successor
        name = organisation.name if organisation else "Unknown commissioner"
        forecast = cost * 12 / reported if reported else Decimal(0)
        result.append(
            CommissionerLine(
                name=name,
                capitation_share=shares.get(organisation.id if organisation else None, Decimal(0)),
                plan_to_date_cost=_money(plan),
                actual_to_date_cost=_money(cost),
                forecast_year_cost=_money(forecast),
            )
        )
    merged: dict[str, CommissionerLine] = {}
    for line in result:
        if line.name in merged:
            old = merged[line.name]
            line = CommissionerLine(
                line.name,
                max(old.capitation_share, line.capitation_share),
                old.plan_to_date_cost + line.plan_to_date_cost,
                old.actual_to_date_cost + line.actual_to_date_cost,
                old.forecast_year_cost + line.forecast_year_cost,
            )
        merged[line.name] = line
    return sorted(merged.values(), key=lambda c: c.name)


def _risk_shares(commissioners: list[CommissionerLine], over: Decimal) -> list[RiskShare]:
    total_use = sum((c.actual_to_date_cost for c in commissioners), Decimal(0))
    total_share = sum((c.capitation_share for c in commissioners), Decimal(0)) or Decimal(1)
    shares = []
    for commissioner in commissioners:
        capitation = commissioner.capitation_share / total_share
        use = commissioner.actual_to_date_cost / total_use if total_use else Decimal(0)
        shares.append(
            RiskShare(
                commissioner=commissioner.name,
                capitation_share=capitation,
                use_share=use,
                by_capitation=_money(over * capitation),
                by_use=_money(over * use),
            )
        )
    return shares


# ---------------------------------------------------------------------------------------------
# The report


def _signed_money(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_money(value)


def _thousands(value: Decimal) -> str:
    """£1,475k: board papers give money in thousands, so the columns stay readable."""
    return format_money(value / 1000) + "k"


def _signed_thousands(value: Decimal) -> str:
    return ("+" if value >= 500 else "") + _thousands(value)


def add_monitoring(writer: ReportWriter, data: MonitoringData, charts: int = 8) -> None:
    """The monitoring report's sections, at the writer's heading level."""
    months = data.months_reported
    through = f"month {months} ({MONTH_NAMES[months - 1]})" if months else "no months yet"
    totals = data.totals()
    variance = totals["actual_to_date_cost"] - totals["plan_to_date_cost"]
    writer.heading("Summary", 0)
    writer.paragraph(
        f"{data.scope}. Returns are in to {through}. Spend to date is "
        f"{format_money(totals['actual_to_date_cost'])} against a plan to date of "
        f"{format_money(totals['plan_to_date_cost'])} ({_signed_money(variance)}). "
        f"The forecast for the year is {format_money(totals['forecast_year_cost'])} against "
        f"an annual plan of {format_money(totals['plan_year_cost'])}."
    )
    outside = [line for line in data.lines if line.outside_margin]
    if outside:
        writer.paragraph(
            f"{len(outside)} service line(s) are outside their agreed margin to date and are "
            "shown in red below; over-performance beyond the margin starts the six-question "
            "investigation.",
            "warning",
        )
    width = writer.width
    if data.cost_series is not None and months:
        series = data.cost_series
        writer.chart(
            line_chart(
                "Spend by month: plan, actual and forecast (£)",
                MONTH_NAMES,
                [
                    Series("Plan", series.plan, dashed=True),
                    Series("Actual", series.actual),
                    Series("Forecast", series.forecast, dashed=True),
                ],
                width,
                value_format="{:,.0f}",
            )
        )

    writer.heading("Plan, actual and forecast by service line", 0)
    headers = ["Service", "Provider", "Plan YTD", "Actual YTD", "Var.", "Var. %",
               "Forecast", "Plan year"]  # fmt: skip
    rows: list[list[object]] = []
    highlight = []
    for number, line in enumerate(data.lines):
        if line.outside_margin:
            highlight.append(number)
        fraction = line.variance_fraction
        rows.append(
            [
                f"{line.service} ({line.point_of_delivery})",
                line.provider,
                _thousands(line.plan_to_date_cost),
                _thousands(line.actual_to_date_cost),
                _signed_thousands(line.variance_cost),
                format_percent(fraction) if fraction is not None else "",
                _thousands(line.forecast_year_cost),
                _thousands(line.plan_year_cost),
            ]
        )
    plan_to_date = totals["plan_to_date_cost"]
    rows.append(
        ["Total", "", _thousands(plan_to_date), _thousands(totals["actual_to_date_cost"]),
         _signed_thousands(variance),
         format_percent(variance / plan_to_date) if plan_to_date else "",
         _thousands(totals["forecast_year_cost"]), _thousands(totals["plan_year_cost"])]
    )  # fmt: skip
    writer.table(
        headers, rows, widths=[2.8, 2.2, 1.2, 1.2, 1.0, 0.8, 1.35, 1.35],
        numeric=range(2, 8), total=True, highlight=highlight,
    )  # fmt: skip
    writer.paragraph(
        "Money in thousands of pounds; YTD is the year to date, to the last month returned. "
        "Lines in red are outside their agreed margin to date.",
        "note",
    )

    writer.heading("By commissioner", 0)
    writer.paragraph(
        "Activity by PCT from the providers' returns; the forecast runs each PCT's spend to "
        "date on at the same monthly rate.",
        "note",
    )
    writer.table(
        ["Commissioner", "Capitation share", "Plan to date", "Actual to date", "Variance",
         "Forecast year"],
        [
            [c.name, format_percent(c.capitation_share, 2), _thousands(c.plan_to_date_cost),
             _thousands(c.actual_to_date_cost), _signed_thousands(c.variance_cost),
             _thousands(c.forecast_year_cost)]
            for c in data.commissioners
        ],
        widths=[3, 1.2, 1.4, 1.4, 1.3, 1.4],
        numeric=range(1, 6),
    )  # fmt: skip

    if months:
        writer.heading("Statistical process control", 0)
        writer.paragraph(
            "Each chart shows monthly activity with its mean and natural process limits (mean "
            "± 2.66 × the average moving range). A point outside the limits (a red cross) is a "
            "signal worth asking the provider about; points inside are ordinary variation.",
            "note",
        )
        for series in data.activity_series[:charts]:
            values = [float(v) for v in series.actual if v is not None]
            writer.chart(
                xmr_chart(f"{series.name}: activity by month", MONTH_NAMES[: len(values)],
                          values, width)
            )  # fmt: skip

    writer.heading("Risk sharing (clause 9 summary)", 0)
    over = data.over_margin_total
    writer.paragraph(
        "Under clause 9 of the model Establishment Agreement, spend above the plan plus each "
        "line's agreed margin is shared among the member PCTs. The forecast spend above the "
        f"margins is {format_money(over)}. The table compares sharing it by capitation share "
        "(the pooled approach) with sharing it by each PCT's use."
    )
    if not over:
        writer.paragraph(
            "No spend is forecast above the margins, so nothing falls to be shared.", "note"
        )
        return
    writer.table(
        ["Commissioner", "Capitation share", "Share of use", "By capitation", "By use",
         "Difference"],
        [
            [r.commissioner, format_percent(r.capitation_share, 2), format_percent(r.use_share, 2),
             format_money(r.by_capitation), format_money(r.by_use),
             _signed_money(r.by_use - r.by_capitation)]
            for r in data.risk_shares
        ],
        widths=[3, 1.2, 1.2, 1.3, 1.3, 1.3],
        numeric=range(1, 6),
    )  # fmt: skip
    writer.paragraph("Risk shares in pounds; variances are against the plan to date.", "note")
