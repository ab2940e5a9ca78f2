"""Whether a database holds the demo: a light module, so the window can ask at start without
loading the demo's builders (which bring in the returns import and pandas)."""

from __future__ import annotations

from sqlalchemy import select

from app.models import DatabaseFact
from app.store.database import Database
from app.store.peek import DEMO_KEY


def is_demo(database: Database) -> bool:
    """Whether the database was filled with the demo, so its figures are invented."""
    # From the table, not through the mapped class, which would configure every mapper
    # before the window is up.
    facts = DatabaseFact.__table__
    with database.engine.connect() as connection:
        found = connection.execute(select(facts.c.key).where(facts.c.key == DEMO_KEY)).first()
    return found is not None
