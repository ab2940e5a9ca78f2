"""The SCG's reports to its members: clause 9 summaries, risk shares, year end and roll-over."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.models import (
    ActivitySummary,
    Contract,
    ContractLine,
    ContractStatus,
    FinancialYear,
    Membership,
    Organisation,
    PlannedActivity,
)
from app.services import risk_sharing
from app.services.access import Area, require_write
from app.services.monitoring import (
    Dimension,
    MonitoringFilter,
    PositionRow,
    _names,
    position,
    position_in,
)
from app.services.references import site_code
from app.services.sync_references import creation_of, site_of
from app.services.table_export import Table, write_xlsx
from app.store.database import Database

PENNY = Decimal("0.01")


def forecast_outturn(row: PositionRow) -> Decimal:
    """The year-end forecast: seasonal where last year allows, else straight line."""
    if row.months_reported >= 12:
        return row.actual_cost_ytd
    return (
        row.seasonal_forecast_cost if row.seasonal_forecast_cost is not None else row.forecast_cost
    )


def member_shares(database: Database, year: FinancialYear) -> dict[str, tuple[Decimal, Decimal]]:
    """Each member PCT's capitation share and baseline allocation on 1 April of `year`."""
    with database.reader() as session:
        return member_shares_in(session, year)


def member_shares_in(session: Session, year: FinancialYear) -> dict[str, tuple[Decimal, Decimal]]:
    """`member_shares` within the caller's session."""
    day = year.starts_on
    result = session.execute(
        select(Organisation.code, Membership.capitation_share, Membership.baseline_allocation)
        .join(Membership, Membership.member_id == Organisation.id)
        .where(
            Membership.deleted_at.is_(None),
            Membership.effective_from <= day,
            (Membership.effective_to.is_(None)) | (Membership.effective_to >= day),
        )
        .order_by(Organisation.code)
    ).all()
    return {code: (share, baseline) for code, share, baseline in result}


def usage_history(
    database: Database, year: FinancialYear, years: int, service_line: str | None = None
) -> dict[str, list[Decimal]]:
    """Each PCT's actual cost in each of the `years` years before `year`, oldest first."""
    history: dict[str, list[Decimal]] = {}
    with database.reader() as session:
        names = _names(session)
        for offset in range(years, 0, -1):
            query = select(
                ActivitySummary.commissioner_id, func.sum(ActivitySummary.actual_cost)
            ).where(ActivitySummary.financial_year == year - offset)
            if service_line:
                query = query.where(
                    ActivitySummary.service_line_id == names.line_by_code.get(service_line)
                )
            totals = dict(session.execute(query.group_by(ActivitySummary.commissioner_id)).all())
            for commissioner_id, total in totals.items():
                code = names.organisations[commissioner_id][0]
                history.setdefault(code, [Decimal(0)] * (years - offset)).append(Decimal(total))
            for values in history.values():
                while len(values) < years - offset + 1:
                    values.append(Decimal(0))
    return history


@dataclass(frozen=True)
class RiskShareReport:
    """A service line's year: plan, outturn, the provider/commissioner split and each PCT's part."""

    service_line: str
    year: str
    plan: Decimal
    outturn: Decimal
    tolerance: risk_sharing.ToleranceResult
    by_capitation: risk_sharing.Apportionment
    by_usage: risk_sharing.Apportionment
    comparison: list[risk_sharing.Comparison]
    usage_years: int

    @property
    def explanation(self) -> list[str]:
        lines = [f"Service line {self.service_line}, {self.year}: plan and year-end outturn."]
        lines += self.tolerance.explanation
        lines.append("The commissioners' part shared by weighted capitation:")
        lines += self.by_capitation.explanation
        lines.append(f"The same shared by historical usage ({self.usage_years}-year average):")
        lines += self.by_usage.explanation
        return lines


def risk_share(
    database: Database,
    service_line: str,
    year: FinancialYear,
    tolerance_percent: Decimal | None = None,
    usage_years: int = 3,
) -> RiskShareReport:
    """Share a line's over-performance with the provider, then among the PCTs, both ways."""
    result = position(database, MonitoringFilter(year, service_line=service_line))
    if result.total.plan_cost == 0 and result.total.actual_cost_ytd == 0:
        raise InputRejected(f"no contract or return covers service line '{service_line}' in {year}")
    plan, outturn = result.total.plan_cost, forecast_outturn(result.total)
    tolerance = risk_sharing.graduated_tolerance(plan, outturn, tolerance_percent)
    shares = {code: share for code, (share, _b) in member_shares(database, year).items()}
    amount = tolerance.commissioner_pays
    usage = usage_history(database, year, usage_years, service_line)
    history = {code: usage.get(code, [Decimal(0)]) for code in shares}
    if not any(sum(v, Decimal(0)) for v in history.values()):
        history = {code: [share] for code, share in shares.items()}
    return RiskShareReport(
        service_line=service_line,
        year=str(year),
        plan=plan,
        outturn=outturn,
        tolerance=tolerance,
        by_capitation=risk_sharing.by_capitation(amount, shares),
        by_usage=risk_sharing.by_historical_usage(amount, history, usage_years),
        comparison=risk_sharing.capitation_against_usage(amount, shares, history, usage_years),
        usage_years=usage_years,
    )


# Clause 9 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause9Row:
    """Finance and activity for the contract in total or for one PCT."""

    id: str
    member: str
    plan_activity: Decimal
    plan_cost: Decimal
    actual_activity_ytd: Decimal
    actual_cost_ytd: Decimal
    forecast_cost: Decimal
    forecast_variance: Decimal
    risk_share_by_capitation: Decimal


@dataclass(frozen=True)
class Clause9Summary:
    contract: str
    year: str
    months_reported: int
    rows: list[Clause9Row]

    def table(self) -> Table:
        headers = [
            "Member",
            "Planned activity",
            "Planned cost",
            "Actual activity to date",
            "Actual cost to date",
            "Forecast outturn",
            "Forecast variance",
            "Variance shared by capitation",
        ]
        return Table(
            title=f"Clause 9 summary {self.contract}",
            subtitle=f"{self.year}, {self.months_reported} months of returns",
            headers=headers,
            rows=[
                [
                    r.member,
                    r.plan_activity,
                    r.plan_cost,
                    r.actual_activity_ytd,
                    r.actual_cost_ytd,
                    r.forecast_cost,
                    r.forecast_variance,
                    r.risk_share_by_capitation,
                ]
                for r in self.rows
            ],
        )


def clause9_summary(database: Database, contract: str) -> Clause9Summary:
    """What the Establishment Agreement asks the SCG to give its members, for one contract."""
    with database.reader() as session:
        year = session.scalar(select(Contract.financial_year).where(Contract.reference == contract))
        if year is None:
            raise InputRejected(f"no contract has the reference '{contract}'")
        return clause9_in(session, MonitoringFilter(year, contract=contract))


def clause9_in(session: Session, flt: MonitoringFilter) -> Clause9Summary:
    """The clause 9 summary for what `flt` selects (one contract, or a whole year)."""
    year = flt.year
    total = position_in(session, flt).total
    by_member = position_in(session, flt, Dimension.COMMISSIONER).rows
    variance = forecast_outturn(total) - total.plan_cost
    shares = {code: share for code, (share, _b) in member_shares_in(session, year).items()}
    split = risk_sharing.apportion(variance, shares) if shares else {}
    rows = [
        Clause9Row(
            "total",
            "Total",
            total.plan_activity,
            total.plan_cost,
            total.actual_activity_ytd,
            total.actual_cost_ytd,
            forecast_outturn(total),
            variance,
            variance,
        )
    ]
    for row in by_member:
        rows.append(
            Clause9Row(
                row.id,
                row.label,
                row.plan_activity,
                row.plan_cost,
                row.actual_activity_ytd,
                row.actual_cost_ytd,
                forecast_outturn(row),
                forecast_outturn(row) - row.plan_cost,
                split.get(row.id, Decimal(0)),
            )
        )
    return Clause9Summary(flt.contract or "all contracts", str(year), total.months_reported, rows)


def export_clause9(database: Database, contract: str, path: str | Path) -> None:
    write_xlsx(clause9_summary(database, contract).table(), path)


def monitoring_table(database: Database, year: FinancialYear) -> Table:
    """Every contract and line of the year: plan, actual, variance and forecasts."""
    rows = []
    for contract in position(database, MonitoringFilter(year)).rows:
        detail = position(
            database, MonitoringFilter(year, contract=contract.label), Dimension.SERVICE_LINE
        )
        for row in [*detail.rows, detail.total]:
            rows.append(
                [
                    contract.label,
                    row.label,
                    row.plan_cost,
                    row.plan_cost_ytd,
                    row.actual_cost_ytd,
                    row.variance_cost,
                    row.variance_percent,
                    row.margin,
                    row.status,
                    row.forecast_cost,
                    row.seasonal_forecast_cost,
                    row.forecast_variance_cost,
                ]
            )
    return Table(
        title=f"Contract monitoring {year}",
        headers=[
            "Contract",
            "Service line",
            "Plan (year)",
            "Plan to date",
            "Actual to date",
            "Variance",
            "Variance %",
            "Margin",
            "Status",
            "Forecast (straight line)",
            "Forecast (seasonal)",
            "Forecast variance",
        ],
        rows=rows,
    )


# Year end -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PctStatement:
    """A member's contribution, its part of the outturn after risk sharing, and the difference."""

    id: str
    member: str
    share: Decimal
    contribution: Decimal
    outturn_share: Decimal
    adjustment: Decimal


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    contract: str
    provider: str
    contract_value: Decimal
    outturn: Decimal
    difference: Decimal


@dataclass(frozen=True)
class YearEnd:
    year: str
    statements: list[PctStatement]
    payments: list[ProviderPayment]
    basis: str = ""  # what the contributions are: the pooled budget, or the contracts' values


def year_end(database: Database, year: FinancialYear, method: str = risk_sharing.Method.CAPITATION,
             usage_years: int = 3) -> YearEnd:  # fmt: skip
    """Each PCT's statement and each provider's payment against its contract value."""
    with database.reader() as session:
        contracts = session.execute(
            select(Contract.reference, Organisation.code, Contract.expected_value)
            .join(Organisation, Organisation.id == Contract.provider_id)
            .where(Contract.financial_year == year, Contract.deleted_at.is_(None))
            .order_by(Contract.reference)
        ).all()
    by_contract = {r.label: r for r in position(database, MonitoringFilter(year)).rows}
    payments = []
    for reference, provider, value in contracts:
        row = by_contract.get(reference)
        outturn = forecast_outturn(row) if row is not None else Decimal(0)
        payments.append(
            ProviderPayment(reference, reference, provider, value, outturn, outturn - value)
        )
    budget = sum((p.contract_value for p in payments), Decimal(0))
    outturn = sum((p.outturn for p in payments), Decimal(0))
    members = member_shares(database, year)
    shares = {code: share for code, (share, _b) in members.items()}
    if not shares:
        return YearEnd(str(year), [], payments)
    from app.services.pooled_budget import pooled_budget

    pool = pooled_budget(database, year)
    if pool is not None:
        # What each member put into the pool is its contribution; the services part of the
        # pool is what the year's outturn is measured against.
        contributions = {c.code: c.amount for c in pool.contributions}
        for code in shares:
            contributions.setdefault(code, Decimal(0))
        budget = pool.uplifted_services
        basis = f"the pooled budget of {pool.group} for {pool.year}"
    else:
        contributions = risk_sharing.apportion(budget, shares)
        basis = "the contracts' values shared by capitation (no pooled budget is set)"
    variance = outturn - budget
    if method == risk_sharing.Method.HISTORICAL_USAGE:
        usage = usage_history(database, year, usage_years)
        history = {code: usage.get(code, [Decimal(0)]) for code in shares}
        adjustments = {
            line.code: line.amount
            for line in risk_sharing.by_historical_usage(variance, history, usage_years).lines
        }
    elif method == risk_sharing.Method.BASELINE_SHARE:
        baselines = {code: baseline for code, (_s, baseline) in members.items()}
        adjustments = {
            line.code: line.amount
            for line in risk_sharing.by_baseline_share(variance, baselines).lines
        }
    else:
        adjustments = risk_sharing.apportion(variance, shares)
    with database.reader() as session:
        names = dict(session.execute(select(Organisation.code, Organisation.name)).all())
    statements = [
        PctStatement(
            code,
            f"{code} {names.get(code, '')}".strip(),
            share,
            contributions[code],
            contributions[code] + adjustments[code],
            adjustments[code],
        )
        for code, share in shares.items()
    ]
    return YearEnd(str(year), statements, payments, basis)


def roll_contracts(database: Database, year: FinancialYear, uplift: Decimal) -> list[str]:
    """Copy the year's contracts into the next as drafts, prices and plans uplifted."""
    if not Decimal(-1) < uplift < Decimal(1):
        raise InputRejected("the uplift is a fraction such as 0.021 for 2.1%")
    factor = 1 + uplift
    created = []
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        following = year + 1
        here = site_code(session)
        for contract in session.scalars(
            select(Contract).where(Contract.financial_year == year, Contract.deleted_at.is_(None))
        ).all():
            base = rolled_reference(session, contract, following)
            if _already_rolled(session, base):
                continue
            reference = f"{base}-{here}"
            copy = Contract(
                id=uuid.uuid4(),
                reference=reference,
                provider_id=contract.provider_id,
                host_id=contract.host_id,
                financial_year=following,
                status=ContractStatus.DRAFT,
                notes=f"Rolled over from {contract.reference} with a {uplift * 100:.1f}% uplift.",
                created_by=user,
                updated_by=user,
            )
            session.add(copy)
            value = Decimal(0)
            for line in contract.lines:
                price = (line.price * factor).quantize(PENNY, rounding=ROUND_HALF_UP)
                new_line = ContractLine(
                    contract=copy,
                    service_line_id=line.service_line_id,
                    point_of_delivery=line.point_of_delivery,
                    price=price,
                    margin=line.margin,
                    created_by=user,
                    updated_by=user,
                )
                session.add(new_line)
                for planned in line.plan:
                    activity = (planned.activity * factor).quantize(PENNY, rounding=ROUND_HALF_UP)
                    session.add(
                        PlannedActivity(
                            line=new_line,
                            month=planned.month,
                            activity=activity,
                            minimum=_uplifted(planned.minimum, factor),
                            maximum=_uplifted(planned.maximum, factor),
                            created_by=user,
                            updated_by=user,
                        )
                    )
                    value += activity * price
            copy.expected_value = value.quantize(PENNY)
            created.append(reference)
    return created


def rolled_reference(session: Session, contract: Contract, following: FinancialYear) -> str:
    """The next year's reference before this copy's site code: the year moved on, and the
    site code of the copy that made the contract taken off (DSCG-2027-RX1-K4Q, rolled on
    the copy Q9B, becomes DSCG-2028-RX1-Q9B)."""
    reference = contract.reference
    creation = creation_of(session.connection(), "contract", str(contract.id))
    if creation is not None and reference.endswith(f"-{site_of(creation[1])}"):
        reference = reference[: -len(site_of(creation[1])) - 1]
    rolled = reference.replace(str(following.start_year - 1), str(following.start_year))
    return rolled if rolled != reference else f"{reference}-{following.start_year}"


def _already_rolled(session: Session, base: str) -> bool:
    """A contract rolled into the year already, here or on another copy (whose site code
    it carries), or typed with the reference itself."""
    pattern = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-___"
    return (
        session.scalar(
            select(Contract.id)
            .where((Contract.reference == base) | Contract.reference.like(pattern, escape="\\"))
            .limit(1)
        )
        is not None
    )


def remove_draft_contracts(database: Database, references: list[str]) -> int:
    """Take away draft contracts made by a roll-over (to undo it); others are left alone."""
    removed = 0
    with database.session() as session:
        require_write(session, Area.CONTRACTS)
        for contract in session.scalars(
            select(Contract).where(
                Contract.reference.in_(references), Contract.status == ContractStatus.DRAFT
            )
        ).all():
            for line in contract.lines:
                for planned in line.plan:
                    session.delete(planned)
                session.delete(line)
            session.flush()
            session.delete(contract)
            removed += 1
    return removed


def _uplifted(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else (value * factor).quantize(PENNY, rounding=ROUND_HALF_UP)


def is_overdue(status: str, financial_year: FinancialYear, as_of: date) -> bool:
    """A contract not agreed by 1 April of its year is overdue."""
    return status == ContractStatus.DRAFT and as_of >= financial_year.starts_on


__all__ = [
    "Clause9Summary",
    "PctStatement",
    "ProviderPayment",
    "RiskShareReport",
    "YearEnd",
    "clause9_summary",
    "export_clause9",
    "is_overdue",
    "monitoring_table",
    "remove_draft_contracts",
    "risk_share",
    "roll_contracts",
    "year_end",
]
