"""The Hà Giang story in numbers: branches, adoption curves, channels, targets.

Everything the generator draws from lives here, so the story can be read (and retold) in one
place. Customer counts are at scale 1; rates are in percent.
"""

from dataclasses import dataclass
from datetime import date

from ..choices import ChannelKind, CustomerType, Role

FIRST_YEAR = 2019
MONTHS = 48  # January 2019 .. December 2022
CALIBRATION_MONTH = 33  # October 2021: the month the company's report quotes


def period(t):
    """Month index (0 = January 2019) -> first day of that month."""
    return date(FIRST_YEAR + t // 12, t % 12 + 1, 1)


def month_index(day):
    return (day.year - FIRST_YEAR) * 12 + day.month - 1


CITY, LOWLAND, HIGHLAND = "city", "lowland", "highland"


@dataclass(frozen=True)
class BranchPlan:
    code: str  # two letters: characters 5-6 of the branch's customer codes
    district_code: str  # official GSO code of the district it serves
    name: str
    terrain: str
    customers: int
    rate_oct_2021: float
    target_dec_2021: int
    target_dec_2022: int

    @property
    def branch_name(self):
        return f"Điện lực {self.name}"


BRANCHES = (
    BranchPlan("HG", "024", "Thành phố Hà Giang", CITY, 19_000, 64, 68, 75),
    BranchPlan("BQ", "034", "Bắc Quang", LOWLAND, 32_500, 44, 48, 58),
    BranchPlan("QB", "035", "Quang Bình", LOWLAND, 15_500, 46, 50, 58),
    BranchPlan("VX", "030", "Vị Xuyên", LOWLAND, 24_500, 44, 47, 56),
    BranchPlan("BM", "031", "Bắc Mê", HIGHLAND, 10_500, 35, 40, 50),
    BranchPlan("HS", "032", "Hoàng Su Phì", HIGHLAND, 12_000, 32, 37, 48),
    BranchPlan("XM", "033", "Xín Mần", HIGHLAND, 11_500, 31, 36, 47),
    BranchPlan("QA", "029", "Quản Bạ", HIGHLAND, 9_500, 35, 40, 50),
    BranchPlan("YM", "028", "Yên Minh", HIGHLAND, 15_000, 34, 39, 50),
    BranchPlan("DV", "026", "Đồng Văn", HIGHLAND, 10_500, 30, 35, 45),
    BranchPlan("MV", "027", "Mèo Vạc", HIGHLAND, 10_000, 29, 34, 45),
)

COMPANY = {"code": "PCHG", "name": "Công ty Điện lực Hà Giang", "customer_code_prefix": "PA20"}
PROVINCE = "Hà Giang"

# Company-wide targets (period, percent); the report's headline is 45% by December 2021.
COMPANY_TARGETS = ((date(2019, 12, 1), 20), (date(2020, 12, 1), 30), (date(2021, 12, 1), 45))
COMPANY_TARGETS += ((date(2022, 12, 1), 55),)

# Adoption relative to October 2021, by terrain, at anchor months (linear in between). The
# steps after months 19-20, 31-32 and 38 follow the outreach campaigns; the highland step at
# month 34 is Viettel's mobile money, which needs neither a bank account nor a smartphone.
SHAPES = {
    CITY: {0: 0.42, 11: 0.60, 17: 0.74, 19: 0.76, 20: 0.81, 22: 0.86, 29: 0.92, 32: 0.95,
           33: 1.0, 35: 1.05, 40: 1.09, 47: 1.16},
    LOWLAND: {0: 0.22, 11: 0.40, 17: 0.52, 19: 0.55, 20: 0.63, 22: 0.70, 29: 0.80, 31: 0.84,
              32: 0.88, 33: 1.0, 35: 1.06, 38: 1.12, 41: 1.17, 47: 1.28},
    HIGHLAND: {0: 0.10, 11: 0.22, 17: 0.34, 19: 0.37, 20: 0.46, 22: 0.55, 29: 0.68, 31: 0.73,
               32: 0.80, 33: 1.0, 34: 1.06, 35: 1.12, 38: 1.22, 39: 1.32, 41: 1.38, 47: 1.52},
}  # fmt: skip
MONTHLY_JITTER = 0.03  # each branch climbs unevenly: up to ±3% of its curve, month by month

# Outreach campaigns: (month index, activities per branch). Sep-Oct 2020, Sep-Oct 2021 (joint
# visits with Viettel, gifts in October 2021), Mar-Apr 2022 (mobile money in the highlands).
CAMPAIGNS = {20: 3, 21: 4, 32: 4, 33: 6, 38: 3, 39: 3}
GIFTS_OCT_2021 = 100

# Customer mix: (type, share, propensity factor: lower adopts sooner, median bill in VND).
CUSTOMER_TYPES = (
    (CustomerType.HOUSEHOLD, 0.905, 1.0, None),
    (CustomerType.BUSINESS, 0.05, 0.6, 1_800_000),
    (CustomerType.PUBLIC, 0.02, 0.35, 2_500_000),
    (CustomerType.AGRICULTURE, 0.015, 0.9, 600_000),
    (CustomerType.INDUSTRY, 0.005, 0.5, 8_000_000),
    (CustomerType.OTHER, 0.005, 1.0, 400_000),
)
HOUSEHOLD_BILL = {CITY: 320_000, LOWLAND: 230_000, HIGHLAND: 130_000}
# Summer is hot in the valleys; Tết (February) is a low month.
SEASON = (0.95, 0.9, 0.9, 1.0, 1.15, 1.25, 1.25, 1.2, 1.05, 1.0, 0.95, 1.0)

CONNECTED_BEFORE_2019 = 0.93
DISCONNECTED_SHARE = 0.03
TOWN_PROPENSITY = 0.6  # thị trấn and phường adopt sooner than the xã around them
# Adoption that does not stick: a trial before adopting, a lapse back to cash, or for good.
TRIAL_SHARE, LAPSE_SHARE, REVERT_SHARE = 0.10, 0.10, 0.04
UNPAID_SHARE = 0.3  # customers with one bill never paid in the four years
OTHER_CHANNEL_SHARE = 0.05  # non-cash payments made through another channel than usual


@dataclass(frozen=True)
class PartnerPlan:
    code: str
    name: str
    website: str


PARTNERS = (
    PartnerPlan("AGRIBANK", "Agribank", "https://www.agribank.com.vn"),
    PartnerPlan("BIDV", "BIDV", "https://www.bidv.com.vn"),
    PartnerPlan("VIETCOMBANK", "Vietcombank", "https://www.vietcombank.com.vn"),
    PartnerPlan("VIETINBANK", "VietinBank", "https://www.vietinbank.vn"),
    PartnerPlan("VIETTEL", "Viettel Digital", "https://viettelmoney.vn"),
    PartnerPlan("MOMO", "MoMo", "https://momo.vn"),
    PartnerPlan("VNPOST", "Bưu điện Việt Nam (VNPost)", "https://vnpost.vn"),
    PartnerPlan("PAYOO", "Payoo", "https://payoo.vn"),
    PartnerPlan("VNPAY", "VNPAY", "https://vnpay.vn"),
    PartnerPlan("ECPAY", "ECPay", "https://ecpay.vn"),
)


@dataclass(frozen=True)
class ChannelPlan:
    code: str
    name: str
    kind: str
    partner: str | None
    contract_start: date
    fee: int
    # Share of new adopters who pick this channel: city, lowland, highland.
    weights: tuple = (0, 0, 0)

    @property
    def is_cash(self):
        return self.kind in (ChannelKind.COMPANY_COUNTER, ChannelKind.COLLECTOR)


CHANNELS = (
    ChannelPlan("AGR", "Agribank", ChannelKind.BANK, "AGRIBANK", date(2015, 3, 1), 1_650,
                (20, 35, 35)),
    ChannelPlan("BIDV", "BIDV", ChannelKind.BANK, "BIDV", date(2016, 6, 1), 1_650, (12, 8, 5)),
    ChannelPlan("VCB", "Vietcombank", ChannelKind.BANK, "VIETCOMBANK", date(2016, 6, 1), 1_650,
                (12, 4, 1)),
    ChannelPlan("CTG", "VietinBank", ChannelKind.BANK, "VIETINBANK", date(2016, 9, 1), 1_650,
                (10, 6, 2)),
    ChannelPlan("VTP", "ViettelPay", ChannelKind.EWALLET, "VIETTEL", date(2018, 4, 1), 1_100,
                (15, 20, 30)),
    ChannelPlan("MOMO", "MoMo", ChannelKind.EWALLET, "MOMO", date(2018, 1, 1), 1_100,
                (10, 4, 1)),
    ChannelPlan("VNPOST", "Bưu điện VNPost", ChannelKind.AGENT_COUNTER, "VNPOST",
                date(2016, 1, 1), 2_200, (5, 10, 18)),
    ChannelPlan("PAYOO", "Payoo", ChannelKind.EWALLET, "PAYOO", date(2017, 5, 1), 1_100,
                (4, 3, 2)),
    ChannelPlan("VNPAY", "VNPAY", ChannelKind.EWALLET, "VNPAY", date(2019, 3, 1), 1_100,
                (7, 3, 2)),
    ChannelPlan("ECPAY", "ECPay", ChannelKind.EWALLET, "ECPAY", date(2017, 8, 1), 1_100,
                (3, 3, 4)),
    # Viettel mobile money from November 2021: half the highland adopters after it choose it.
    ChannelPlan("VTMONEY", "Viettel Money (Mobile Money)", ChannelKind.MOBILE_MONEY, "VIETTEL",
                date(2021, 11, 1), 0, (5, 25, 100)),
    ChannelPlan("QUAY", "Quầy thu Điện lực", ChannelKind.COMPANY_COUNTER, None,
                date(2015, 1, 1), 0),
    ChannelPlan("THU", "Thu ngân viên tại nhà", ChannelKind.COLLECTOR, None, date(2015, 1, 1), 0),
)  # fmt: skip
# Share of cash payers who wait for the collector rather than go to the counter.
COLLECTOR_SHARE = {CITY: 0.25, LOWLAND: 0.5, HIGHLAND: 0.75}


@dataclass(frozen=True)
class DemoLogin:
    role: Role | None  # None: the superuser
    label: str
    username: str
    password: str
    first_name: str
    last_name: str
    branch: str | None = None


DEMO_LOGINS = (
    DemoLogin(Role.MANAGERS, "Manager", "quanly", "HaGiang-quanly-2021", "Lan", "Trần Thị"),
    DemoLogin(
        Role.BRANCH_STAFF,
        "Branch staff, Bắc Quang",
        "bacquang",
        "HaGiang-bacquang-2021",
        "Minh",
        "Hoàng Văn",
        branch="BQ",
    ),
    DemoLogin(
        Role.CHANNEL_ADMINS,
        "Channel admin",
        "kenhthanhtoan",
        "HaGiang-kenh-2021",
        "Hà",
        "Nguyễn Thu",
    ),
    DemoLogin(None, "Superuser", "admin", "HaGiang-admin-2021", "Quản trị", ""),
)
