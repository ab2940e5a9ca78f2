"""Points of delivery: the editable list that a return row's and a contract line's point of
delivery comes from (elective, non-elective, day case, outpatients, drugs...).

People add points, rename them and retire them. A retired point stays on the records that
carry it, but a return that names it is refused ("unknown point of delivery"), as is one that
names a point not in the list; restoring it makes it usable again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InputRejected
from app.models import Term, Vocabulary
from app.models.base import utc_now
from app.services.access import Area, require_write
from app.store.database import Database

CODE_LENGTH = 60
NAME_LENGTH = 200


@dataclass(frozen=True)
class PointOfDelivery:
    code: str
    name: str
    retired: bool

    @property
    def status(self) -> str:
        return "retired" if self.retired else "in use"


def list_points(database: Database) -> list[PointOfDelivery]:
    """Every point of delivery, in the list's order; retired ones included, and marked."""
    with database.reader() as session:
        return [
            PointOfDelivery(term.code, term.name, term.retired)
            for term in session.scalars(
                select(Term)
                .where(Term.vocabulary == Vocabulary.POINT_OF_DELIVERY, Term.deleted_at.is_(None))
                .order_by(Term.position, Term.code)
            )
        ]


def add_point(database: Database, code: str, name: str) -> str:
    """Add a point of delivery; give back its code as kept (spaces trimmed)."""
    code, name = _code(code), _name(name)
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        term = _term(session, code, deleted_too=True)
        if term is not None and term.deleted_at is None:
            state = " (retired: restore it instead)" if term.retired else ""
            raise InputRejected(f"Code: '{code}' is already in the list{state}")
        if term is None:
            last = session.scalar(
                select(func.max(Term.position)).where(
                    Term.vocabulary == Vocabulary.POINT_OF_DELIVERY
                )
            )
            term = Term(
                vocabulary=Vocabulary.POINT_OF_DELIVERY,
                code=code,
                position=(last or 0) + 1,
                created_by=user,
            )
            session.add(term)
        term.name, term.retired, term.deleted_at, term.updated_by = name, False, None, user
    return code


def remove_point(database: Database, code: str) -> None:
    """Take a point added by mistake out of the list (what undoing its addition does)."""
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        term = _existing(session, code)
        term.deleted_at, term.updated_by = utc_now(), user


def rename_point(database: Database, code: str, name: str) -> str:
    """Give a point a new name; give back the name it had."""
    name = _name(name)
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        term = _existing(session, code)
        before = term.name
        term.name, term.updated_by = name, user
    return before


def set_retired(database: Database, code: str, retired: bool) -> bool:
    """Retire a point (returns naming it are then refused) or restore it; give back whether
    it was retired before."""
    with database.session() as session:
        user = require_write(session, Area.CONTRACTS)
        term = _existing(session, code)
        before = term.retired
        term.retired, term.updated_by = retired, user
    return before


def _term(session: Session, code: str, deleted_too: bool = False) -> Term | None:
    query = select(Term).where(
        Term.vocabulary == Vocabulary.POINT_OF_DELIVERY, Term.code == code.strip()
    )
    if not deleted_too:
        query = query.where(Term.deleted_at.is_(None))
    return session.scalars(query).one_or_none()


def _existing(session: Session, code: str) -> Term:
    term = _term(session, code)
    if term is None:
        raise InputRejected(f"Code: there is no point of delivery '{code.strip()}'")
    return term


def _code(code: str) -> str:
    code = code.strip()
    if not code:
        raise InputRejected("Code: a code is required, such as EL")
    if len(code) > CODE_LENGTH or any(character.isspace() for character in code):
        raise InputRejected(
            f"Code: '{code}' must be one word of at most {CODE_LENGTH} characters, such as EL"
        )
    return code


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InputRejected("Name: a name is required, such as Elective inpatient")
    if len(name) > NAME_LENGTH:
        raise InputRejected(f"Name: at most {NAME_LENGTH} characters")
    return name
