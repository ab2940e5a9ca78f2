"""A contract's own split of its plan between the member PCTs.

Where monitoring is shown by commissioner, each PCT's part of a contract's plan is its
capitation share, unless the contract sets another split: then each PCT named has its
agreed part, for every line and month of that contract, and PCTs not named have none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.models import Contract, ContractShare, Organisation, Term
from app.models.base import utc_now
from app.services.access import Area, require_write
from app.store.database import Database

# The parts must make a whole to within this (they are kept to six places).
WHOLE_TOLERANCE = Decimal("0.000010")


@dataclass(frozen=True)
class SplitPart:
    commissioner: str  # organisation code
    share: Decimal


@dataclass(frozen=True)
class Member:
    """A PCT that is a member when the contract's year begins, and its capitation share."""

    code: str
    name: str
    capitation_share: Decimal


def members(database: Database, reference: str) -> list[Member]:
    """The PCTs a contract's plan may be split between: the members on 1 April of its year."""
    from app.services.year_end import member_shares_in  # (year end reads monitoring, this)

    with database.reader() as session:
        contract = _contract(session, reference)
        shares = member_shares_in(session, contract.financial_year)
        names = dict(
            session.execute(
                select(Organisation.code, Organisation.name).where(Organisation.code.in_(shares))
            ).all()
        )
        return [Member(code, names[code], share) for code, (share, _baseline) in shares.items()]


def split_of(database: Database, reference: str) -> list[SplitPart]:
    """The contract's own split, by commissioner code; empty where it sets none."""
    with database.reader() as session:
        contract = _contract(session, reference)
        return [
            SplitPart(code, share)
            for code, share in session.execute(
                select(Organisation.code, ContractShare.share)
                .join(Organisation, Organisation.id == ContractShare.commissioner_id)
                .where(ContractShare.contract_id == contract.id, ContractShare.deleted_at.is_(None))
                .order_by(Organisation.code)
            )
        ]


def set_split(database: Database, reference: str, parts: dict[str, Decimal]) -> list[SplitPart]:
    """Set the contract's own split (replacing any it had), or clear it with no parts; give
    back the split it had. The parts must be commissioners and make a whole."""
    before = split_of(database, reference)
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        contract = _contract(session, reference)
        commissioners = _commissioners(session)
        shares: dict[uuid.UUID, Decimal] = {}
        for code, share in parts.items():
            if code.strip() not in commissioners:
                raise InputRejected(f"Share: '{code}' is not a commissioner (a PCT's code)")
            if not Decimal(0) <= share <= Decimal(1):
                raise InputRejected(f"Share: {code}'s part {share} is not between 0 and 1")
            shares[commissioners[code.strip()]] = share
        total = sum(shares.values(), Decimal(0))
        if shares and abs(total - 1) > WHOLE_TOLERANCE:
            raise InputRejected(f"Share: the parts make {total}, not a whole (1)")
        kept = {
            share.commissioner_id: share
            for share in session.scalars(
                select(ContractShare).where(ContractShare.contract_id == contract.id)
            )
        }
        for commissioner_id, record in kept.items():
            if commissioner_id not in shares and record.deleted_at is None:
                record.deleted_at, record.updated_by = utc_now(), user
        for commissioner_id, part in shares.items():
            kept_record = kept.get(commissioner_id)
            if kept_record is None:
                kept_record = ContractShare(
                    contract_id=contract.id, commissioner_id=commissioner_id, created_by=user
                )
                session.add(kept_record)
            kept_record.share, kept_record.deleted_at = part, None
            kept_record.updated_by = user
    return before


Split = dict[uuid.UUID, float]  # commissioner id to share


def splits(session: Session, contract_ids: list[uuid.UUID]) -> dict[uuid.UUID, Split]:
    """The split of each of these contracts that sets one: commissioner id to share."""
    found: dict[uuid.UUID, Split] = {}
    if not contract_ids:
        return found
    for contract_id, commissioner_id, share in session.execute(
        select(ContractShare.contract_id, ContractShare.commissioner_id, ContractShare.share).where(
            ContractShare.contract_id.in_(contract_ids), ContractShare.deleted_at.is_(None)
        )
    ):
        found.setdefault(contract_id, {})[commissioner_id] = float(share)
    return found


def _contract(session: Session, reference: str) -> Contract:
    contract = session.scalars(
        select(Contract).where(Contract.reference == reference, Contract.deleted_at.is_(None))
    ).one_or_none()
    if contract is None:
        raise InputRejected(f"Contract: there is no contract '{reference}'")
    return contract


def _commissioners(session: Session) -> dict[str, uuid.UUID]:
    return dict(
        session.execute(
            select(Organisation.code, Organisation.id)
            .join(Term, Organisation.type_id == Term.id)
            .where(Term.category == "commissioner", Organisation.deleted_at.is_(None))
        ).all()
    )
