"""The SCG's pooled budget for a year: uplifts, management costs and each PCT's contribution.

Each PCT's share is agreed at the outset; in the absence of agreement it is pro rata to its
baseline allocation (000 §86). Members with an agreed share pay that share of the whole;
the others split what is left in proportion to their baselines. Every amount is exact to the
penny and the contributions add up to the budget exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.formatting import format_money, format_percent
from app.models import (
    AgreedShare,
    FinancialYear,
    Membership,
    Organisation,
    PooledBudget,
    PooledBudgetUplift,
    Term,
)
from app.models.identifiable import NumberConfirmation, confirm_while_writing
from app.services.access import Area, require_write
from app.services.risk_sharing import apportion
from app.store.database import Database

PENNY = Decimal("0.01")
SHARE_PLACES = Decimal("0.000001")


class Basis:
    """How a member's contribution was set."""

    AGREED = "agreed share"
    PRO_RATA = "pro rata to baseline"


@dataclass(frozen=True)
class BudgetSettings:
    """What people set: the base, the uplifts, the management costs and the agreed shares."""

    year: FinancialYear
    services_budget: Decimal
    management_costs: Decimal
    uplifts: tuple[tuple[str, Decimal], ...] = ()
    agreed_shares: Mapping[str, Decimal] = field(default_factory=dict)
    notes: str = ""
    group: str = ""


@dataclass(frozen=True)
class UpliftLine:
    name: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Contribution:
    """One member's contribution to the pool and how it was set."""

    code: str
    member: str
    baseline: Decimal
    basis: str
    share: Decimal
    amount: Decimal
    explanation: str


@dataclass(frozen=True)
class PooledBudgetView:
    group: str
    year: str
    settings: BudgetSettings
    uplifts: list[UpliftLine]
    uplifted_services: Decimal
    management_costs: Decimal
    total: Decimal
    contributions: list[Contribution]

    @property
    def explanation(self) -> list[str]:
        base = self.settings.services_budget
        lines = [f"Pooled budget of {self.group} for {self.year}."]
        lines.append(f"Services budget before uplifts: {format_money(base, pence=True)}.")
        for uplift in self.uplifts:
            lines.append(
                f"{uplift.name}: {format_percent(uplift.rate, 2)} of "
                f"{format_money(base, pence=True)} = {format_money(uplift.amount, pence=True)}."
            )
        lines.append(
            f"Services budget after uplifts: {format_money(self.uplifted_services, pence=True)}."
        )
        lines.append(f"Management costs: {format_money(self.management_costs, pence=True)}.")
        lines.append(f"Pooled budget: {format_money(self.total, pence=True)}.")
        lines += [c.explanation for c in self.contributions]
        return lines


def _group(session: Session, code: str | None) -> Organisation:
    """The named group, else the one group that has members."""
    if code:
        found = session.scalar(select(Organisation).where(Organisation.code == code))
        if found is None:
            raise InputRejected(f"no organisation has the code '{code}'")
        return found
    groups = session.scalars(
        select(Organisation)
        .join(Membership, Membership.group_id == Organisation.id)
        .where(Membership.deleted_at.is_(None))
        .distinct()
        .order_by(Organisation.code)
    ).all()
    if not groups:
        raise InputRejected("no commissioning group has members yet: bring the commissioners in")
    if len(groups) > 1:
        codes = ", ".join(g.code for g in groups)
        raise InputRejected(f"several groups have members ({codes}): name the group")
    return groups[0]


def _members(
    session: Session, group: Organisation, year: FinancialYear
) -> dict[str, tuple[str, Decimal]]:
    """Each member on 1 April of the year: its name and baseline allocation."""
    day = year.starts_on
    rows = session.execute(
        select(Organisation.code, Organisation.name, Membership.baseline_allocation)
        .join(Membership, Membership.member_id == Organisation.id)
        .where(
            Membership.group_id == group.id,
            Membership.deleted_at.is_(None),
            Membership.effective_from <= day,
            (Membership.effective_to.is_(None)) | (Membership.effective_to >= day),
        )
        .order_by(Organisation.code)
    ).all()
    return {code: (name, baseline) for code, name, baseline in rows}


def _check(settings: BudgetSettings, members: Mapping[str, tuple[str, Decimal]]) -> None:
    problems = []
    if settings.services_budget < 0:
        problems.append("the services budget cannot be negative")
    if settings.management_costs < 0:
        problems.append("the management costs cannot be negative")
    for name, rate in settings.uplifts:
        if not name.strip():
            problems.append("each uplift needs a name")
        if not Decimal(-1) < rate < Decimal(1):
            problems.append(f"the uplift '{name}' is a fraction such as 0.025 for 2.5%")
    if not members:
        problems.append(f"the group has no members on 1 April {settings.year.start_year}")
    for code, share in settings.agreed_shares.items():
        if code not in members:
            problems.append(f"{code} is not a member on 1 April {settings.year.start_year}")
        if not Decimal(0) < share <= Decimal(1):
            problems.append(f"{code}'s agreed share must be above 0 and at most 1")
        elif share != share.quantize(SHARE_PLACES):
            problems.append(f"{code}'s agreed share has more than 6 decimal places")
    agreed = sum(settings.agreed_shares.values(), Decimal(0))
    others = [code for code in members if code not in settings.agreed_shares]
    if agreed > 1:
        problems.append(f"the agreed shares add up to {agreed}, more than the whole")
    elif others and agreed == 1:
        problems.append(f"the agreed shares leave nothing for {', '.join(others)}")
    elif not others and members and agreed != 1:
        problems.append(f"every member has an agreed share, and they add up to {agreed}, not 1")
    elif others and not sum((members[c][1] for c in others), Decimal(0)):
        problems.append(f"{', '.join(others)} have no baseline allocation to share pro rata")
    if problems:
        raise InputRejected("; ".join(problems))


def work_out(
    group: str, settings: BudgetSettings, members: Mapping[str, tuple[str, Decimal]]
) -> PooledBudgetView:
    """The budget and contributions from the settings and the members (no database)."""
    _check(settings, members)
    base = settings.services_budget
    uplifts = [
        UpliftLine(name, rate, (base * rate).quantize(PENNY, rounding=ROUND_HALF_UP))
        for name, rate in settings.uplifts
    ]
    services = base + sum((u.amount for u in uplifts), Decimal(0))
    total = services + settings.management_costs
    agreed = settings.agreed_shares
    remainder = 1 - sum(agreed.values(), Decimal(0))
    others = {code: baseline for code, (_n, baseline) in members.items() if code not in agreed}
    others_total = sum(others.values(), Decimal(0))
    weights = {
        code: agreed[code] if code in agreed else remainder * others[code] / others_total
        for code in members
    }
    amounts = apportion(total, weights) if total else dict.fromkeys(members, Decimal("0.00"))
    contributions = []
    for code, (name, baseline) in members.items():
        amount = amounts[code]
        if code in agreed:
            basis = Basis.AGREED
            how = f"agreed share {format_percent(agreed[code], 4)}"
        else:
            basis = Basis.PRO_RATA
            how = (
                f"pro rata to baseline: {format_money(baseline)} of {format_money(others_total)}"
                f" × the {format_percent(remainder, 4)} not agreed"
            )
        contributions.append(
            Contribution(
                code,
                f"{code} {name}",
                baseline,
                basis,
                weights[code],
                amount,
                f"{code}: {how} = {format_percent(weights[code], 4)} of "
                f"{format_money(total, pence=True)} = {format_money(amount, pence=True)}",
            )
        )
    return PooledBudgetView(
        group, str(settings.year), settings, uplifts, services, settings.management_costs, total,
        contributions,
    )  # fmt: skip


def budget_settings(
    database: Database, year: FinancialYear, group: str | None = None
) -> BudgetSettings | None:
    """The settings of the year's budget, or None when it has not been set."""
    with database.reader() as session:
        return _settings_in(session, _group(session, group), year)


def _record(session: Session, group: Organisation, year: FinancialYear) -> PooledBudget | None:
    return session.scalar(
        select(PooledBudget).where(
            PooledBudget.group_id == group.id,
            PooledBudget.financial_year == year,
            PooledBudget.deleted_at.is_(None),
        )
    )


def _settings_in(
    session: Session, group: Organisation, year: FinancialYear
) -> BudgetSettings | None:
    record = _record(session, group, year)
    if record is None:
        return None
    return BudgetSettings(
        year=year,
        services_budget=record.services_budget,
        management_costs=record.management_costs,
        uplifts=tuple((u.name, u.rate) for u in record.uplifts if u.deleted_at is None),
        agreed_shares={
            s.member.code: s.share for s in record.agreed_shares if s.deleted_at is None
        },
        notes=record.notes,
        group=group.code,
    )


def pooled_budget(
    database: Database, year: FinancialYear, group: str | None = None
) -> PooledBudgetView | None:
    """The year's budget worked out, or None when it has not been set."""
    with database.reader() as session:
        found = _group(session, group)
        settings = _settings_in(session, found, year)
        if settings is None:
            return None
        return work_out(found.code, settings, _members(session, found, year))


def set_pooled_budget(
    database: Database,
    settings: BudgetSettings,
    confirmations: Sequence[NumberConfirmation] = (),
) -> PooledBudgetView:
    """Create or replace the year's budget; refused whole if any figure is wrong."""
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        confirm_while_writing(session, confirmations)
        group = _group(session, settings.group or None)
        members = _members(session, group, settings.year)
        settings = replace(settings, group=group.code)
        view = work_out(group.code, settings, members)
        record = _record(session, group, settings.year)
        if record is None:
            record = PooledBudget(
                id=uuid.uuid4(), group=group, financial_year=settings.year, created_by=user
            )
            session.add(record)
        else:
            for old in [*record.uplifts, *record.agreed_shares]:
                session.delete(old)
            session.flush()
        record.services_budget = settings.services_budget
        record.management_costs = settings.management_costs
        record.notes = settings.notes
        record.updated_by = user
        for position, (name, rate) in enumerate(settings.uplifts):
            session.add(
                PooledBudgetUplift(budget=record, position=position, name=name.strip(),
                                   rate=rate, created_by=user, updated_by=user)
            )  # fmt: skip
        ids = dict(session.execute(select(Organisation.code, Organisation.id)).all())
        for code, share in settings.agreed_shares.items():
            session.add(
                AgreedShare(budget=record, member_id=ids[code], share=share, created_by=user,
                            updated_by=user)
            )  # fmt: skip
        return view


def remove_pooled_budget(database: Database, year: FinancialYear, group: str | None = None) -> None:
    """Take the year's budget away (to undo its first setting)."""
    with database.session() as session:
        require_write(session, Area.CONTRACTS)
        record = _record(session, _group(session, group), year)
        if record is None:
            return
        for old in [*record.uplifts, *record.agreed_shares]:
            session.delete(old)
        session.delete(record)


def members(
    database: Database, year: FinancialYear, group: str | None = None
) -> list[tuple[str, str]]:
    """Codes and names of the group's members on 1 April of the year."""
    with database.reader() as session:
        found = _members(session, _group(session, group), year)
    return [(code, name) for code, (name, _baseline) in found.items()]


def groups(database: Database) -> list[tuple[str, str]]:
    """Codes and names of the commissioning groups (SCGs and LSCGs)."""
    with database.reader() as session:
        return [
            (code, name)
            for code, name in session.execute(
                select(Organisation.code, Organisation.name)
                .join(Term, Organisation.type_id == Term.id)
                .where(Term.category == "commissioning group")
                .order_by(Organisation.code)
            )
        ]


__all__ = [
    "Basis",
    "BudgetSettings",
    "Contribution",
    "PooledBudgetView",
    "UpliftLine",
    "budget_settings",
    "groups",
    "members",
    "pooled_budget",
    "remove_pooled_budget",
    "set_pooled_budget",
    "work_out",
]
