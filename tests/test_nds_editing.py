"""Editing the Definitions Set: definitions, editions, codes, designations, reviews, planning."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.cli import main
from app.errors import InputRejected
from app.models import FinancialYear, Organisation, ServiceDefinition, Term
from app.services import (
    definition_editing,
    designations,
    editions,
    nds_exchange,
    planning,
    responsibilities,
    service_codes,
)
from app.services.definitions import list_services

TODAY = date(2026, 11, 24)


def line_of(session, code: str, edition: str = "2002"):
    return editions.definition_by_code(
        session, editions._edition(session, edition), code
    ).service_line_id


def test_a_definition_is_edited_under_the_standard_headings(database) -> None:
    assert [title for _, title in definition_editing.headings()][:3] == [
        "Population served",
        "Needs assessment",
        "Service purpose",
    ]
    with database.session() as session:
        line = line_of(session, "10")
        detail = definition_editing.update_definition(
            session,
            line,
            {
                "population_served": "People of all ages with cystic fibrosis",
                "currency": "treatment_for_a_year",
                "tariff_exclusion_reason": "high_variable_cost",
                "alternative_payment": "banded_annual_payment_per_patient",
            },
        )
    assert detail.currency == "treatment_for_a_year"
    with database.session() as session:
        again = definition_editing.get_definition(session, line)
    assert again.population_served == "People of all ages with cystic fibrosis"
    assert again.alternative_payment == "banded_annual_payment_per_patient"


def test_a_bad_edit_names_each_field_and_changes_nothing(database) -> None:
    with database.session() as session:
        line = line_of(session, "10")
    with pytest.raises(InputRejected) as rejected, database.session() as session:
        definition_editing.update_definition(
            session,
            line,
            {"name": " ", "currency": "per bed", "population_served": "changed"},
        )
    message = str(rejected.value)
    assert "name: a service needs a name" in message
    assert "currency: 'per bed' is not one of the listed currencies" in message
    with database.session() as session:
        assert definition_editing.get_definition(session, line).population_served == ""


def test_a_service_in_tariff_has_no_exclusion_reason(database) -> None:
    with database.session() as session:
        problems = definition_editing.problems_with(
            session, {"in_national_tariff": True, "tariff_exclusion_reason": "very_low_volume"}
        )
    assert [p.column for p in problems] == ["in_national_tariff"]


def test_a_new_edition_starts_as_a_copy_and_the_comparison_shows_changes(database) -> None:
    with database.session() as session:
        service_codes.add_code(session, "1a", "ICD-10", "C34")
        editions.create_edition(session, "2026")
        assert editions.compare_editions(session, "2002", "2026") == []
        editions.renumber_service(session, "2026", "22e", "22x")
        editions.retire_service(session, "2026", "36c")
        editions.add_service(session, "2026", "37", "Specialised proton beam therapy", "all ages")
        line = line_of(session, "10", "2026")
        definition_editing.update_definition(
            session, line, {"service_purpose": "Lifelong care"}, edition="2026"
        )
        service_codes.add_code(session, "1a", "ICD-10", "C34.1", edition="2026")
        differences = editions.compare_editions(session, "2002", "2026")
        renumbered = line_of(session, "22e")
        assert line_of(session, "22x", "2026") == renumbered  # the identity stays
    summary = {(d.code_a, d.code_b, d.change, d.field) for d in differences}
    assert ("22e", "22x", "changed", "Number") in summary
    assert ("36c", "36c", "changed", "Retired") in summary
    assert ("", "37", "added", "") in summary
    assert ("10", "10", "changed", "Service purpose") in summary
    codes = next(d for d in differences if d.field == "Codes")
    assert (codes.value_a, codes.value_b) == ("ICD-10 C34", "ICD-10 C34, ICD-10 C34.1")
    with database.session() as session:
        backwards = editions.compare_editions(session, "2026", "2002")
    assert ("", "", "removed", "") not in {
        (d.code_a, d.code_b, d.change, d.field) for d in backwards
    }
    assert any(d.change == "removed" and d.code_a == "37" for d in backwards)


def test_edition_labels_and_numbers_must_be_free(database) -> None:
    with database.session() as session:
        with pytest.raises(InputRejected, match="already an edition"):
            editions.create_edition(session, "2002")
        with pytest.raises(InputRejected, match="already used"):
            editions.renumber_service(session, "2002", "1a", "1b")


def test_the_comparison_is_exported(tmp_path: Path, capsys, database) -> None:
    with database.session() as session:
        editions.create_edition(session, "2026")
        editions.renumber_service(session, "2026", "22e", "22x")
    database.close()
    out = tmp_path / "diff.xlsx"
    assert (
        main(
            [
                "nds",
                "diff",
                "2002",
                "2026",
                "--out",
                str(out),
                "--db",
                (str(database.path) if database.path else database.url.render_as_string(False)),
            ]
        )
        == 0
    )
    sheet = load_workbook(out).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:2] == ["22e", "22x"] or any(r[:2] == ["22e", "22x"] for r in rows)


def test_codes_are_imported_all_or_nothing_with_row_numbers(database, tmp_path: Path) -> None:
    good = tmp_path / "lung.csv"
    good.write_text(
        "Scheme,Code,Description\nICD-10,C34,Lung\nICD-10,c34.1,Upper lobe\n"
        "OPCS-4,E54.1,Lobectomy\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("Scheme,Code\nICD-10,C34.9\nICD-10,C3\nSNOMED,123\nICD-10,C34.9\n")
    with pytest.raises(InputRejected) as rejected, database.session() as session:
        service_codes.import_codes(session, bad, "1a")
    assert str(rejected.value).splitlines() == [
        "bad.csv:3:Code: 'C3' is not an ICD-10 code (like C34 or C34.1)",
        "bad.csv:4:Scheme: 'SNOMED' is not a scheme: use ICD-10 or OPCS-4",
        "bad.csv:5:Code: duplicate of row 2: ICD-10 C34.9",
    ]
    with database.session() as session:
        assert service_codes.codes_of(session, "1a") == []
        assert service_codes.import_codes(session, good, "1a") == 3
        assert [c.code for c in service_codes.codes_of(session, "1a")] == ["C34", "C34.1", "E54.1"]


def test_codes_import_from_xlsx_names_the_sheet(database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Codes"
    sheet.append(["Scheme", "Code"])
    sheet.append(["OPCS-4", "K40.12"])
    path = tmp_path / "cardiac.xlsx"
    book.save(path)
    with pytest.raises(InputRejected) as rejected, database.session() as session:
        service_codes.import_codes(session, path, "13")
    assert str(rejected.value) == (
        "cardiac.xlsx[Codes]:2:Code: 'K40.12' is not an OPCS-4 code (like K40 or K40.1)"
    )


def test_which_services_a_code_belongs_to(database) -> None:
    with database.session() as session:
        service_codes.add_code(session, "1a", "ICD-10", "C34")
        service_codes.add_code(session, "13b", "OPCS-4", "K59.1")
        assert [m.service_code for m in service_codes.find_code(session, "C34.1")] == ["1a"]
        assert [m.service_code for m in service_codes.find_code(session, "c34")] == ["1a"]
        assert [m.service_code for m in service_codes.find_code(session, "K59")] == ["13b"]
        assert service_codes.find_code(session, "K60") == []


def _provider(session, code: str = "RX9") -> str:
    trust = session.scalars(select(Term).where(Term.code == "NHS_TRUST")).one()
    session.add(Organisation(code=code, name="Northgate NHS Trust", type=trust))
    session.flush()
    return code


def test_a_designation_is_refused_beyond_five_years(database) -> None:
    with database.session() as session:
        line = line_of(session, "9")
        code = _provider(session)
        with pytest.raises(InputRejected, match="must end by 31 Mar 2031"):
            designations.designate(session, line, code, date(2026, 4, 1), date(2031, 4, 1))
        designation = designations.designate(
            session, line, code, date(2026, 4, 1), date(2031, 3, 31)
        )
        designations.set_criterion(session, designation, 2, True, "Service description agreed")
        criteria = designations.criteria_of(session, designation)
    assert len(criteria) == 6 and criteria[1].met and criteria[1].evidence.startswith("Service")
    assert criteria[0].text.startswith("Ability to produce monitoring data")


def test_designations_ending_within_a_year_and_undesignated_providers_are_flagged(
    demo_database,
) -> None:
    with demo_database.session() as session:
        flags = designations.designation_flags(session, TODAY)
    ending = [f for f in flags if f.due is not None]
    assert ending and all(TODAY <= f.due <= date(2027, 11, 24) for f in ending)
    assert any("not designated" in f.reason for f in flags)


def test_reviews_and_the_five_year_flag(database) -> None:
    with database.session() as session:
        line = line_of(session, "9")
        before = {f.code for f in designations.services_needing_review(session, TODAY)}
        assert "9" in before and len(before) == 35
        with pytest.raises(InputRejected, match="needs its date"):
            designations.record_review(session, line, "Full Service Review", "completed")
        designations.record_review(
            session,
            line,
            "Full Service Review",
            "completed",
            "A. Lead",
            date(2022, 1, 10),
            date(2022, 6, 30),
            "Two centres",
        )
        after = {f.code for f in designations.services_needing_review(session, TODAY)}
        assert "9" not in after
        assert [r.kind for r in designations.reviews_of(session, line)] == ["Full Service Review"]


def test_the_work_programme_records_a_focus_and_criteria(database) -> None:
    year = FinancialYear(2026)
    with database.session() as session:
        line = line_of(session, "14")
        planning.set_work_programme(session, year, line, 2, [4, 1, 4])
        row = planning.work_programme(session, year)[line]
        assert (row.category, row.criteria) == ("Service Review", "1,4")
        with pytest.raises(InputRejected, match="not a category"):
            planning.set_work_programme(session, year, line, 5, [])
    assert len(planning.work_criteria()) == 9
    assert planning.work_categories() == [
        "Service Designation",
        "Service Review",
        "Developing Contestability and Benchmarking",
        "Routine Contract Management",
    ]


def test_cost_pressures_are_scored_ranked_and_grouped(database) -> None:
    year = FinancialYear(2026)
    keys = [key for key, _ in planning.impact_categories()]
    headings = [key for key, _ in planning.pressure_headings()]
    with database.session() as session:
        planning.save_cost_pressure(
            session,
            year,
            "Growth in HIV drugs",
            headings[3],
            dict.fromkeys(keys, "D"),
            Decimal("250000"),
        )
        planning.save_cost_pressure(
            session, year, "New PET-CT", headings[0], dict(zip(keys, "ABABABAB", strict=True))
        )
        ranked = planning.ranked_pressures(session, year)
        assert [(p.rank, p.title, p.total) for p in ranked] == [
            (1, "Growth in HIV drugs", Decimal("32.00")),
            (2, "New PET-CT", Decimal("12.00")),
        ]
        assert ranked[1].working == "1 + 2 + 1 + 2 + 1 + 2 + 1 + 2 = 12.00"
        planning.set_a_scores_highest(session, True)
        planning.set_weight(session, "legal", Decimal(3))
        ranked = planning.ranked_pressures(session, year)
        assert ranked[0].title == "New PET-CT" and ranked[0].total == Decimal("28.80")
        grouped = dict(planning.pressures_by_heading(session, year))
        assert len(grouped) == 5
        with pytest.raises(InputRejected, match="choose a level"):
            planning.save_cost_pressure(session, year, "Half scored", headings[0], {"legal": "A"})


def test_who_commissions_what_keeps_its_history(demo_database) -> None:
    with demo_database.session() as session:
        line = line_of(session, "9")
        before = responsibilities.history(session, line)
        responsibilities.change_responsibility(
            session,
            line,
            "DSCG",
            "New Lead",
            "new.lead@example.org",
            date(2026, 12, 1),
            "Lead moved to the new network",
        )
        after = responsibilities.history(session, line)
        with pytest.raises(InputRejected, match="say why"):
            responsibilities.change_responsibility(
                session, line, "DSCG", "X", "", date(2027, 1, 1), " "
            )
    assert len(after) == len(before) + 1
    assert after[0].lead_commissioner == "New Lead" and after[0].effective_to is None
    assert after[1].effective_to == date(2026, 11, 30)
    with demo_database.session() as session:
        rows = {r.code: r for r in list_services(session, None, date(2026, 12, 2))}
    assert rows["9"].lead_commissioner == "New Lead"


def test_a_change_of_responsibility_is_taken_back_latest_first_and_made_again(
    demo_database,
) -> None:
    def change(session, lead: str, day: date) -> responsibilities.ResponsibilityChange:
        return responsibilities.change_responsibility(
            session, line_of(session, "9"), "DSCG", lead, "", day, "New network"
        )

    with demo_database.session() as session:
        line = line_of(session, "9")
        original = responsibilities.history(session, line)
        first = change(session, "First Lead", date(2026, 12, 1))
        second = change(session, "Second Lead", date(2027, 1, 1))
        both = responsibilities.history(session, line)
        with pytest.raises(InputRejected, match="take that back first"):
            responsibilities.cancel_change(session, first)
        responsibilities.cancel_change(session, second)
        assert responsibilities.history(session, line)[0].lead_commissioner == "First Lead"
        assert responsibilities.history(session, line)[0].effective_to is None
        responsibilities.cancel_change(session, first)
        assert responsibilities.history(session, line) == original
        responsibilities.reinstate_change(session, first)
        responsibilities.reinstate_change(session, second)
        assert responsibilities.history(session, line) == both
        with pytest.raises(InputRejected, match="changed since"):
            responsibilities.reinstate_change(session, first)


def test_a_review_links_only_to_a_decision_recorded_in_a_meeting(demo_database) -> None:
    import uuid

    with demo_database.session() as session:
        line = line_of(session, "4")
        with pytest.raises(InputRejected, match="no such decision"):
            designations.record_review(
                session, line, "Full Service Review", "planned", decision_id=uuid.uuid4()
            )
        decision = designations.decision_choices(session)[-1]
        review = designations.record_review(
            session, line, "Full Service Review", "planned", decision_id=decision.id
        )
        (row,) = designations.reviews_of(session, line)
        assert (row.id, row.decision_id, row.decision) == (review, decision.id, decision.label)
        designations.delete_review(session, review)
        assert designations.reviews_of(session, line) == []
        designations.restore_review(session, review)
        assert designations.reviews_of(session, line) == [row]


def test_a_designation_is_deleted_and_restored_with_its_criteria(database) -> None:
    with database.session() as session:
        line = line_of(session, "9")
        designation = designations.designate(
            session, line, _provider(session), date(2026, 4, 1), date(2031, 3, 31)
        )
        designations.set_criteria(session, designation, [(True, "Evidence")] * 6)
        criteria = designations.criteria_of(session, designation)
        designations.delete_designation(session, designation)
        assert designations.designations_of(session, line, TODAY) == []
        assert not any(c.met for c in designations.criteria_of(session, designation))
        designations.restore_designation(session, designation)
        assert designations.criteria_of(session, designation) == criteria
        assert [d.id for d in designations.designations_of(session, line, TODAY)] == [designation]
        with pytest.raises(InputRejected, match="all 6 criteria"):
            designations.set_criteria(session, designation, [(True, "")])


def test_the_whole_set_round_trips_through_xlsx(demo_database, tmp_path: Path) -> None:
    path = tmp_path / "nds.xlsx"
    with demo_database.session() as session:
        service_codes.add_code(session, "1a", "ICD-10", "C34.2")
        planning.set_work_programme(session, FinancialYear(2026), line_of(session, "14"), 2, [1])
        nds_exchange.export_workbook(session, path)
        versions = {d.id: d.version for d in session.scalars(select(ServiceDefinition))}
    assert load_workbook(path).sheetnames == [
        "Definitions",
        "Codes",
        "Designations",
        "Reviews",
        "Work programme",
        "Commissioners",
    ]
    with demo_database.session() as session:
        plan = nds_exchange.import_workbook(session, path)
        assert (plan.changed, plan.added) == (0, 0)
        assert versions == {d.id: d.version for d in session.scalars(select(ServiceDefinition))}
    again = tmp_path / "again.xlsx"
    with demo_database.session() as session:
        nds_exchange.export_workbook(session, again)
    first = [[c.value for c in r] for s in load_workbook(path) for r in s.iter_rows()]
    second = [[c.value for c in r] for s in load_workbook(again) for r in s.iter_rows()]
    assert first == second


def test_an_import_reports_every_problem_by_sheet_row_and_column(
    demo_database, tmp_path: Path
) -> None:
    path = tmp_path / "nds.xlsx"
    with demo_database.session() as session:
        nds_exchange.export_workbook(session, path)
    book = load_workbook(path)
    designations_sheet = book["Designations"]
    designations_sheet["E2"] = "2040-01-01"  # beyond five years
    designations_sheet.append(["", "9", "NOPE", "2026-04-01", "2027-03-31", "designated", ""])
    book.save(path)
    headers = [c.value for c in book["Definitions"][1]]
    currency_column = headers.index("currency") + 1
    book["Definitions"].cell(row=3, column=currency_column, value="per bed")
    book.save(path)
    with pytest.raises(InputRejected) as rejected, demo_database.session() as session:
        nds_exchange.import_workbook(session, path)
    lines = str(rejected.value).splitlines()
    assert (
        "nds.xlsx[Definitions]:3:currency: 'per bed' is not one of the listed currencies" in lines
    )
    assert any(
        line.startswith("nds.xlsx[Designations]:2:Ends: a designation lasts at most")
        for line in lines
    )
    row = designations_sheet.max_row
    assert f"nds.xlsx[Designations]:{row}:Provider code: no provider with code 'NOPE'" in lines


def test_nds_commands(capsys, demo_database, tmp_path: Path) -> None:
    db = [
        "--db",
        (
            str(demo_database.path)
            if demo_database.path
            else demo_database.url.render_as_string(False)
        ),
    ]
    demo_database.close()
    out = tmp_path / "nds.xlsx"
    assert main(["nds", "export", "--out", str(out), *db]) == 0
    assert main(["nds", "import", str(out), *db]) == 0
    assert "Changed 0 and added 0 records" in capsys.readouterr().out
    codes = tmp_path / "codes.csv"
    codes.write_text("Scheme,Code\nICD-10,Z94.8\n")
    assert main(["nds", "codes", "import", str(codes), "--line", "10", *db]) == 0
    assert main(["nds", "codes", "find", "Z94.8", "--json", *db]) == 0
    found = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert found[0]["service_code"] == "10" and "id" in found[0]
    codes.write_text("Scheme,Code\nICD-10,E8\n")
    assert main(["nds", "codes", "import", str(codes), "--line", "10", *db]) == 3
    assert "codes.csv:2:Code:" in capsys.readouterr().err
    assert main(["nds", "export", "--out", str(tmp_path / "x.csv"), *db]) == 3
