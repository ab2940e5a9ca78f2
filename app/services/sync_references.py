"""Human references that two copies made alike offline: who keeps one, who is renamed, how.

A contract reference is typed by a person or derived at roll-over, so two laptops working
offline can make the same one. When a copy finds a reference it holds on a second record
(at sync, or on importing a bundle), the rule is the same on every copy, whatever the order
changes arrive in: the record created first keeps the reference; the one created later takes
the reference with the site code of the copy that created it appended
(`DSCG-2027-RX1` becomes `DSCG-2027-RX1-Q9B`). "First" is the creating entry's moment, then
its copy's identity, then the record's id: the same on every copy, since entries travel with
their origin and moment. The renaming is an audited change like any other, so it travels;
a copy that has already renamed, or renamed it since, finds nothing to do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, String, Table, select

from app.services.references import site_code_for
from app.store.audit import AUDIT_TABLE, utc_naive

UNIQUE_REFERENCES: dict[str, str] = {"contract": "reference"}
"""Tables whose human reference must be unique, and its column."""

Creation = tuple[str, str, str]
"""(moment created, creating copy's identity, record id): the earlier sorts first."""


def reference_column(table: Table) -> str | None:
    return UNIQUE_REFERENCES.get(table.name)


def creation_of(connection: Connection, table: str, record_id: str) -> Creation | None:
    """When and where a record was created, by its first audit entry."""
    row = connection.execute(
        select(AUDIT_TABLE.c.at, AUDIT_TABLE.c.database_id)
        .where(AUDIT_TABLE.c.table_name == table, AUDIT_TABLE.c.record_id == record_id)
        .order_by(AUDIT_TABLE.c.sequence)
        .limit(1)
    ).first()
    if row is None:
        return None
    return (moment_text(row.at), str(row.database_id), record_id)


def moment_text(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return utc_naive(moment).isoformat()


def site_of(origin: str) -> str:
    try:
        return site_code_for(uuid.UUID(origin))
    except ValueError:
        return "X"


def suffixed(table: Table, column: str, reference: str, origin: str) -> str:
    """The reference with the creating copy's site code appended, within the column's length."""
    code = site_of(origin)
    kind = table.c[column].type
    length = kind.length if isinstance(kind, String) and kind.length else None
    base = reference if length is None else reference[: length - len(code) - 1]
    return f"{base}-{code}"


def is_clash_renaming(
    table: Table, column: str, old: object, new: object, creation: Creation | None
) -> bool:
    """Whether a change of the reference from `old` to `new` is this rule's own renaming."""
    return (
        creation is not None
        and isinstance(old, str)
        and bool(old)
        and new == suffixed(table, column, old, creation[1])
    )


@dataclass(frozen=True)
class Renaming:
    """A record to rename because its reference is held by a record created before it."""

    record_id: uuid.UUID
    old: str
    new: str

    def message(self, table: Table) -> str:
        kind = table.name.replace("_", " ").capitalize()
        return (
            f"{kind} reference {self.old} had been made on two copies: the later record, "
            f"created on copy {self.new.rsplit('-', 1)[-1]}, is now {self.new}."
        )


def free_reference(connection: Connection, table: Table, column: str, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `-3`... if a third record somehow holds it already."""
    candidate, number = wanted, 1
    while connection.execute(select(table.c.id).where(table.c[column] == candidate)).first():
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate
