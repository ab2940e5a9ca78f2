"""Human references (DSP-2026-007-K4Q) that stay unique when laptops create records offline.

Each copy of the database has a three-character site code, made from its identity when it is
created. A reference carries it after the number, so two laptops that both create their
seventh dispute of 2026 offline make DSP-2026-007-K4Q and DSP-2026-007-Q9B, never a clash, and
no reference has to change when they sync.
"""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DatabaseFact, ReferenceCounter

SITE_CODE = "site_code"


def site_code_for(database_id: uuid.UUID) -> str:
    """Three characters of base32 (A-Z and 2-7: no 0 or 1 to mistake for O or I)."""
    return base64.b32encode(database_id.bytes).decode("ascii")[:3]


def site_code(session: Session) -> str:
    fact = session.get(DatabaseFact, SITE_CODE)
    if fact is None:
        identity = session.get(DatabaseFact, "database_id")
        code = site_code_for(uuid.UUID(identity.value) if identity else uuid.uuid4())
        fact = DatabaseFact(key=SITE_CODE, value=code)
        session.add(fact)
        session.flush()
    return fact.value


def next_reference(session: Session, prefix: str, year: int) -> str:
    """The next reference for `prefix` in `year`, such as DSP-2026-007-K4Q."""
    counter = session.scalars(
        select(ReferenceCounter).where(
            ReferenceCounter.prefix == prefix, ReferenceCounter.year == year
        )
    ).first()
    if counter is None:
        counter = ReferenceCounter(prefix=prefix, year=year, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return f"{prefix}-{year}-{counter.last_number:03d}-{site_code(session)}"
