from .areas import AdminArea, AreaSuccession
from .channels import Partner, PaymentChannel
from .customers import Customer
from .organisation import Branch, Company, StaffProfile
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

__all__ = [
    "AdminArea",
    "AreaSuccession",
    "BARRIER_FIELDS",
    "Branch",
    "BranchMonth",
    "ChannelMonth",
    "Company",
    "CommuneMonth",
    "Customer",
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
