"""Contract monitoring: plan against actual against forecast, XmR charts, drill-down, flags.

Actuals come from the summary tables the import keeps up to date, plans from the contracts'
indicative activity plans (each PCT's part being its capitation share), so nothing here
adds up raw return rows except the drill-down, which asks for them on purpose. Every
function takes plain values and returns plain values: the Contracts tab, the command line
and the meeting reports all call them.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.models import (
    ActivitySummary,
    Contract,
    ContractLine,
    Edition,
    FinancialYear,
    InvestigationStatus,
    LineSummary,
    Membership,
    Organisation,
    OverperformanceInvestigation,
    PlannedActivity,
    ReturnRow,
    ReturnSubmission,
    ServiceDefinition,
    Term,
    Vocabulary,
)
from app.models.financial_year import MONTH_NAMES
from app.models.identifiable import NumberConfirmation, confirm_while_writing
from app.paths import resources_dir
from app.services import contract_split
from app.services.access import Area, require_write
from app.services.spc import XmrChart, xmr
from app.store.database import Database

PENNY = Decimal("0.01")


class Dimension:
    CONTRACT = "contract"
    SERVICE_LINE = "service_line"
    COMMISSIONER = "commissioner"
    POINT_OF_DELIVERY = "point_of_delivery"
    MONTH = "month"
    ALL = (CONTRACT, SERVICE_LINE, COMMISSIONER, POINT_OF_DELIVERY, MONTH)


class Status:
    OVER = "over"
    UNDER = "under"
    WITHIN = "within"
    NO_DATA = "no returns"


@dataclass(frozen=True)
class MonitoringFilter:
    """What the monitoring view is narrowed to; None means all."""

    year: FinancialYear
    contract: str | None = None
    service_line: str | None = None
    commissioner: str | None = None
    point_of_delivery: str | None = None


@dataclass(frozen=True)
class PositionRow:
    """Plan, actual and forecast for one contract, line, commissioner, point or month."""

    id: str
    label: str
    plan_activity: Decimal
    plan_cost: Decimal
    plan_activity_ytd: Decimal
    plan_cost_ytd: Decimal
    actual_activity_ytd: Decimal
    actual_cost_ytd: Decimal
    variance_activity: Decimal
    variance_cost: Decimal
    variance_percent: Decimal | None
    margin: Decimal
    status: str
    forecast_activity: Decimal
    forecast_cost: Decimal
    seasonal_forecast_cost: Decimal | None
    forecast_variance_cost: Decimal
    months_reported: int
    # Where the plan is a range (minimum, maximum), the cost of its bounds to date; else the
    # plan's own cost. Over-performance is beyond the maximum by more than the margin.
    plan_minimum_cost_ytd: Decimal = Decimal("0.00")
    plan_maximum_cost_ytd: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class MonthPoint:
    """One month of the year: plan, actual (None before its return) and cumulative sums."""

    month: int
    label: str
    plan_activity: Decimal
    plan_cost: Decimal
    actual_activity: Decimal | None
    actual_cost: Decimal | None
    cumulative_plan_cost: Decimal
    cumulative_actual_cost: Decimal | None
    cumulative_forecast_cost: Decimal


@dataclass(frozen=True)
class Position:
    """The monitoring view's answer: rows by the chosen dimension, a total and the months."""

    filter: MonitoringFilter
    dimension: str
    rows: list[PositionRow]
    total: PositionRow
    months: list[MonthPoint]
    months_reported: int


def _money(value: float) -> Decimal:
    return Decimal(repr(round(float(value), 2))).quantize(PENNY, rounding=ROUND_HALF_UP)


def _activity(value: float) -> Decimal:
    return _money(value)


@dataclass
class _Names:
    organisations: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    lines: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    line_by_code: dict[str, uuid.UUID] = field(default_factory=dict)
    points: dict[str, str] = field(default_factory=dict)


def _names(session: Session) -> _Names:
    names = _Names()
    for org_id, code, name in session.execute(
        select(Organisation.id, Organisation.code, Organisation.name)
    ):
        names.organisations[org_id] = (code, name)
    for code, line_id, name in session.execute(
        select(ServiceDefinition.code, ServiceDefinition.service_line_id, ServiceDefinition.name)
        .join(Edition)
        .order_by(Edition.published_on.asc().nulls_first(), Edition.label)
    ):
        names.lines[line_id] = (code, name)
        names.line_by_code[code] = line_id
    names.points = dict(
        session.execute(
            select(Term.code, Term.name).where(Term.vocabulary == Vocabulary.POINT_OF_DELIVERY)
        ).all()
    )
    return names


def _successors(session: Session) -> dict[uuid.UUID, uuid.UUID]:
    successor_of = dict(
        session.execute(
            select(Organisation.id, Organisation.successor_id).where(
                Organisation.successor_id.is_not(None)
            )
        ).all()
    )
    final = {}
    for org_id in successor_of:
        target, seen = org_id, {org_id}
        while (following := successor_of.get(target)) is not None and following not in seen:
            target = following
            seen.add(target)
        final[org_id] = target
    return final


def _organisation(session: Session, code: str) -> uuid.UUID:
    found = session.scalar(select(Organisation.id).where(Organisation.code == code))
    if found is None:
        raise InputRejected(f"no organisation has the code '{code}'")
    return found


# The arithmetic is plain Python: the actuals are added up in SQL by the view's dimension and
# month (a few hundred rows, however many returns) and then exactly, as Decimals; the plan (a
# few thousand rows at most) in float64 as before, each sum correctly rounded (math.fsum). The
# figures, to the penny, are those pandas gave (tests/monitoring_reference.py), and without
# pandas the view's worker starts at once and never holds the interpreter for long (that
# import alone kept the GUI thread waiting for most of a second).

Record = dict[str, Any]


def _group_sums(rows: Iterable[Record], key: str, columns: Sequence[str]) -> dict[Any, list[float]]:
    """Each group's sums of `columns` (NaN left out); the groups in order of appearance."""
    values: dict[Any, list[list[float]]] = {}
    for row in rows:
        group = values.get(row[key])
        if group is None:
            group = values[row[key]] = [[] for _ in columns]
        for column, found in zip(columns, group, strict=True):
            value = row[column]
            if value == value:
                found.append(value)

    return {group: [_sum(found) for found in lists] for group, lists in values.items()}


def _sum(values: list[Any]) -> float:
    """Decimals (the actuals) added up exactly, floats (the plan) correctly rounded."""
    if values and isinstance(values[0], Decimal):
        return float(sum(values, Decimal(0)))
    return math.fsum(values)


def _sorted_keys(keys: Iterable[Any]) -> list[Any]:
    return sorted(keys)


def _shares(session: Session, year: FinancialYear) -> list[Record]:
    """Each commissioner's capitation share in each month (merged PCTs under successors),
    by commissioner then month."""
    successors = _successors(session)
    memberships = session.execute(
        select(
            Membership.member_id,
            Membership.effective_from,
            Membership.effective_to,
            Membership.capitation_share,
        ).where(Membership.deleted_at.is_(None))
    ).all()
    records = []
    for month in range(1, 13):
        day = year.month_start(month)
        for member, start, end, share in memberships:
            if start <= day and (end is None or day <= end):
                records.append(
                    {"group": (successors.get(member, member), month), "share": float(share)}
                )
    sums = _group_sums(records, "group", ("share",))
    return [
        {"commissioner_id": commissioner, "month": month, "share": sums[(commissioner, month)][0]}
        for commissioner, month in _sorted_keys(sums)
    ]


def _plan(session: Session, flt: MonitoringFilter, names: _Names) -> list[Record]:
    """The plan by contract line and month, as floats."""
    query = (
        select(
            Contract.reference,
            Contract.provider_id,
            ContractLine.service_line_id,
            ContractLine.point_of_delivery,
            ContractLine.price,
            ContractLine.margin,
            PlannedActivity.month,
            PlannedActivity.activity,
            PlannedActivity.minimum,
            PlannedActivity.maximum,
        )
        .join(ContractLine, ContractLine.contract_id == Contract.id)
        .join(PlannedActivity, PlannedActivity.line_id == ContractLine.id)
        .where(
            Contract.financial_year == flt.year,
            Contract.deleted_at.is_(None),
            ContractLine.deleted_at.is_(None),
            PlannedActivity.deleted_at.is_(None),
        )
    )
    if flt.contract:
        query = query.where(Contract.reference == flt.contract)
    if flt.service_line:
        query = query.where(
            ContractLine.service_line_id == names.line_by_code.get(flt.service_line)
        )
    if flt.point_of_delivery:
        query = query.where(ContractLine.point_of_delivery == flt.point_of_delivery)
    rows = []
    for found in session.execute(query).all():
        reference, provider, line, point = found[:4]
        month = found.month
        price, activity = float(found.price), float(found.activity)
        low = activity if found.minimum is None else float(found.minimum)
        high = activity if found.maximum is None else float(found.maximum)
        rows.append(
            {
                "reference": reference,
                "provider_id": provider,
                "service_line_id": line,
                "point_of_delivery": point,
                "margin": float(found.margin),
                "month": month,
                "index": (month - 4) % 12 + 1,
                "plan_activity": activity,
                "plan_cost": activity * price,
                "plan_minimum_cost": low * price,
                "plan_maximum_cost": high * price,
            }
        )
    return rows


def _by_commissioner(session: Session, plan: list[Record], flt: MonitoringFilter) -> list[Record]:
    """Each PCT's part of the plan: the contract's own split where it sets one, else the
    PCT's capitation share of each line's plan."""
    shares = _shares(session, flt.year)
    wanted = _organisation(session, flt.commissioner) if flt.commissioner else None
    if wanted is not None:
        shares = [s for s in shares if s["commissioner_id"] == wanted]
    by_month: dict[int, list[tuple[uuid.UUID, float]]] = {}
    for share in shares:
        by_month.setdefault(share["month"], []).append((share["commissioner_id"], share["share"]))
    own = _own_splits(session, {row["reference"] for row in plan}, wanted)
    merged = []
    for row in plan:  # each plan row, then its parts in order (a merge on month)
        reference = row["reference"]
        parts = own[reference] if reference in own else by_month.get(row["month"], [])
        for commissioner, part in parts:
            merged.append(
                {
                    **row,
                    "commissioner_id": commissioner,
                    "plan_activity": row["plan_activity"] * part,
                    "plan_cost": row["plan_cost"] * part,
                    "plan_minimum_cost": row["plan_minimum_cost"] * part,
                    "plan_maximum_cost": row["plan_maximum_cost"] * part,
                }
            )
    return merged


def _own_splits(
    session: Session, references: set[str], wanted: uuid.UUID | None
) -> dict[str, list[tuple[uuid.UUID, float]]]:
    """The contracts (of these) that set their own split: each PCT's part (merged PCTs under
    their successors), in order; only the PCT wanted, if one is."""
    ids = dict(
        session.execute(
            select(Contract.id, Contract.reference).where(Contract.reference.in_(references))
        ).all()
    )
    successors = _successors(session)
    found: dict[str, list[tuple[uuid.UUID, float]]] = {}
    for contract_id, split in contract_split.splits(session, list(ids)).items():
        parts: dict[uuid.UUID, float] = {}
        for commissioner, share in split.items():
            final = successors.get(commissioner, commissioner)
            parts[final] = parts.get(final, 0.0) + share
        found[ids[contract_id]] = [
            (commissioner, share)
            for commissioner, share in sorted(parts.items())
            if wanted is None or commissioner == wanted
        ]
    return found


def _actual(
    session: Session,
    flt: MonitoringFilter,
    names: _Names,
    year: FinancialYear,
    by_commissioner: bool,
    key: str,
) -> list[Record]:
    """Actuals from the summary tables, added up in SQL by `key` (a column of the plan's
    records, or "month") and month: at most a few hundred rows, however many returns."""
    table = ActivitySummary if by_commissioner else LineSummary
    groups = {
        "provider_id": table.provider_id,
        "service_line_id": table.service_line_id,
        "point_of_delivery": table.point_of_delivery,
        "commissioner_id": ActivitySummary.commissioner_id,
    }
    keys = [groups[key], table.month] if key in groups else [table.month]
    query = select(
        *keys,
        func.sum(table.actual_activity),
        func.sum(table.actual_cost),
    ).where(table.financial_year == year)
    if flt.contract:
        provider = session.scalar(
            select(Contract.provider_id).where(Contract.reference == flt.contract)
        )
        query = query.where(table.provider_id == provider)
    if flt.service_line:
        query = query.where(table.service_line_id == names.line_by_code.get(flt.service_line))
    if flt.point_of_delivery:
        query = query.where(table.point_of_delivery == flt.point_of_delivery)
    if by_commissioner and flt.commissioner:
        query = query.where(
            ActivitySummary.commissioner_id == _organisation(session, flt.commissioner)
        )
    columns = [key, "month"] if key in groups else ["month"]
    rows = []
    for found in session.execute(query.group_by(*keys)).all():
        row: Record = dict(zip(columns, found[:-2], strict=True))
        # Exact sums (Decimals through the scaled types), added up exactly from here on.
        row["actual_activity"] = math.nan if found[-2] is None else found[-2]
        row["actual_cost"] = math.nan if found[-1] is None else found[-1]
        row["index"] = (row["month"] - 4) % 12 + 1
        rows.append(row)
    return rows


def _dimension_key(dimension: str) -> str:
    return {
        Dimension.CONTRACT: "provider_id",
        Dimension.SERVICE_LINE: "service_line_id",
        Dimension.COMMISSIONER: "commissioner_id",
        Dimension.POINT_OF_DELIVERY: "point_of_delivery",
        Dimension.MONTH: "month",
        "total": "all",
    }[dimension]


def position(
    database: Database, flt: MonitoringFilter, dimension: str = Dimension.CONTRACT
) -> Position:
    """Plan against actual against forecast, by `dimension`, with the year's months."""
    if dimension not in Dimension.ALL:
        raise InputRejected(f"'{dimension}' is not one of {', '.join(Dimension.ALL)}")
    with database.reader() as session:
        return position_in(session, flt, dimension)


def position_in(
    session: Session, flt: MonitoringFilter, dimension: str = Dimension.CONTRACT
) -> Position:
    """`position` within a session the caller holds (reports read several in one)."""
    if dimension not in Dimension.ALL:
        raise InputRejected(f"'{dimension}' is not one of {', '.join(Dimension.ALL)}")
    names = _names(session)
    by_commissioner = dimension == Dimension.COMMISSIONER or bool(flt.commissioner)
    plan = _plan(session, flt, names)
    if by_commissioner:
        plan = _by_commissioner(session, plan, flt)
    key = _dimension_key(dimension)
    actual = _actual(session, flt, names, flt.year, by_commissioner, key)
    previous = _actual(session, flt, names, flt.year - 1, by_commissioner, key)
    references = dict(
        session.execute(
            select(Contract.provider_id, Contract.reference).where(
                Contract.financial_year == flt.year
            )
        ).all()
    )
    reported = max(
        (row["index"] for row in actual if row["actual_activity"] == row["actual_activity"]),
        default=0,
    )
    rows = _rows(plan, actual, previous, reported, dimension, names, references)
    for frame in (plan, actual, previous):
        for row in frame:
            row["all"] = "total"
    total = _rows(plan, actual, previous, reported, "total", names, references)
    total_row = total[0] if total else _empty_row(reported)
    return Position(flt, dimension, rows, total_row, _months(plan, actual, reported), reported)


def _label(dimension: str, value: Any, names: _Names, references: dict) -> tuple[str, str]:
    if dimension == Dimension.CONTRACT:
        code = names.organisations.get(value, ("?", ""))[0]
        return str(value), references.get(value, code)
    if dimension == Dimension.SERVICE_LINE:
        code, name = names.lines.get(value, ("?", ""))
        return code, f"{code} {name}"
    if dimension == Dimension.COMMISSIONER:
        code, name = names.organisations.get(value, ("?", ""))
        return code, f"{code} {name}"
    if dimension == Dimension.POINT_OF_DELIVERY:
        return str(value), f"{value} {names.points.get(str(value), '')}".strip()
    if dimension == Dimension.MONTH:
        index = (int(value) - 4) % 12
        return str(value), MONTH_NAMES[index]
    return "total", "Total"


def _margins(plan: list[Record], key: str) -> dict[Any, float]:
    """Each group's margin: the average of its lines' margins weighted by planned cost."""
    groups: dict[Any, list[Record]] = {}
    for row in plan:
        groups.setdefault(row[key], []).append(row)
    margins = {}
    for group, rows in groups.items():
        costs = [row["plan_cost"] for row in rows]
        margin = [row["margin"] for row in rows]
        weight = math.fsum(costs)
        if weight > 0:
            weighted = [m * c for m, c in zip(margin, costs, strict=True)]
            margins[group] = math.fsum(weighted) / weight
        else:
            margins[group] = math.fsum(margin) / len(margin)
    return margins


def _rows(
    plan: list[Record],
    actual: list[Record],
    previous: list[Record],
    reported: int,
    dimension: str,
    names: _Names,
    references: dict,
) -> list[PositionRow]:
    key = _dimension_key(dimension)
    plan_full = _group_sums(plan, key, ("plan_activity", "plan_cost"))
    plan_ytd = _group_sums(
        (row for row in plan if row["index"] <= reported),
        key,
        ("plan_activity", "plan_cost", "plan_minimum_cost", "plan_maximum_cost"),
    )
    margins = _margins(plan, key)
    actual_sum = _group_sums(actual, key, ("actual_activity", "actual_cost"))
    previous_total = _group_sums(previous, key, ("actual_cost",))
    previous_ytd = _group_sums(
        (row for row in previous if row["index"] <= reported), key, ("actual_cost",)
    )
    keys = list(dict.fromkeys([*_sorted_keys(plan_full), *_sorted_keys(actual_sum)]))
    none = [0.0, 0.0, 0.0, 0.0]
    rows = []
    for value in keys:
        p_act, p_cost = plan_full.get(value, none)[:2]
        y_act, y_cost, y_low, y_high = plan_ytd.get(value, none)
        a_act, a_cost = actual_sum.get(value, none)[:2]
        margin = margins.get(value, 0.03)
        if dimension == Dimension.MONTH:
            f_act, f_cost, seasonal = (
                (a_act, a_cost, None) if a_cost or a_act else (p_act, p_cost, None)
            )
        else:
            f_act = a_act / reported * 12 if reported else p_act
            f_cost = a_cost / reported * 12 if reported else p_cost
            seasonal = None
            before = previous_ytd.get(value, none)[0]
            whole = previous_total.get(value, none)[0]
            if reported and before > 0:
                seasonal = a_cost * whole / before
        variance = a_cost - y_cost
        status = Status.NO_DATA if not reported else Status.WITHIN
        if reported and y_cost > 0:
            # The margin is around the plan, or around the range where the plan is one.
            if a_cost - y_high > y_high * margin:
                status = Status.OVER
            elif y_low - a_cost > y_low * margin:
                status = Status.UNDER
        identity, label = _label(dimension, value, names, references)
        rows.append(
            PositionRow(
                id=identity,
                label=label,
                plan_activity=_activity(p_act),
                plan_cost=_money(p_cost),
                plan_activity_ytd=_activity(y_act),
                plan_cost_ytd=_money(y_cost),
                actual_activity_ytd=_activity(a_act),
                actual_cost_ytd=_money(a_cost),
                variance_activity=_activity(a_act - y_act),
                variance_cost=_money(variance),
                variance_percent=(Decimal(repr(round(variance / y_cost, 4))) if y_cost else None),
                margin=Decimal(repr(round(margin, 6))),
                status=status,
                forecast_activity=_activity(f_act),
                forecast_cost=_money(f_cost),
                seasonal_forecast_cost=None if seasonal is None else _money(seasonal),
                forecast_variance_cost=_money(
                    (seasonal if seasonal is not None else f_cost) - p_cost
                ),
                months_reported=reported,
                plan_minimum_cost_ytd=_money(y_low),
                plan_maximum_cost_ytd=_money(y_high),
            )
        )
    rows.sort(key=lambda r: r.label)
    if dimension == Dimension.MONTH:
        rows.sort(key=lambda r: (int(r.id) - 4) % 12)
    return rows


def _empty_row(reported: int) -> PositionRow:
    zero = Decimal("0.00")
    money = dict.fromkeys(
        ("plan_activity", "plan_cost", "plan_activity_ytd", "plan_cost_ytd",
         "actual_activity_ytd", "actual_cost_ytd", "variance_activity", "variance_cost",
         "forecast_activity", "forecast_cost", "forecast_variance_cost"),
        zero,
    )  # fmt: skip
    return PositionRow(
        id="total",
        label="Total",
        variance_percent=None,
        margin=Decimal("0.03"),
        status=Status.NO_DATA,
        seasonal_forecast_cost=None,
        months_reported=reported,
        **money,
    )


def _months(plan: list[Record], actual: list[Record], reported: int) -> list[MonthPoint]:
    plan_by = _group_sums(plan, "month", ("plan_activity", "plan_cost"))
    actual_by = _group_sums(actual, "month", ("actual_activity", "actual_cost"))
    total_actual = _sum([row["actual_cost"] for row in actual]) if actual else 0.0
    rate = total_actual / reported if reported else 0.0
    points = []
    cumulative_plan = cumulative_actual = cumulative_forecast = 0.0
    for index in range(1, 13):
        month = FinancialYear.calendar_month(index)
        p_act, p_cost = plan_by.get(month, [0.0, 0.0])
        has_actual = index <= reported
        a_act = actual_by.get(month, [0.0, 0.0])[0] if has_actual else None
        a_cost = actual_by.get(month, [0.0, 0.0])[1] if has_actual else None
        cumulative_plan += p_cost
        if a_cost is not None:
            cumulative_actual += a_cost
            cumulative_forecast += a_cost
        else:
            cumulative_forecast += rate
        points.append(
            MonthPoint(
                month=month,
                label=MONTH_NAMES[index - 1],
                plan_activity=_activity(p_act),
                plan_cost=_money(p_cost),
                actual_activity=None if a_act is None else _activity(a_act),
                actual_cost=None if a_cost is None else _money(a_cost),
                cumulative_plan_cost=_money(cumulative_plan),
                cumulative_actual_cost=_money(cumulative_actual) if has_actual else None,
                cumulative_forecast_cost=_money(cumulative_forecast),
            )
        )
    return points


# Statistical process control ------------------------------------------------------------


def monthly_series(database: Database, flt: MonitoringFilter, years: int = 3) -> XmrChart:
    """Actual cost month by month over up to `years` years ending with the filter's year."""
    with database.reader() as session:
        return monthly_series_in(session, flt, years)


def monthly_series_in(
    session: Session, flt: MonitoringFilter, years: int = 3, measure: str = "actual_cost"
) -> XmrChart:
    """`monthly_series` within the caller's session; `measure` is actual_cost or
    actual_activity."""
    values, labels = [], []
    names = _names(session)
    by_commissioner = bool(flt.commissioner)
    for offset in range(years - 1, -1, -1):
        year = flt.year - offset
        rows = _actual(session, flt, names, year, by_commissioner, "month")
        if not rows:
            continue
        by_month = _group_sums(rows, "month", (measure,))
        for index in range(1, 13):
            month = FinancialYear.calendar_month(index)
            if month in by_month:
                values.append(by_month[month][0])
                # "Apr 24": the calendar month, short enough for three years on one axis.
                calendar_year = year.starts_on.year + (1 if index > 9 else 0)
                labels.append(f"{MONTH_NAMES[index - 1]} {calendar_year % 100:02d}")
    return xmr(values, labels)


# Drill-down -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnRowView:
    """A row of a current return, as the provider sent it."""

    id: int
    file_name: str
    received_on: date
    provider: str
    financial_year: str
    month: int
    commissioner: str
    service_line: str
    point_of_delivery: str
    planned_activity: Decimal | None
    actual_activity: Decimal
    price: Decimal | None
    actual_cost: Decimal | None


def drill_down(
    database: Database, flt: MonitoringFilter, month: int | None = None, limit: int = 5000
) -> list[ReturnRowView]:
    """The rows of the current returns that make a total (merged PCTs under successors)."""
    with database.reader() as session:
        names = _names(session)
        query = (
            select(ReturnRow, ReturnSubmission)
            .join(ReturnSubmission, ReturnRow.submission_id == ReturnSubmission.id)
            .where(
                ReturnSubmission.financial_year == flt.year,
                ReturnSubmission.replaced_by_id.is_(None),
                ReturnSubmission.deleted_at.is_(None),
            )
        )
        if month is not None:
            query = query.where(ReturnSubmission.month == month)
        if flt.contract:
            provider = session.scalar(
                select(Contract.provider_id).where(Contract.reference == flt.contract)
            )
            query = query.where(ReturnSubmission.provider_id == provider)
        if flt.service_line:
            query = query.where(
                ReturnRow.service_line_id == names.line_by_code.get(flt.service_line)
            )
        if flt.point_of_delivery:
            query = query.where(ReturnRow.point_of_delivery == flt.point_of_delivery)
        if flt.commissioner:
            wanted = _organisation(session, flt.commissioner)
            successors = _successors(session)
            members = [wanted, *(o for o, s in successors.items() if s == wanted)]
            query = query.where(ReturnRow.commissioner_id.in_(members))
        result = session.execute(query.order_by(ReturnRow.id).limit(limit)).all()
        return [
            ReturnRowView(
                id=row.id,
                file_name=submission.file_name,
                received_on=submission.received_on,
                provider=names.organisations[submission.provider_id][0],
                financial_year=str(submission.financial_year),
                month=submission.month,
                commissioner=names.organisations[row.commissioner_id][0],
                service_line=names.lines.get(row.service_line_id, ("?", ""))[0],
                point_of_delivery=row.point_of_delivery,
                planned_activity=row.planned_activity,
                actual_activity=row.actual_activity,
                price=row.price,
                actual_cost=row.actual_cost,
            )
            for row, submission in result
        ]


# Over-performance -----------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    number: int
    key: str
    text: str


def overperformance_questions() -> list[Question]:
    """The six questions of the 2006 framework (004 C.24-C.31)."""
    data = json.loads(
        (resources_dir() / "reference" / "overperformance_questions.json").read_text()
    )
    return [Question(q["number"], q["key"], q["text"]) for q in data["questions"]]


ROOT_CAUSES = ("primary_care_referrals", "provider_decisions")


@dataclass(frozen=True)
class InvestigationView:
    id: uuid.UUID
    contract: str
    service_line: str
    point_of_delivery: str
    opened_on: date
    variance: Decimal
    answers: dict[str, str]
    root_cause: str
    actions: str
    status: str


def _investigation_view(
    session: Session, record: OverperformanceInvestigation, names: _Names
) -> InvestigationView:
    line = record.line
    return InvestigationView(
        id=record.id,
        contract=line.contract.reference,
        service_line=names.lines.get(line.service_line_id, ("?", ""))[0],
        point_of_delivery=line.point_of_delivery,
        opened_on=record.opened_on,
        variance=record.variance,
        answers=json.loads(record.answers or "{}"),
        root_cause=record.root_cause,
        actions=record.actions,
        status=record.status,
    )


def overperforming_lines(session: Session, year: FinancialYear) -> list[tuple[str, PositionRow]]:
    """(contract reference, service line row) for each line above its plan and margin."""
    over = []
    for contract in position_in(session, MonitoringFilter(year), Dimension.CONTRACT).rows:
        detail = position_in(
            session, MonitoringFilter(year, contract=contract.label), Dimension.SERVICE_LINE
        )
        for row in detail.rows:
            if row.status == Status.OVER:
                over.append((contract.label, row))
    return over


def uninvestigated(
    session: Session, year: FinancialYear
) -> list[tuple[uuid.UUID, str, PositionRow]]:
    """The over-performing lines with no investigation opened: (contract id, reference, row)."""
    names = _names(session)
    found = []
    for reference, row in overperforming_lines(session, year):
        lines = session.execute(
            select(Contract.id, ContractLine.id)
            .join(Contract, Contract.id == ContractLine.contract_id)
            .where(
                Contract.reference == reference,
                ContractLine.service_line_id == names.line_by_code.get(row.id),
                ContractLine.deleted_at.is_(None),
            )
        ).all()
        if not lines:
            continue
        investigated = session.scalar(
            select(func.count())
            .select_from(OverperformanceInvestigation)
            .where(OverperformanceInvestigation.line_id.in_([line for _c, line in lines]))
        )
        if not investigated:
            found.append((lines[0][0], reference, row))
    return found


def flag_overperformance(
    database: Database, year: FinancialYear, as_of: date
) -> list[InvestigationView]:
    """Open an investigation for each line whose actual exceeds plan by more than its margin."""
    with database.reader() as session:
        over = overperforming_lines(session, year)
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        names = _names(session)
        views = []
        for reference, row in over:
            lines = session.scalars(
                select(ContractLine)
                .join(Contract)
                .where(
                    Contract.reference == reference,
                    ContractLine.service_line_id == names.line_by_code[row.id],
                )
            ).all()
            for line in lines:
                record = session.scalar(
                    select(OverperformanceInvestigation).where(
                        OverperformanceInvestigation.line_id == line.id
                    )
                )
                if record is None:
                    record = OverperformanceInvestigation(
                        line=line,
                        opened_on=as_of,
                        month=FinancialYear.calendar_month(max(1, row.months_reported)),
                        variance=row.variance_percent or Decimal(0),
                        created_by=user,
                        updated_by=user,
                    )
                    session.add(record)
                    session.flush()
                views.append(_investigation_view(session, record, names))
        return views


def list_investigations(database: Database) -> list[InvestigationView]:
    with database.reader() as session:
        names = _names(session)
        records = session.scalars(
            select(OverperformanceInvestigation)
            .where(OverperformanceInvestigation.deleted_at.is_(None))
            .order_by(OverperformanceInvestigation.opened_on)
        ).all()
        return [_investigation_view(session, record, names) for record in records]


def record_investigation(
    database: Database,
    investigation_id: uuid.UUID,
    answers: dict[str, str],
    root_cause: str,
    actions: str,
    status: str = InvestigationStatus.OPEN,
    as_of: date | None = None,
    confirmations: Iterable[NumberConfirmation] = (),
) -> InvestigationView:
    """Answer the six questions, name the root cause and the actions agreed (a ten-digit
    number in the actions passes the guard once confirmed as not an NHS number)."""
    keys = {q.key for q in overperformance_questions()}
    problems = [k for k in answers if k not in keys]
    if problems:
        raise InputRejected(f"unknown questions: {', '.join(problems)}")
    if root_cause and root_cause not in ROOT_CAUSES:
        raise InputRejected(f"the root cause must be one of {', '.join(ROOT_CAUSES)}")
    if status not in InvestigationStatus.ALL:
        raise InputRejected(f"the status must be one of {', '.join(InvestigationStatus.ALL)}")
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        confirm_while_writing(session, confirmations)
        record = session.get(OverperformanceInvestigation, investigation_id)
        if record is None:
            raise InputRejected("no such investigation")
        record.answers = json.dumps(answers)
        record.root_cause = root_cause
        record.actions = actions
        record.status = status
        record.closed_on = (as_of or date.today()) if status == InvestigationStatus.CLOSED else None
        record.updated_by = user
        session.flush()
        return _investigation_view(session, record, _names(session))
