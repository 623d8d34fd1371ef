"""Time of the monthly report on the provincial-scale database: its figures, PDF and XLSX,
for the company and one branch, as it was and as it is now.

    BENCH_DATABASE_URL=postgres://… python -m bench.report [--runs 15]

Only reads: Django is pointed at the database without migrating it (the report reads the
rollups, which every version has). Prints medians and p95 in ms, and the ratio to a baseline
measured in the same run: the overview's own read of its headline and district table
(the same rollups, a few months only).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/powerco_bench"


def configure():
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def timed(work, runs):
    work()  # warm-up: the first read fills PostgreSQL's buffers
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    ordered = sorted(timings)
    return statistics.median(timings), ordered[min(len(ordered) - 1, round(0.95 * (runs - 1)))]


def cases():
    from adoption import metrics
    from adoption.filters import Scope
    from adoption.models import Branch, Company
    from adoption.months import add_months
    from adoption.reports import pdf, xlsx
    from adoption.reports.figures import Unit, unit_report
    from adoption.summaries import rates_at, snapshot_months, totals_by_period

    company = Company.objects.filter(branches__isnull=False).first()
    ids = list(Branch.objects.filter(company=company).values_list("pk", flat=True))
    branch = Branch.objects.filter(company=company).order_by("code").first()
    end = metrics.latest_period(ids)
    was = Scope(start=add_months(end, -11), end=end)
    now = Scope(start=add_months(end, -11), end=end, view="now")
    whole, one = Unit(company=company), Unit(company=company, branch=branch)

    def baseline():
        totals_by_period(rates_at(snapshot_months(end), group="branch", branch_ids=ids))

    report = unit_report(whole, was)
    return [
        ("baseline: overview read", baseline),
        ("company figures (was)", lambda: unit_report(whole, was)),
        ("company figures (now)", lambda: unit_report(whole, now)),
        (f"branch {branch.code} figures (was)", lambda: unit_report(one, was)),
        ("company PDF (render only)", lambda: pdf.render(report)),
        ("company XLSX (render only)", lambda: xlsx.render(report)),
        ("company figures + PDF", lambda: pdf.render(unit_report(whole, was))),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    configure()
    print(f"load average before: {os.getloadavg()}")
    results = [(name, *timed(work, args.runs)) for name, work in cases()]
    base = results[0][1]
    print(f"{'case':34} {'median ms':>10} {'p95 ms':>8} {'× baseline':>11}")
    for name, median, p95 in results:
        print(f"{name:34} {median:10.1f} {p95:8.1f} {median / base:11.1f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
