"""The SCG's standing papers: disputes, service directory, annual report, decisions, attention."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta

from reportlab.platypus import Paragraph
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formatting import format_date, format_money
from app.models import (
    CommissioningResponsibility,
    Contract,
    Designation,
    Dispute,
    FinancialYear,
    Organisation,
    ServiceDefinition,
    ServiceReview,
)
from app.services import annual, attention
from app.services.audit import AccessAction, record_access
from app.services.dispute_access import CONFIDENTIAL_TITLE, readable
from app.services.meetings import DecisionRow
from app.services.pdf import markup
from app.services.reference_data import current_edition, read_json
from app.services.reports.charts import bar_chart
from app.services.reports.document import STYLES, ReportWriter


def _stage_names() -> dict[str, str]:
    process = read_json("dispute_process.json")
    return {stage["key"]: stage["name"] for kind in process["kinds"] for stage in kind["stages"]}


def _kind_names() -> dict[str, str]:
    process = read_json("dispute_process.json")
    return {kind["key"]: kind["name"] for kind in process["kinds"]}


# ---------------------------------------------------------------------------------------------
# Disputes


def disputes_confidential(session: Session) -> bool:
    return any(session.scalars(select(Dispute.confidential).where(Dispute.deleted_at.is_(None))))


def add_disputes(writer: ReportWriter, session: Session, today: date) -> None:
    stages, kinds = _stage_names(), _kind_names()
    disputes = session.scalars(
        select(Dispute).where(Dispute.deleted_at.is_(None)).order_by(Dispute.raised_on)
    ).all()
    open_disputes = [d for d in disputes if d.status != "closed"]
    closed = [d for d in disputes if d.status == "closed"]
    # A reader who may not read a confidential dispute in full gets its summary: no title,
    # no value. Printing a confidential dispute, in full or in summary, is noted.
    full = readable(session, disputes)
    for dispute in disputes:
        if dispute.confidential:
            shown = "in full" if dispute.id in full else "summary"
            record_access(session, dispute.id, AccessAction.PRINT, f"disputes paper ({shown})")

    def title(dispute: Dispute) -> str:
        return dispute.title if dispute.id in full else CONFIDENTIAL_TITLE

    withheld = [d for d in open_disputes if d.id not in full]
    writer.heading("Open disputes by stage and age", 0)
    writer.paragraph(
        f"{len(open_disputes)} dispute(s) open with a total value of "
        f"{format_money(sum((d.value for d in open_disputes if d.id in full), start=0))}"
        + (
            f" (leaving out the {len(withheld)} confidential dispute(s) whose value is withheld)"
            if withheld
            else ""
        )
        + f"; {len(closed)} closed."
    )
    by_stage = Counter(stages.get(d.stage, d.stage) for d in open_disputes)
    if by_stage:
        labels = sorted(by_stage)
        writer.chart(
            bar_chart("Open disputes by stage", labels, [by_stage[k] for k in labels], writer.width)
        )
    rows = []
    late = []
    for number, dispute in enumerate(open_disputes):
        current = max(dispute.stages, key=lambda s: s.sequence, default=None)
        target = current.target_on if current else None
        if target is not None and target < today and current and current.ended_on is None:
            late.append(number)
        rows.append(
            [
                dispute.reference,
                title(dispute),
                kinds.get(dispute.kind, dispute.kind),
                stages.get(dispute.stage, dispute.stage),
                format_money(dispute.value) if dispute.id in full else "Withheld",
                f"{(today - dispute.raised_on).days} days",
                format_date(target) if target else "",
            ]
        )
    writer.table(
        ["Reference", "Dispute", "Kind", "Stage", "Value", "Age", "Stage target"],
        rows,
        widths=[1.5, 2.6, 1.8, 2.2, 1.1, 0.9, 1.1],
        numeric=(4, 5),
        highlight=late,
        empty="No dispute is open.",
    )
    if late:
        writer.paragraph("Disputes in red are past their stage's target date.", "note")

    writer.heading("Closed disputes: outcome and learning", 0)
    writer.table(
        ["Reference", "Dispute", "Closed", "Outcome", "Learning"],
        [[d.reference, title(d), format_date(d.closed_on), d.outcome, d.learning] for d in closed],
        widths=[1.4, 2, 1, 3, 3],
        empty="No dispute has closed yet.",
    )

    writer.heading("Appendix 14 counts", 0)
    by_year: dict[FinancialYear, list[Dispute]] = defaultdict(list)
    for dispute in disputes:
        by_year[FinancialYear.containing(dispute.raised_on)].append(dispute)
    counts: list[list[object]] = []
    for year in sorted(by_year):
        items = by_year[year]
        arbitration = [d for d in items if any(s.stage == "arbitration_panel" for s in d.stages)]
        counts.append(
            [
                str(year),
                len(items),
                len(arbitration),
                sum(1 for d in arbitration if d.status == "closed"),
                sum(1 for d in items if d.learning.strip()),
            ]
        )
    writer.table(
        ["Year raised", "Disputes", "Needing arbitration (10a)", "Decided (10b)",
         "Learning written up (10c)"],
        counts,
        widths=[1.2, 1, 1.6, 1.2, 1.6],
        numeric=(1, 2, 3, 4),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Service directory (Recommendation 26)


def add_directory(writer: ReportWriter, session: Session, today: date) -> None:
    edition = current_edition(session)
    definitions = session.scalars(
        select(ServiceDefinition)
        .where(
            ServiceDefinition.edition_id == edition.id,
            ServiceDefinition.deleted_at.is_(None),
            ServiceDefinition.retired.is_(False),
        )
        .order_by(ServiceDefinition.position)
    ).all()
    bodies = {o.id: o.name for o in session.scalars(select(Organisation))}
    responsibility: dict[uuid.UUID, CommissioningResponsibility] = {}
    for record in session.scalars(
        select(CommissioningResponsibility)
        .where(
            CommissioningResponsibility.deleted_at.is_(None),
            CommissioningResponsibility.effective_from <= today,
        )
        .order_by(CommissioningResponsibility.effective_from)
    ):
        if record.effective_to is None or record.effective_to >= today:
            responsibility[record.service_line_id] = record
    providers: dict[uuid.UUID, list[str]] = defaultdict(list)
    for designation in session.scalars(
        select(Designation).where(
            Designation.deleted_at.is_(None),
            Designation.starts_on <= today,
            Designation.ends_on >= today,
            Designation.status.in_(("designated", "provisional")),
        )
    ):
        providers[designation.service_line_id].append(bodies.get(designation.provider_id, ""))
    writer.heading("Who commissions each service", 0)
    writer.paragraph(
        "For each service of the National Definitions Set: the body that commissions it, the "
        f"lead commissioner and how to reach them, and the designated providers on "
        f"{format_date(today)} (Recommendation 26)."
    )
    rows = []
    for definition in definitions:
        current = responsibility.get(definition.service_line_id)
        rows.append(
            [
                definition.code,
                definition.title,
                bodies.get(current.body_id, "") if current else "Not assigned",
                current.lead_commissioner if current else "",
                current.lead_contact if current else "",
                ", ".join(sorted(providers.get(definition.service_line_id, []))),
            ]
        )
    writer.table(
        ["No.", "Service", "Commissioned by", "Lead commissioner", "Contact",
         "Designated providers"],
        rows,
        widths=[0.5, 3, 1.8, 1.4, 2.2, 2.2],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Annual report


def add_annual(writer: ReportWriter, session: Session, year: FinancialYear, today: date) -> None:
    programme = read_json("work_programme.json")
    edition = current_edition(session)
    names = {
        d.service_line_id: f"{d.code} {d.title}"
        for d in session.scalars(
            select(ServiceDefinition).where(ServiceDefinition.edition_id == edition.id)
        )
    }
    organisations = {o.id: o.name for o in session.scalars(select(Organisation))}
    designations = session.scalars(
        select(Designation)
        .where(
            Designation.deleted_at.is_(None),
            Designation.starts_on <= year.ends_on,
            Designation.ends_on >= year.starts_on,
        )
        .order_by(Designation.ends_on)
    ).all()
    reviews = session.scalars(
        select(ServiceReview)
        .where(ServiceReview.deleted_at.is_(None))
        .order_by(ServiceReview.started_on)
    ).all()
    in_year = [
        r for r in reviews
        if (r.started_on and r.started_on <= year.ends_on)
        and (r.completed_on is None or r.completed_on >= year.starts_on)
    ]  # fmt: skip
    contracts = session.scalars(
        select(Contract).where(Contract.financial_year == year, Contract.deleted_at.is_(None))
    ).all()

    writer.heading("The year's work programme", 0)
    writer.paragraph(
        "The work programme by the four categories of Appendix 9 of the review. "
        + programme["notes"].split(". ")[-1]
    )
    # EXTENSION POINT (issue 3): when the work programme is held as records, list them here
    # by category; until then each category is summarised from the records it concerns.
    summaries = {
        "Service Designation": (
            f"{sum(1 for d in designations if d.starts_on >= year.starts_on)} designation(s) "
            f"began in the year; "
            f"{sum(1 for d in designations if d.ends_on <= year.ends_on + timedelta(days=365))} "
            "end within a year of its close."
        ),
        "Service Review": (
            f"{len(in_year)} review(s) under way or completed in the year: "
            + "; ".join(
                f"{names.get(r.service_line_id, '')} ({r.kind}, {r.status})" for r in in_year
            )
        ),
        "Developing Contestability and Benchmarking": (
            "Benchmarking of activity, cost and quality as set out in the benchmarking tool below."
        ),
        "Routine Contract Management": (
            f"{len(contracts)} contract(s) for {year}: "
            f"{sum(1 for c in contracts if c.status == 'signed')} signed; "
            f"expected value {format_money(sum((c.expected_value for c in contracts), start=0))}."
        ),
    }
    writer.table(
        ["Category", "What it covers", "This year"],
        [
            [f"{c['number']}. {c['name']}", c["description"][:400], summaries.get(c["name"], "")]
            for c in programme["categories"]
        ],
        widths=[1.4, 3.4, 3],
    )

    writer.heading("Reviews and five-year coverage", 0)
    covered, total = annual.review_coverage(session, year.ends_on)
    writer.paragraph(
        f"{covered} of {total} services have had a review completed in the five years to "
        f"{format_date(year.ends_on)}; every service is expected to be reviewed at least every "
        "five years."
    )
    writer.table(
        ["Service", "Review", "Started", "Completed", "Status", "Findings"],
        [
            [names.get(r.service_line_id, ""), r.kind, format_date(r.started_on),
             format_date(r.completed_on), r.status, r.findings]
            for r in in_year
        ],
        widths=[2.4, 1.5, 1, 1, 0.9, 2.6],
        empty="No review was under way in the year.",
    )  # fmt: skip

    writer.heading("Designations", 0)
    writer.table(
        ["Service", "Provider", "From", "To", "Status"],
        [
            [names.get(d.service_line_id, ""), organisations.get(d.provider_id, ""),
             format_date(d.starts_on), format_date(d.ends_on), d.status]
            for d in designations
        ],
        widths=[3, 2.8, 1, 1, 1],
    )  # fmt: skip

    writer.heading("Review against the fitness-for-purpose framework", 0)
    rows = annual.fitness_review(session, year)
    scored = Counter(r.score for r in rows)
    writer.paragraph(
        f"The SCG reviewed its arrangements against the model fitness-for-purpose framework "
        f"(Appendix 10 of the review): {scored['Y']} criteria achieved (Y), {scored['P']} "
        f"partly achieved (P), {scored['N']} not achieved (N), {scored['']} not yet assessed."
    )
    dimension = ""
    table_rows: list[list[object]] = []
    for row in rows:
        criterion: object = row.text
        if row.dimension != dimension:
            # The first criterion of each dimension carries the dimension's name.
            dimension = row.dimension
            criterion = Paragraph(
                f"<b>{markup(dimension)}</b><br/>{markup(row.text)}", STYLES["cell"]
            )
        table_rows.append([row.id, criterion, row.score or "–", row.evidence, row.plans])
    writer.table(
        ["", "Criterion", "Y/N/P", "Evidence of achievement", "Plans to reach full achievement"],
        table_rows,
        widths=[0.4, 3.6, 0.6, 2.2, 2.2],
    )

    writer.heading("Benchmarking tool (Appendix 14)", 0)
    writer.paragraph(
        "Milestone trends over three years. Figures marked * are computed from the data held; "
        "the others were entered by the SCG.",
        "note",
    )
    bench = annual.benchmark_table(session, year)
    writer.table(
        ["", "Measure", str(year - 2), str(year - 1), str(year), "Comments"],
        [
            [b.id, b.measure]
            + [f"{v.text}{' *' if v.computed and v.text else ''}" for v in b.years]
            + [b.comment]
            for b in bench
        ],
        widths=[0.4, 3.4, 0.8, 0.8, 0.8, 2.6],
        numeric=(2, 3, 4),
    )
    writer.paragraph("* computed from the data.", "note")


# ---------------------------------------------------------------------------------------------
# Decision summary for member PCT boards


def add_decisions(writer: ReportWriter, decisions: list[DecisionRow], public: bool) -> None:
    shown = [d for d in decisions if not (public and d.confidential)]
    writer.heading("Decisions", 0)
    writer.paragraph(
        f"{len(shown)} decision(s). Binding decisions bind every member PCT (000 §78); the vote "
        "and the arithmetic are shown where one was taken."
    )
    if public and len(shown) < len(decisions):
        writer.paragraph(
            f"{len(decisions) - len(shown)} decision(s) taken in private are not included.", "note"
        )
    by_subject: dict[str, list[DecisionRow]] = defaultdict(list)
    for decision in shown:
        by_subject[decision.subject or "Other"].append(decision)
    for subject in sorted(by_subject):
        writer.heading(subject, 1)
        for decision in by_subject[subject]:
            kind = "Binding decision" if decision.binding else "Decision"
            outcome = ""
            if decision.carried is not None:
                outcome = " — carried" if decision.carried else " — not carried"
            writer.rich(
                f"<b>{format_date(decision.held_on)} {decision.reference}</b> "
                f"<font color='#425563'>{kind}{outcome}</font>",
                "body",
            )
            writer.paragraph(decision.text)
            if decision.arithmetic:
                writer.paragraph(f"Vote: {decision.arithmetic}.", "note")
            if decision.warning:
                writer.paragraph(decision.warning, "warning")


# ---------------------------------------------------------------------------------------------
# What needs attention


def attention_confidential(session: Session, today: date) -> bool:
    return any(item.confidential for item in attention.needing_attention(session, today))


def add_attention(
    writer: ReportWriter, session: Session, today: date, public: bool = False
) -> None:
    items = attention.needing_attention(session, today)
    writer.heading("What needs attention", 0)
    counts = Counter(item.kind for item in items)
    writer.paragraph(
        f"{len(items)} item(s) need attention on {format_date(today)}. "
        + "; ".join(
            f"{kind.lower()}: {counts[kind]}" for kind in attention.Kind.ORDER if counts[kind]
        )
    )
    for kind in attention.Kind.ORDER:
        group = [item for item in items if item.kind == kind]
        writer.heading(kind, 1)
        if kind == attention.Kind.OVER_PERFORMANCE and not group:
            writer.paragraph(
                "Not yet checked: over-performance investigations come with contract monitoring.",
                "note",
            )
            continue
        writer.table(
            ["Item", "Detail", "Date"],
            [
                [i.public_title if public else i.title, i.detail, format_date(i.due_on)]
                for i in group
            ],
            widths=[3.5, 3.5, 1],
            highlight=[n for n, i in enumerate(group) if i.overdue and i.due_on is not None],
            empty="Nothing.",
        )
