"""Opening, exporting or printing a confidential record is itself recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import AccessEntry, Dispute
from app.services.audit import AccessAction, access_log, record_access
from app.services.users import add_user
from app.store.database import Database


def test_opening_exporting_and_printing_are_recorded_with_who_when_and_what(
    demo_database: Database,
) -> None:
    demo_database.user = "ann"
    with demo_database.session() as session:
        add_user(session, "ann", "administrator")
        add_user(session, "vic", "viewer")
        dispute_id = session.scalars(select(Dispute.id).limit(1)).one()
    demo_database.user = "vic"  # reading is no change: a viewer's reading is recorded too
    with demo_database.session() as session:
        record_access(session, dispute_id, AccessAction.OPEN)
        record_access(session, dispute_id, AccessAction.EXPORT, "dispute.xlsx")
        record_access(session, dispute_id, AccessAction.PRINT, "dispute.pdf")
    with demo_database.reader() as session:
        rows = access_log(session, dispute_id)
        everything = access_log(session)
    assert {(row.user, row.action, row.detail) for row in rows} == {
        ("vic", "print", "dispute.pdf"),
        ("vic", "export", "dispute.xlsx"),
        ("vic", "open", ""),
    }
    assert {row.table for row in rows} == {"dispute"}
    assert all(row.at.tzinfo is not None for row in rows)
    assert len(everything) == 3


def test_an_unknown_action_is_a_programming_error(database: Database) -> None:
    with database.session() as session, pytest.raises(ValueError, match="unknown access"):
        record_access(session, "x", "glance")
    with database.reader() as session:
        assert session.scalars(select(AccessEntry)).first() is None
