"""The entities of the product (SQLAlchemy) and the domain rules that belong to them."""

from app.models.audit import AccessEntry, AuditEntry, Operation
from app.models.base import Base, Record
from app.models.contracts import (
    Contract,
    ContractLine,
    ContractStatus,
    PlannedActivity,
    ReturnRow,
    ReturnSubmission,
)
from app.models.definitions import (
    CommissioningResponsibility,
    Designation,
    Edition,
    LineKind,
    NationalService,
    ServiceCode,
    ServiceDefinition,
    ServiceLine,
    ServiceReview,
)
from app.models.financial_year import FinancialYear
from app.models.logs import CaseStudy, Dispute, DisputeKind, DisputeParty, DisputeStage
from app.models.meetings import Action, AgendaItem, Body, Decision, Meeting, VotingRule
from app.models.organisations import Membership, Organisation
from app.models.people import Role, UserProfile
from app.models.reference import DatabaseFact, ReferenceCounter, Term, Vocabulary

__all__ = [
    "AccessEntry",
    "Action",
    "AgendaItem",
    "AuditEntry",
    "Base",
    "Body",
    "CaseStudy",
    "CommissioningResponsibility",
    "Contract",
    "ContractLine",
    "ContractStatus",
    "DatabaseFact",
    "Decision",
    "Designation",
    "Dispute",
    "DisputeKind",
    "DisputeParty",
    "DisputeStage",
    "Edition",
    "FinancialYear",
    "LineKind",
    "Meeting",
    "Membership",
    "NationalService",
    "Operation",
    "Organisation",
    "PlannedActivity",
    "Record",
    "ReferenceCounter",
    "ReturnRow",
    "ReturnSubmission",
    "Role",
    "ServiceCode",
    "ServiceDefinition",
    "ServiceLine",
    "ServiceReview",
    "Term",
    "UserProfile",
    "Vocabulary",
    "VotingRule",
]
