"""Property: whatever customers, payments, edits, deletes, reversals, channel reclassifications
and territory changes happen (through signals, bulk loads with explicit markers, reclassify/restate,
the territory services, and refreshes in between), every count and rate read from the rollups,
as it was and as it is now, equals the one computed straight from the raw rows by the plain
Python below (each payment classified by the channel classification in force for its bill
period, each customer counted in the commune and branch of that period, a reversed payment
nowhere)."""

import os
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adoption import channel_history, customer_places, metrics, reversals, territory
from adoption.choices import ChannelKind, ReversalKind
from adoption.metrics import dirty, freshness
from adoption.models import (
    BranchTerritory,
    ChannelClassification,
    Customer,
    CustomerPlacement,
    Payment,
    PaymentChannel,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = date(2023, 9, 1)
CHANNELS = ("viettelpay", "agribank", "counter", "collector")
# Classifications a channel may be given (each kind with a cash flag it allows).
CLASSES = (
    (ChannelKind.AGENT_COUNTER, True),
    (ChannelKind.POST_OFFICE, False),
    (ChannelKind.EWALLET, False),
    (ChannelKind.COLLECTOR, True),
)
COMMUNES = {"bq": ("viet_quang", "tan_quang"), "qb": ("yen_binh",)}
ALL_COMMUNES = ("viet_quang", "tan_quang", "yen_binh")
# Written out, not taken from metrics.COUNT_FIELDS: a count dropped from the rollups must fail
# this test rather than quietly leave it.
COUNTS = (
    "active_customers",
    "paying_customers",
    "noncash_customers",
    "payments",
    "noncash_payments",
    "amount",
    "noncash_amount",
    "new_noncash_customers",
    "back_to_cash_customers",
    "cohort_6m_customers",
    "retained_6m_customers",
)


def month(offset):
    index = BASE.month - 1 + offset
    return date(BASE.year + index // 12, index % 12 + 1, 1)


customer_specs = st.fixed_dictionaries(
    {
        "branch": st.sampled_from(["bq", "qb"]),
        "commune": st.integers(0, 1),
        "type": st.sampled_from(["household", "business"]),
        "connected": st.integers(-3, 8),
        "day": st.integers(1, 28),
        "disconnected_after": st.none() | st.integers(0, 300),
    }
)
payment_specs = st.tuples(
    st.integers(0, 5), st.integers(0, 10), st.sampled_from(CHANNELS), st.integers(1, 9)
)
operations = st.one_of(
    st.tuples(st.just("refresh")),
    st.tuples(st.just("delete_payment"), st.integers(0, 30)),
    st.tuples(
        st.just("change_payment"), st.integers(0, 30), st.integers(0, 10), st.sampled_from(CHANNELS)
    ),
    st.tuples(st.just("edit_customer"), st.integers(0, 5), customer_specs),
    st.tuples(st.just("bulk_add"), payment_specs),
    st.tuples(
        st.just("reclassify"),
        st.sampled_from(CHANNELS),
        st.sampled_from(CLASSES),
        st.integers(-1, 11),
        st.none() | st.integers(0, 3),
    ),
    st.tuples(st.just("delete_customer"), st.integers(0, 5)),
    # A refund or failed debit: refused (nothing changes) when the payment is already reversed.
    st.tuples(st.just("reverse_payment"), st.integers(0, 30)),
    # Territory over time: a customer moves, a commune changes branch, from a month on.
    st.tuples(
        st.just("move_customer"),
        st.integers(0, 5),
        st.sampled_from(ALL_COMMUNES),
        st.integers(0, 10),
    ),
    st.tuples(
        st.just("reassign"),
        st.sampled_from(ALL_COMMUNES),
        st.sampled_from(["bq", "qb"]),
        st.integers(0, 10),
    ),
)
scenarios = st.fixed_dictionaries(
    {
        "customers": st.lists(customer_specs, min_size=1, max_size=6),
        "payments": st.lists(payment_specs, max_size=25),
        "operations": st.lists(operations, max_size=10),
    }
)


class World:
    def __init__(self, areas, branches, channels):
        self.areas, self.branches, self.channels = areas, branches, channels
        self.customers = []
        self.references = iter(range(1, 100_000))

    def customer_fields(self, spec):
        communes = COMMUNES[spec["branch"]]
        connected = month(spec["connected"]).replace(day=spec["day"])
        after = spec["disconnected_after"]
        return {
            "branch": self.branches[spec["branch"]],
            "commune": self.areas[communes[spec["commune"] % len(communes)]],
            "customer_type": spec["type"],
            "connected_on": connected,
            "disconnected_on": None if after is None else connected + timedelta(days=after),
        }

    def add_customer(self, spec):
        n = len(self.customers)
        self.customers.append(
            Customer.objects.create(
                code=f"PA20PT{n:07d}", name=f"KH {n}", **self.customer_fields(spec)
            )
        )

    def payment(self, spec):
        index, offset, channel, amount = spec
        period = month(offset)
        return Payment(
            customer=self.customers[index % len(self.customers)],
            period=period,
            channel=self.channels[channel],
            amount=amount * 10_000,
            paid_at=datetime(period.year, period.month, 15, tzinfo=TZ) + timedelta(days=offset),
            reference=f"P{next(self.references)}",
        )

    def reclassify(self, channel, new_class, offset, restated_months):
        """From a month on when it is after the class in force, else (or when a span is given)
        a restatement of that month and the next few."""
        channel = PaymentChannel.objects.get(pk=self.channels[channel].pk)
        kind, is_cash = new_class
        first = month(offset)
        admin = User.objects.get_or_create(username="root", is_superuser=True)[0]
        try:
            if restated_months is None:
                channel_history.reclassify(channel, kind, is_cash, first, admin)
            else:
                last = month(offset + restated_months)
                channel_history.restate(channel, kind, is_cash, first, admin, "p", to_period=last)
        except ValidationError:
            pass  # refused: nothing changed (test_channel_history.py checks which and why)

    def nth_payment(self, n):
        payments = list(Payment.objects.order_by("id"))
        return payments[n % len(payments)] if payments else None

    def apply(self, operation):
        kind, *args = operation
        if kind == "refresh":
            freshness.ensure_fresh()
        elif kind == "delete_payment" and (payment := self.nth_payment(args[0])):
            payment.delete()
        elif kind == "change_payment" and (payment := self.nth_payment(args[0])):
            payment.period = month(args[1])
            payment.channel = self.channels[args[2]]
            payment.save()
        elif kind == "edit_customer":
            customer = self.customers[args[0] % len(self.customers)]
            if Customer.objects.filter(pk=customer.pk).exists():
                for field, value in self.customer_fields(args[1]).items():
                    setattr(customer, field, value)
                customer.save()
        elif kind == "bulk_add":
            # As an import does: no signals, explicit markers (refresh_scope's).
            payment = self.payment(args[0])
            if Customer.objects.filter(pk=payment.customer.pk).exists():
                Payment.objects.bulk_create([payment])
                branch_id = Customer.objects.get(pk=payment.customer.pk).branch_id
                related = dirty.branches_sharing_customers()[branch_id]
                dirty.mark_dirty([payment.period], related)
        elif kind == "reverse_payment" and (payment := self.nth_payment(args[0])):
            try:
                reversals.reverse(
                    payment.channel, payment.reference, payment.amount, ReversalKind.REFUND, None
                )
            except ValidationError:
                assert payment.reversed_at is not None
        elif kind == "reclassify":
            self.reclassify(*args)
        elif kind == "move_customer":
            customer = self.customers[args[0] % len(self.customers)]
            if Customer.objects.filter(pk=customer.pk).exists():
                refused_or_done(
                    customer_places.move_customer,
                    customer,
                    self.areas[args[1]],
                    None,
                    month(args[2]),
                )
        elif kind == "reassign":
            pairs = [(self.areas[args[0]], self.branches[args[1]])]
            refused_or_done(territory.reassign_communes, pairs, month(args[2]))
        elif kind == "delete_customer":
            customer = self.customers[args[0] % len(self.customers)]
            exists = Customer.objects.filter(pk=customer.pk)
            if exists.exists() and not Payment.objects.filter(customer=customer).exists():
                customer.delete()


def refused_or_done(change, *args):
    """Apply a territory change; one the service refuses must have changed nothing."""
    before = territory_rows()
    try:
        change(*args)
    except ValidationError:
        assert territory_rows() == before


def territory_rows():
    return (
        list(CustomerPlacement.objects.order_by("pk").values()),
        list(BranchTerritory.objects.order_by("pk").values()),
    )


def in_force(rows, period):
    """The one row (of a customer's placements or a commune's territory) in force then."""
    found = [r for r in rows if r["valid_from"] <= period and (r["valid_to"] or period) >= period]
    assert len(found) <= 1, found
    return found[0] if found else None


def add(period, n):
    index = period.year * 12 + period.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def counts_from_raw_rows():
    """Per (period, branch, commune, customer type): the definitions of docs/metrics.md,
    customer by customer."""
    customers = list(Customer.objects.values())
    payments = list(
        Payment.objects.filter(reversed_at=None).values(
            "customer_id", "period", "amount", "channel_id"
        )
    )
    if not payments:
        return {}
    for p in payments:
        p["channel__is_cash"] = classification(p["channel_id"], p["period"])[1]
    paid = defaultdict(list)
    for p in payments:
        paid[p["customer_id"], p["period"]].append(p)
    first_noncash = {}
    for p in payments:
        if not p["channel__is_cash"]:
            c = p["customer_id"]
            first_noncash[c] = min(first_noncash.get(c, p["period"]), p["period"])

    def noncash(c, period):
        return any(not p["channel__is_cash"] for p in paid[c, period])

    placements, served = defaultdict(list), defaultdict(list)
    for row in CustomerPlacement.objects.values():
        placements[row["customer_id"]].append(row)
    for row in BranchTerritory.objects.values():
        served[row["commune_id"]].append(row)

    def place(c, period):
        """(branch, commune) the customer counted in for the period, as it was."""
        placement = in_force(placements[c["id"]], period)
        commune = placement["commune_id"] if placement else c["commune_id"]
        territory_row = in_force(served[commune], period)
        return (territory_row["branch_id"] if territory_row else c["branch_id"]), commune

    rows = defaultdict(Counter)
    period, last = min(p["period"] for p in payments), max(p["period"] for p in payments)
    while period <= last:
        month_end = add(period, 1) - timedelta(days=1)
        for c in customers:
            cid = c["id"]
            active = c["connected_on"] <= month_end and (
                c["disconnected_on"] is None or c["disconnected_on"] >= period
            )
            mine = paid[cid, period]
            first = first_noncash.get(cid)
            if not (active or mine or first in (period, add(period, -6))):
                continue
            row = rows[(period, *place(c, period), c["customer_type"])]
            row["active_customers"] += active
            row["paying_customers"] += bool(mine)
            row["noncash_customers"] += noncash(cid, period)
            row["payments"] += len(mine)
            row["noncash_payments"] += sum(not p["channel__is_cash"] for p in mine)
            row["amount"] += sum(p["amount"] for p in mine)
            row["noncash_amount"] += sum(p["amount"] for p in mine if not p["channel__is_cash"])
            row["new_noncash_customers"] += first == period
            row["back_to_cash_customers"] += (
                bool(mine) and not noncash(cid, period) and noncash(cid, add(period, -1))
            )
            row["cohort_6m_customers"] += first == add(period, -6)
            row["retained_6m_customers"] += first == add(period, -6) and noncash(cid, period)
        period = add(period, 1)
    return rows


def classification(channel_id, period):
    """(kind, is_cash) of the channel's classification in force for the period, read from the
    rows themselves."""
    [row] = [
        r
        for r in ChannelClassification.objects.filter(channel_id=channel_id)
        if r.valid_from <= period and (r.valid_to is None or r.valid_to >= period)
    ]
    return row.kind, row.is_cash


def rate(numerator, denominator):
    return numerator * 100 / denominator if denominator else None


def expected_rows(raw, key, customer_type=None):
    grouped = defaultdict(Counter)
    for (period, branch, commune, kind), counts in raw.items():
        if customer_type in (None, kind):
            grouped[key(period, branch, commune)].update(counts)
    result = {}
    for k, counts in grouped.items():
        row = {name: counts[name] for name in COUNTS}
        row["adoption_rate"] = rate(row["noncash_customers"], row["active_customers"])
        row["paying_rate"] = rate(row["noncash_customers"], row["paying_customers"])
        row["payment_share"] = rate(row["noncash_payments"], row["payments"])
        row["amount_share"] = rate(row["noncash_amount"], row["amount"])
        row["retention_6m"] = rate(row["retained_6m_customers"], row["cohort_6m_customers"])
        result[k] = row
    return result


def as_it_is_now(raw):
    """The raw counts regrouped by hand onto today's branch of each commune (the scenarios
    keep their communes, so today's commune is the same one)."""
    today = date.today()
    serving = {
        t["commune_id"]: t["branch_id"]
        for t in BranchTerritory.objects.values()
        if t["valid_from"] <= today and (t["valid_to"] or today) >= today
    }
    now = defaultdict(Counter)
    for (period, branch, commune, kind), counts in raw.items():
        now[period, serving.get(commune, branch), commune, kind].update(counts)
    return now


def read_rows(group, key, customer_types=None, view="was"):
    rows = metrics.monthly_rates(
        start=date(2000, 1, 1),
        end=date(2100, 1, 1),
        group=group,
        customer_types=customer_types,
        view=view,
    )
    return {key(r): {name: r[name] for name in (*COUNTS, *metrics.RATES)} for r in rows}


def channel_mix_from_raw_rows(by="channel"):
    mix = defaultdict(lambda: [0, 0, Counter()])
    for p in Payment.objects.filter(reversed_at=None).values(
        "period", "channel_id", "amount", "customer_id"
    ):
        key = (
            p["channel_id"] if by == "channel" else classification(p["channel_id"], p["period"])[0]
        )
        entry = mix[p["period"], key]
        entry[0] += 1
        entry[1] += p["amount"]
        # Per kind, a customer counts once for each channel of it (metrics.channel_mix).
        entry[2][p["customer_id"], p["channel_id"]] = 1
    return {k: (n, amount, len(who)) for k, (n, amount, who) in mix.items()}


@settings(
    # Modest by default so the suite stays fast; METRICS_EXAMPLES=1000 for a deeper search.
    max_examples=int(os.environ.get("METRICS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios)
def test_rollup_rates_equal_rates_from_the_raw_rows(areas, branches, channels, scenario):
    with transaction.atomic():
        world = World(areas, branches, channels)
        for spec in scenario["customers"]:
            world.add_customer(spec)
        for spec in scenario["payments"]:
            world.payment(spec).save()
        for operation in scenario["operations"]:
            world.apply(operation)

        freshness.ensure_fresh()
        raw = counts_from_raw_rows()

        assert read_rows("commune", lambda r: (r["period"], r["branch_id"], r["commune_id"])) == (
            expected_rows(raw, lambda p, b, c: (p, b, c))
        )
        assert read_rows("branch", lambda r: (r["period"], r["branch_id"])) == expected_rows(
            raw, lambda p, b, c: (p, b)
        )
        assert read_rows("company", lambda r: r["period"]) == expected_rows(raw, lambda p, b, c: p)
        now = as_it_is_now(raw)
        assert read_rows(
            "commune", lambda r: (r["period"], r["branch_id"], r["commune_id"]), view="now"
        ) == expected_rows(now, lambda p, b, c: (p, b, c))
        assert read_rows("branch", lambda r: (r["period"], r["branch_id"]), view="now") == (
            expected_rows(now, lambda p, b, c: (p, b))
        )
        # Regrouping moves counts between rows, never changes their sum.
        assert read_rows("company", lambda r: r["period"], view="now") == expected_rows(
            raw, lambda p, b, c: p
        )
        mix = metrics.channel_mix(start=date(2000, 1, 1), end=date(2100, 1, 1), by="channel")
        assert {
            (r["period"], r["channel_id"]): (r["payments"], r["amount"], r["customers"])
            for r in mix
        } == channel_mix_from_raw_rows()
        by_kind = metrics.channel_mix(start=date(2000, 1, 1), end=date(2100, 1, 1), by="kind")
        assert {
            (r["period"], r["kind"]): (r["payments"], r["amount"], r["customers"]) for r in by_kind
        } == channel_mix_from_raw_rows(by="kind")
        transaction.set_rollback(True)
