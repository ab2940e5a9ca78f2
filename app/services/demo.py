"""A fictional, coherent demo of a Specialised Commissioning Group's data, for a new database."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from app.models import (
    Action,
    AgendaItem,
    Body,
    CaseStudy,
    CommissioningResponsibility,
    Contract,
    ContractLine,
    ContractStatus,
    DatabaseFact,
    Decision,
    Designation,
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeStage,
    Edition,
    FinancialYear,
    LineKind,
    Meeting,
    Membership,
    Organisation,
    PlannedActivity,
    ReferenceCounter,
    ReturnRow,
    ReturnSubmission,
    ServiceCode,
    ServiceDefinition,
    ServiceReview,
    Term,
    Vocabulary,
    VotingRule,
)
from app.services.access import Area, require_write
from app.services.demo_contracts import add_contracts_demo
from app.services.demo_definitions import add_definitions_demo
from app.services.demo_logs import add_logs_demo
from app.services.demo_marker import is_demo as is_demo  # where it was
from app.services.demo_meetings import add_meetings_demo
from app.services.reference_data import FIRST_EDITION
from app.store.database import Database
from app.store.peek import DEMO_KEY

SEED = 2026
DEMO_SITE_CODE = "DM"
DEMO_FACT = "Demo data: invented figures"
DEMO_TEAM = "Demo commissioning team"
MAIL_DOMAIN = "dscg.example.org"
FIRST_YEAR = FinancialYear(2023)
CONTRACT_YEARS = tuple(FIRST_YEAR + offset for offset in range(4))
MEMBERSHIP_START = date(2023, 4, 1)
MERGER_DAY = date(2024, 4, 1)
RESPONSIBILITY_START = date(2023, 4, 1)
PENNY = Decimal("0.01")
SHARE_PLACES = Decimal("0.000001")
MARGIN = Decimal("0.03")
POOLED_MILLIONS = Decimal(6150)

# Member PCTs: code, name, relative weighted population.
MEMBER_PCTS = (
    ("5A1", "Wessex Vale PCT", 0.094),
    ("5A2", "Northgate PCT", 0.081),
    ("5A3", "Eastmere PCT", 0.052),
    ("5A4", "Brackenford PCT", 0.067),
    ("5A5", "Harrowdale PCT", 0.058),
    ("5A6", "Kingsmoor PCT", 0.049),
    ("5A7", "Ravensholm PCT", 0.072),
    ("5A8", "Thornbury Fields PCT", 0.044),
    ("5A9", "Westbrook and Calder PCT", 0.063),
    ("5B1", "Ashdown Marsh PCT", 0.039),
    ("5B2", "Fellside PCT", 0.055),
    ("5B3", "Oakhurst Vale PCT", 0.061),
    ("5B4", "Saltmarsh Coast PCT", 0.047),
    ("5B5", "Millbridge PCT", 0.070),
    ("5B6", "Greywater PCT", 0.053),
    ("5B7", "Hollins Moor PCT", 0.042),
)
HOST_PCT = "5A1"
# The PCT that merged into its neighbour on MERGER_DAY: code, name, weight, successor.
MERGED_PCT = ("5C1", "Lynwood and Ashcombe PCT", 0.033, "5A3")

PROVIDERS = (
    ("RX1", "Northgate Hospitals NHS Foundation Trust", "NHS_FT"),
    ("RX2", "Wessex Vale University Hospitals NHS Trust", "NHS_TRUST"),
    ("RX3", "Eastmere Royal Infirmary NHS Foundation Trust", "NHS_FT"),
    ("RX4", "Kingsmoor Children's Hospital NHS Foundation Trust", "NHS_FT"),
    ("RX5", "Brackenford Teaching Hospitals NHS Trust", "NHS_TRUST"),
    ("RX6", "Harrowdale and Fellside Mental Health NHS Foundation Trust", "NHS_FT"),
    ("RX7", "Saltmarsh Coast Hospitals NHS Trust", "NHS_TRUST"),
    ("RX8", "Ravensholm Heart and Lung Centre NHS Foundation Trust", "NHS_FT"),
    ("RX9", "Millbridge Neurosciences NHS Trust", "NHS_TRUST"),
    ("RY1", "Greywater General Hospital NHS Trust", "NHS_TRUST"),
    ("RY2", "Hollins Moor Community Health NHS Trust", "NHS_TRUST"),
    ("RY3", "Oakhurst Vale Hospitals NHS Foundation Trust", "NHS_FT"),
    ("RY4", "Thornbury Fields Orthopaedic Centre NHS Foundation Trust", "NHS_FT"),
    ("RY5", "Calder Regional Burns and Plastics NHS Trust", "NHS_TRUST"),
    ("RY6", "Ashdown Marsh Genetics and Pathology NHS Foundation Trust", "NHS_FT"),
    ("RY7", "Westbrook Renal Services NHS Foundation Trust", "NHS_FT"),
    ("RY8", "Lynwood Cancer Centre NHS Foundation Trust", "NHS_FT"),
    ("RY9", "Fernhill Bay Hospital NHS Trust", "NHS_TRUST"),
    ("NT1", "Kestrel Park Specialist Clinics Ltd", "INDEPENDENT"),
    ("NV1", "Lanternlight Children's Hospice", "THIRD_SECTOR"),
)

# What each contracted provider is commissioned for: (service line code, point of delivery).
CONTRACT_PORTFOLIOS: dict[str, tuple[tuple[str, str], ...]] = {
    "RX1": (("1a", "EL"), ("1b", "EL"), ("13d", "EL"), ("13c", "DC"), ("2", "EL")),
    "RX2": (("11a", "PY"), ("11b", "EL"), ("19", "EL"), ("3", "DRUG"), ("20a", "OPFU")),
    "RX3": (("8b", "EL"), ("8d", "DC"), ("30", "EL"), ("6", "BD"), ("8e", "OPFA")),
    "RX4": (("23d", "BD"), ("23e", "BD"), ("23c", "EL"), ("10", "OPFU"), ("23g", "BD")),
    "RX5": (("14", "OPFU"), ("14", "DRUG"), ("18", "NEL"), ("29", "OPFA")),
    "RX6": (("22c", "BD"), ("22e", "BD"), ("23b", "BD"), ("22i", "BD")),
    "RX7": (("9", "NEL"), ("9", "BD"), ("33", "EL"), ("35", "EL")),
    "RX8": (("13a", "EL"), ("13b", "EL"), ("13e", "DRUG"), ("29", "EL"), ("1a", "DC")),
    "RX9": (("8a", "EL"), ("8c", "BD"), ("7", "BD"), ("31", "DC"), ("8d", "DC")),
    "RY1": (("34", "EL"), ("26", "OPFA"), ("24", "DC"), ("33", "DC")),
    "RY4": (("34", "EL"), ("23f", "EL"), ("6", "EL")),
    "RY7": (("11a", "PY"), ("11b", "EL"), ("12", "PY"), ("27", "OPFA")),
    "RY8": (("1c", "EL"), ("1d", "EL"), ("1e", "DC"), ("1f", "DRUG")),
    "NT1": (("35", "EL"), ("32a", "EL")),
}
# Lines contracted only for some years, following their designations: (first, last) year.
LINE_YEARS: dict[tuple[str, str], tuple[FinancialYear | None, FinancialYear | None]] = {
    ("RX2", "11b"): (None, FinancialYear(2024)),
    ("RX3", "8d"): (None, FinancialYear(2025)),
    ("RX9", "8d"): (FinancialYear(2026), None),
}
# Lines whose activity runs well above plan from 2025/26: (provider, service line, point).
OVER_PERFORMING = {("RX7", "35", "EL"): 1.10, ("RX2", "19", "EL"): 1.12}
OVER_PERFORMANCE_FROM = FinancialYear(2025)
# The 2026/27 contracts still being negotiated: one still a draft, one agreed late.
DRAFT_CONTRACT = "NT1"
LATE_AGREED_CONTRACT = "RY1"
LATE_AGREED_ON = date(2026, 5, 14)
# A return sent twice: the provider's first file for the month doubled one line.
RESUBMITTED = ("RX3", FinancialYear(2025), 9)

PRICE_RANGES = {
    "EL": (4_000, 28_000),
    "NEL": (3_000, 18_000),
    "DC": (500, 2_500),
    "OPFA": (500, 900),
    "OPFU": (500, 700),
    "BD": (600, 2_400),
    "PY": (20_000, 60_000),
    "DRUG": (1_000, 15_000),
}
PRICE_UPLIFT = 0.021
PLAN_GROWTH = 0.025
# Activity against plan by calendar month: summer holidays and Christmas run below it.
SEASONAL_FACTOR = {
    4: 1.00, 5: 1.02, 6: 1.01, 7: 0.98, 8: 0.90, 9: 1.00,
    10: 1.03, 11: 1.04, 12: 0.92, 1: 1.05, 2: 1.02, 3: 1.03,
}  # fmt: skip

# Keys as the reference files spell them (terms.csv, tariff.json, definition_headings.json).
LEVEL_OF_SERVICE = {
    "15": "national", "16": "national", "16a": "national", "28": "national", "22d": "national",
    "2": "pan-scg", "3": "pan-scg", "8a": "pan-scg", "8d": "pan-scg", "9": "pan-scg",
    "10": "pan-scg", "11b": "pan-scg", "13a": "pan-scg", "13e": "pan-scg", "20": "pan-scg",
    "20a": "pan-scg", "23c": "pan-scg", "23d": "pan-scg", "23e": "pan-scg", "32": "pan-scg",
    "32a": "pan-scg",
    "21": "local", "23a": "local", "24": "local", "26": "local", "31": "local", "36c": "local",
}  # fmt: skip
NATIONALLY_COMMISSIONED = ("15", "16", "28")
IN_NATIONAL_TARIFF = ("13c", "13d", "33", "34")
TARIFF_EXCLUSIONS = {
    "3": ("high_variable_cost", "banded_annual_payment_per_patient"),
    "10": ("variety_of_service_models", "banded_annual_payment_per_patient"),
    "11a": ("differential_prices", "benchmarked_average_cost"),
    "15": ("very_low_volume", "indicative_model_tariff"),
    "23d": ("differential_prices", "benchmarked_average_cost"),
    "26": ("variety_of_service_models", "indicative_model_tariff"),
    "28": ("very_low_volume", "indicative_model_tariff"),
}
DEFINITION_HEADINGS = {
    "1": (
        "Adults of the Demo SCG's member PCTs with a suspected or confirmed rarer cancer.",
        "Assessment, surgery and oncology at designated centres, with local follow-up.",
        "procedure_or_intervention",
    ),
    "3": (
        "People of all ages with haemophilia or another inherited bleeding disorder.",
        "Comprehensive care centres that supply factor concentrates and home treatment.",
        "treatment_for_a_year",
    ),
    "8": (
        "Adults needing neurosurgery, stereotactic treatment or neuro-rehabilitation.",
        "Neurosurgical centres working in a clinical network with district hospitals.",
        "cluster_activity_separated",
    ),
    "10": (
        "Children and adults with cystic fibrosis registered with a specialist centre.",
        "Centre-led care with shared care clinics, banded by the complexity of need.",
        "care_programme_banded_for_cost",
    ),
    "11": (
        "Adults with established kidney failure needing dialysis or a transplant.",
        "Renal units and satellite dialysis, with transplantation at regional centres.",
        "treatment_for_a_year",
    ),
    "13": (
        "Adults with complex heart disease needing specialist cardiology or surgery.",
        "Cardiac centres providing surgery, intervention and device implantation.",
        "procedure_or_intervention",
    ),
    "14": (
        "People of all ages living with HIV and registered for treatment and care.",
        "Treatment and care from HIV clinics, with high-cost drugs paid by patient year.",
        "patient_register",
    ),
    "23": (
        "Children and young people with conditions needing tertiary paediatric care.",
        "Children's centres supporting district paediatric services through networks.",
        "specialty_proportionate_workload",
    ),
    "28": (
        "Adults needing hyperbaric oxygen for decompression illness and other conditions.",
        "A small number of chambers on call around the clock within a national network.",
        "clinical_network_activity_identified",
    ),
    "35": (
        "Adults with severe and complex obesity who meet the agreed access criteria.",
        "Assessment, surgery and long-term follow-up along an agreed care pathway.",
        "integrated_care_pathway",
    ),
}
SERVICE_CODES = (
    ("1a", "ICD-10", "C34", "Malignant neoplasm of bronchus and lung"),
    ("1a", "ICD-10", "C34.1", "Upper lobe, bronchus or lung"),
    ("1a", "ICD-10", "C34.9", "Bronchus or lung, unspecified"),
    ("1b", "ICD-10", "C25", "Malignant neoplasm of pancreas"),
    ("1b", "ICD-10", "C25.0", "Head of pancreas"),
    ("1d", "ICD-10", "C62", "Malignant neoplasm of testis"),
    ("3", "ICD-10", "D66", "Hereditary factor VIII deficiency"),
    ("10", "ICD-10", "E84", "Cystic fibrosis"),
    ("13d", "OPCS-4", "K40.1", "Saphenous vein graft replacement of one coronary artery"),
    (
        "13d",
        "OPCS-4",
        "K49.1",
        "Percutaneous transluminal balloon angioplasty of one coronary artery",
    ),
)

LEAD_COMMISSIONERS = (
    "Harriet Quayle",
    "Owen Marchbank",
    "Priya Fenwick",
    "Dominic Ashgrove",
    "Mei-Ling Tresize",
    "Callum Ravensworth",
    "Bethan Orchardleigh",
)
NATIONAL_LEAD = "Demo National Commissioning Group secretariat"
# One service changed lead in 2025: the service, the day, the leads before and after, why.
LEAD_CHANGE = (
    "13",
    date(2025, 7, 1),
    "Owen Marchbank",
    "Bethan Orchardleigh",
    "Demo: lead passed to Bethan Orchardleigh when Owen Marchbank moved to chair the finance "
    "sub-group; agreed at the June 2025 SCG meeting.",
)

DESIGNATED = "designated"
PROVISIONAL = "provisional"
WITHDRAWN = "withdrawn"
EXPIRED = "expired"
# (service line, provider, first day or months-to-expiry marker, status, notes)
DESIGNATIONS: tuple[tuple[str, str, date | int, str, str], ...] = (
    ("1a", "RX1", date(2022, 4, 1), DESIGNATED, ""),
    ("1a", "RX8", date(2023, 4, 1), DESIGNATED, ""),
    ("1b", "RX1", 2, DESIGNATED, "Re-assessment visit to be booked."),
    ("1c", "RY8", date(2024, 4, 1), DESIGNATED, ""),
    ("1d", "RY8", date(2024, 4, 1), DESIGNATED, ""),
    ("1e", "RY8", date(2026, 4, 1), PROVISIONAL, "Provisional until the teenage unit opens."),
    ("2", "RX1", date(2022, 4, 1), DESIGNATED, ""),
    ("3", "RX2", 7, DESIGNATED, "Self-assessment against the six criteria requested."),
    ("6", "RX3", date(2023, 4, 1), DESIGNATED, ""),
    ("6", "RY4", date(2023, 4, 1), DESIGNATED, ""),
    ("8a", "RX9", date(2025, 4, 1), DESIGNATED, ""),
    ("8b", "RX3", date(2022, 4, 1), DESIGNATED, ""),
    ("8d", "RX3", date(2021, 4, 1), EXPIRED, "Service moved to Millbridge in April 2026."),
    ("8d", "RX9", date(2026, 4, 1), PROVISIONAL, "Provisional for the first year."),
    ("9", "RX7", date(2024, 4, 1), DESIGNATED, ""),
    ("10", "RX4", date(2022, 4, 1), DESIGNATED, ""),
    ("11a", "RX2", date(2023, 4, 1), DESIGNATED, ""),
    ("11a", "RY7", date(2023, 4, 1), DESIGNATED, ""),
    ("11b", "RY7", date(2022, 4, 1), DESIGNATED, ""),
    ("11b", "RX2", date(2022, 4, 1), WITHDRAWN, "Withdrawn when living donor work moved."),
    ("13a", "RX8", date(2024, 4, 1), DESIGNATED, ""),
    ("13b", "RX8", date(2024, 4, 1), DESIGNATED, ""),
    ("13e", "RX8", date(2025, 4, 1), DESIGNATED, ""),
    ("22c", "RX6", date(2022, 4, 1), DESIGNATED, ""),
    ("22e", "RX6", date(2024, 4, 1), DESIGNATED, ""),
    ("23c", "RX4", date(2023, 4, 1), DESIGNATED, ""),
    ("23d", "RX4", date(2022, 4, 1), DESIGNATED, ""),
    ("23e", "RX4", date(2022, 4, 1), DESIGNATED, ""),
    ("31", "RX9", date(2020, 4, 1), EXPIRED, "Re-assessment overdue: awaiting the review."),
    ("31", "RY1", date(2021, 4, 1), WITHDRAWN, "Withdrawn after the clinic lost its consultant."),
    ("32a", "NT1", date(2025, 4, 1), PROVISIONAL, "Provisional pending audit of outcomes."),
    ("35", "RX7", date(2023, 4, 1), DESIGNATED, ""),
    ("35", "NT1", date(2023, 4, 1), DESIGNATED, ""),
)
WITHDRAWN_AFTER_DAYS = 800

COMPLETED = "completed"
IN_PROGRESS = "in progress"
PLANNED = "planned"
# (service, kind, started, completed, status, findings); an int is days from as_of.
SERVICE_REVIEWS: tuple[tuple[str, str, date | int, date | None, str, str], ...] = (
    ("1", "Full Service Review", date(2023, 5, 2), date(2024, 2, 28), COMPLETED,
     "Pathways sound; two centres short of the critical mass for pancreatic surgery."),
    ("2", "Monitoring Review", date(2020, 1, 6), date(2020, 7, 31), COMPLETED,
     "Outcomes in line with the registry; no action needed."),
    ("3", "Monitoring Review", date(2025, 1, 13), date(2025, 4, 30), COMPLETED,
     "Factor concentrate use up 6% a year; home delivery working well."),
    ("8", "Initial Service Review", date(2024, 9, 2), date(2025, 3, 31), COMPLETED,
     "Recommended moving stereotactic radiosurgery to one centre."),
    ("10", "Full Service Review", date(2022, 6, 1), date(2023, 1, 31), COMPLETED,
     "Banding of care programmes agreed with the centre."),
    ("11", "Commissioning Strategy", date(2024, 4, 1), date(2024, 11, 29), COMPLETED,
     "Five-year strategy for dialysis capacity and home therapies."),
    ("13", "Monitoring Review", date(2025, 10, 1), date(2026, 2, 27), COMPLETED,
     "Waiting times for device implantation back within standard."),
    ("14", "Full Service Review", date(2023, 9, 4), date(2024, 5, 31), COMPLETED,
     "Drug switching programme saved an estimated 4% of the drug budget."),
    ("22", "Commissioning Strategy", date(2022, 10, 3), date(2023, 6, 30), COMPLETED,
     "Fewer out-of-area eating disorder placements as the local unit grows."),
    ("23", "Initial Service Review", date(2021, 3, 1), date(2021, 12, 17), COMPLETED,
     "Neonatal cot capacity reviewed with the network."),
    ("28", "Full Service Review", date(2018, 11, 5), date(2019, 10, 15), COMPLETED,
     "Chamber availability adequate; review again within five years."),
    ("31", "Initial Service Review", date(2019, 2, 4), date(2019, 9, 30), COMPLETED,
     "Service model varies widely between providers."),
    ("35", "Monitoring Review", -75, None, IN_PROGRESS, ""),
    ("9", "Full Service Review", -40, None, IN_PROGRESS, ""),
    ("31", "Full Service Review", 50, None, PLANNED, ""),
    ("6", "Initial Service Review", 120, None, PLANNED, ""),
)  # fmt: skip

# Meetings of the SCG: the decisions taken at past meetings, in turn.
# (subject, text, binding, financial commitment, share of eligible votes sought in favour)
DECISIONS: tuple[tuple[str, str, bool, bool, float | None], ...] = (
    ("Commissioning intentions", "The SCG agreed its commissioning intentions for the coming "
     "year and asked the host PCT to issue them to providers.", True, False, 0.92),
    ("Bariatric surgery risk share", "Proposal that over-performance above the 3% margin on "
     "bariatric surgery be shared by actual use rather than capitation. The proposal did not "
     "reach 75% of eligible votes and lapses; PCTs make interim arrangements.", True, True,
     0.62),
    ("Stereotactic radiosurgery designation", "The SCG designated Millbridge Neurosciences "
     "NHS Trust for stereotactic radiosurgery from April 2026, provisionally for the first "
     "year, and let the designation at Eastmere Royal Infirmary end in March 2026.", True,
     False, 0.88),
    ("Pulmonary hypertension drugs", "Investment of £310,000 in pulmonary hypertension drugs "
     "approved, after the 30 days' notice given at the previous meeting.", True, True, 0.81),
    ("Pain management review", "Terms of reference for the Full Service Review of specialised "
     "pain management agreed by consensus.", False, False, None),
    ("Pooled budget approach", "The pooled budget will be set by capitation share, with "
     "historical usage used only by exception.", True, True, 0.79),
    ("Fitness-for-purpose self-assessment", "Self-assessment against the fitness-for-purpose "
     "framework accepted for the annual report.", False, False, None),
)  # fmt: skip
ACTIONS = (
    ("Circulate the month's activity report by PCT with commentary.", "Information manager"),
    ("Write to the provider to start the over-performance investigation.", "Contracts lead"),
    ("Bring the designation renewal timetable to the next meeting.", "Harriet Quayle"),
    ("Confirm each PCT's capitation share for next year with finance leads.", "Owen Marchbank"),
    ("Publish the approved minutes on the SCG website.", "SCG secretary"),
    ("Draft the stakeholder survey for the annual report.", "Priya Fenwick"),
    ("Agree the review lead and timetable with the clinical network.", "Dominic Ashgrove"),
)
FIRST_MEETING = date(2025, 9, 1)


@dataclass(frozen=True)
class DemoSummary:
    """How many of each record the demo created."""

    organisations: int
    memberships: int
    responsibilities: int
    definitions_filled: int
    service_codes: int
    designations: int
    service_reviews: int
    contracts: int
    contract_lines: int
    planned_activities: int
    return_submissions: int
    return_rows: int
    disputes: int
    meetings: int
    agenda_items: int
    decisions: int
    actions: int
    case_studies: int


@dataclass
class Member:
    """A member PCT's place in the pooled budget for a span of time."""

    organisation: Organisation
    share: Decimal


@dataclass
class Demo:
    """The demo being built in one session: what exists so far, by the codes users know."""

    session: Session
    as_of: date
    random: random.Random
    org_types: dict[str, Term] = field(default_factory=dict)
    definitions: dict[str, ServiceDefinition] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    members_by_year: dict[FinancialYear, list[Member]] = field(default_factory=dict)
    current_members: list[Member] = field(default_factory=list)
    contracts: dict[tuple[str, FinancialYear], Contract] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    dispute_numbers: dict[int, int] = field(default_factory=dict)

    def add(self, kind: str, *records: Any) -> None:
        self.session.add_all(records)
        self.counts[kind] = self.counts.get(kind, 0) + len(records)

    def line_id(self, code: str) -> uuid.UUID:
        return self.definitions[code].service_line_id

    @property
    def scg(self) -> Organisation:
        return self.organisations["DSCG"]


def has_user_data(database: Database) -> bool:
    """Whether the database holds anything beyond the reference data every new one gets."""
    entities = (Organisation, Contract, Dispute, Meeting, Designation, ReturnSubmission)
    with database.reader() as session:
        return any(session.scalar(select(exists().select_from(e))) for e in entities)


def build_demo(database: Database, as_of: date) -> DemoSummary:
    """Fill a new database with the demo, all of it or none; `as_of` is treated as today."""
    with database.session() as session:
        require_write(session, Area.DATABASE)
        demo = Demo(session=session, as_of=as_of, random=random.Random(SEED))
        demo.org_types = {
            term.code: term
            for term in session.scalars(
                select(Term).where(Term.vocabulary == Vocabulary.ORGANISATION_TYPE)
            )
        }
        demo.definitions = first_edition_definitions(session)
        session.add(DatabaseFact(key=DEMO_KEY, value=DEMO_FACT))
        add_commissioners(demo)
        add_providers(demo)
        add_responsibilities(demo)
        fill_definitions(demo)
        add_designations(demo)
        add_service_reviews(demo)
        add_contracts(demo)
        session.flush()
        add_monthly_returns(demo)
        add_disputes(demo)
        add_meetings(demo)
        add_case_studies(demo)
        add_logs_demo(demo)
        session.flush()
        add_definitions_demo(demo)
        add_meetings_demo(demo)
        add_contracts_demo(demo)
        session.flush()
        return summarise(demo)


def summarise(demo: Demo) -> DemoSummary:
    return DemoSummary(**{item.name: demo.counts.get(item.name, 0) for item in fields(DemoSummary)})


def first_edition_definitions(session: Session) -> dict[str, ServiceDefinition]:
    definitions = session.scalars(
        select(ServiceDefinition).join(Edition).where(Edition.label == FIRST_EDITION)
    )
    return {definition.code: definition for definition in definitions}


# Money, shares and dates ----------------------------------------------------------------


def pounds(amount: float | Decimal) -> Decimal:
    return Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)


def activity(count: float | Decimal) -> Decimal:
    return Decimal(count).quantize(PENNY, rounding=ROUND_HALF_UP)


def capitation_shares(weights: Sequence[float]) -> list[Decimal]:
    """Weights scaled to six-place shares that add up to exactly one."""
    total = sum(weights)
    shares = [Decimal(w / total).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP) for w in weights]
    largest = max(range(len(shares)), key=lambda index: shares[index])
    shares[largest] += Decimal(1) - sum(shares)
    return shares


def baseline_allocation(share: Decimal) -> Decimal:
    """A baseline allocation in pounds: £ millions to two places, so to the nearest £10,000."""
    millions = (share * POOLED_MILLIONS).quantize(PENNY, rounding=ROUND_HALF_UP)
    return millions * 1_000_000


def add_months(day: date, months: int) -> date:
    month_number = day.year * 12 + day.month - 1 + months
    return date(month_number // 12, month_number % 12 + 1, 1)


def last_day_of_month(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def five_years_less_a_day(starts_on: date) -> date:
    return starts_on.replace(year=starts_on.year + 5) - timedelta(days=1)


def second_weekday(month: date, weekday: int) -> date:
    """The second Monday (0), Tuesday (1)... of the month in which `month` falls."""
    first = month.replace(day=1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7)


def weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def email(name: str) -> str:
    return f"{name.lower().replace(' ', '.').replace('-', '')}@{MAIL_DOMAIN}"


# Organisations -------------------------------------------------------------------------


def organisation(demo: Demo, code: str, name: str, kind: str, **details: Any) -> Organisation:
    record = Organisation(
        id=uuid.uuid4(), code=code, name=name, type=demo.org_types[kind], **details
    )
    demo.organisations[code] = record
    demo.add("organisations", record)
    return record


def add_commissioners(demo: Demo) -> None:
    """The SCG, its SHA, the national body, and the member PCTs with their shares."""
    organisation(
        demo,
        "DSCG",
        "Demo Specialised Commissioning Group",
        "SCG",
        contact_name="Harriet Quayle, Head of Specialised Commissioning",
        contact_email=email("Harriet Quayle"),
        address="Vale House, Northgate (fictional)",
    )
    organisation(demo, "DSHA", "Demo Vale Strategic Health Authority", "SHA")
    organisation(demo, "DNCG", "Demo National Commissioning Group", "NCG")
    for code, name, _weight in MEMBER_PCTS:
        organisation(
            demo, code, name, "PCT", contact_email=f"commissioning@{code.lower()}.example.org"
        )
    old_code, old_name, _weight, successor_code = MERGED_PCT
    organisation(
        demo,
        old_code,
        old_name,
        "PCT",
        successor=demo.organisations[successor_code],
        merged_on=MERGER_DAY,
    )
    add_memberships(demo)


def shares_before_and_after_merger() -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Capitation shares by PCT code before the merger and from it; each set adds up to one."""
    before = [*MEMBER_PCTS, MERGED_PCT[:3]]
    weights = [weight for _, _, weight in before]
    shares_before = dict(
        zip([code for code, _, _ in before], capitation_shares(weights), strict=True)
    )
    old_code, _name, _weight, successor_code = MERGED_PCT
    shares_after = {code: shares_before[code] for code, _, _ in MEMBER_PCTS}
    shares_after[successor_code] += shares_before[old_code]
    return shares_before, shares_after


def add_memberships(demo: Demo) -> None:
    """Every PCT joins in April 2023; the merged PCT leaves and its successor's share grows."""
    shares_before, shares_after = shares_before_and_after_merger()
    old_code, _name, _weight, successor_code = MERGED_PCT
    merger_eve = MERGER_DAY - timedelta(days=1)
    for code, share in shares_before.items():
        ends = merger_eve if code in (old_code, successor_code) else None
        add_membership(demo, code, share, MEMBERSHIP_START, ends)
    add_membership(demo, successor_code, shares_after[successor_code], MERGER_DAY, None)
    for year in CONTRACT_YEARS:
        shares = shares_before if year.starts_on < MERGER_DAY else shares_after
        demo.members_by_year[year] = [
            Member(demo.organisations[code], share) for code, share in shares.items()
        ]
    demo.current_members = demo.members_by_year[CONTRACT_YEARS[-1]]


def add_membership(demo: Demo, code: str, share: Decimal, starts: date, ends: date | None) -> None:
    demo.add(
        "memberships",
        Membership(
            group=demo.scg,
            member=demo.organisations[code],
            effective_from=starts,
            effective_to=ends,
            capitation_share=share,
            baseline_allocation=baseline_allocation(share),
        ),
    )


def add_providers(demo: Demo) -> None:
    for code, name, kind in PROVIDERS:
        organisation(demo, code, name, kind, contact_email=f"contracts@{code.lower()}.example.org")


# The Definitions Set ------------------------------------------------------------------


def add_responsibilities(demo: Demo) -> None:
    """Who commissions each of the 35 services, and one change of lead in 2025."""
    services = [d for d in demo.definitions.values() if d.service_line.kind == LineKind.SERVICE]
    changed_code, changed_on, old_lead, new_lead, why = LEAD_CHANGE
    for index, definition in enumerate(sorted(services, key=lambda d: d.position)):
        national = definition.code in NATIONALLY_COMMISSIONED
        changed = definition.code == changed_code
        lead = LEAD_COMMISSIONERS[index % len(LEAD_COMMISSIONERS)]
        lead = NATIONAL_LEAD if national else old_lead if changed else lead
        demo.add(
            "responsibilities",
            CommissioningResponsibility(
                service_line_id=definition.service_line_id,
                body_id=demo.organisations["DNCG" if national else "DSCG"].id,
                lead_commissioner=lead,
                lead_contact=email(lead),
                effective_from=RESPONSIBILITY_START,
                effective_to=changed_on - timedelta(days=1) if changed else None,
                reason="Demo: initial allocation",
            ),
        )
        if changed:
            demo.add(
                "responsibilities",
                CommissioningResponsibility(
                    service_line_id=definition.service_line_id,
                    body_id=demo.scg.id,
                    lead_commissioner=new_lead,
                    lead_contact=email(new_lead),
                    effective_from=changed_on,
                    reason=why,
                ),
            )


def commissioning_level(definition: ServiceDefinition, by_line: dict[uuid.UUID, str]) -> str:
    """The level set for this line, else its parent's, else SCG."""
    if definition.code in LEVEL_OF_SERVICE:
        return LEVEL_OF_SERVICE[definition.code]
    parent = by_line.get(definition.parent_line_id) if definition.parent_line_id else None
    return LEVEL_OF_SERVICE.get(parent or "", "scg")


def fill_definitions(demo: Demo) -> None:
    """Commissioning levels, some standard headings, tariff status and codes."""
    by_line = {d.service_line_id: d.code for d in demo.definitions.values()}
    for definition in demo.definitions.values():
        definition.commissioning_level = commissioning_level(definition, by_line)
    for code, (population, purpose, currency) in DEFINITION_HEADINGS.items():
        definition = demo.definitions[code]
        definition.population_served = population
        definition.service_purpose = purpose
        definition.currency = currency
        demo.counts["definitions_filled"] = demo.counts.get("definitions_filled", 0) + 1
    for code in IN_NATIONAL_TARIFF:
        demo.definitions[code].in_national_tariff = True
    for code, (reason, alternative) in TARIFF_EXCLUSIONS.items():
        demo.definitions[code].tariff_exclusion_reason = reason
        demo.definitions[code].alternative_payment = alternative
    for code, scheme, value, description in SERVICE_CODES:
        demo.add(
            "service_codes",
            ServiceCode(
                definition_id=demo.definitions[code].id,
                scheme=scheme,
                code=value,
                description=description,
            ),
        )


def add_designations(demo: Demo) -> None:
    """Designations of up to five years; some end soon, one service has none in force."""
    for service, provider, start, status, notes in DESIGNATIONS:
        if isinstance(start, int):
            ends_on = last_day_of_month(add_months(demo.as_of, start))
            starts_on = ends_on + timedelta(days=1)
            starts_on = starts_on.replace(year=starts_on.year - 5)
        else:
            starts_on, ends_on = start, five_years_less_a_day(start)
        if status == WITHDRAWN:
            ends_on = min(ends_on, starts_on + timedelta(days=WITHDRAWN_AFTER_DAYS))
        demo.add(
            "designations",
            Designation(
                service_line_id=demo.line_id(service),
                provider_id=demo.organisations[provider].id,
                starts_on=starts_on,
                ends_on=ends_on,
                status=status,
                notes=notes,
            ),
        )


def add_service_reviews(demo: Demo) -> None:
    for index, (service, kind, started, completed, status, findings) in enumerate(SERVICE_REVIEWS):
        started_on = demo.as_of + timedelta(days=started) if isinstance(started, int) else started
        demo.add(
            "service_reviews",
            ServiceReview(
                service_line_id=demo.line_id(service),
                kind=kind,
                started_on=started_on,
                completed_on=completed,
                lead=LEAD_COMMISSIONERS[index % len(LEAD_COMMISSIONERS)],
                status=status,
                findings=findings,
            ),
        )


# Contracts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineTerms:
    """What a provider's line costs and how much of it is planned, in the first year."""

    service: str
    point_of_delivery: str
    price: float
    monthly_activity: float


def line_terms(demo: Demo, service: str, point: str) -> LineTerms:
    low, high = PRICE_RANGES[point]
    price = demo.random.uniform(low, high)
    annual_value = demo.random.uniform(600_000, 3_200_000)
    return LineTerms(service, point, price, max(2.0, annual_value / price / 12))


def add_contracts(demo: Demo) -> None:
    """A contract a year with each contracted provider, hosted by the host PCT."""
    portfolios = {
        provider: [line_terms(demo, service, point) for service, point in lines]
        for provider, lines in CONTRACT_PORTFOLIOS.items()
    }
    for year in CONTRACT_YEARS:
        for provider, terms in portfolios.items():
            add_contract(demo, provider, year, terms)


def contract_dates(
    demo: Demo, provider: str, year: FinancialYear
) -> tuple[str, date | None, date | None]:
    """Status, agreed and signed dates: settled before April, except two in the latest year."""
    if year == CONTRACT_YEARS[-1] and provider == DRAFT_CONTRACT:
        return ContractStatus.DRAFT, None, None
    if year == CONTRACT_YEARS[-1] and provider == LATE_AGREED_CONTRACT:
        return ContractStatus.AGREED, LATE_AGREED_ON, None
    agreed_on = date(year.start_year, 2, 1) + timedelta(days=demo.random.randint(0, 40))
    signed_on = agreed_on + timedelta(days=demo.random.randint(3, 14))
    return ContractStatus.SIGNED, agreed_on, min(signed_on, year.starts_on - timedelta(days=1))


def add_contract(demo: Demo, provider: str, year: FinancialYear, terms: list[LineTerms]) -> None:
    status, agreed_on, signed_on = contract_dates(demo, provider, year)
    contract = Contract(
        reference=f"DSCG-{year.start_year}-{provider}",
        provider=demo.organisations[provider],
        host=demo.organisations[HOST_PCT],
        financial_year=year,
        status=status,
        agreed_on=agreed_on,
        signed_on=signed_on,
        notes=f"Demo contract for {year}, hosted by {demo.organisations[HOST_PCT].name}.",
    )
    demo.contracts[(provider, year)] = contract
    demo.add("contracts", contract)
    years_on = year.start_year - FIRST_YEAR.start_year
    expected = Decimal(0)
    for term in terms:
        first, last = LINE_YEARS.get((provider, term.service), (None, None))
        if (first is not None and year < first) or (last is not None and year > last):
            continue
        price = min(pounds(term.price * (1 + PRICE_UPLIFT) ** years_on), Decimal(60_000))
        line = ContractLine(
            contract=contract,
            service_line_id=demo.line_id(term.service),
            point_of_delivery=term.point_of_delivery,
            price=price,
            margin=MARGIN,
        )
        demo.add("contract_lines", line)
        monthly = term.monthly_activity * (1 + PLAN_GROWTH) ** years_on
        for month in range(1, 13):
            planned = Decimal(max(1, round(monthly * demo.random.uniform(0.95, 1.05))))
            demo.add(
                "planned_activities", PlannedActivity(line=line, month=month, activity=planned)
            )
            expected += planned * price
    contract.expected_value = expected


# Monthly returns -----------------------------------------------------------------------


def months_with_returns(year: FinancialYear, as_of: date) -> list[int]:
    """Calendar months of `year` whose returns are in: every month that ended before as_of."""
    months = []
    for index in range(1, 13):
        month = FinancialYear.calendar_month(index)
        if last_day_of_month(year.month_start(month)) < as_of.replace(day=1):
            months.append(month)
    return months


def performance_factor(provider: str, service: str, point: str, year: FinancialYear) -> float:
    """Actual against plan before noise: a gentle upward drift, and two lines well over."""
    drift = 0.98 + 0.015 * (year.start_year - FIRST_YEAR.start_year)
    if year >= OVER_PERFORMANCE_FROM:
        drift *= OVER_PERFORMING.get((provider, service, point), 1.0)
    return drift


@dataclass(frozen=True)
class LineOutlook:
    """A contract line's plan by calendar month and how its actual activity will run."""

    line: ContractLine
    plan: dict[int, Decimal]
    performance: float


def line_outlooks(demo: Demo, provider: str, contract: Contract) -> list[LineOutlook]:
    codes = {d.service_line_id: d.code for d in demo.definitions.values()}
    return [
        LineOutlook(
            line=line,
            plan={planned.month: planned.activity for planned in line.plan},
            performance=performance_factor(
                provider,
                codes[line.service_line_id],
                line.point_of_delivery,
                contract.financial_year,
            ),
        )
        for line in contract.lines
    ]


def return_file_name(provider: str, year: FinancialYear, month: int) -> str:
    """Like `RX1_2025-26_M05.csv`; M05 is the fifth month of the financial year (August)."""
    years = f"{year.start_year}-{(year.start_year + 1) % 100:02d}"
    return f"{provider}_{years}_M{FinancialYear.month_index(month):02d}.csv"


def add_monthly_returns(demo: Demo) -> None:
    """One return per provider per month, split by member PCT, rows bulk inserted."""
    rows: list[dict[str, Any]] = []
    for (provider, year), contract in demo.contracts.items():
        outlooks = line_outlooks(demo, provider, contract)
        for month in months_with_returns(year, demo.as_of):
            month_end = last_day_of_month(year.month_start(month))
            received_on = min(demo.as_of, month_end + timedelta(days=demo.random.randint(8, 12)))
            name = return_file_name(provider, year, month)
            month_rows = return_rows(demo, year, month, outlooks)
            final = add_submission(demo, provider, year, month, name, received_on, month_rows)
            rows.extend(month_rows)
            if (provider, year, month) == RESUBMITTED:
                rows.extend(add_replaced_return(demo, final, outlooks))
    demo.session.flush()
    # Core insert of the table: the rows are plain facts, so the ORM has nothing to track.
    demo.session.execute(insert(ReturnRow.metadata.tables[ReturnRow.__tablename__]), rows)
    demo.counts["return_rows"] = len(rows)


def add_replaced_return(
    demo: Demo, final: ReturnSubmission, outlooks: list[LineOutlook]
) -> list[dict[str, Any]]:
    """An earlier file for the same month that counted one line twice, replaced by `final`."""
    rows = return_rows(demo, final.financial_year, final.month, outlooks)
    doubled = outlooks[0].line.service_line_id
    for row in rows:
        if row["service_line_id"] == doubled:
            row["actual_activity"] *= 2
            row["actual_cost"] = pounds(row["actual_activity"] * row["price"])
    replaced = add_submission(
        demo,
        outlooks[0].line.contract.provider.code,
        final.financial_year,
        final.month,
        final.file_name,
        final.received_on - timedelta(days=6),
        rows,
    )
    replaced.replaced_by_id = final.id
    final.file_name = final.file_name.replace(".csv", "_resubmitted.csv")
    return rows


def return_rows(
    demo: Demo, year: FinancialYear, month: int, outlooks: list[LineOutlook]
) -> list[dict[str, Any]]:
    """A month's rows: each line's plan shared by capitation, and what each PCT used."""
    rows = []
    seasonal = SEASONAL_FACTOR[month]
    for outlook in outlooks:
        line = outlook.line
        for member in demo.members_by_year[year]:
            planned = activity(outlook.plan[month] * member.share)
            noise = min(1.2, max(0.8, demo.random.gauss(1.0, 0.05)))
            actual = activity(float(planned) * seasonal * outlook.performance * noise)
            rows.append(
                {
                    "commissioner_id": member.organisation.id,
                    "service_line_id": line.service_line_id,
                    "point_of_delivery": line.point_of_delivery,
                    "planned_activity": planned,
                    "actual_activity": actual,
                    "price": line.price,
                    "actual_cost": pounds(actual * line.price),
                }
            )
    return rows


def add_submission(
    demo: Demo,
    provider: str,
    year: FinancialYear,
    month: int,
    file_name: str,
    received_on: date,
    rows: list[dict[str, Any]],
) -> ReturnSubmission:
    submission = ReturnSubmission(
        id=uuid.uuid4(),
        provider_id=demo.organisations[provider].id,
        financial_year=year,
        month=month,
        file_name=file_name,
        file_hash=file_hash(rows),
        received_on=received_on,
        row_count=len(rows),
    )
    for row in rows:
        row["submission_id"] = submission.id
    demo.add("return_submissions", submission)
    return submission


def file_hash(rows: Iterable[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row['planned_activity']},{row['actual_activity']};".encode())
    return digest.hexdigest()


# Disputes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageRecord:
    """A stage as it happened: days from as_of to its start, target and end."""

    stage: str
    started: int
    target: int | None
    ended: int | None
    agreed: bool | None
    notes: str


@dataclass(frozen=True)
class DisputeStory:
    kind: str
    title: str
    raised: int
    raised_by: str
    parties: tuple[tuple[str, str, str, Decimal | None], ...]
    value: Decimal
    contract: tuple[str, FinancialYear] | None
    service_codes: str
    issue: str
    stages: tuple[StageRecord, ...]
    outcome: str = ""
    learning: str = ""


STAGE_WHO = {
    "consortium_decision_making": "The member PCTs under the consortium management protocol",
    "raised_with_head_of_specialised_commissioning": "Chair of the consortium; Head of "
    "Specialised Commissioning",
    "resolution_process_agreed": "Head of Specialised Commissioning with the SHA finance "
    "representative on the SCG",
    "finance_directors": "PCT and trust Finance Directors",
    "chief_executives": "Host PCT Chief Executive, consortium Chair and trust Chief Executive",
    "facilitated_meeting": "3 commissioner and 3 trust representatives, an SHA Director, the "
    "Head of Specialised Commissioning and expert clinical advice",
    "arbitration_panel": "Chief Executives and Directors neutral to the dispute",
    "ft_contract_process": "As set out in the Foundation Trust's contract",
}

DISPUTE_STORIES = (
    DisputeStory(
        kind=DisputeKind.COMMISSIONERS_PROVIDER,
        title="HIV drugs charged outside the agreed high-cost drugs list",
        raised=-700,
        raised_by="Wessex Vale PCT (host)",
        parties=(
            ("5A1", "commissioner", "Drugs outside the list are inside the tariff.", None),
            ("RX5", "provider", "The new regimens were agreed clinically in year.", None),
        ),
        value=Decimal("86400.00"),
        contract=("RX5", FinancialYear(2024)),
        service_codes="14",
        issue="The trust invoiced newly introduced regimens as pass-through drugs. The "
        "commissioners held that they had not been added to the agreed list.",
        stages=(
            StageRecord("finance_directors", -700, -670, -655, False, "No agreement."),
            StageRecord("chief_executives", -650, -620, -610, True, "Settled at 60% of claim."),
        ),
        outcome="Settled between Chief Executives: the commissioners paid 60% of the sum "
        "claimed and the drugs list now has an in-year change process.",
        learning="Agree in the contract how new drugs join the pass-through list during the "
        "year; most of the dispute came from the list being silent on it.",
    ),
    DisputeStory(
        kind=DisputeKind.COMMISSIONERS_PROVIDER,
        title="Critical care bed days within hepatobiliary surgery spells",
        raised=-520,
        raised_by="Head of Specialised Commissioning",
        parties=(
            (
                "5A1",
                "commissioner",
                "Critical care is included in the spell price.",
                Decimal("150000.00"),
            ),
            (
                "RX2",
                "provider",
                "Critical care beyond five days is chargeable.",
                Decimal("380000.00"),
            ),
        ),
        value=Decimal("412300.00"),
        contract=("RX2", FinancialYear(2024)),
        service_codes="19",
        issue="The trust charged critical care bed days on top of the spell price for long "
        "stays. The contract schedule is ambiguous on excess bed days.",
        stages=(
            StageRecord("finance_directors", -520, -490, -480, False, ""),
            StageRecord("chief_executives", -470, -440, -430, False, ""),
            StageRecord(
                "facilitated_meeting",
                -420,
                -380,
                -360,
                False,
                "Facilitation was not possible: the parties' offers stayed far apart.",
            ),
            StageRecord(
                "arbitration_panel",
                -90,
                35,
                None,
                None,
                "Panel convened; both sides presented their cases.",
            ),
        ),
    ),
    DisputeStory(
        kind=DisputeKind.BETWEEN_COMMISSIONERS,
        title="Sharing the cost of an out-of-area eating disorder placement",
        raised=-420,
        raised_by="Chair of the mental health consortium",
        parties=(
            ("5A4", "raising", "The cost should follow capitation shares.", None),
            ("5B2", "responding", "The cost should follow historical usage.", None),
        ),
        value=Decimal("58200.00"),
        contract=None,
        service_codes="22c",
        issue="Two member PCTs disagree on whether an unplanned placement falls within the "
        "pooled budget or is charged to the responsible PCT.",
        stages=(
            StageRecord("consortium_decision_making", -420, -390, -380, False, ""),
            StageRecord(
                "raised_with_head_of_specialised_commissioning", -375, -345, -330, None, ""
            ),
            StageRecord(
                "resolution_process_agreed",
                -330,
                20,
                None,
                None,
                "Process agreed with the SHA finance representative.",
            ),
        ),
    ),
    DisputeStory(
        kind=DisputeKind.COMMISSIONERS_PROVIDER,
        title="Bariatric surgery activity above the agreed margin",
        raised=-300,
        raised_by="Head of Specialised Commissioning",
        parties=(
            (
                "5A1",
                "commissioner",
                "Activity above the 3% margin was not referred on profile.",
                None,
            ),
            ("RX7", "provider", "All patients met the agreed access criteria.", None),
        ),
        value=Decimal("238750.00"),
        contract=("RX7", FinancialYear(2025)),
        service_codes="35",
        issue="Bariatric surgery activity ran about 10% above plan in 2025/26. The six "
        "over-performance questions were put to the trust; referrals were not on profile.",
        stages=(
            StageRecord("finance_directors", -300, -270, -255, False, ""),
            StageRecord("chief_executives", -250, -220, -200, False, ""),
            StageRecord(
                "facilitated_meeting",
                -190,
                -40,
                None,
                None,
                "Meeting held once; clinical audit of referrals awaited.",
            ),
        ),
    ),
    DisputeStory(
        kind=DisputeKind.FOUNDATION_TRUST,
        title="Charging for neonatal step-down cot days",
        raised=-150,
        raised_by="Wessex Vale PCT (host)",
        parties=(
            ("5A1", "commissioner", "Step-down days are special care, not intensive care.", None),
            ("RX4", "provider", "The cots were staffed at intensive care ratios.", None),
        ),
        value=Decimal("97500.00"),
        contract=("RX4", FinancialYear(2026)),
        service_codes="23d",
        issue="The trust charged step-down cot days at the intensive care price.",
        stages=(StageRecord("ft_contract_process", -150, 30, None, None, ""),),
    ),
    DisputeStory(
        kind=DisputeKind.BETWEEN_COMMISSIONERS,
        title="Responsibility for a transferred dialysis patient after the PCT merger",
        raised=-21,
        raised_by="Finance lead, Eastmere PCT",
        parties=(
            ("5A3", "raising", "The patient's costs stay with the former PCT's budget.", None),
            ("5A9", "responding", "Responsibility moved with the patient's GP practice.", None),
        ),
        value=Decimal("41800.00"),
        contract=None,
        service_codes="11a",
        issue="After the merger, two PCTs each consider the other responsible for the "
        "dialysis costs of one patient.",
        stages=(StageRecord("consortium_decision_making", -21, 40, None, None, ""),),
    ),
)


def dispute_reference(demo: Demo, raised_on: date) -> str:
    number = demo.dispute_numbers.get(raised_on.year, 0) + 1
    demo.dispute_numbers[raised_on.year] = number
    return f"DSP-{raised_on.year}-{number:03d}-{DEMO_SITE_CODE}"


def add_disputes(demo: Demo) -> None:
    """Disputes at different stages, numbered in the order raised, and the counters to match."""
    for story in sorted(DISPUTE_STORIES, key=lambda s: s.raised):
        add_dispute(demo, story)
    for year, number in demo.dispute_numbers.items():
        demo.session.add(ReferenceCounter(prefix="DSP", year=year, last_number=number))


def add_dispute(demo: Demo, story: DisputeStory) -> None:
    def day(offset: int | None) -> date | None:
        return None if offset is None else demo.as_of + timedelta(days=offset)

    raised_on = demo.as_of + timedelta(days=story.raised)
    last = story.stages[-1]
    closed = bool(story.outcome)
    dispute = Dispute(
        reference=dispute_reference(demo, raised_on),
        kind=story.kind,
        title=story.title,
        contract_id=demo.contracts[story.contract].id if story.contract else None,
        service_codes=story.service_codes,
        value=story.value,
        raised_on=raised_on,
        raised_by=story.raised_by,
        issue=story.issue,
        stage=last.stage,
        status="closed" if closed else "open",
        confidential=True,
        outcome=story.outcome,
        learning=story.learning,
        closed_on=day(last.ended) if closed else None,
    )
    demo.add("disputes", dispute)
    for code, side, position, offer in story.parties:
        demo.session.add(
            DisputeParty(
                dispute=dispute,
                organisation_id=demo.organisations[code].id,
                side=side,
                position=position,
                final_offer=offer,
            )
        )
    for sequence, stage in enumerate(story.stages, start=1):
        demo.session.add(
            DisputeStage(
                dispute=dispute,
                sequence=sequence,
                stage=stage.stage,
                started_on=day(stage.started),
                target_on=day(stage.target),
                ended_on=day(stage.ended),
                who=STAGE_WHO[stage.stage],
                notes=stage.notes,
                agreed=stage.agreed,
            )
        )


# Meetings ------------------------------------------------------------------------------

THURSDAY = 3
TUESDAY = 1
VENUE = "Board Room, Vale House, Northgate (fictional)"


def scg_meeting_dates(as_of: date) -> tuple[list[date], list[date]]:
    """Past meetings every other month from September 2025, then the next two."""
    next_meeting = weekday_on_or_after(as_of + timedelta(days=14), THURSDAY)
    month = max(FIRST_MEETING, add_months(as_of, -14).replace(day=1))
    past = []
    while True:
        held_on = second_weekday(month, THURSDAY)
        if held_on > min(as_of, next_meeting - timedelta(days=35)):
            break
        past.append(held_on)
        month = add_months(month, 2)
    later = second_weekday(add_months(next_meeting, 2), THURSDAY)
    future = [next_meeting]
    if later <= as_of + timedelta(days=92):
        future.append(later)
    return past, future


def add_meetings(demo: Demo) -> None:
    scg_body = Body(
        name="Demo Specialised Commissioning Group",
        short_name="SCG",
        organisation_id=demo.scg.id,
        voting_rule=VotingRule.WEIGHTED_SHARE,
        threshold=Decimal("0.75"),
        quorum=8,
        notice_days=30,
    )
    finance_body = Body(
        name="Finance sub-group",
        short_name="FIN",
        organisation_id=demo.scg.id,
        voting_rule=VotingRule.PROPORTION,
        threshold=Decimal("0.70"),
        quorum=4,
        notice_days=14,
    )
    demo.session.add_all([scg_body, finance_body])
    numbers: dict[tuple[str, int], int] = {}
    past, future = scg_meeting_dates(demo.as_of)
    for index, held_on in enumerate(past):
        meeting = add_meeting(demo, scg_body, held_on, "held")
        decision = DECISIONS[index % len(DECISIONS)]
        items = add_scg_agenda(demo, meeting, numbers, decision[0], papers=True)
        record_minutes(demo, meeting, items, decision, index)
    for held_on in future:
        meeting = add_meeting(demo, scg_body, held_on, "planned")
        add_scg_agenda(demo, meeting, numbers, "Commissioning plan: first draft", papers=False)
    for months_back in (6, 4, 2):
        held_on = second_weekday(add_months(demo.as_of, -months_back), TUESDAY)
        meeting = add_meeting(demo, finance_body, held_on, "held")
        add_finance_agenda(demo, meeting, numbers)


def add_meeting(demo: Demo, body: Body, held_on: date, status: str) -> Meeting:
    meeting = Meeting(id=uuid.uuid4(), body=body, held_on=held_on, venue=VENUE, status=status)
    demo.add("meetings", meeting)
    return meeting


def monitoring_month(held_on: date) -> str:
    """The latest month whose returns are in before a meeting, e.g. `month 5 2026/27`."""
    month_end = held_on.replace(day=1) - timedelta(days=20)
    year = FinancialYear.containing(month_end)
    return f"month {FinancialYear.month_index(month_end.month)} {year}"


def add_scg_agenda(
    demo: Demo,
    meeting: Meeting,
    numbers: dict[tuple[str, int], int],
    decision_title: str,
    papers: bool,
) -> list[AgendaItem]:
    held_on = meeting.held_on
    titles = (
        ("Welcome, apologies and declarations of interest", "Chair", "information", 5, False),
        ("Minutes of the last meeting and action log", "SCG secretary", "decision", 10, False),
        (decision_title, "Harriet Quayle", "decision", 30, False),
        (f"Contract monitoring report, {monitoring_month(held_on)}", "Owen Marchbank",
         "assurance", 20, False),
        ("Designations due for renewal in the next 12 months", "Priya Fenwick", "assurance",
         15, False),
        ("Disputes and arbitration update", "Head of Specialised Commissioning", "assurance",
         15, True),
        ("Any other business", "Chair", "information", 5, False),
    )  # fmt: skip
    return add_agenda(demo, meeting, numbers, titles, papers)


def add_finance_agenda(demo: Demo, meeting: Meeting, numbers: dict[tuple[str, int], int]) -> None:
    titles = (
        (f"Finance report, {monitoring_month(meeting.held_on)}", "Owen Marchbank",
         "assurance", 30, False),
        ("Over-performance investigations", "Contracts lead", "decision", 25, False),
        ("Financial exposure from open disputes", "Owen Marchbank", "information", 15, True),
    )  # fmt: skip
    items = add_agenda(demo, meeting, numbers, titles, papers=True)
    for item in items:
        item.minutes = "Noted by the sub-group."


def add_agenda(
    demo: Demo,
    meeting: Meeting,
    numbers: dict[tuple[str, int], int],
    titles: Sequence[tuple[str, str, str, int, bool]],
    papers: bool,
) -> list[AgendaItem]:
    """Items numbered like `SCG 26/01`, the numbers running on through the calendar year."""
    short_name = meeting.body.short_name
    year = meeting.held_on.year
    items = []
    for sequence, (title, presenter, purpose, minutes, confidential) in enumerate(titles, 1):
        number = numbers.get((short_name, year), 0) + 1
        numbers[(short_name, year)] = number
        reference = f"{short_name} {year % 100:02d}/{number:02d}"
        has_paper = papers and purpose != "information"
        item = AgendaItem(
            id=uuid.uuid4(),
            meeting=meeting,
            sequence=sequence,
            reference=reference,
            title=title,
            presenter=presenter,
            purpose=purpose,
            minutes_allotted=minutes,
            confidential=confidential,
            paper=f"{reference.replace(' ', '_').replace('/', '-')}.pdf" if has_paper else "",
        )
        items.append(item)
        demo.add("agenda_items", item)
    return items


def record_minutes(
    demo: Demo,
    meeting: Meeting,
    items: list[AgendaItem],
    decision: tuple[str, str, bool, bool, float | None],
    index: int,
) -> None:
    """The minutes of a past meeting: what was said, what was decided, who does what."""
    for item in items:
        item.minutes = minute_for(item)
    # Decisions and actions refer to meetings by key only (no relationship orders the
    # inserts), so what they point at is written first.
    demo.session.flush()
    subject, text, binding, financial, sought = decision
    record = Decision(
        id=uuid.uuid4(),
        meeting_id=meeting.id,
        agenda_item_id=items[2].id,
        subject=subject,
        text=text,
        binding=binding,
        financial_commitment=financial,
    )
    record_vote(demo, record, sought, meeting.held_on, meeting.body.threshold)
    demo.add("decisions", record)
    demo.session.flush()
    # Each meeting gives two actions; the second from the November 2025 meeting is still
    # being carried forward, long overdue.
    weeks = 7 * (index % 3)
    first, second = ACTIONS[index % len(ACTIONS)], ACTIONS[(index + 3) % len(ACTIONS)]
    add_action(demo, meeting, first, 28 + weeks, record.id, carried_forward=False)
    add_action(demo, meeting, second, 42 + weeks, None, carried_forward=index == 1)


def minute_for(item: AgendaItem) -> str:
    if item.confidential:
        return "Taken in private. The Group noted the position on each open dispute."
    if item.purpose == "decision":
        return "The paper was presented and discussed; the decision is recorded below."
    if item.purpose == "assurance":
        return "The Group took assurance from the report and asked for exceptions next time."
    return "Noted."


def record_vote(
    demo: Demo, decision: Decision, sought: float | None, held_on: date, threshold: Decimal
) -> None:
    """A vote weighted by capitation share among the PCTs present, carried at `threshold`."""
    if sought is None:
        return
    year = FinancialYear.containing(held_on)
    members = list(demo.members_by_year.get(year, demo.current_members))
    demo.random.shuffle(members)
    present = members[: len(members) - demo.random.randint(0, 2)]
    eligible = sum((member.share for member in present), Decimal(0))
    target = eligible * Decimal(str(sought))
    in_favour = Decimal(0)
    for member in present:
        if in_favour >= target:
            break
        in_favour += member.share
    decision.votes_eligible = eligible
    decision.votes_for = in_favour
    decision.carried = in_favour >= eligible * threshold


def add_action(
    demo: Demo,
    meeting: Meeting,
    action: tuple[str, str],
    due_in_days: int,
    decision_id: uuid.UUID | None,
    carried_forward: bool,
) -> None:
    """Actions due two months or more ago are done, unless carried forward; later ones open."""
    text, owner = action
    due_on = meeting.held_on + timedelta(days=due_in_days)
    done = due_on <= demo.as_of - timedelta(days=60) and not carried_forward
    demo.add(
        "actions",
        Action(
            meeting_id=meeting.id,
            decision_id=decision_id,
            text=text,
            owner=owner,
            due_on=due_on,
            status="done" if done else "open",
            done_on=due_on - timedelta(days=demo.random.randint(0, 10)) if done else None,
        ),
    )


# Case studies --------------------------------------------------------------------------


def add_case_studies(demo: Demo) -> None:
    demo.add(
        "case_studies",
        CaseStudy(
            title="Sharing the risk of bariatric surgery over-performance",
            organisation="Demo Specialised Commissioning Group",
            topic="Risk Sharing",
            services="35",
            period="2025/26",
            context="Activity at one provider ran well above plan after a new referral "
            "pathway opened, and the member PCTs disagreed on how to share the cost.",
            what_was_done="The commissioning team compared capitation shares with historical "
            "usage for each PCT and put the six over-performance questions to the provider.",
            outcomes="A proposal to share by usage lapsed at the SCG; the question went to "
            "a facilitated meeting with the provider.",
            learning="Agree the risk-sharing method for a service before the year starts, "
            "not after the over-performance shows.",
            tags="risk sharing, over-performance, demo",
            status="reviewed",
            author=DEMO_TEAM,
            reviewer="Harriet Quayle",
        ),
        CaseStudy(
            title="Moving stereotactic radiosurgery to one centre",
            organisation="Demo Specialised Commissioning Group",
            topic="Service Review",
            services="8d",
            period="2024/25 to 2026/27",
            context="Two neurosciences centres each treated too few patients to keep their "
            "skills and equipment in use.",
            what_was_done="An Initial Service Review gathered activity and outcomes; the SCG "
            "consulted patient groups and the clinical network before deciding.",
            outcomes="The service moved to one centre in April 2026 under a provisional "
            "designation for its first year.",
            learning="Bring patient groups in at the start of a review; it shortened the "
            "consultation later.",
            tags="service review, designation, demo",
            status="draft",
            author=DEMO_TEAM,
        ),
    )
