"""Sync between copies of the database: the conflicts it found, and where each peer stands."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utc_now


class ConflictStatus:
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution:
    MINE = "mine"
    THEIRS = "theirs"
    MERGED = "merged"
    SUPERSEDED = "superseded"  # a later change from elsewhere made both sides agree
    ALL = (MINE, THEIRS, MERGED)


class SyncConflict(Base):
    """The same field changed here and elsewhere since the last sync: never settled silently.

    This copy keeps its own value (`mine`) until someone chooses; `theirs` is kept beside it
    with who made it and when. Not a record: a conflict belongs to the copy that found it and
    does not travel; its resolution travels as an ordinary change.
    """

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_open", "status", "table_name", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[int] = mapped_column(Integer)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))  # "*" when the whole record is at stake
    mine: Mapped[str] = mapped_column(Text)  # JSON
    theirs: Mapped[str] = mapped_column(Text)  # JSON
    my_user: Mapped[str] = mapped_column(String(120), default="")
    my_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    their_user: Mapped[str] = mapped_column(String(120), default="")
    their_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    origin: Mapped[str] = mapped_column(String(36))
    origin_sequence: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ConflictStatus.OPEN)
    resolution: Mapped[str] = mapped_column(String(20), default="")
    resolved_value: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str] = mapped_column(String(120), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
