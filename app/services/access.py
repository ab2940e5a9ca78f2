"""Who may change what: every write is checked here, in the service layer, whatever its road in.

Areas of work name what a write touches. A database with no profiles yet is on a single
laptop being set up: its user may do everything until the first profile is added.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import CommissioningError
from app.models.people import Role, UserProfile


class Area:
    DEFINITIONS = "definitions"
    CONTRACTS = "contracts"
    RETURNS = "returns"
    CASE_STUDIES = "case studies"
    DISPUTES = "disputes"
    MEETINGS = "meetings"
    USERS = "users"
    DATABASE = "database"
    SYNC = "sync"  # sending and bringing back changes (conflict choices included)


# The areas each role may change. A viewer changes nothing; administrators change anything.
WRITABLE: dict[str, frozenset[str]] = {
    Role.COMMISSIONER: frozenset(
        {
            Area.DEFINITIONS,
            Area.CONTRACTS,
            Area.RETURNS,
            Area.CASE_STUDIES,
            Area.DISPUTES,
            Area.SYNC,
        }
    ),
    Role.HEAD: frozenset(
        {
            Area.DEFINITIONS,
            Area.CONTRACTS,
            Area.RETURNS,
            Area.CASE_STUDIES,
            Area.DISPUTES,
            Area.MEETINGS,
            Area.SYNC,
        }
    ),
    Role.SECRETARIAT: frozenset({Area.MEETINGS, Area.CASE_STUDIES, Area.SYNC}),
    Role.PANEL_MEMBER: frozenset({Area.DISPUTES, Area.SYNC}),
    Role.VIEWER: frozenset(),
    Role.ADMINISTRATOR: frozenset(
        {
            Area.DEFINITIONS,
            Area.CONTRACTS,
            Area.RETURNS,
            Area.CASE_STUDIES,
            Area.DISPUTES,
            Area.MEETINGS,
            Area.USERS,
            Area.DATABASE,
            Area.SYNC,
        }
    ),
}


class NotPermitted(CommissioningError):
    """The acting user's role does not allow this change; nothing was changed."""

    exit_code = 1


def acting_user(session: Session) -> str:
    return str(session.info.get("user", ""))


def role_of(session: Session, name: str) -> str | None:
    """The user's role; None when the database has profiles but none for this user."""
    profiles = session.scalar(
        select(func.count()).select_from(UserProfile).where(UserProfile.deleted_at.is_(None))
    )
    if not profiles:
        return Role.ADMINISTRATOR
    profile = session.scalars(
        select(UserProfile).where(
            func.lower(UserProfile.name) == name.strip().lower(),
            UserProfile.deleted_at.is_(None),
            UserProfile.active.is_(True),
        )
    ).first()
    return profile.role if profile is not None else None


def can_write(session: Session, area: str) -> bool:
    role = role_of(session, acting_user(session))
    return role is not None and area in WRITABLE.get(role, frozenset())


def require_write(session: Session, area: str) -> str:
    """Refuse the change unless the acting user may change `area`; return the user's name."""
    user = acting_user(session)
    role = role_of(session, user)
    if role is None:
        raise NotPermitted(
            f"'{user}' has no profile in this database, so may not change {area}. "
            "Ask an administrator to add you (commissioning users add NAME --role ROLE)."
        )
    if area not in WRITABLE.get(role, frozenset()):
        raise NotPermitted(
            f"'{user}' is a {Role.TITLES.get(role, role)} and may not change {area}."
        )
    return user
