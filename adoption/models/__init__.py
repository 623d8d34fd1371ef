from .areas import AdminArea, AreaSuccession
from .channels import ChannelClassification, Partner, PaymentChannel
from .customers import Customer
from .organisation import Branch, Company, StaffProfile
from .outreach import BARRIER_FIELDS, OutreachActivity, OutreachRegistration
from .payments import ImportBatch, Payment
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
    "ChannelClassification",
    "ChannelMonth",
    "Company",
    "CommuneMonth",
    "Customer",
    "FirstNoncash",
    "ImportBatch",
    "OutreachActivity",
    "OutreachRegistration",
    "Partner",
    "Payment",
    "PaymentChannel",
    "RollupDirty",
    "RollupState",
    "StaffProfile",
    "Target",
]
