"""Points of delivery: an editable list, by service, command line and the Contracts tab."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

from app.errors import InputRejected
from app.services import points_of_delivery
from app.services.returns_import import check_returns
from app.settings import Settings
from app.store.database import Database
from app.ui.context import UiContext
from app.ui.points_page import PointsPage
from tests.test_contracts_cli import run as cli
from tests.test_returns_import import plan_rows, write_csv


def _problems(database: Database, path: Path) -> list[str]:
    return [str(p) for p in check_returns(database, path).errors]


def test_a_point_added_is_accepted_in_returns_and_a_retired_one_refused(
    demo_database: Database, tmp_path: Path
) -> None:
    rows = plan_rows(demo_database)[:2]
    rows[1][5] = "HDU"
    path = write_csv(tmp_path / "returns.csv", rows)
    refused = ["returns.csv:3:Point of delivery: unknown point of delivery 'HDU'"]
    assert _problems(demo_database, path) == refused

    assert points_of_delivery.add_point(demo_database, " HDU ", "High dependency unit") == "HDU"
    assert _problems(demo_database, path) == []
    listed = {p.code: p for p in points_of_delivery.list_points(demo_database)}
    assert listed["HDU"].name == "High dependency unit" and listed["HDU"].status == "in use"

    assert points_of_delivery.set_retired(demo_database, "HDU", True) is False
    assert _problems(demo_database, path) == refused
    assert {p.code: p.status for p in points_of_delivery.list_points(demo_database)}[
        "HDU"
    ] == "retired"
    points_of_delivery.set_retired(demo_database, "HDU", False)
    assert _problems(demo_database, path) == []

    assert points_of_delivery.rename_point(demo_database, "HDU", "Critical care") == (
        "High dependency unit"
    )
    points_of_delivery.remove_point(demo_database, "HDU")  # as undoing its addition does
    assert "HDU" not in {p.code for p in points_of_delivery.list_points(demo_database)}
    assert _problems(demo_database, path) == refused
    points_of_delivery.add_point(demo_database, "HDU", "High dependency unit")  # again
    assert _problems(demo_database, path) == []


@pytest.mark.parametrize(
    ("code", "name", "message"),
    [
        ("EL", "Elective", "Code: 'EL' is already in the list"),
        ("", "Elective", "Code: a code is required, such as EL"),
        ("H D U", "High dependency", "Code: 'H D U' must be one word of at most 60 characters"),
        ("HDU", "  ", "Name: a name is required, such as Elective inpatient"),
    ],
)
def test_a_point_that_cannot_be_added_is_refused_by_its_field(
    demo_database: Database, code: str, name: str, message: str
) -> None:
    before = points_of_delivery.list_points(demo_database)
    with pytest.raises(InputRejected) as refused:
        points_of_delivery.add_point(demo_database, code, name)
    assert str(refused.value).startswith(message)
    assert points_of_delivery.list_points(demo_database) == before


def test_the_command_line_lists_adds_renames_retires_and_restores(
    capsys: pytest.CaptureFixture[str], demo_file: Path
) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        return cli(capsys, *argv, "--db", str(demo_file))

    assert run("points", "add", "HDU", "High dependency unit")[:2] == (
        0,
        "added point of delivery HDU\n",
    )
    code, out, err = run("points", "add", "HDU", "Again")
    assert code == 3 and "Code: 'HDU' is already in the list" in err
    assert run("points", "rename", "HDU", "Critical care")[0] == 0
    assert run("points", "retire", "HDU")[1] == "retired point of delivery HDU\n"
    code, out, _ = run("points", "list", "--json")
    listed = {p["code"]: p for p in json.loads(out)}
    assert listed["HDU"] == {"code": "HDU", "name": "Critical care", "retired": True}
    assert run("points", "restore", "HDU")[1] == "restored point of delivery HDU\n"
    code, out, _ = run("points", "list")
    assert code == 0 and "Critical care" in out and "in use" in out
    code, _, err = run("points", "retire", "XYZ")
    assert code == 3 and "there is no point of delivery 'XYZ'" in err


def test_the_page_adds_renames_and_retires_and_each_is_undone(
    qtbot, qtmodeltester, demo_database: Database, tmp_path: Path
) -> None:
    context = UiContext(demo_database, Settings(), tmp_path / "log", date(2026, 11, 24), True)
    stack = QUndoStack()
    page = PointsPage(context, stack)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)

    def row(code: str) -> int:
        return next(r for r in range(page.model.rowCount()) if page.model.row_at(r).code == code)

    def codes() -> dict[str, str]:
        return {p.code: p.status for p in points_of_delivery.list_points(demo_database)}

    assert page.add("HDU", "High dependency unit")
    assert codes()["HDU"] == "in use" and page.model.row_at(row("HDU")).name.startswith("High")
    assert not page.retire_button.isEnabled()  # nothing chosen
    page.table.setCurrentIndex(page.model.index(row("HDU"), 0))
    assert page.retire_button.isEnabled() and not page.restore_button.isEnabled()
    assert page.rename("HDU", "Critical care")
    assert page.set_retired(True)
    assert page.restore_button.isEnabled() and not page.retire_button.isEnabled()
    assert codes()["HDU"] == "retired"
    assert page.model.row_at(row("HDU")).status == "retired"

    stack.undo()
    assert codes()["HDU"] == "in use"
    stack.undo()
    assert page.model.row_at(row("HDU")).name == "High dependency unit"
    stack.undo()
    assert "HDU" not in codes()
    stack.redo()
    stack.redo()
    stack.redo()
    assert codes()["HDU"] == "retired"
    assert page.model.row_at(row("HDU")).name == "Critical care"
