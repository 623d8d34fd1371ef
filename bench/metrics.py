"""Rollup speed at provincial scale: full rebuild, one-month refresh, and the district x month
rates for 60 months read from the rollups against the same answer computed from the raw
payments, both timed in this run.

    python -m bench.metrics [--runs 20] [--rebuild]

Targets (2-core machine): one-month refresh <= 1 s, full rebuild <= 60 s, rollup read
<= 10 ms median and >= 1000x faster than from the raw rows.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

from bench.common import FIRST_PERIOD, MONTHS, setup

# The same four rates per branch and month, straight from customers and payments.
RAW_SQL = """
WITH months AS (
    SELECT generate_series(%(first)s::date, %(last)s::date, interval '1 month')::date AS period
),
active AS (
    SELECT m.period, c.branch_id, count(*) AS active_customers
    FROM months m
    JOIN adoption_customer c
      ON c.connected_on < m.period + interval '1 month'
     AND (c.disconnected_on IS NULL OR c.disconnected_on >= m.period)
    GROUP BY m.period, c.branch_id
),
paid AS (
    SELECT p.period, c.branch_id,
           count(DISTINCT p.customer_id) AS paying_customers,
           count(DISTINCT p.customer_id) FILTER (WHERE NOT ch.is_cash) AS noncash_customers,
           count(*) AS payments,
           count(*) FILTER (WHERE NOT ch.is_cash) AS noncash_payments,
           sum(p.amount) AS amount,
           coalesce(sum(p.amount) FILTER (WHERE NOT ch.is_cash), 0) AS noncash_amount
    FROM adoption_payment p
    JOIN adoption_customer c ON c.id = p.customer_id
    JOIN adoption_paymentchannel ch ON ch.id = p.channel_id
    WHERE p.period BETWEEN %(first)s AND %(last)s
    GROUP BY p.period, c.branch_id
)
SELECT period, branch_id, coalesce(active_customers, 0), coalesce(paying_customers, 0),
       coalesce(noncash_customers, 0), coalesce(payments, 0), coalesce(noncash_payments, 0),
       coalesce(amount, 0), coalesce(noncash_amount, 0)
FROM active FULL JOIN paid USING (period, branch_id)
ORDER BY period, branch_id
"""
RAW_FIELDS = (
    "active_customers",
    "paying_customers",
    "noncash_customers",
    "payments",
    "noncash_payments",
    "amount",
    "noncash_amount",
)


def _server_cpu(pid):
    """CPU seconds the database backend has used (None if it runs on another host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall time, plus the CPU time used by this process and by its database backend: on a
    machine shared with other work, CPU time shows what the run costs without the waiting."""

    def __init__(self, connection):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.pid = cur.fetchone()[0]

    def __call__(self, fn, *args, **kwargs):
        wall, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(self.pid)
        result = fn(*args, **kwargs)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        if server is not None:
            cpu += _server_cpu(self.pid) - server
        return wall, cpu, result


def load():
    return os.getloadavg()[0]


def orm_month_counts(period):
    """The same month's CommuneMonth counts written with values().annotate(), per-customer
    facts as correlated EXISTS subqueries: the baseline that shows the raw SQL fill pays."""
    from django.db.models import Count, Exists, OuterRef, Q, Sum

    from adoption import metrics
    from adoption.models import Customer, FirstNoncash, Payment
    from adoption.months import add_months, month_end

    previous = add_months(period, -1)
    cohort = add_months(period, -metrics.RETENTION_MONTHS)
    mine = Payment.objects.filter(customer=OuterRef("pk"))
    paid = Exists(mine.filter(period=period))
    noncash = Exists(mine.filter(period=period, channel__is_cash=False))
    noncash_before = Exists(mine.filter(period=previous, channel__is_cash=False))
    first = FirstNoncash.objects.filter(customer=OuterRef("pk"))
    new, in_cohort = Exists(first.filter(period=period)), Exists(first.filter(period=cohort))
    active = Q(connected_on__lte=month_end(period)) & (
        Q(disconnected_on__isnull=True) | Q(disconnected_on__gte=period)
    )
    keys = ("branch_id", "commune_id", "customer_type")
    customers = (
        Customer.objects.filter(active | paid | new | in_cohort)
        .values(*keys)
        .annotate(
            active_customers=Count("pk", filter=active),
            paying_customers=Count("pk", filter=paid),
            noncash_customers=Count("pk", filter=noncash),
            new_noncash_customers=Count("pk", filter=new),
            back_to_cash_customers=Count("pk", filter=paid & ~noncash & noncash_before),
            cohort_6m_customers=Count("pk", filter=in_cohort),
            retained_6m_customers=Count("pk", filter=in_cohort & noncash),
        )
    )
    cash = Q(channel__is_cash=True)
    payments = (
        Payment.objects.filter(period=period)
        .values(*(f"customer__{k}" for k in keys))
        .annotate(
            n=Count("pk"),
            noncash_n=Count("pk", filter=~cash),
            vnd=Sum("amount"),
            noncash_vnd=Sum("amount", filter=~cash),
        )
    )
    rows = {tuple(r[k] for k in keys): r for r in customers}
    for r in payments:
        rows[tuple(r[f"customer__{k}"] for k in keys)].update(
            payments=r["n"],
            noncash_payments=r["noncash_n"],
            amount=r["vnd"],
            noncash_amount=r["noncash_vnd"] or 0,
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="rollup reads to take the median of")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the database first")
    args = parser.parse_args()
    setup(rebuild=args.rebuild)

    from django.db import connection, transaction

    from adoption import metrics
    from adoption.metrics import dirty, fill, freshness
    from adoption.models import Branch, CommuneMonth, Payment
    from adoption.months import add_months

    first = FIRST_PERIOD
    last = add_months(first, MONTHS - 1)
    clock = Clock(connection)
    print(
        f"database: {connection.settings_dict['NAME']}, {Payment.objects.count():,} payments; "
        f"load average {load():.1f} on {os.cpu_count()} cores"
    )
    print("times: wall clock (CPU time of this process and its database backend)")

    full, full_cpu, _ = clock(freshness.refresh)
    print(f"full rebuild, {MONTHS} months x all branches: {full:.1f} s ({full_cpu:.1f} s CPU)")
    print(f"  commune-month rows: {CommuneMonth.objects.count():,}")

    latest, latest_cpu, _ = clock(freshness.refresh, periods=[last])
    print(f"one-month refresh, latest month {last:%m/%Y}: {latest:.2f} s ({latest_cpu:.2f} s CPU)")
    middle = add_months(first, MONTHS // 2)
    mid, mid_cpu, _ = clock(freshness.refresh, periods=[middle])
    print(
        f"one-month refresh, past month {middle:%m/%Y} (also refills the next month's "
        f"back-to-cash): {mid:.2f} s ({mid_cpu:.2f} s CPU)"
    )
    one = Branch.objects.order_by("code").first()
    branch, branch_cpu, _ = clock(freshness.refresh, branch_ids=[one.pk])
    print(
        f"one-branch refill, {one.code}, all {MONTHS} months (a customer edit no delta can "
        f"apply): {branch:.2f} s ({branch_cpu:.2f} s CPU)"
    )

    def fill_month():
        with transaction.atomic():
            fill.tune_session()
            fill.fill_period(middle, None)

    sql_month, sql_month_cpu, _ = clock(fill_month)
    orm_month, orm_month_cpu, orm_rows = clock(orm_month_counts, middle)
    stored = {
        (r["branch_id"], r["commune_id"], r["customer_type"]): r
        for r in CommuneMonth.objects.filter(period=middle).values()
    }
    orm_same = all(
        (orm_rows[k].get(f) or 0) == stored[k][f] for k in stored for f in metrics.COUNT_FIELDS
    ) and set(orm_rows) == set(stored)
    print(
        f"one month's commune counts, {middle:%m/%Y}: INSERT ... SELECT ... GROUP BY (with the "
        f"channel rollup) {sql_month:.2f} s ({sql_month_cpu:.2f} s CPU); values().annotate() "
        f"with EXISTS subqueries (commune counts only) {orm_month:.2f} s "
        f"({orm_month_cpu:.2f} s CPU); same counts: {'yes' if orm_same else 'NO'}"
    )
    dirty.mark_dirty([middle], [Branch.objects.order_by("code").first().id])
    marked, marked_cpu, _ = clock(freshness.ensure_fresh)
    print(f"ensure_fresh, one (month, branch) marked: {marked:.2f} s ({marked_cpu:.2f} s CPU)")
    idle = statistics.median(clock(freshness.ensure_fresh)[0] for _ in range(args.runs))
    print(f"ensure_fresh, nothing marked: {1000 * idle:.2f} ms median of {args.runs}")

    def read_rollups():
        return metrics.monthly_rates(start=first, end=last, group="branch")

    read_rollups()  # a running server has its connection open and its cache warm
    reads = [clock(read_rollups) for _ in range(args.runs)]
    rows = reads[0][2]
    rollup = statistics.median(wall for wall, _, _ in reads)
    rollup_cpu = statistics.median(cpu for _, cpu, _ in reads)

    def read_raw():
        with connection.cursor() as cur:
            cur.execute(RAW_SQL, {"first": first, "last": last})
            return cur.fetchall()

    raw, raw_cpu, raw_rows = clock(read_raw)
    print(f"district x month rates for {MONTHS} months ({len(rows)} rows):")
    print(
        f"  from the rollups: {1000 * rollup:.2f} ms median of {args.runs} "
        f"(min {1000 * min(w for w, _, _ in reads):.2f}, {1000 * rollup_cpu:.2f} ms CPU)"
    )
    print(f"  from the raw payments: {raw:.2f} s ({raw_cpu:.2f} s CPU)")
    print(f"  ratio: {raw / rollup:,.0f}x")
    from_raw = {(r[0], r[1]): dict(zip(RAW_FIELDS, r[2:], strict=True)) for r in raw_rows}
    from_rollups = {(r["period"], r["branch_id"]): {f: r[f] for f in RAW_FIELDS} for r in rows}
    print(f"  rollup counts equal the raw counts: {'yes' if from_raw == from_rollups else 'NO'}")
    print(f"load average at the end: {load():.1f}")

    def verdict(ok):
        return "ok" if ok else "MISSED"

    print(
        "targets (wall clock): "
        f"one-month refresh <= 1 s: {verdict(latest <= 1)}; "
        f"full rebuild <= 60 s: {verdict(full <= 60)}; "
        f"rollup read <= 10 ms: {verdict(rollup <= 0.010)}; "
        f">= 1000x faster than raw: {verdict(raw / rollup >= 1000)}"
    )


if __name__ == "__main__":
    main()
