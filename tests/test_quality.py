"""Quality standards (at least two per service, at least quarterly) and contract notices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.errors import InputRejected
from app.models import FinancialYear
from app.services.quality import (
    add_notice,
    add_quality_standard,
    list_notices,
    quality_warnings,
    record_quality_result,
)
from app.store.database import Database

YEAR = FinancialYear(2026)


def test_services_with_fewer_than_two_standards_are_warned(demo_database: Database):
    warnings = quality_warnings(demo_database, YEAR)
    assert "DSCG-2026-RX7 35: 0 quality standards; at least 2 are expected" in warnings
    first = add_quality_standard(demo_database, "DSCG-2026-RX7", "35", "EL",
                                 "Readmissions within 30 days", "under 5%")  # fmt: skip
    assert "DSCG-2026-RX7 35: 1 quality standard; at least 2 are expected" in quality_warnings(
        demo_database, YEAR
    )
    add_quality_standard(demo_database, "DSCG-2026-RX7", "35", "EL", "Follow-up at 12 months",
                         "over 90%", "monthly")  # fmt: skip
    assert not [
        w for w in quality_warnings(demo_database, YEAR) if w.startswith("DSCG-2026-RX7 35")
    ]
    record_quality_result(demo_database, first, "2026/27 Q1", "4.1%", True)
    record_quality_result(demo_database, first, "2026/27 Q1", "4.3%", True, "corrected")


def test_standards_are_monitored_at_least_quarterly(demo_database: Database):
    with pytest.raises(InputRejected, match="at least quarterly"):
        add_quality_standard(demo_database, "DSCG-2026-RX7", "35", "EL", "Audit", "", "annually")


def test_notices_and_sanctions(demo_database: Database):
    add_notice(demo_database, "DSCG-2026-RX2", "fine", "Late activity data three months running",
               date(2026, 10, 1), Decimal("5000.00"))  # fmt: skip
    add_notice(
        demo_database,
        "DSCG-2026-RX2",
        "activity cap",
        "Provider-led over-performance",
        date(2026, 11, 1),
        effective_from=date(2026, 12, 1),
        effective_to=date(2027, 3, 31),
    )
    notices = list_notices(demo_database, "DSCG-2026-RX2")
    assert [(n.kind, n.amount) for n in notices] == [
        ("fine", Decimal("5000.00")),
        ("activity cap", None),
    ]
    with pytest.raises(InputRejected, match="cannot end before it starts"):
        add_notice(demo_database, "DSCG-2026-RX2", "fine", "x", date(2026, 1, 1),
                   effective_from=date(2026, 2, 1), effective_to=date(2026, 1, 1))  # fmt: skip
    with pytest.raises(InputRejected, match="is not one of"):
        add_notice(demo_database, "DSCG-2026-RX2", "reprimand", "x", date(2026, 1, 1))
