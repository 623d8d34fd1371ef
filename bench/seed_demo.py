"""Benchmark: seed the Hà Giang demo at provincial scale and check the October 2021 story.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/seed_demo.py

Needs a migrated database without a company. Prints:
- the baseline: payments written with executemany vs with COPY, both at a sample scale in the
  same run (rolled back), and their ratio;
- the full seed at --scale (default 1), step by step, committed so other benchmarks can use it;
- the October 2021 adoption rates computed from the raw rows, each customer in the branch that
  served their commune then: Bắc Quang should be 44% ± 1 and the province 41% ± 1; and the
  province in December 2024 (about 87%). Exits non-zero when October 2021 is off, or the seed
  took over the limit.
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from adoption.demo import seed  # noqa: E402
from adoption.models import Company, Payment  # noqa: E402
from adoption.months import parse_month  # noqa: E402

LIMIT_SECONDS = 10 * 60  # eight years of payments and the 2025 reform, at scale 1
RATES_SQL = """
SELECT b.code,
       COUNT(*),
       SUM(CASE WHEN EXISTS (
           SELECT 1 FROM adoption_payment p
           JOIN adoption_paymentchannel ch ON ch.id = p.channel_id
           WHERE p.customer_id = c.id AND p.period = %(start)s AND NOT ch.is_cash
       ) THEN 1 ELSE 0 END)
FROM adoption_customer c
JOIN adoption_customerplacement cp ON cp.customer_id = c.id
 AND cp.valid_from <= %(start)s AND (cp.valid_to IS NULL OR cp.valid_to >= %(start)s)
JOIN adoption_branchterritory t ON t.commune_id = cp.commune_id
 AND t.valid_from <= %(start)s AND (t.valid_to IS NULL OR t.valid_to >= %(start)s)
JOIN adoption_branch b ON b.id = t.branch_id
WHERE c.connected_on < %(end)s
  AND (c.disconnected_on IS NULL OR c.disconnected_on >= %(start)s)
GROUP BY b.code ORDER BY b.code
"""


def rates(start, end):
    with connection.cursor() as cursor:
        cursor.execute(RATES_SQL, {"start": start, "end": end})
        return cursor.fetchall()


def payments_per_second(scale, fast, until):
    """Seed at `scale`, time the payments step, roll everything back."""
    with transaction.atomic():
        report = seed(scale=scale, seed=1, until=until, fast=fast)
        rows = Payment.objects.count()
        transaction.set_rollback(True)
    seconds = dict(report.steps)["payments"]
    return rows, seconds, rows / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-scale", type=float, default=0.03)
    parser.add_argument("--until", metavar="YYYY-MM", help="default: the last complete month")
    args = parser.parse_args()
    until = parse_month(args.until) if args.until else None
    if Company.objects.exists():
        sys.exit("The database already has a company: give the benchmark an empty one.")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")

    if connection.vendor == "postgresql":
        base = payments_per_second(args.sample_scale, fast=False, until=until)
        fast = payments_per_second(args.sample_scale, fast=True, until=until)
        print(f"sample at scale {args.sample_scale:g}, payments step:")
        print(f"  executemany  {base[0]:>10,} rows {base[1]:7.1f} s {base[2]:>10,.0f} rows/s")
        print(f"  COPY         {fast[0]:>10,} rows {fast[1]:7.1f} s {fast[2]:>10,.0f} rows/s")
        print(f"  COPY is {fast[2] / base[2]:.1f}x faster")

    started = time.perf_counter()
    report = seed(scale=args.scale, seed=args.seed, until=until)
    total = time.perf_counter() - started
    print(f"full seed at scale {args.scale:g}, seed {args.seed}, to {report.until:%m/%Y}:")
    for line in report.lines():
        print(line)
    print(f"  {'total':<12} {total:6.1f} s  (limit {LIMIT_SECONDS} s, incl. COMMIT)")
    print(f"  customers moved by the October 2021 calibration: {report.moved_by_calibration}")

    rows = rates(date(2021, 10, 1), date(2021, 11, 1))
    print("October 2021 adoption rate, from the raw rows:")
    for code, active, noncash in rows:
        print(f"  {code}  {noncash:>7,} / {active:>7,} = {100 * noncash / active:5.1f}%")
    bac_quang = next(100 * n / a for code, a, n in rows if code == "BQ")
    province = 100 * sum(r[2] for r in rows) / sum(r[1] for r in rows)
    print(f"  Bắc Quang {bac_quang:.1f}% (44 ± 1), province {province:.1f}% (41 ± 1)")
    if report.until >= date(2024, 12, 1):
        december = rates(date(2024, 12, 1), date(2025, 1, 1))
        share = 100 * sum(r[2] for r in december) / sum(r[1] for r in december)
        print(f"  December 2024: province {share:.1f}% (EVNNPC reported about 87% for 2024)")
    ok = abs(bac_quang - 44) <= 1 and abs(province - 41) <= 1
    ok = ok and (connection.vendor != "postgresql" or total < LIMIT_SECONDS)
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
