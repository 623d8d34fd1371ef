"""Rollup speed at provincial scale: full rebuild, one-month refresh, and the district x month
rates for 60 months read from the rollups against the same answer computed from the raw
payments, both timed in this run.

    python -m bench.metrics [--runs 20] [--rebuild]

Targets (2-core machine): one-month refresh <= 1 s, full rebuild <= 60 s, rollup read
<= 10 ms median and >= 1000x faster than from the raw rows.
"""

import argparse
import statistics
import time

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


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="rollup reads to take the median of")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the database first")
    args = parser.parse_args()
    setup(rebuild=args.rebuild)

    from django.db import connection

    from adoption import metrics
    from adoption.models import CommuneMonth, Payment

    first = FIRST_PERIOD
    last = metrics.add_months(first, MONTHS - 1)
    print(f"database: {connection.settings_dict['NAME']}, {Payment.objects.count():,} payments")

    full, _ = timed(metrics.refresh)
    print(f"full rebuild ({MONTHS} months x all branches): {full:.1f} s")
    print(f"  commune-month rollup rows: {CommuneMonth.objects.count():,}")

    latest, _ = timed(metrics.refresh, periods=[last])
    print(f"one-month refresh, latest month {last:%m/%Y} (all branches): {latest:.2f} s")
    middle = metrics.add_months(first, MONTHS // 2)
    mid, _ = timed(metrics.refresh, periods=[middle])
    print(
        f"one-month refresh, past month {middle:%m/%Y} (all branches, also refills the next "
        f"month's back-to-cash): {mid:.2f} s"
    )
    metrics.mark_dirty([middle], [metrics.Branch.objects.first().id])
    marker, _ = timed(metrics.ensure_fresh)
    print(f"ensure_fresh with one (month, branch) marked: {marker:.2f} s")
    idle = [timed(metrics.ensure_fresh)[0] for _ in range(args.runs)]
    print(
        f"ensure_fresh with nothing marked (median of {args.runs}): {1000 * statistics.median(idle):.2f} ms"
    )

    def read_rollups():
        return metrics.monthly_rates(start=first, end=last, group="branch")

    read_rollups()  # warm the connection and the cache, as a running server would be
    reads = []
    for _ in range(args.runs):
        elapsed, rows = timed(read_rollups)
        reads.append(elapsed)
    rollup = statistics.median(reads)

    def read_raw():
        with connection.cursor() as cur:
            cur.execute(RAW_SQL, {"first": first, "last": last})
            return cur.fetchall()

    raw, raw_rows = timed(read_raw)
    print(
        f"district x month rates, {MONTHS} months ({len(rows)} rows): "
        f"rollups {1000 * rollup:.2f} ms median of {args.runs} "
        f"(min {1000 * min(reads):.2f}, max {1000 * max(reads):.2f}); "
        f"raw payments {raw:.2f} s; ratio {raw / rollup:,.0f}x"
    )
    from_raw = {(r[0], r[1]): dict(zip(RAW_FIELDS, r[2:], strict=True)) for r in raw_rows}
    from_rollups = {(r["period"], r["branch_id"]): {f: r[f] for f in RAW_FIELDS} for r in rows}
    same = from_raw == from_rollups
    print(f"rollup counts equal the raw counts: {'yes' if same else 'NO'}")

    def verdict(ok):
        return "ok" if ok else "MISSED"

    print(
        "targets: "
        f"one-month refresh <= 1 s: {verdict(latest <= 1)}; "
        f"full rebuild <= 60 s: {verdict(full <= 60)}; "
        f"rollup read <= 10 ms: {verdict(rollup <= 0.010)}; "
        f">= 1000x faster than raw: {verdict(raw / rollup >= 1000)}"
    )


if __name__ == "__main__":
    main()
