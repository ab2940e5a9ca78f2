"""The reference data every new database holds, checked against the review's appendices."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import LineKind, NationalService, ServiceDefinition, ServiceLine, Term, Vocabulary
from app.services.reference_data import glossary

REVIEW = Path(__file__).resolve().parents[2] / "shared" / "sources" / "000_b7b5548654c110d5.txt"

SUB_LINES = (
    [f"1{c}" for c in "abcdef"]
    + [f"8{c}" for c in "abcde"]
    + ["11a", "11b"]
    + [f"13{c}" for c in "abcde"]
    + ["16a", "20a"]
    + [f"22{c}" for c in "abcdefghijklm"]
    + [f"23{c}" for c in "abcdefgh"]
    + ["32a"]
)


def _definitions(database, kind: str) -> list[ServiceDefinition]:
    with database.session() as session:
        return list(
            session.scalars(
                select(ServiceDefinition)
                .join(ServiceLine, ServiceLine.id == ServiceDefinition.service_line_id)
                .where(ServiceLine.kind == kind)
                .order_by(ServiceDefinition.position)
            )
        )


def test_the_35_services_of_the_2002_edition(database) -> None:
    services = _definitions(database, LineKind.SERVICE)
    assert [s.code for s in services] == [str(n) for n in range(1, 36)]
    assert services[0].title == "Specialised cancer services (adult)"
    assert services[22].title == "Specialised services for children"
    assert services[34].title == "Morbid obesity services (all ages)"
    with database.session() as session:
        labels = {session.get(ServiceDefinition, s.id).edition.label for s in services}
    assert labels == {"2002"}
    assert {s.age_group for s in services} == {"adult", "all ages", "children"}


@pytest.mark.skipif(not REVIEW.exists(), reason="the review's text is not beside the project")
def test_service_names_are_spelled_as_appendix_1(database) -> None:
    text = REVIEW.read_text(encoding="utf-8")
    appendix = text[text.index("Appendix 1 List of Specialised") : text.index("Appendix 2\n")]
    expected = re.findall(r"^(\d+)\. (.+)$", appendix, flags=re.MULTILINE)
    assert len(expected) == 35
    services = _definitions(database, LineKind.SERVICE)
    assert [(s.code, s.title) for s in services] == [(n, name.strip()) for n, name in expected]


def test_the_42_sub_lines_of_appendix_4(database) -> None:
    sub_lines = _definitions(database, LineKind.SUB_LINE)
    assert len(sub_lines) == 42
    assert sorted(s.code for s in sub_lines) == sorted(SUB_LINES)
    names = {s.code: s.name for s in sub_lines}
    assert names["1a"] == "Lung"
    assert names["8a"] == "Deep brain stimulation for Parkinson's disease"
    assert names["22e"] == "Medium secure forensic"
    assert names["32a"] == "Cochlear implants"


def test_sub_lines_belong_to_their_service(database) -> None:
    with database.session() as session:
        by_line = {d.service_line_id: d for d in session.scalars(select(ServiceDefinition))}
    for definition in by_line.values():
        if definition.parent_line_id is not None:
            parent = by_line[definition.parent_line_id]
            assert definition.code.startswith(parent.code)
            assert definition.code[len(parent.code) :].isalpha()


def test_additional_services_are_kept_outside_the_35(database) -> None:
    additional = _definitions(database, LineKind.ADDITIONAL)
    assert [a.code for a in additional] == ["36", "36a", "36b", "36c"]
    assert [a.name for a in additional[1:]] == [
        "Metabolic diseases",
        "Photodynamic therapy",
        "Other",
    ]


def test_nationally_commissioned_services_of_appendix_2(database) -> None:
    with database.session() as session:
        national = list(session.scalars(select(NationalService)))
    funded = [n for n in national if n.funded]
    assert len(funded) == 38 and len(national) == 40
    assert sum(n.designated_from_april_2006 for n in funded) == 6
    assert sum(n.being_evaluated for n in funded) == 4
    assert {n.name for n in national if not n.funded} == {
        "Deep brain stimulation for Parkinson's disease service",
        "Pulmonary hypertension service",
    }
    starred = {n.number for n in funded if n.designated_from_april_2006}
    assert starred == {1, 5, 18, 20, 21, 36}


def test_organisation_types_are_an_editable_list(database) -> None:
    with database.session() as session:
        types = list(
            session.scalars(
                select(Term)
                .where(Term.vocabulary == Vocabulary.ORGANISATION_TYPE)
                .order_by(Term.position)
            )
        )
        assert [t.code for t in types] == [
            "PCT",
            "LSCG",
            "SCG",
            "NSSCG",
            "NCG",
            "SHA",
            "NHS_TRUST",
            "NHS_FT",
            "INDEPENDENT",
            "THIRD_SECTOR",
        ]
        session.add(
            Term(vocabulary=Vocabulary.ORGANISATION_TYPE, code="ICB", name="Integrated Care Board")
        )
    with database.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Term)
            .where(Term.vocabulary == Vocabulary.ORGANISATION_TYPE)
        )
        assert count == 11


def test_the_glossary_of_appendix_15() -> None:
    terms = dict(glossary())
    assert len(terms) == 30
    assert terms["SCG"] == "Specialised Commissioning Group"
    assert terms["PbR"] == "Payment by Results"
    assert terms["NSCAG"] == "National Specialist Commissioning Advisory Group"


def test_the_ten_case_studies_of_appendix_5_are_seeded(database) -> None:
    from app.models import CaseStudy

    with database.session() as session:
        topics = [
            c.topic for c in session.scalars(select(CaseStudy).order_by(CaseStudy.created_at))
        ]
    assert len(topics) == 10
    assert set(topics) == {
        "Arbitration",
        "Audit",
        "Entry/Exit of services",
        "National Commissioning",
        "Patient/Public Involvement",
        "Prioritisation",
        "Public Health",
        "Risk Sharing",
        "Quality",
        "Service Review",
    }
