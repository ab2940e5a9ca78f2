"""Whether a database holds the demo: a light module, so the window can ask at start without
loading the demo's builders (which bring in the returns import and pandas)."""

from __future__ import annotations

from app.models import DatabaseFact
from app.store.database import Database

# The fact the demo leaves in the database it fills.
DEMO_KEY = "demo"


def is_demo(database: Database) -> bool:
    """Whether the database was filled with the demo, so its figures are invented."""
    with database.reader() as session:
        return session.get(DatabaseFact, DEMO_KEY) is not None
