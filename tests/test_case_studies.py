"""Case studies as records: topics from an editable list, outcomes with units, the review."""

from __future__ import annotations

import pytest

from app.errors import InputRejected
from app.models import Term, Vocabulary
from app.services import case_studies
from app.services.case_studies import CaseStudyInput, OutcomeInput
from app.store.database import Database


def _study(topic: str, **values: object) -> CaseStudyInput:
    return CaseStudyInput(
        title="Risk pool for burns care",
        topic=topic,
        author="Ann Lee",
        measured_outcomes=[OutcomeInput("Spend avoided", "100000", "GBP"),
                           OutcomeInput("Agreement runs", "3", "years")],
        **values,  # type: ignore[arg-type]
    )  # fmt: skip


def test_topics_are_the_ten_of_appendix_5_and_the_list_is_editable(database: Database) -> None:
    with database.session() as session:
        topics = case_studies.topics(session)
        assert len(topics) == 10
        with pytest.raises(InputRejected, match="not a topic of the list"):
            case_studies.save_case_study(session, _study("Telehealth"))
        session.add(
            Term(vocabulary=Vocabulary.CASE_STUDY_TOPIC, code="telehealth", name="Telehealth",
                 position=11)
        )  # fmt: skip
        session.flush()
        study = case_studies.save_case_study(session, _study("Telehealth"))
        assert case_studies.get_case_study(session, study).row.topic == "Telehealth"


def test_outcomes_keep_their_figures_and_units_and_a_review_needs_another_person(
    database: Database,
) -> None:
    with database.session() as session:
        topic = case_studies.topics(session)[0]
        study = case_studies.save_case_study(session, _study(topic))
        detail = case_studies.get_case_study(session, study)
        assert detail.row.status == "draft"
        assert [(o.figure, o.unit) for o in detail.values.measured_outcomes] == [
            ("100000", "GBP"), ("3", "years")
        ]  # fmt: skip
        with pytest.raises(InputRejected, match="needs its reviewer"):
            case_studies.set_status(session, study, "reviewed")
        with pytest.raises(InputRejected, match="must not be the author"):
            case_studies.set_status(session, study, "reviewed", reviewer="Ann Lee")
        case_studies.set_status(session, study, "reviewed", reviewer="Raj Patel")
        case_studies.set_status(session, study, "published")
        row = case_studies.get_case_study(session, study).row
        assert (row.status, row.author, row.reviewer) == ("published", "Ann Lee", "Raj Patel")
        with pytest.raises(InputRejected, match="Status must be one of"):
            case_studies.set_status(session, study, "archived")
