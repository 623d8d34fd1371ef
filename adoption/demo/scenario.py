"""The Hà Giang story in numbers: branches, adoption curves, channels, targets.

Everything the generator draws from lives here, so the story can be read (and retold) in one
place. Customer counts are at scale 1; rates are in percent.
"""

from dataclasses import dataclass
from datetime import date

from ..choices import CASH_KINDS, ChannelKind, CustomerType, Role
from ..months import add_months, month_count

FIRST_YEAR = 2019
CALIBRATION_MONTH = 33  # October 2021: the month the company's report quotes
# The story needs October 2021 and the December 2021 headline target at least.
EARLIEST_END = date(2021, 12, 1)


def period(t):
    """Month index (0 = January 2019) -> first day of that month."""
    return add_months(date(FIRST_YEAR, 1, 1), t)


def month_index(day):
    return month_count(date(FIRST_YEAR, 1, 1), day) - 1


def last_complete_month(today):
    """The month before today's: the latest one whose bills are all in."""
    return period(month_index(today) - 1)


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

    @property
    def area_branch_name(self):
        """Its name from July 2025, when the district branches became area branches."""
        return f"Điện lực khu vực {self.name.removeprefix('Thành phố ')}"


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

CORPORATION = {"code": "EVNNPC", "name": "Tổng công ty Điện lực miền Bắc"}
COMPANY = {"code": "PCHG", "name": "Công ty Điện lực Hà Giang", "customer_code_prefix": "PA20"}
PROVINCE = "Hà Giang"
# An assumption of the scenario: from 1 July 2025, as the provinces merged, PC Hà Giang's
# branches join PC Tuyên Quang (its own branches are not part of the demo).
SUCCESSOR_COMPANY = {
    "code": "PCTQ",
    "name": "Công ty Điện lực Tuyên Quang",
    "customer_code_prefix": "PA11",
}

# Company-wide targets (period, percent), each for its year; the report's headline is 45% by
# December 2021. From July 2025 the branches belong to PC Tuyên Quang, which sets its own.
COMPANY_TARGETS = ((date(2019, 12, 1), 20), (date(2020, 12, 1), 30), (date(2021, 12, 1), 45))
COMPANY_TARGETS += ((date(2022, 12, 1), 55), (date(2023, 12, 1), 70), (date(2024, 12, 1), 85))
SUCCESSOR_TARGETS = ((date(2025, 12, 1), 88), (date(2026, 12, 1), 90))
# Branch targets after 2022 rise by this much a year from the branch's December 2022 one.
BRANCH_TARGET_STEP, BRANCH_TARGET_CEILING = 10, 95
LAST_TARGET_YEAR = 2026

# Adoption relative to October 2021, by terrain, at anchor months (linear in between, flat
# after the last). The steps after months 19-20, 31-32 and 38 follow the outreach campaigns;
# the highland step at month 34 is Viettel's mobile money, which needs neither a bank account
# nor a smartphone. From 2023 adoption keeps rising towards what EVNNPC reported for 2024
# (about 87% of customers paying without cash), then levels off.
SHAPES = {
    CITY: {0: 0.42, 11: 0.60, 17: 0.74, 19: 0.76, 20: 0.81, 22: 0.86, 29: 0.92, 32: 0.95,
           33: 1.0, 35: 1.05, 40: 1.09, 47: 1.16, 59: 1.33, 71: 1.47, 83: 1.51, 95: 1.53},
    LOWLAND: {0: 0.22, 11: 0.40, 17: 0.52, 19: 0.55, 20: 0.63, 22: 0.70, 29: 0.80, 31: 0.84,
              32: 0.88, 33: 1.0, 35: 1.06, 38: 1.12, 41: 1.17, 47: 1.28, 59: 1.66, 71: 2.03,
              83: 2.1, 95: 2.15},
    HIGHLAND: {0: 0.10, 11: 0.22, 17: 0.34, 19: 0.37, 20: 0.46, 22: 0.55, 29: 0.68, 31: 0.73,
               32: 0.80, 33: 1.0, 34: 1.06, 35: 1.12, 38: 1.22, 39: 1.32, 41: 1.38, 47: 1.52,
               59: 2.07, 71: 2.6, 83: 2.74, 95: 2.85},
}  # fmt: skip
MONTHLY_JITTER = 0.03  # each branch climbs unevenly: up to ±3% of its curve, month by month

# Outreach campaigns: (month index, activities per branch). Sep-Oct 2020, Sep-Oct 2021 (joint
# visits with Viettel, gifts in October 2021), Mar-Apr 2022 (mobile money in the highlands),
# then one or two a year: e-wallets, the EVN app, auto-debit, the July 2025 reform, VNPT Money.
CAMPAIGNS = {20: 3, 21: 4, 32: 4, 33: 6, 38: 3, 39: 3, 50: 2, 51: 2, 56: 3, 57: 3, 68: 3,
             69: 3, 78: 4, 79: 3, 86: 2, 87: 2, 92: 3, 93: 3}  # fmt: skip
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
UNPAID_SHARE = 0.3  # customers with one bill never paid
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
    PartnerPlan("VNPT", "VNPT Fintech", "https://vnptmoney.vn"),
    PartnerPlan("MOMO", "MoMo", "https://momo.vn"),
    PartnerPlan("ZALOPAY", "ZaloPay", "https://zalopay.vn"),
    PartnerPlan("SHOPEEPAY", "ShopeePay", "https://shopeepay.vn"),
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
    contract_start: date  # a month's first day: no payment goes through it before
    fee: int
    # Share of new adopters who pick this channel: city, lowland, highland.
    weights: tuple = (0, 0, 0)
    # (from month, weights): the channel's pull changes, e.g. with a new service.
    later_weights: tuple = ()
    # ((date.min, first name), (from month, next name), ...): a rename keeps the channel, its
    # code, payments and history; `name` is the current one.
    renamed: tuple = ()

    @property
    def is_cash(self):
        return self.kind in CASH_KINDS

    @property
    def first_name(self):
        return self.renamed[0][1] if self.renamed else self.name

    def weights_on(self, day):
        phases = ((date.min, self.weights), *self.later_weights)
        return [w for start, w in phases if start <= day][-1]


VIETTEL_MONEY_FROM = date(2021, 11, 1)

CHANNELS = (
    ChannelPlan("AGR", "Agribank", ChannelKind.BANK, "AGRIBANK", date(2015, 3, 1), 1_650,
                (20, 35, 35)),
    ChannelPlan("BIDV", "BIDV", ChannelKind.BANK, "BIDV", date(2016, 6, 1), 1_650, (12, 8, 5)),
    ChannelPlan("VCB", "Vietcombank", ChannelKind.BANK, "VIETCOMBANK", date(2016, 6, 1), 1_650,
                (12, 4, 1)),
    ChannelPlan("CTG", "VietinBank", ChannelKind.BANK, "VIETINBANK", date(2016, 9, 1), 1_650,
                (10, 6, 2)),
    # Auto-debit ("trích nợ tự động"): the bank pays each bill from the account on its own.
    ChannelPlan("AGR-TNTD", "Trích nợ tự động Agribank", ChannelKind.AUTO_DEBIT, "AGRIBANK",
                date(2019, 7, 1), 1_650, (6, 10, 6)),
    ChannelPlan("BIDV-TNTD", "Trích nợ tự động BIDV", ChannelKind.AUTO_DEBIT, "BIDV",
                date(2020, 1, 1), 1_650, (4, 3, 1)),
    # ViettelPay became Viettel Money in November 2021, when Viettel's mobile money opened in
    # it: one channel under two names. Half the highland adopters after it choose it.
    ChannelPlan("VTP", "Viettel Money", ChannelKind.EWALLET, "VIETTEL", date(2018, 4, 1), 1_100,
                (15, 20, 30), later_weights=((VIETTEL_MONEY_FROM, (20, 45, 130)),),
                renamed=((date.min, "ViettelPay"), (VIETTEL_MONEY_FROM, "Viettel Money"))),
    ChannelPlan("VNPTMONEY", "VNPT Money", ChannelKind.MOBILE_MONEY, "VNPT", date(2022, 1, 1),
                0, (3, 8, 20)),
    ChannelPlan("MOMO", "MoMo", ChannelKind.EWALLET, "MOMO", date(2018, 1, 1), 1_100,
                (10, 4, 1)),
    ChannelPlan("ZALOPAY", "ZaloPay", ChannelKind.EWALLET, "ZALOPAY", date(2020, 3, 1), 1_100,
                (6, 2, 1)),
    ChannelPlan("SHOPEEPAY", "ShopeePay", ChannelKind.EWALLET, "SHOPEEPAY", date(2021, 3, 1),
                1_100, (5, 2, 1)),
    # EVNNPC's own customer app: it hands the payment to a gateway, like an intermediary.
    ChannelPlan("EVNAPP", "Ứng dụng EVNNPC CSKH", ChannelKind.EWALLET, None, date(2020, 6, 1),
                0, (8, 5, 3), later_weights=((date(2023, 1, 1), (16, 10, 6)),)),
    # The post office and ECPay's shop agents take banknotes on the company's behalf and pay
    # it by transfer: counted as non-cash, as the company's report does.
    ChannelPlan("VNPOST", "Bưu điện VNPost", ChannelKind.POST_OFFICE, "VNPOST",
                date(2016, 1, 1), 2_200, (5, 10, 18)),
    ChannelPlan("PAYOO", "Payoo", ChannelKind.EWALLET, "PAYOO", date(2017, 5, 1), 1_100,
                (4, 3, 2)),
    ChannelPlan("VNPAY", "VNPAY", ChannelKind.EWALLET, "VNPAY", date(2019, 3, 1), 1_100,
                (7, 3, 2)),
    ChannelPlan("ECPAY", "ECPay", ChannelKind.AGENT_COUNTER, "ECPAY", date(2017, 8, 1), 1_100,
                (3, 3, 4)),
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
