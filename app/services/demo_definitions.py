"""Demo data for the Definitions Set editor: a work programme, cost pressures, criteria."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.models import (
    CostPressure,
    CostPressureScore,
    Designation,
    DesignationCriterion,
    FinancialYear,
    WorkProgrammeEntry,
)
from app.services.planning import impact_categories, pressure_headings

if TYPE_CHECKING:
    from app.services.demo import Demo

# (service, category 1-4, criteria): the year's focus for a few services.
WORK_PROGRAMME = [
    ("9", 1, "1,4"),
    ("10", 4, ""),
    ("11", 2, "2,3,7"),
    ("13", 3, "5,6"),
    ("14", 4, "8"),
    ("22", 2, "1,2,9"),
    ("23", 1, "3"),
    ("3", 4, ""),
]

# (title, heading number 1-5, service, amount, levels on the eight categories)
COST_PRESSURES = [
    ("Growth in antiretroviral drug costs", 4, "14", "640000.00", "DCBDDCDD"),
    ("Part-year cochlear implant expansion", 1, "32a", "185000.00", "BBBCCABB"),
    ("New PET-CT capacity for staging", 3, "1", "420000.00", "CBCCBDDC"),
    ("Cystic fibrosis network pick-up", 2, "10", "95000.00", "ABBCBBAB"),
    ("Accreditation of the burns unit", 5, "9", "150000.00", "BCABBCBA"),
]


def add_definitions_demo(demo: Demo) -> None:
    year = FinancialYear.containing(demo.as_of)
    for code, category, criteria in WORK_PROGRAMME:
        demo.add(
            "work_programme",
            WorkProgrammeEntry(
                financial_year=year,
                service_line_id=demo.line_id(code),
                category=category,
                criteria=criteria,
            ),
        )
    categories = [key for key, _ in impact_categories()]
    headings = [key for key, _ in pressure_headings()]
    for title, heading, code, amount, levels in COST_PRESSURES:
        pressure = CostPressure(
            financial_year=year,
            title=title,
            heading=headings[heading - 1],
            service_line_id=demo.line_id(code),
            amount=Decimal(amount),
            notes="Demo: invented figures.",
        )
        pressure.scores = [
            CostPressureScore(category=category, level=level)
            for category, level in zip(categories, levels, strict=True)
        ]
        demo.add("cost_pressures", pressure)
    demo.session.flush()
    for number, designation in enumerate(demo.session.scalars(select(Designation))):
        for criterion in range(1, 7):
            met = (number + criterion) % 3 != 0
            demo.session.add(
                DesignationCriterion(
                    designation_id=designation.id,
                    number=criterion,
                    met=met,
                    evidence="Seen at the designation visit" if met else "",
                )
            )
