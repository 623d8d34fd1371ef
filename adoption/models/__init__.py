from .areas import AdminArea, AreaSuccession
from .channels import ChannelClassification, Partner, PaymentChannel
from .closing import (
    BranchSignOff,
    ControlTotal,
    Finding,
    MonthClose,
    MonthEvent,
    ReportedFigures,
    Reversal,
)
from .customers import Customer
from .organisation import Branch, BranchVersion, Company, Corporation, StaffProfile
from .outreach import BARRIER_FIELDS, OutreachActivity, OutreachRegistration
from .payments import ImportBatch, Payment
from .plans import OutreachPlan
from .rollups import (
    BranchMonth,
    ChannelMonth,
    CommuneMonth,
    FirstNoncash,
    RollupDirty,
    RollupState,
)
from .targets import Target
from .territory import BranchTerritory, CustomerPlacement

__all__ = [
    "Reversal",
    "ReportedFigures",
    "MonthEvent",
    "MonthClose",
    "Finding",
    "ControlTotal",
    "BranchSignOff",
    "AdminArea",
    "AreaSuccession",
    "BARRIER_FIELDS",
    "Branch",
    "BranchMonth",
    "BranchTerritory",
    "BranchVersion",
    "ChannelClassification",
    "ChannelMonth",
    "Company",
    "CommuneMonth",
    "Corporation",
    "Customer",
    "CustomerPlacement",
    "FirstNoncash",
    "ImportBatch",
    "OutreachActivity",
    "OutreachPlan",
    "OutreachRegistration",
    "Partner",
    "Payment",
    "PaymentChannel",
    "RollupDirty",
    "RollupState",
    "StaffProfile",
    "Target",
]
