"""Outreach in the villages: regular visits, three campaigns, the October 2021 gifts.

Each activity is drawn from the customers it visited: the households reached are a share of
the commune's customers, and the registrations are customers who really turned to non-cash
that month or the next, so outreach and adoption tell the same story.
"""

import uuid
from datetime import timedelta

from ..models import BARRIER_FIELDS, OutreachActivity, OutreachRegistration
from .names import person
from .scenario import CALIBRATION_MONTH, CAMPAIGNS, CITY, GIFTS_OCT_2021, HIGHLAND, LOWLAND, MONTHS
from .scenario import period as month_start

REGULAR_VISIT_CHANCE = 0.35  # a branch visits a village in about one month out of three
REGISTERED_PER_ACTIVITY = 10
BARRIER_WEIGHTS = {  # in the order of BARRIER_FIELDS
    CITY: (40, 10, 10, 20, 2, 1, 17),
    LOWLAND: (35, 20, 20, 10, 8, 2, 5),
    HIGHLAND: (20, 25, 25, 3, 12, 12, 3),
}
VIETTEL_MONTHS = {32, 33, 38, 39}
NOTES = {
    "regular": "Tuyên truyền thanh toán tiền điện không dùng tiền mặt tại nhà văn hóa thôn.",
    "campaign": "Đợt cao điểm: hướng dẫn khách hàng đăng ký trích nợ tự động qua ngân hàng.",
    "viettel": "Phối hợp với Viettel Hà Giang: cài đặt ViettelPay, mở tài khoản Viettel Money "
    "ngay tại thôn.",
    "gifts": "Tặng quà khách hàng tiêu biểu thanh toán tiền điện không dùng tiền mặt.",
}


def _months(rng):
    for t in range(MONTHS):
        count = CAMPAIGNS.get(t, 0)
        if not count and rng.random() < REGULAR_VISIT_CHANCE:
            count = 1
        yield from [t] * count


def _activity(rng, plan, branch, t, profiles, partners, created_by):
    visited = rng.choice(profiles)
    commune_id = visited.commune_id
    neighbours = [p for p in profiles if p.commune_id == commune_id and p.first <= t <= p.last]
    reached = max(1, min(len(neighbours), round(len(neighbours) * rng.uniform(0.15, 0.45))))
    adopters = [p for p in neighbours if p.adopt in (t, t + 1)]
    registrations = min(reached, round(len(adopters) * rng.uniform(0.3, 0.6)) + rng.randint(0, 2))
    staff = f"{person(rng, plan.terrain)}, {person(rng, plan.terrain)}"
    if t in VIETTEL_MONTHS:
        partner, note = partners["VIETTEL"], NOTES["viettel"]
        staff += f"; Viettel Hà Giang: {person(rng, plan.terrain)}"
    elif t in CAMPAIGNS:
        partner, note = partners[rng.choice(("AGRIBANK", "VNPOST"))], NOTES["campaign"]
    else:
        partner, note = None, NOTES["regular"]
    activity = OutreachActivity(
        branch=branch,
        date=month_start(t) + timedelta(days=rng.randrange(28)),
        commune_id=commune_id,
        village_id=visited.village_id,
        partner=partner,
        staff_names=staff,
        households_reached=reached,
        registrations=registrations,
        accounts_opened=round(registrations * rng.uniform(0.4, 0.8)),
        notes=note,
        created_by=created_by,
        submission_token=uuid.UUID(int=rng.getrandbits(128)),
    )
    undecided = round((reached - registrations) * 0.8)
    for field in rng.choices(BARRIER_FIELDS, BARRIER_WEIGHTS[plan.terrain], k=undecided):
        setattr(activity, field, getattr(activity, field) + 1)
    registered = rng.sample(adopters, min(len(adopters), registrations, REGISTERED_PER_ACTIVITY))
    return activity, registered


def create_outreach(rng, branches, profiles_by_branch, partners, staff_by_branch):
    """Create the activities and their registered customers; returns the activity count."""
    planned = []
    for plan, branch in branches:
        profiles = profiles_by_branch[plan.code]
        for t in _months(rng):
            activity, registered = _activity(
                rng, plan, branch, t, profiles, partners, staff_by_branch.get(plan.code)
            )
            planned.append((t, activity, registered))
    october = [a for t, a, _ in planned if t == CALIBRATION_MONTH]
    for _ in range(GIFTS_OCT_2021):
        rng.choice(october).gifts += 1
    for activity in october:
        if activity.gifts:
            activity.notes += " " + NOTES["gifts"]
    OutreachActivity.objects.bulk_create([a for _, a, _ in planned])
    OutreachRegistration.objects.bulk_create(
        OutreachRegistration(activity=a, customer_id=p.id) for _, a, ps in planned for p in ps
    )
    return len(planned)
