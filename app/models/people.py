"""The people who use the product: their profiles and roles."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Record


class Role:
    """What a person does in the SCG; it decides what they may change and read."""

    COMMISSIONER = "commissioner"
    HEAD = "head"  # Head of Specialised Commissioning
    SECRETARIAT = "secretariat"
    PANEL_MEMBER = "panel_member"  # arbitration panel member
    VIEWER = "viewer"
    ADMINISTRATOR = "administrator"
    ALL = (COMMISSIONER, HEAD, SECRETARIAT, PANEL_MEMBER, VIEWER, ADMINISTRATOR)
    TITLES = {  # noqa: RUF012
        COMMISSIONER: "Commissioner",
        HEAD: "Head of Specialised Commissioning",
        SECRETARIAT: "SCG secretariat",
        PANEL_MEMBER: "Arbitration panel member",
        VIEWER: "Viewer",
        ADMINISTRATOR: "Administrator",
    }


class UserProfile(Record, Base):
    """A person's profile; the password, if any, is kept only as a salted hash."""

    __tablename__ = "user_profile"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(30))
    # Info "secret": the trail keeps the hash so that sync carries it (never a password);
    # histories show only "password changed".
    password_hash: Mapped[str] = mapped_column(String(300), default="", info={"secret": True})
    active: Mapped[bool] = mapped_column(Boolean, default=True)
