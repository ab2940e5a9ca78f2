"""The identifiable-data guard: NHS numbers, dates of birth and postcodes in narrative text."""

from __future__ import annotations

import pytest
from sqlalchemy import String, Text, select

from app.errors import InputRejected
from app.models import Base, CaseStudy, NotAnNhsNumber
from app.models.identifiable import (
    Finding,
    IdentifiableDataRefused,
    find_identifiable,
    narrative_columns,
    passes_modulus_11,
)
from app.services import case_studies
from app.services.case_studies import CaseStudyInput, Confirmation


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_identifiable(text)]


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("9434765919", True), ("9434765910", False), ("4010232137", True), ("1234567890", False)],
)
def test_the_modulus_11_check(digits: str, valid: bool) -> None:
    assert passes_modulus_11(digits) is valid


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Patient 943 476 5919 was transferred", "943 476 5919"),
        ("Patient 9434765919 was transferred", "9434765919"),
        ("ref 943-476-5919.", "943-476-5919"),
        ("(943 476 5919)", "943 476 5919"),
    ],
)
def test_a_valid_nhs_number_is_found_bare_or_grouped(text: str, found: str) -> None:
    assert kinds(text) == [(Finding.NHS_NUMBER, found)]


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 943 476 5910 was paid",  # fails the check
        "9434765910",
        "94347659190",  # eleven digits: not an NHS number
        "943 4765 919",  # grouped otherwise
        "943 476-5919",  # mixed separators
        "Call 020 7946 0958",
        "£1,234,567,890",
    ],
)
def test_other_numbers_are_not_taken_for_nhs_numbers(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("DOB 12/03/1961", "DOB 12/03/1961"),
        ("d.o.b.: 12.3.61 noted", "d.o.b.: 12.3.61"),
        ("Her date of birth: 12 March 1961.", "date of birth: 12 March 1961"),
        ("born on 3rd April 1958 in Leeds", "born on 3rd April 1958"),
        ("Born March 12, 1961", "Born March 12, 1961"),
        ("date of birth 1961-03-12", "date of birth 1961-03-12"),
    ],
)
def test_a_date_of_birth_written_as_such_is_found(text: str, found: str) -> None:
    assert kinds(text) == [(Finding.DATE_OF_BIRTH, found)]


def test_other_dates_are_allowed() -> None:
    assert kinds("The panel met on 12/03/2026 and the service began 1 April 2004.") == []
    assert kinds("The unit was born of a merger in 2004.") == []


@pytest.mark.parametrize("postcode", ["LS1 4AP", "SW1A 1AA", "M1 1AE", "B33 8TH", "EC1A1BB"])
def test_a_full_postcode_is_found(postcode: str) -> None:
    assert kinds(f"Lives at {postcode}, near the hospital") == [(Finding.POSTCODE, postcode)]


def test_a_postcode_district_alone_is_allowed() -> None:
    assert kinds("Patients from LS1 and SW1A travel to the centre.") == []
    assert kinds("Trust RX5 2nd quarter figures") == []


def _values(**changes: str) -> CaseStudyInput:
    values = CaseStudyInput(title="Bariatric pathway review", topic="Service Review")
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def test_saving_narrative_with_an_nhs_number_is_refused_with_where_and_why(database) -> None:
    text = "The trust queried invoice for patient 943 476 5919 twice."
    with pytest.raises(IdentifiableDataRefused) as caught, database.session() as session:
        case_studies.save_case_study(session, _values(context=text))
    refusal = caught.value.refusals[0]
    assert (refusal.record_type, refusal.field) == ("case_study", "context")
    assert refusal.found.text == "943 476 5919"
    assert text[refusal.found.start : refusal.found.end] == "943 476 5919"
    message = str(caught.value)
    assert "case_study" in message and "context" in message and "943 476 5919" in message
    assert "character 39" in message and "modulus 11" in message
    assert isinstance(caught.value, InputRejected) and caught.value.exit_code == 3
    with database.session() as session:
        assert not session.scalars(select(CaseStudy).where(CaseStudy.title.like("Bari%"))).all()


def test_every_road_in_is_guarded_even_a_plain_orm_write(database) -> None:
    with pytest.raises(IdentifiableDataRefused, match="postcode"), database.session() as session:
        session.add(CaseStudy(title="Direct", learning="Visit at LS1 4AP"))


def test_a_confirmed_invoice_number_is_let_through_for_that_record_only(database) -> None:
    text = "Invoice 9434765919 from the trust was disputed."
    reason = "Invoice number of Brackenford Teaching Hospitals"
    with database.session() as session:
        study_id = case_studies.save_case_study(
            session,
            _values(what_was_done=text),
            confirmations=[Confirmation("what_was_done", "943 476 5919", reason)],
        )
    with database.session() as session:
        confirmation = session.scalars(
            select(NotAnNhsNumber).where(NotAnNhsNumber.record_id == study_id)
        ).one()
        assert (confirmation.field, confirmation.digits) == ("what_was_done", "9434765919")
        assert confirmation.reason == reason and confirmation.confirmed_by == "tester"
        assert confirmation.confirmed_at is not None
    # The same record, edited again: still allowed.
    with database.session() as session:
        values = case_studies.get_case_study(session, study_id).values
        values.what_was_done = text + " It was settled."
        case_studies.save_case_study(session, values, study_id)
    # Another field of the record, or another record, is still refused.
    with pytest.raises(IdentifiableDataRefused), database.session() as session:
        values = case_studies.get_case_study(session, study_id).values
        values.learning = text
        case_studies.save_case_study(session, values, study_id)
    with pytest.raises(IdentifiableDataRefused), database.session() as session:
        case_studies.save_case_study(session, _values(title="Other", what_was_done=text))
    # A different number passing the check in the confirmed field is refused too.
    with pytest.raises(IdentifiableDataRefused), database.session() as session:
        values = case_studies.get_case_study(session, study_id).values
        values.what_was_done = text + " Also 401 023 2137."
        case_studies.save_case_study(session, values, study_id)


def test_a_confirmation_needs_a_reason(database) -> None:
    with pytest.raises(InputRejected, match="Say why"), database.session() as session:
        case_studies.save_case_study(
            session,
            _values(what_was_done="Invoice 9434765919"),
            confirmations=[Confirmation("what_was_done", "9434765919", " ")],
        )


# Long text columns that are deliberately not narrative: contact details and venues, who
# attended a stage, the configured process, the confirmations' own reasons, and the text of the
# National Definitions Set (national documents about services, not about patients). A new long
# text column must be marked narrative or added here on purpose.
NOT_NARRATIVE = {
    "return_column_mapping.headers",  # a file's header row, as JSON
    "return_column_mapping.mapping",  # which header is which field, as JSON
    # Written by the application, not typed: the audit trail's copies of values that were
    # guarded when they were written, and the access log's description of what was opened.
    "access_entry.detail",
    "audit_entry.changes",
    # Sync's conflicts: copies of values checked when they were written, and the app's note;
    # a merged value is checked before it is written to its record (tests/test_sync.py).
    "sync_conflict.mine",
    "sync_conflict.theirs",
    "sync_conflict.note",
    "sync_conflict.resolved_value",
    "organisation.address",
    "dispute_stage.who",
    "dispute_stage_rule.who",
    "not_an_nhs_number.reason",
    "service_definition.activity_cost_comparisons",
    "service_definition.agreed_activity_cost",
    "service_definition.codes_note",
    "service_definition.critical_mass",
    "service_definition.denominator",
    "service_definition.needs_assessment",
    "service_definition.population_served",
    "service_definition.service_model",
    "service_definition.service_purpose",
    "service_definition.standards_outcomes",
    "service_definition.tariff_benchmark",
}


def test_every_text_column_of_the_schema_is_guarded_or_known_not_to_be(
    capsys: pytest.CaptureFixture[str],
) -> None:
    guarded = {f"{c.table.name}.{c.name}" for c in narrative_columns()}
    unguarded_text = sorted(
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Text) and f"{table.name}.{column.name}" not in guarded
    )
    with capsys.disabled():
        print("\nGuarded narrative columns:\n  " + "\n  ".join(sorted(guarded)))
        print("Text columns not guarded:\n  " + "\n  ".join(unguarded_text))
    for name in (
        "case_study.context",
        "case_study.what_was_done",
        "case_study.outcomes",
        "case_study.learning",
        "case_study_outcome.description",
        "dispute.issue",
        "dispute.outcome",
        "dispute.learning",
        "dispute_party.position",
        "dispute_party.submission",
        "dispute_stage.notes",
        "dispute_issue.decision",
        "log_document.text",
    ):
        assert name in guarded
    assert "meeting.venue" not in guarded and "organisation.address" not in guarded
    assert set(unguarded_text) <= NOT_NARRATIVE, "mark new free text narrative_column()"
    assert all(isinstance(c.type, String) for c in narrative_columns())
