"""Outreach in the villages: regular visits, campaigns every year, the October 2021 gifts.

Each activity is drawn from the customers it visited: the households reached are a share of
the commune's customers, and the registrations are customers who really turned to non-cash
that month or the next, so outreach and adoption tell the same story. A note names only
channels whose contract has started, under the name they had that month.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from ..models import BARRIER_FIELDS, OutreachActivity, OutreachRegistration
from .customers import REFORM_MONTH
from .names import person
from .scenario import (
    CALIBRATION_MONTH,
    CAMPAIGNS,
    CHANNELS,
    CITY,
    GIFTS_OCT_2021,
    HIGHLAND,
    LOWLAND,
    month_index,
)
from .scenario import period as month_start

REGULAR_VISIT_CHANCE = 0.35  # a branch visits a village in about one month out of three
REGISTERED_PER_ACTIVITY = 10
BARRIER_WEIGHTS = {  # in the order of BARRIER_FIELDS
    CITY: (40, 10, 10, 20, 2, 1, 17),
    LOWLAND: (35, 20, 20, 10, 8, 2, 5),
    HIGHLAND: (20, 25, 25, 3, 12, 12, 3),
}


@dataclass(frozen=True)
class Theme:
    note: str
    partners: tuple = ()  # one is drawn for each activity; none: the branch alone
    channels: tuple = ()  # the codes of the channels the note names
    with_viettel: bool = False  # Viettel Hà Giang's staff come along


THEMES = {
    "regular": Theme("Tuyên truyền thanh toán tiền điện không dùng tiền mặt tại nhà văn hóa thôn."),
    "auto_debit": Theme(
        "Đợt cao điểm: hướng dẫn khách hàng đăng ký trích nợ tự động qua ngân hàng.",
        ("AGRIBANK", "VNPOST"),
        ("AGR-TNTD",),
    ),
    "viettelpay": Theme(
        "Phối hợp với Viettel Hà Giang: cài đặt ViettelPay ngay tại thôn.",
        ("VIETTEL",),
        ("VTP",),
        with_viettel=True,
    ),
    "mobile_money": Theme(
        "Phối hợp với Viettel Hà Giang: mở tài khoản Viettel Money (Mobile Money) ngay tại "
        "thôn, không cần tài khoản ngân hàng.",
        ("VIETTEL",),
        ("VTP",),
        with_viettel=True,
    ),
    "wallets": Theme(
        "Hướng dẫn thanh toán tiền điện qua ví MoMo, ZaloPay và ShopeePay trên điện thoại.",
        ("MOMO", "ZALOPAY", "SHOPEEPAY"),
        ("MOMO", "ZALOPAY", "SHOPEEPAY"),
    ),
    "app": Theme(
        "Hướng dẫn cài đặt Ứng dụng EVNNPC CSKH để xem hóa đơn và thanh toán tiền điện.",
        channels=("EVNAPP",),
    ),
    "reform": Theme(
        "Thông báo sắp xếp đơn vị hành chính từ 01/07/2025: mã khách hàng và cách thanh toán "
        "tiền điện giữ nguyên."
    ),
    "vnpt": Theme(
        "Phối hợp với VNPT: mở tài khoản VNPT Money để thanh toán tiền điện.",
        ("VNPT",),
        ("VNPTMONEY",),
    ),
}
# The theme of each campaign month; other months are regular visits.
CAMPAIGN_THEMES = {20: "auto_debit", 21: "auto_debit", 32: "viettelpay", 33: "viettelpay"}
CAMPAIGN_THEMES |= {38: "mobile_money", 39: "mobile_money", 50: "wallets", 51: "wallets"}
CAMPAIGN_THEMES |= {56: "app", 57: "app", 68: "auto_debit", 69: "auto_debit", 78: "reform"}
CAMPAIGN_THEMES |= {79: "reform", 86: "app", 87: "app", 92: "vnpt", 93: "vnpt"}
GIFTS_NOTE = "Tặng quà khách hàng tiêu biểu thanh toán tiền điện không dùng tiền mặt."
CONTRACT_MONTH = {c.code: month_index(c.contract_start) for c in CHANNELS}


def theme_of(t):
    """The month's theme; a regular visit if a channel it names had no contract yet."""
    theme = THEMES[CAMPAIGN_THEMES.get(t, "regular")]
    if any(CONTRACT_MONTH[code] > t for code in theme.channels):
        return THEMES["regular"]
    return theme


def _months(rng, months):
    """Activity months of one branch; always one in the last month, so recent work shows."""
    for t in range(months):
        count = CAMPAIGNS.get(t, 0)
        if not count and (rng.random() < REGULAR_VISIT_CHANCE or t == months - 1):
            count = 1
        yield from [t] * count


def _population(everyone, code, t):
    """The customers of the branch in month t, and by commune (the reform moves them)."""
    profiles = [p for p in everyone if p.place(t)[0] == code]
    by_commune = defaultdict(list)
    for p in profiles:
        by_commune[p.place(t)[1]].append(p)
    return profiles, by_commune


def _activity(rng, plan, branch, t, population, partners, created_by):
    profiles, by_commune = population
    visited = rng.choice(profiles)
    _, commune_id, village_id = visited.place(t)
    neighbours = [p for p in by_commune[commune_id] if p.first <= t <= p.last]
    reached = max(1, min(len(neighbours), round(len(neighbours) * rng.uniform(0.15, 0.45))))
    adopters = [p for p in neighbours if p.adopt in (t, t + 1)]
    registrations = min(reached, round(len(adopters) * rng.uniform(0.3, 0.6)) + rng.randint(0, 2))
    staff = f"{person(rng, plan.terrain)}, {person(rng, plan.terrain)}"
    theme = theme_of(t)
    partner = partners[rng.choice(theme.partners)] if theme.partners else None
    if theme.with_viettel:
        staff += f"; Viettel Hà Giang: {person(rng, plan.terrain)}"
    activity = OutreachActivity(
        branch=branch,
        date=month_start(t) + timedelta(days=rng.randrange(28)),
        commune_id=commune_id,
        village_id=village_id,
        partner=partner,
        staff_names=staff,
        households_reached=reached,
        registrations=registrations,
        accounts_opened=round(registrations * rng.uniform(0.4, 0.8)),
        notes=theme.note,
        created_by=created_by,
        submission_token=uuid.UUID(int=rng.getrandbits(128)),
    )
    undecided = round((reached - registrations) * 0.8)
    for field in rng.choices(BARRIER_FIELDS, BARRIER_WEIGHTS[plan.terrain], k=undecided):
        setattr(activity, field, getattr(activity, field) + 1)
    registered = rng.sample(adopters, min(len(adopters), registrations, REGISTERED_PER_ACTIVITY))
    return activity, registered


def create_outreach(rng, branches, profiles_by_branch, partners, staff_by_branch, months):
    """Create the activities and their registered customers; returns the activity count."""
    planned = []
    everyone = [p for plan, _ in branches for p in profiles_by_branch[plan.code]]
    for plan, branch in branches:
        populations = {}  # before and after the reform
        for t in _months(rng, months):
            era = t >= REFORM_MONTH
            if era not in populations:
                populations[era] = _population(everyone, plan.code, t)
            activity, registered = _activity(
                rng, plan, branch, t, populations[era], partners, staff_by_branch.get(plan.code)
            )
            planned.append((t, activity, registered))
    october = [a for t, a, _ in planned if t == CALIBRATION_MONTH]
    for _ in range(GIFTS_OCT_2021):
        rng.choice(october).gifts += 1
    for activity in october:
        if activity.gifts:
            activity.notes += " " + GIFTS_NOTE
    _save(planned)
    return len(planned)


def create_this_months_outreach(
    rng, branches, profiles_by_branch, partners, staff_by_branch, months, today
):
    """One regular visit per branch in the month after the demo's last, on or before today.

    For a demo that ends with last month: staff record outreach as they go, so this month
    already has some, and the outreach list (which opens on this month) shows recent work.
    A generator of its own, so the rest of the demo is the same whatever the day.
    """
    t = months - 1  # the customers and places of the last complete month
    first_day = month_start(months)
    everyone = [p for plan, _ in branches for p in profiles_by_branch[plan.code]]
    planned = []
    for plan, branch in branches:
        population = _population(everyone, plan.code, t)
        activity, registered = _activity(
            rng, plan, branch, t, population, partners, staff_by_branch.get(plan.code)
        )
        activity.notes = THEMES["regular"].note
        activity.partner = None
        activity.date = min(today, first_day + timedelta(days=rng.randrange(28)))
        planned.append((t, activity, registered))
    _save(planned)
    return len(planned)


def _save(planned):
    OutreachActivity.objects.bulk_create([a for _, a, _ in planned])
    OutreachRegistration.objects.bulk_create(
        OutreachRegistration(activity=a, customer_id=p.id) for _, a, ps in planned for p in ps
    )
