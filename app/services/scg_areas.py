"""Which SCG each organisation is in, and which SCGs neighbour each other.

The London SCG process (000 Appendix 5, case study 1) asks for representation from the
neighbouring SCGs, at the facilitated meeting and on the arbitration panel, when a consortium
spans SCGs. To check that, the product must know the SCG of each organisation: an SCG is its
own; a PCT's is the group it is a member of; a trust, an SHA or an LSCG is placed in an SCG's
area (`ScgArea`); an LSCG stands for the SCG it is in. Neighbours are held once per pair.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import InputRejected, NotFound
from app.models import Membership, Organisation, ScgArea, ScgNeighbour
from app.services.access import Area, require_write

SCG = "SCG"
LSCG = "LSCG"
GROUPS = (SCG, LSCG)


def _organisation(session: Session, code: str) -> Organisation:
    organisation = session.scalars(select(Organisation).where(Organisation.code == code)).first()
    if organisation is None:
        raise NotFound(f"There is no organisation with the code {code}.")
    return organisation


def kind_of(organisation: Organisation) -> str:
    """The organisation's type code in capitals (SCG, LSCG, PCT, NHS_TRUST...)."""
    return (organisation.type.code if organisation.type else "").upper()


def place_in_scg(session: Session, organisation_code: str, scg_code: str) -> None:
    """Record that an organisation is in the area of this SCG (or LSCG)."""
    require_write(session, Area.DISPUTES)
    organisation = _organisation(session, organisation_code)
    scg = _organisation(session, scg_code)
    if kind_of(scg) not in GROUPS:
        raise InputRejected(f"{scg.name} is not an SCG or an LSCG.")
    if scg.id == organisation.id:
        raise InputRejected(f"{scg.name} cannot be in its own area.")
    area = session.scalars(
        select(ScgArea).where(ScgArea.organisation_id == organisation.id)
    ).first()
    if area is None:
        session.add(ScgArea(organisation_id=organisation.id, scg_id=scg.id))
    else:
        area.scg_id, area.deleted_at = scg.id, None
    session.flush()


def add_neighbour(session: Session, scg_code: str, neighbour_code: str) -> None:
    """Record that two SCGs border each other (either way round; once is enough)."""
    require_write(session, Area.DISPUTES)
    scg, neighbour = _organisation(session, scg_code), _organisation(session, neighbour_code)
    for group in (scg, neighbour):
        if kind_of(group) != SCG:
            raise InputRejected(f"{group.name} is not an SCG: neighbours are SCGs.")
    if scg.id == neighbour.id:
        raise InputRejected("An SCG does not neighbour itself.")
    if neighbour.id in neighbours_of(session, scg.id):
        return
    session.add(ScgNeighbour(scg_id=scg.id, neighbour_id=neighbour.id))
    session.flush()


def neighbours_of(session: Session, scg_id: uuid.UUID) -> set[uuid.UUID]:
    """The SCGs recorded as bordering this one."""
    rows = session.execute(
        select(ScgNeighbour.scg_id, ScgNeighbour.neighbour_id).where(
            ScgNeighbour.deleted_at.is_(None),
            or_(ScgNeighbour.scg_id == scg_id, ScgNeighbour.neighbour_id == scg_id),
        )
    )
    return {b if a == scg_id else a for a, b in rows}


def scg_of(session: Session, organisation_id: uuid.UUID, on: date) -> uuid.UUID | None:
    """The SCG an organisation belongs to on a day: its own if it is one, else the SCG of the
    area it is placed in or of the group it is a member of (an LSCG leads on to its SCG)."""
    seen: set[uuid.UUID] = set()
    current: uuid.UUID | None = organisation_id
    while current is not None and current not in seen:
        seen.add(current)
        organisation = session.get(Organisation, current)
        if organisation is None:
            return None
        if kind_of(organisation) == SCG:
            return organisation.id
        current = _placed_in(session, current) or _member_of(session, current, on)
    return None


def _placed_in(session: Session, organisation_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalars(
        select(ScgArea.scg_id).where(
            ScgArea.organisation_id == organisation_id, ScgArea.deleted_at.is_(None)
        )
    ).first()


def _member_of(session: Session, organisation_id: uuid.UUID, on: date) -> uuid.UUID | None:
    """The SCG or LSCG a commissioner is a member of on the day."""
    for group_id in session.scalars(
        select(Membership.group_id).where(
            Membership.member_id == organisation_id,
            Membership.deleted_at.is_(None),
            Membership.effective_from <= on,
            or_(Membership.effective_to.is_(None), Membership.effective_to >= on),
        )
    ):
        group = session.get(Organisation, group_id)
        if group is not None and kind_of(group) in GROUPS:
            return group.id
    return None


def name_of(session: Session, organisation_id: uuid.UUID) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation else str(organisation_id)


def areas(session: Session) -> list[tuple[str, str, str, str]]:
    """Each organisation placed in an SCG's area: (code, name, SCG code, SCG name)."""
    rows = []
    for area in session.scalars(select(ScgArea).where(ScgArea.deleted_at.is_(None))):
        organisation = session.get(Organisation, area.organisation_id)
        scg = session.get(Organisation, area.scg_id)
        if organisation is not None and scg is not None:
            rows.append((organisation.code, organisation.name, scg.code, scg.name))
    return sorted(rows)


def neighbour_pairs(session: Session) -> list[tuple[str, str]]:
    """The pairs of SCGs recorded as bordering each other, by code."""
    pairs = []
    for pair in session.scalars(select(ScgNeighbour).where(ScgNeighbour.deleted_at.is_(None))):
        one, other = (
            session.get(Organisation, pair.scg_id),
            session.get(Organisation, pair.neighbour_id),
        )
        if one is not None and other is not None:
            pairs.append(tuple(sorted((one.code, other.code))))
    return sorted(pairs)  # type: ignore[arg-type]
