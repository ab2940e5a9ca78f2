"""The monitoring arithmetic as it was done with pandas, kept as the reference the plain
Python arithmetic of `app.services.monitoring` must equal figure for figure."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    ActivitySummary,
    Contract,
    ContractLine,
    FinancialYear,
    LineSummary,
    Membership,
    PlannedActivity,
)
from app.models.financial_year import MONTH_NAMES
from app.services.monitoring import (
    Dimension,
    InputRejected,
    MonitoringFilter,
    MonthPoint,
    Position,
    PositionRow,
    Status,
    _activity,
    _empty_row,
    _label,
    _money,
    _Names,
    _names,
    _organisation,
    _successors,
)
from app.services.spc import XmrChart, xmr


def _shares(session: Session, year: FinancialYear) -> pd.DataFrame:
    """Each commissioner's capitation share in each month (merged PCTs under successors)."""

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
                records.append((successors.get(member, member), month, float(share)))
    frame = pd.DataFrame(records, columns=["commissioner_id", "month", "share"])
    return frame.groupby(["commissioner_id", "month"], as_index=False)["share"].sum()


def _plan(session: Session, flt: MonitoringFilter, names: _Names) -> pd.DataFrame:
    """The plan by contract line and month (and commissioner, when asked), in float units."""

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
    columns = ["reference", "provider_id", "service_line_id", "point_of_delivery", "price",
               "margin", "month", "plan_activity", "minimum", "maximum"]  # fmt: skip
    frame = pd.DataFrame(session.execute(query).all(), columns=columns)
    frame["price"] = frame["price"].astype("float64")
    frame["margin"] = frame["margin"].astype("float64")
    frame["plan_activity"] = frame["plan_activity"].astype("float64")
    frame["plan_cost"] = frame["plan_activity"] * frame["price"]
    for bound in ("minimum", "maximum"):
        activity = frame[bound].astype("float64").fillna(frame["plan_activity"])
        frame[f"plan_{bound}_cost"] = activity * frame["price"]
    return frame.drop(columns=["minimum", "maximum"])


def _by_commissioner(session: Session, plan: pd.DataFrame, flt: MonitoringFilter) -> pd.DataFrame:
    """Each PCT's part of the plan: its capitation share of each line's plan."""
    shares = _shares(session, flt.year)
    if flt.commissioner:
        wanted = _organisation(session, flt.commissioner)
        shares = shares[shares["commissioner_id"] == wanted]
    merged = plan.merge(shares, on="month")
    merged["plan_activity"] *= merged["share"]
    for column in ("plan_cost", "plan_minimum_cost", "plan_maximum_cost"):
        merged[column] *= merged["share"]
    return merged.drop(columns=["share"])


def _actual(
    session: Session,
    flt: MonitoringFilter,
    names: _Names,
    year: FinancialYear,
    by_commissioner: bool,
) -> pd.DataFrame:
    """Actuals from the summary tables: by provider, line, point, month (and commissioner)."""

    table = ActivitySummary if by_commissioner else LineSummary
    keys = [table.provider_id, table.service_line_id, table.point_of_delivery, table.month]
    if by_commissioner:
        keys.insert(3, ActivitySummary.commissioner_id)
    query = select(
        *keys,
        func.sum(table.actual_activity),
        func.sum(table.actual_cost),
        func.sum(table.row_count),
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
    query = query.group_by(*keys)
    columns = ["provider_id", "service_line_id", "point_of_delivery", "month",
               "actual_activity", "actual_cost", "rows"]  # fmt: skip
    if by_commissioner:
        columns.insert(3, "commissioner_id")
    frame = pd.DataFrame(session.execute(query).all(), columns=columns)
    # The sums come back through the scaled types as Decimals; floats from here on.
    frame["actual_activity"] = frame["actual_activity"].astype("float64")
    frame["actual_cost"] = frame["actual_cost"].astype("float64")
    return frame


def _dimension_key(dimension: str) -> str:
    return {
        Dimension.CONTRACT: "provider_id",
        Dimension.SERVICE_LINE: "service_line_id",
        Dimension.COMMISSIONER: "commissioner_id",
        Dimension.POINT_OF_DELIVERY: "point_of_delivery",
        Dimension.MONTH: "month",
    }[dimension]


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
    actual = _actual(session, flt, names, flt.year, by_commissioner)
    previous = _actual(session, flt, names, flt.year - 1, by_commissioner)
    references = dict(
        session.execute(
            select(Contract.provider_id, Contract.reference).where(
                Contract.financial_year == flt.year
            )
        ).all()
    )
    for frame in (plan, actual, previous):
        frame["index"] = (frame["month"] - 4) % 12 + 1 if len(frame) else []
    reported = (
        int(actual.loc[actual["actual_activity"].notna(), "index"].max() or 0) if len(actual) else 0
    )
    key = _dimension_key(dimension)
    rows = _rows(plan, actual, previous, key, reported, dimension, names, references)
    total = _rows(
        plan.assign(all="total"),
        actual.assign(all="total"),
        previous.assign(all="total"),
        "all",
        reported,
        "total",
        names,
        references,
    )
    total_row = total[0] if total else _empty_row(reported)
    return Position(flt, dimension, rows, total_row, _months(plan, actual, reported), reported)


def _rows(
    plan: pd.DataFrame,
    actual: pd.DataFrame,
    previous: pd.DataFrame,
    key: str,
    reported: int,
    dimension: str,
    names: _Names,
    references: dict,
) -> list[PositionRow]:

    in_ytd = plan["index"] <= reported
    plan_full = plan.groupby(key)[["plan_activity", "plan_cost"]].sum()
    plan_ytd = (
        plan[in_ytd]
        .groupby(key)[["plan_activity", "plan_cost", "plan_minimum_cost", "plan_maximum_cost"]]
        .sum()
    )
    margins = plan.groupby(key).apply(
        lambda g: float(np.average(g["margin"], weights=g["plan_cost"]))
        if g["plan_cost"].sum() > 0
        else float(g["margin"].mean()),
        include_groups=False,
    ) if len(plan) else pd.Series(dtype="float64")  # fmt: skip
    actual_sum = actual.groupby(key)[["actual_activity", "actual_cost"]].sum()
    previous_total = previous.groupby(key)["actual_cost"].sum()
    previous_ytd = previous[previous["index"] <= reported].groupby(key)["actual_cost"].sum()
    keys = list(dict.fromkeys([*plan_full.index, *actual_sum.index]))
    rows = []
    for value in keys:
        p_act = float(plan_full["plan_activity"].get(value, 0.0))
        p_cost = float(plan_full["plan_cost"].get(value, 0.0))
        y_act = float(plan_ytd["plan_activity"].get(value, 0.0))
        y_cost = float(plan_ytd["plan_cost"].get(value, 0.0))
        y_low = float(plan_ytd["plan_minimum_cost"].get(value, 0.0))
        y_high = float(plan_ytd["plan_maximum_cost"].get(value, 0.0))
        a_act = float(actual_sum["actual_activity"].get(value, 0.0))
        a_cost = float(actual_sum["actual_cost"].get(value, 0.0))
        margin = float(margins.get(value, 0.03)) if len(margins) else 0.03
        if dimension == Dimension.MONTH:
            f_act, f_cost, seasonal = (
                (a_act, a_cost, None) if a_cost or a_act else (p_act, p_cost, None)
            )
        else:
            f_act = a_act / reported * 12 if reported else p_act
            f_cost = a_cost / reported * 12 if reported else p_cost
            seasonal = None
            before, whole = previous_ytd.get(value, 0.0), previous_total.get(value, 0.0)
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


def _months(plan: pd.DataFrame, actual: pd.DataFrame, reported: int) -> list[MonthPoint]:
    plan_by = plan.groupby("month")[["plan_activity", "plan_cost"]].sum()
    actual_by = actual.groupby("month")[["actual_activity", "actual_cost"]].sum()
    total_actual = float(actual["actual_cost"].sum()) if len(actual) else 0.0
    rate = total_actual / reported if reported else 0.0
    points = []
    cumulative_plan = cumulative_actual = cumulative_forecast = 0.0
    for index in range(1, 13):
        month = FinancialYear.calendar_month(index)
        p_act = float(plan_by["plan_activity"].get(month, 0.0))
        p_cost = float(plan_by["plan_cost"].get(month, 0.0))
        has_actual = index <= reported
        a_act = float(actual_by["actual_activity"].get(month, 0.0)) if has_actual else None
        a_cost = float(actual_by["actual_cost"].get(month, 0.0)) if has_actual else None
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
        frame = _actual(session, flt, names, year, by_commissioner)
        if frame.empty:
            continue
        by_month = frame.groupby("month")[measure].sum()
        for index in range(1, 13):
            month = FinancialYear.calendar_month(index)
            if month in by_month.index:
                values.append(float(by_month[month]))
                # "Apr 24": the calendar month, short enough for three years on one axis.
                calendar_year = year.starts_on.year + (1 if index > 9 else 0)
                labels.append(f"{MONTH_NAMES[index - 1]} {calendar_year % 100:02d}")
    return xmr(values, labels)
