"""A team for the sync benchmark: a server and a laptop, each with 10,000 changes the other lacks.

    python -m bench.sync_team tiny|small|full

The server is a new seeded database; two laptops join it; one (Bob) makes 10,000 changes and
syncs them to the server; the other (Alice) makes 10,000 of her own and keeps them. The
measure then times Alice's sync: 10,000 changes each way. Kept in `bench/data/<scale>/sync/`
(the same at every scale: the budget is set for 10,000 changes).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.data import data_folder
from bench.registry import SCALES

CHANGES = 10_000
SYNC_FORMAT = "1"


def team_folder(scale: str) -> Path:
    return data_folder(scale) / "sync"


def _changes(database, vocabulary: str) -> None:  # type: ignore[no-untyped-def]
    """Half new records, half changes to them: creates and updates both travel."""
    from sqlalchemy import select

    from app.models import Term

    with database.session() as session:
        for number in range(CHANGES // 2):
            session.add(
                Term(vocabulary=vocabulary, code=str(number), name=f"{vocabulary} {number}")
            )
    with database.session() as session:
        for term in session.scalars(select(Term).where(Term.vocabulary == vocabulary)):
            term.name += " (revised)"


def build(scale: str) -> Path:
    folder = team_folder(scale)
    marker = folder / "built"
    if marker.exists() and marker.read_text() == SYNC_FORMAT:
        return folder
    from app.services import sync
    from app.store.database import open_database

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    server = open_database(folder / "server.sqlite", user="server")
    alice = open_database(folder / "alice.sqlite", user="alice")
    bob = open_database(folder / "bob.sqlite", user="bob")
    for laptop in (alice, bob):
        sync.join(laptop, server)
    _changes(bob, "bob")
    sync.sync_with_server(bob, server)
    _changes(alice, "alice")
    for database in (server, alice, bob):
        database.close()
    (folder / "bob.sqlite").unlink()
    marker.write_text(SYNC_FORMAT)
    return folder


if __name__ == "__main__":
    build(SCALES[sys.argv[1] if len(sys.argv) > 1 else "tiny"].name)
