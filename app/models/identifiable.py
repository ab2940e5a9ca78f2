"""The guard against patient-identifiable data in narrative text, which commissioners may not hold.

Every column made with `narrative_column()` anywhere in the schema is checked on every flush of
every session, so the GUI, the command line, imports and the demo are all guarded alike:
NHS numbers (ten digits, bare or grouped 3-3-4, passing the modulus 11 check), dates of birth
written as such, and full UK postcodes are refused. A ten-digit reference that happens to
pass the check (an invoice number) can be confirmed as "not an NHS number" for one field of
one record; the confirmation is kept, with its reason, who and when. A confirmation can be
given before the record exists (`confirm_while_writing`): whatever writes the record, the
guard keeps the confirmation against the record and field the number is found in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Text, Uuid, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.errors import InputRejected, Problem
from app.models.base import NARRATIVE, Base, Record, utc_now


class Finding:
    """What kind of identifiable data was found."""

    NHS_NUMBER = "NHS number"
    DATE_OF_BIRTH = "date of birth"
    POSTCODE = "postcode"


WHY = {
    Finding.NHS_NUMBER: "it is a ten-digit number that passes the NHS number check (modulus "
    "11); if it is a reference such as an invoice number, confirm it is not an NHS number",
    Finding.DATE_OF_BIRTH: "it is a date of birth",
    Finding.POSTCODE: "it is a full postcode, which can identify a household (the district "
    "alone, such as LS1, is allowed)",
}


@dataclass(frozen=True)
class IdentifiableText:
    """A stretch of text that looks like patient-identifiable data."""

    kind: str
    start: int
    end: int
    text: str

    @property
    def digits(self) -> str:
        return re.sub(r"\D", "", self.text)


# Ten digits bare, or grouped 3-3-4 with the same separator (space or hyphen) twice.
_NHS_NUMBER = re.compile(r"(?<![\d\w])\d{3}([ \-]?)\d{3}\1\d{4}(?![\d\w])")

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"  # 12/03/1961, 12.3.61, 12-03-1961
    r"|\d{4}-\d{2}-\d{2}"  # 1961-03-12
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{2,4}}"  # 12 March 1961
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}})"  # March 12, 1961
)
_DATE_OF_BIRTH = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)"
    rf"\s*(?:[:\-–=]|was|is|of)?\s*{_DATE}",
    re.IGNORECASE,
)
# A full UK postcode (outward and inward code), in capitals as postcodes are written; an
# outward code alone (LS1, SW1A) is a district and allowed.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPS-UW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})\b"
)

_WEIGHTS = range(10, 1, -1)


def passes_modulus_11(digits: str) -> bool:
    """Whether ten digits form a valid NHS number (the check digit is the modulus 11 one)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_identifiable(text: str) -> list[IdentifiableText]:
    """Every stretch of `text` that looks like patient-identifiable data, in order."""
    if not text:
        return []
    found = [
        IdentifiableText(Finding.NHS_NUMBER, m.start(), m.end(), m.group())
        for m in _NHS_NUMBER.finditer(text)
        if passes_modulus_11(re.sub(r"\D", "", m.group()))
    ]
    found += [
        IdentifiableText(Finding.DATE_OF_BIRTH, m.start(), m.end(), m.group())
        for m in _DATE_OF_BIRTH.finditer(text)
    ]
    found += [
        IdentifiableText(Finding.POSTCODE, m.start(), m.end(), m.group())
        for m in _POSTCODE.finditer(text)
    ]
    return sorted(found, key=lambda f: (f.start, f.end))


# ---------------------------------------------------------------------------------------------
# Confirmations and the refusal


class NotAnNhsNumber(Base):
    """A ten-digit reference confirmed, for one field of one record, as not an NHS number."""

    __tablename__ = "not_an_nhs_number"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    record_type: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    field: Mapped[str] = mapped_column(String(60))
    digits: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    confirmed_by: Mapped[str] = mapped_column(String(120), default="")
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


@dataclass(frozen=True)
class NumberConfirmation:
    """The user's word that a ten-digit number found in a field of a kind of record (a table)
    is not an NHS number, and why; given before the record is written, so it also serves
    records that do not exist yet (a new stage, a panel member, an attached document)."""

    record_type: str
    field: str
    digits: str
    reason: str


_CONFIRMING = "not_nhs_numbers_confirming"


def confirm_while_writing(session: Session, confirmations: Iterable[NumberConfirmation]) -> None:
    """Let these numbers through wherever this session writes them in the named field of that
    kind of record; each is kept as a `NotAnNhsNumber` of the record it is found in."""
    pending: dict[tuple[str, str, str], str] = session.info.setdefault(_CONFIRMING, {})
    for confirmation in confirmations:
        digits = re.sub(r"\D", "", confirmation.digits)
        if len(digits) != 10:
            raise InputRejected(f"'{confirmation.digits}' is not a ten-digit number.")
        if not confirmation.reason.strip():
            raise InputRejected(
                f"Say why {confirmation.digits} is not an NHS number (for example, "
                "'invoice number from the trust')."
            )
        pending[(confirmation.record_type, confirmation.field, digits)] = (
            confirmation.reason.strip()
        )


def _confirm_pending(session: Session, refusals: list[Refusal]) -> list[Refusal]:
    """Keep the confirmations given for this session's writing; return what is still refused."""
    pending: dict[tuple[str, str, str], str] = session.info.get(_CONFIRMING, {})
    if not pending:
        return refusals
    left = []
    kept: set[tuple[Any, ...]] = set()
    for refusal in refusals:
        key = (refusal.record_type, refusal.field, refusal.found.digits)
        reason = pending.get(key)
        if refusal.found.kind != Finding.NHS_NUMBER or reason is None or refusal.record_id is None:
            left.append(refusal)
            continue
        if (*key, refusal.record_id) not in kept:
            kept.add((*key, refusal.record_id))
            session.add(
                NotAnNhsNumber(
                    record_type=refusal.record_type,
                    record_id=refusal.record_id,
                    field=refusal.field,
                    digits=refusal.found.digits,
                    reason=reason,
                    confirmed_by=str(session.info.get("user", "")),
                )
            )
    return left


@dataclass(frozen=True)
class Refusal:
    """One refused stretch of one field of one record, located for the editor to highlight."""

    record_type: str
    record_label: str
    record_id: uuid.UUID | None
    field: str
    found: IdentifiableText

    @property
    def message(self) -> str:
        return (
            f"{self.record_label}, {self.field.replace('_', ' ')}: "
            f"'{self.found.text}' at character {self.found.start + 1} looks like "
            f"{'an' if self.found.kind == Finding.NHS_NUMBER else 'a'} {self.found.kind} "
            f"and was refused, because {WHY[self.found.kind]}. Commissioners may not hold "
            "patient-identifiable data."
        )


class IdentifiableDataRefused(InputRejected):
    """Narrative text held what looks like patient-identifiable data; nothing was saved."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        super().__init__([Problem(r.record_type, None, r.field, r.message) for r in refusals])


def narrative_columns() -> list[Column[Any]]:
    """Every narrative column in the whole schema."""
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get(NARRATIVE)
    ]


def _narrative_attributes(instance: object) -> Iterator[str]:
    mapper = inspect(type(instance))
    for attribute in mapper.column_attrs:
        if any(column.info.get(NARRATIVE) for column in attribute.columns):
            yield attribute.key


def _record_label(instance: object) -> str:
    name = type(instance).__name__
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    title = getattr(instance, "reference", "") or getattr(instance, "title", "")
    return f"{words.capitalize()} '{title}'" if title else words.capitalize()


def refusals_for(instance: object, changed_only: bool = False) -> list[Refusal]:
    """What the guard finds in an instance's narrative fields (before confirmations)."""
    state = inspect(instance)
    refusals = []
    for key in _narrative_attributes(instance):
        if changed_only and not state.attrs[key].history.has_changes():
            continue
        value = getattr(instance, key)
        if not isinstance(value, str):
            continue
        for found in find_identifiable(value):
            refusals.append(
                Refusal(
                    record_type=type(instance).__tablename__,  # type: ignore[attr-defined]
                    record_label=_record_label(instance),
                    record_id=getattr(instance, "id", None),
                    field=key,
                    found=found,
                )
            )
    return refusals


def _confirmed(session: Session, refusals: list[Refusal]) -> set[tuple[Any, ...]]:
    """Keys (record type, record id, field, digits) confirmed as not NHS numbers."""
    keys: set[tuple[Any, ...]] = set()
    for pending in session.new:
        if isinstance(pending, NotAnNhsNumber):
            keys.add((pending.record_type, pending.record_id, pending.field, pending.digits))
    ids = {r.record_id for r in refusals if r.record_id is not None}
    if ids:
        with session.no_autoflush:
            rows = session.execute(
                select(
                    NotAnNhsNumber.record_type,
                    NotAnNhsNumber.record_id,
                    NotAnNhsNumber.field,
                    NotAnNhsNumber.digits,
                ).where(NotAnNhsNumber.record_id.in_(ids))
            ).all()
        keys.update(tuple(row) for row in rows)
    return keys


def check_session(session: Session) -> None:
    """Refuse the flush if any new or changed narrative text holds identifiable data."""
    refusals: list[Refusal] = []
    for instance in session.new:
        if isinstance(instance, Record) and instance.id is None:
            # The key is needed now, so a confirmation made for a new record can match it.
            instance.id = uuid.uuid4()
        if isinstance(instance, Base) and not isinstance(instance, NotAnNhsNumber):
            refusals += refusals_for(instance)
    for instance in session.dirty:
        if isinstance(instance, Record) and session.is_modified(instance):
            refusals += refusals_for(instance, changed_only=True)
    if not refusals:
        return
    if any(r.found.kind == Finding.NHS_NUMBER for r in refusals):
        confirmed = _confirmed(session, refusals)
        refusals = [
            r
            for r in refusals
            if r.found.kind != Finding.NHS_NUMBER
            or (r.record_type, r.record_id, r.field, r.found.digits) not in confirmed
        ]
        refusals = _confirm_pending(session, refusals)
    if refusals:
        raise IdentifiableDataRefused(refusals)


@event.listens_for(Session, "before_flush")
def _guard(session: Session, _context: Any, _instances: Any) -> None:
    check_session(session)
