"""People's profiles: adding them, their roles, and their passwords (kept only as scrypt hashes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import CommissioningError, InputRejected, NotFound
from app.models.people import Role, UserProfile
from app.services.access import Area, require_write

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MINIMUM_PASSWORD = 8


class WrongPassword(CommissioningError):
    """The password given does not match the profile's; nothing was done."""

    exit_code = 3


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    name: str
    full_name: str
    organisation: str
    role: str
    role_title: str
    has_password: bool
    active: bool


def hash_password(password: str) -> str:
    """A salted scrypt hash that carries its own parameters: scrypt$N$r$p$salt$key."""
    salt = os.urandom(SALT_BYTES)
    key = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES
    )
    encoded = [base64.b64encode(part).decode() for part in (salt, key)]
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_text, key_text = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, key = base64.b64decode(salt_text), base64.b64decode(key_text)
        candidate = hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(key),
            maxmem=256 * int(n) * int(r) + 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, key)


def _row(profile: UserProfile) -> UserRow:
    return UserRow(
        id=profile.id,
        name=profile.name,
        full_name=profile.full_name,
        organisation=profile.organisation,
        role=profile.role,
        role_title=Role.TITLES.get(profile.role, profile.role),
        has_password=bool(profile.password_hash),
        active=profile.active,
    )


def _check_role(role: str) -> None:
    if role not in Role.ALL:
        raise InputRejected(f"'{role}' is not a role; the roles are: {', '.join(Role.ALL)}.")


def _check_password(password: str | None) -> None:
    if password is not None and len(password) < MINIMUM_PASSWORD:
        raise InputRejected(f"A password needs at least {MINIMUM_PASSWORD} characters.")


def _profile(session: Session, name: str) -> UserProfile:
    profile = session.scalars(
        select(UserProfile).where(
            func.lower(UserProfile.name) == name.strip().lower(),
            UserProfile.deleted_at.is_(None),
        )
    ).first()
    if profile is None:
        raise NotFound(f"There is no user called '{name}'.")
    return profile


def _active_administrators(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(UserProfile)
            .where(
                UserProfile.role == Role.ADMINISTRATOR,
                UserProfile.active.is_(True),
                UserProfile.deleted_at.is_(None),
            )
        )
        or 0
    )


def has_profiles(session: Session) -> bool:
    return bool(
        session.scalar(
            select(func.count()).select_from(UserProfile).where(UserProfile.deleted_at.is_(None))
        )
    )


def add_user(
    session: Session,
    name: str,
    role: str,
    password: str | None = None,
    full_name: str = "",
    organisation: str = "",
) -> UserRow:
    """Add a profile. The first profile of a database must be an administrator's."""
    require_write(session, Area.USERS)
    name = name.strip()
    if not name:
        raise InputRejected("A user needs a name.")
    _check_role(role)
    _check_password(password)
    if not has_profiles(session) and role != Role.ADMINISTRATOR:
        raise InputRejected(
            "The first user of a database must be an administrator "
            f"(--role {Role.ADMINISTRATOR}), or nobody could add the others."
        )
    exists = session.scalar(
        select(func.count())
        .select_from(UserProfile)
        .where(func.lower(UserProfile.name) == name.lower())
    )
    if exists:
        raise InputRejected(f"There is already a user called '{name}'.")
    profile = UserProfile(
        name=name,
        role=role,
        full_name=full_name,
        organisation=organisation,
        password_hash=hash_password(password) if password else "",
        active=True,
    )
    session.add(profile)
    session.flush()
    return _row(profile)


def list_users(session: Session) -> list[UserRow]:
    # Read from the table, not through the mapped class: the start asks "who are you?" with
    # this before the window is up, and the first ORM query configures every mapper.
    table = UserProfile.__table__
    rows = session.execute(
        select(
            table.c.id,
            table.c.name,
            table.c.full_name,
            table.c.organisation,
            table.c.role,
            table.c.password_hash,
            table.c.active,
        )
        .where(table.c.deleted_at.is_(None))
        .order_by(func.lower(table.c.name))
    )
    return [
        UserRow(
            id=row.id,
            name=row.name,
            full_name=row.full_name,
            organisation=row.organisation,
            role=row.role,
            role_title=Role.TITLES.get(row.role, row.role),
            has_password=bool(row.password_hash),
            active=row.active,
        )
        for row in rows
    ]


def set_role(session: Session, name: str, role: str) -> UserRow:
    require_write(session, Area.USERS)
    _check_role(role)
    profile = _profile(session, name)
    if (
        profile.role == Role.ADMINISTRATOR
        and role != Role.ADMINISTRATOR
        and _active_administrators(session) <= 1
    ):
        raise InputRejected(
            f"'{profile.name}' is the last administrator; make someone else an administrator first."
        )
    profile.role = role
    session.flush()
    return _row(profile)


def set_password(session: Session, name: str, password: str | None) -> UserRow:
    """Set (or with None remove) a password: administrators for anyone, people for themselves."""
    profile = _profile(session, name)
    if str(session.info.get("user", "")).lower() != profile.name.lower():
        require_write(session, Area.USERS)
    _check_password(password)
    profile.password_hash = hash_password(password) if password else ""
    session.flush()
    return _row(profile)


def needs_password(session: Session, name: str) -> bool:
    profile = session.scalars(
        select(UserProfile).where(
            func.lower(UserProfile.name) == name.strip().lower(),
            UserProfile.deleted_at.is_(None),
        )
    ).first()
    return profile is not None and bool(profile.password_hash)


def check_password(session: Session, name: str, password: str) -> None:
    """Raise WrongPassword unless `password` is the profile's (or it has none)."""
    profile = _profile(session, name)
    if profile.password_hash and not verify_password(password, profile.password_hash):
        raise WrongPassword(f"The password for '{profile.name}' is not right.")
