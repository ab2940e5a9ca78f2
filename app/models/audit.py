"""The audit trail (who changed what, chained by hashes) and the log of who read what."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utc_now


class Operation:
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ALL = (CREATE, UPDATE, DELETE)


class AuditEntry(Base):
    """One create, change or delete of one record, with each field's old and new value.

    `sequence` rises by one with every entry written in this copy of the database (it orders
    the chain); `database_id` and `origin_sequence` name the copy that made the change and its
    number there, so entries brought in from another laptop by sync keep their origin (sync
    appends them to the local chain with a new `sequence`) and can be told apart.
    `changes` is JSON: {field: [old, new]} with JSON values.
    `record_hash` is the hash of the record's content after the change ("" once it is gone);
    `entry_hash` covers the previous entry's hash, this entry and `record_hash`, so an edit
    to either the trail or an audited record outside the application is found by the check.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_record", "record_id", "sequence"),
        # Sync asks which changes of each copy this one already holds.
        Index("ix_audit_entry_origin", "database_id", "origin_sequence"),
    )

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    database_id: Mapped[str] = mapped_column(String(36))
    origin_sequence: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[str] = mapped_column(String(120))
    operation: Mapped[str] = mapped_column(String(10))
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(36))
    changes: Mapped[str] = mapped_column(Text)
    record_hash: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AccessEntry(Base):
    """Someone opened, exported or printed a confidential record."""

    __tablename__ = "access_entry"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    user: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(60), default="")
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
