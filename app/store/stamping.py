"""Fills in who created or changed a record, for every flush of every session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models.base import Record


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    user = str(session.info.get("user", ""))
    for instance in session.new:
        if isinstance(instance, Record):
            instance.created_by = instance.created_by or user
            instance.updated_by = instance.updated_by or user
    for instance in session.dirty:
        if isinstance(instance, Record) and session.is_modified(instance):
            instance.updated_by = user
