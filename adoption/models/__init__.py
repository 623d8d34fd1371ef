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
from .notifications import AlertKind, AlertMute, Cadence, Delivery, DeliveryStatus, Subscription
from .organisation import Branch, BranchVersion, Company, Corporation, StaffProfile
from .outreach import BARRIER_FIELDS, OutreachActivity, OutreachRegistration
from .payments import ImportBatch, Payment, PaymentReference
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
    "AlertKind",
    "AlertMute",
    "Cadence",
    "Delivery",
    "DeliveryStatus",
    "Subscription",
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
    "PaymentReference",
    "RollupDirty",
    "RollupState",
    "StaffProfile",
    "Target",
]
