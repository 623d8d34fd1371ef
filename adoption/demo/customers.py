"""Demo customers and when each one turns to non-cash payment (or back).

Every customer gets a propensity rank u in (0, 1) within their branch (towns, businesses and
public offices rank lower, so they adopt sooner) and adopts in the first month the branch's
adoption curve passes u. On top of that some try non-cash once and go back, some lapse for a
few months, and some return to cash for good: adoption that does not stick. Finally each
branch is calibrated so October 2021 shows the rate the company reported, exactly.
"""

import bisect
from datetime import date, timedelta

from ..areas_loader import REFORM_DATE
from .names import customer_name
from .scenario import (
    CALIBRATION_MONTH,
    CAMPAIGNS,
    COLLECTOR_SHARE,
    CONNECTED_BEFORE_2019,
    CUSTOMER_TYPES,
    DISCONNECTED_SHARE,
    HOUSEHOLD_BILL,
    LAPSE_SHARE,
    MONTHLY_JITTER,
    REVERT_SHARE,
    SHAPES,
    TOWN_PROPENSITY,
    TRIAL_SHARE,
    UNPAID_SHARE,
    month_index,
    period,
)

NEVER = 10_000  # a month index after any end
REFORM_MONTH = month_index(REFORM_DATE)


class Profile:
    """One demo customer: the Customer row's values and their payment behaviour."""

    __slots__ = (
        "code", "name", "branch", "commune_id", "village_id", "customer_type", "connected_on",
        "disconnected_on", "first", "last", "unpaid", "u", "adopt", "trial", "lapse", "revert",
        "bill", "channel_draw", "cash_channel", "noncash_channel", "id", "after",
    )  # fmt: skip

    def place(self, t):
        """(branch code, commune id, village id) in month t: `after` from the 2025 reform."""
        if self.after is not None and t >= REFORM_MONTH:
            return self.after
        return self.branch.code, self.commune_id, self.village_id

    def noncash(self, t):
        """Does this customer pay month t's bill without cash?"""
        adopt = NEVER if self.adopt is None else self.adopt
        if t >= adopt:
            k = t - adopt
            if self.revert is not None and k >= self.revert:
                return False
            return self.lapse is None or not self.lapse[0] <= k < self.lapse[1]
        return self.trial is not None and self.trial[0] <= t < self.trial[1]

    def counted_noncash(self, t):
        """In month t's adoption rate numerator: active, paid, and not in cash."""
        return self.first <= t <= self.last and t != self.unpaid and self.noncash(t)


def _interpolate(anchors, months):
    points = sorted(anchors.items())
    values = []
    for t in range(months):
        for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
            if t0 <= t <= t1:
                values.append(v0 + (v1 - v0) * (t - t0) / (t1 - t0))
                break
        else:
            values.append(points[-1][1])
    return values


def adoption_curve(plan, rng, months):
    """Share of the branch's customers adopted by each month: the terrain's shape, scaled to
    the October 2021 rate, with the branch's own unevenness; never decreasing."""
    rate = plan.rate_oct_2021 / 100
    curve, highest = [], 0.0
    for t, shape in enumerate(_interpolate(SHAPES[plan.terrain], months)):
        jitter = 0 if t == CALIBRATION_MONTH else rng.uniform(-MONTHLY_JITTER, MONTHLY_JITTER)
        highest = max(highest, min(0.97, rate * shape * (1 + jitter)))
        curve.append(highest)
    return curve


def _random_day(rng, first, last):
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _campaign_month(rng, months):
    """Trials cluster in outreach campaign months."""
    if rng.random() < 0.6:
        return rng.choice([t for t in CAMPAIGNS if t < months])
    return rng.randrange(months - 1)


def make_profiles(plan, communes, villages, count, rng, months):
    """`count` customers of one branch over its communes ([(id, name, is_town)]), for the
    months 0 .. months - 1."""
    last_day = period(months) - timedelta(days=1)
    weights = [(3.0 if is_town else 1.0) * rng.uniform(0.6, 1.4) for _, _, is_town in communes]
    commune_factor = {
        cid: TOWN_PROPENSITY if is_town else rng.uniform(0.8, 1.25) for cid, _, is_town in communes
    }
    type_weights = [share for _, share, _, _ in CUSTOMER_TYPES]
    profiles = []
    for n in range(1, count + 1):
        p = Profile()
        p.code = f"PA20{plan.code}{n:07d}"
        commune_id, commune_name, _ = rng.choices(communes, weights)[0]
        p.commune_id = commune_id
        p.village_id = rng.choice(villages[commune_id]) if rng.random() < 0.9 else None
        ctype, _, propensity, median_bill = rng.choices(CUSTOMER_TYPES, type_weights)[0]
        p.customer_type = ctype
        p.name = customer_name(rng, ctype, plan.terrain, commune_name)
        p.branch = plan
        if rng.random() < CONNECTED_BEFORE_2019:
            p.connected_on = _random_day(rng, date(1995, 1, 1), date(2018, 12, 31))
        else:
            p.connected_on = _random_day(rng, date(2019, 1, 1), last_day)
        p.disconnected_on = None
        start = max(p.connected_on, date(2019, 1, 1)) + timedelta(days=30)
        if rng.random() < DISCONNECTED_SHARE and start < last_day:
            p.disconnected_on = _random_day(rng, start, last_day)
        p.first = max(0, month_index(p.connected_on))
        p.last = months - 1 if p.disconnected_on is None else month_index(p.disconnected_on)
        p.unpaid = rng.randrange(p.first, p.last + 1) if rng.random() < UNPAID_SHARE else None
        p.u = rng.random() * propensity * commune_factor[commune_id]
        p.trial = p.lapse = None
        if rng.random() < TRIAL_SHARE:
            start = _campaign_month(rng, months)
            p.trial = (start, start + rng.randint(1, 3))
        if rng.random() < LAPSE_SHARE:
            start = rng.randint(2, 14)  # months after adopting
            p.lapse = (start, start + rng.randint(1, 4))
        p.revert = rng.randint(3, 18) if rng.random() < REVERT_SHARE else None
        bill = median_bill or HOUSEHOLD_BILL[plan.terrain]
        p.bill = max(20_000, bill * rng.lognormvariate(0, 0.45))
        p.channel_draw = rng.random()
        p.cash_channel = "THU" if rng.random() < COLLECTOR_SHARE[plan.terrain] else "QUAY"
        p.noncash_channel = None
        p.adopt = None
        p.after = None
        profiles.append(p)
    # Ranks, not raw scores: the branch's curve then means the same share at every scale.
    for rank, p in enumerate(sorted(profiles, key=lambda p: p.u)):
        p.u = (rank + 0.5) / count
    return profiles


def _adopt(profiles, curve, factor):
    scaled = [min(0.98, v * factor) for v in curve]
    for p in profiles:
        t = _first_above(scaled, p.u)
        p.adopt = None if t >= len(curve) else t


def _first_above(curve, u):
    """First month whose (non-decreasing) curve value exceeds u; len(curve) if none."""
    return bisect.bisect_right(curve, u)


def _rate(profiles, t):
    active = [p for p in profiles if p.first <= t <= p.last]
    return sum(p.counted_noncash(t) for p in active) / len(active), active


def calibrate(profiles, curve, rate):
    """Adopt along the curve so the month's counted rate is `rate`, to the nearest customer.

    Lapses, reversals, trials and unpaid bills move the counted rate off the curve; scaling
    the curve absorbs that on average, and moving the adoption month of the customers nearest
    the threshold absorbs the rest. Returns the count of customers so moved.
    """
    t = CALIBRATION_MONTH
    factor = 1.0
    for _ in range(3):
        _adopt(profiles, curve, factor)
        counted, _ = _rate(profiles, t)
        factor *= rate / counted if counted else 1.0
    _adopt(profiles, curve, factor)
    counted, active = _rate(profiles, t)
    wanted = round(rate * len(active))
    missing = wanted - round(counted * len(active))
    paid = [p for p in active if p.unpaid != t]
    if missing > 0:
        later = [p for p in paid if not p.noncash(t) and (p.adopt is None or p.adopt > t)]
        moved = sorted(later, key=lambda p: p.u)[:missing]
        for p in moved:
            p.adopt = t
    else:
        adopted = [
            p
            for p in paid
            if p.noncash(t)
            and p.adopt is not None
            and p.adopt <= t
            and not (p.trial and p.trial[0] <= t < p.trial[1])
        ]
        moved = sorted(adopted, key=lambda p: -p.u)[:-missing]
        for p in moved:
            p.adopt = t + 1
    return len(moved)
