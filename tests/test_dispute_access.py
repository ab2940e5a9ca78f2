"""Opening or exporting a confidential dispute is itself recorded in the access log."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.models import Dispute
from app.services import disputes
from app.services.audit import access_log


def test_opening_and_exporting_a_confidential_dispute_is_recorded(
    demo_database, tmp_path: Path
) -> None:
    with demo_database.session() as session:
        dispute = session.scalars(select(Dispute).where(Dispute.confidential.is_(True))).first()
        assert dispute is not None
        disputes.get_dispute(session, dispute.id)
        disputes.export_dispute(session, dispute.id, tmp_path / "dispute.pdf", date(2026, 11, 24))
    with demo_database.session() as session:
        entries = [e for e in access_log(session) if e.record_id == str(dispute.id)]
    assert {e.action for e in entries} >= {"open", "export"}
    assert all(e.user == "tester" for e in entries)
