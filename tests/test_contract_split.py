"""A contract's own split of its plan between the member PCTs (else capitation shares)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from app.errors import InputRejected
from app.models import FinancialYear
from app.services.contract_split import SplitPart, set_split, split_of
from app.services.monitoring import Dimension, MonitoringFilter, position
from app.services.returns_import import check_returns
from app.store.database import Database
from tests.test_contracts_cli import run as cli
from tests.test_returns_import import plan_rows, write_csv

YEAR = FinancialYear(2026)
CONTRACT = "DSCG-2026-RX1"


def _plan_by_commissioner(database: Database) -> dict[str, Decimal]:
    result = position(database, MonitoringFilter(YEAR, contract=CONTRACT), Dimension.COMMISSIONER)
    return {row.id: row.plan_cost for row in result.rows if row.plan_cost}


def test_a_split_set_by_the_contract_replaces_capitation_shares_in_monitoring(
    demo_database: Database,
) -> None:
    by_capitation = _plan_by_commissioner(demo_database)
    assert len(by_capitation) > 2
    whole = sum(by_capitation.values(), Decimal(0))

    assert (
        set_split(demo_database, CONTRACT, {"5A3": Decimal("0.75"), "5A2": Decimal("0.25")}) == []
    )
    assert split_of(demo_database, CONTRACT) == [
        SplitPart("5A2", Decimal("0.250000")),
        SplitPart("5A3", Decimal("0.750000")),
    ]
    by_split = _plan_by_commissioner(demo_database)
    assert set(by_split) == {"5A2", "5A3"}
    assert abs(by_split["5A3"] - whole * 3 / 4) < Decimal("0.05")
    assert abs(by_split["5A2"] - whole / 4) < Decimal("0.05")
    wanted = position(
        demo_database, MonitoringFilter(YEAR, contract=CONTRACT, commissioner="5A2"),
        Dimension.COMMISSIONER,
    )  # fmt: skip
    assert abs(wanted.total.plan_cost - whole / 4) < Decimal("0.05")

    before = set_split(demo_database, CONTRACT, {})
    assert [part.commissioner for part in before] == ["5A2", "5A3"]
    assert _plan_by_commissioner(demo_database) == by_capitation


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"5A3": Decimal("0.5")}, "Share: the parts make 0.5, not a whole (1)"),
        ({"RX1": Decimal("1")}, "Share: 'RX1' is not a commissioner (a PCT's code)"),
        ({"5A3": Decimal("1.5"), "5A2": Decimal("-0.5")}, "Share: 5A3's part 1.5 is not between"),
    ],
)
def test_a_split_that_is_not_a_whole_of_pcts_is_refused(
    demo_database: Database, parts: dict[str, Decimal], message: str
) -> None:
    with pytest.raises(InputRejected) as refused:
        set_split(demo_database, CONTRACT, parts)
    assert str(refused.value).startswith(message)
    assert split_of(demo_database, CONTRACT) == []


def _line_plans(database: Database) -> dict[tuple[str, str], Decimal]:
    """The contract's plan for the month plan_rows writes, by service line code and point."""
    from sqlalchemy import select

    from app.models import Contract, ServiceDefinition
    from tests.test_returns_import import MONTH

    with database.reader() as session:
        contract = session.scalars(select(Contract).where(Contract.reference == CONTRACT)).one()
        codes = {d.service_line_id: d.code for d in session.scalars(select(ServiceDefinition))}
        return {
            (codes[line.service_line_id], line.point_of_delivery): next(
                p.activity for p in line.plan if p.month == MONTH
            )
            for line in contract.lines
        }


def test_the_returns_check_compares_planned_activity_with_the_split(
    demo_database: Database, tmp_path: Path
) -> None:
    rows = plan_rows(demo_database)
    line_plan = _line_plans(demo_database)
    path = write_csv(tmp_path / "by_capitation.csv", rows)
    assert check_returns(demo_database, path).warnings == []

    set_split(demo_database, CONTRACT, {"5A3": Decimal("0.75"), "5A2": Decimal("0.25")})
    warned = check_returns(demo_database, path).warnings
    assert warned and all("differs from the contract's plan" in str(p) for p in warned)

    split_rows = [list(row) for row in rows if row[3] in ("5A3", "5A2")]
    for row in split_rows:
        share = Decimal("0.75") if row[3] == "5A3" else Decimal("0.25")
        planned = (line_plan[(str(row[4]), str(row[5]))] * share).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        row[6] = planned
    path = write_csv(tmp_path / "by_split.csv", split_rows)
    assert [str(p) for p in check_returns(demo_database, path).warnings] == []


def test_the_command_line_sets_shows_and_clears_a_split(
    capsys: pytest.CaptureFixture[str], demo_file: Path
) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        return cli(capsys, *argv, "--db", str(demo_file))

    code, out, _ = run("split", "set", "--contract", CONTRACT, "--share", "5A3=75%",
                       "--share", "5A2=0.25")  # fmt: skip
    assert code == 0 and "split between 2 PCTs" in out
    code, out, _ = run("split", "show", "--contract", CONTRACT, "--json")
    assert json.loads(out) == [
        {"commissioner": "5A2", "share": "0.250000"},
        {"commissioner": "5A3", "share": "0.750000"},
    ]
    code, _, err = run("split", "set", "--contract", CONTRACT, "--share", "5A3=0.5")
    assert code == 3 and "not a whole" in err
    assert run("split", "clear", "--contract", CONTRACT)[0] == 0
    code, out, _ = run("split", "show", "--contract", CONTRACT)
    assert "sets no split" in out


def test_the_contracts_page_sets_a_split_from_its_dialog_and_undoes_it(
    qtbot, demo_database: Database, tmp_path: Path
) -> None:
    from datetime import date

    from PySide6.QtWidgets import QDialog

    from app.services.contract_split import members
    from app.settings import Settings
    from app.ui.context import UiContext
    from app.ui.contracts_tab import ContractsPage
    from app.ui.split_dialog import SplitDialog

    context = UiContext(demo_database, Settings(), tmp_path / "log", date(2026, 11, 24), True)
    page = ContractsPage(context)
    qtbot.addWidget(page)
    row = next(
        r for r in range(page.model.rowCount()) if page.model.row_at(r).reference == CONTRACT
    )
    page.table.setCurrentIndex(page.model.index(row, 0))

    dialog = SplitDialog(CONTRACT, members(demo_database, CONTRACT), [], page)
    qtbot.addWidget(dialog)
    assert dialog.capitation_box.isChecked() and dialog.parts() == {}
    dialog.edits["5A3"].setText("75%")
    dialog.edits["5A3"].textEdited.emit("75%")
    dialog.edits["5A2"].setText("0.25")
    assert not dialog.capitation_box.isChecked()
    assert dialog.parts() == {"5A3": Decimal("0.75"), "5A2": Decimal("0.25")}
    dialog.edits["5A2"].setText("a quarter")
    with pytest.raises(InputRejected, match=r"'a quarter' is not such as 0\.25 or 25%"):
        dialog.parts()

    from unittest.mock import patch

    def run(self: SplitDialog) -> QDialog.DialogCode:
        self.edits["5A3"].setText("0.75")
        self.edits["5A2"].setText("25%")
        self.capitation_box.setChecked(False)
        return QDialog.DialogCode.Accepted

    with patch.object(SplitDialog, "exec", run):
        page.ask_split()
    assert [p.commissioner for p in split_of(demo_database, CONTRACT)] == ["5A2", "5A3"]
    page.undo_stack.undo()
    assert split_of(demo_database, CONTRACT) == []
    page.undo_stack.redo()
    assert len(split_of(demo_database, CONTRACT)) == 2
