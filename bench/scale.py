"""The rollups on twice the data: the same measurements on the provincial benchmark database
(200,000 customers) and on one built at 400,000 customers, side by side in one run.

    BENCH_CUSTOMERS=400000 BENCH_DATABASE_URL=postgres://…/bench_400k python -m bench.common
    python -m bench.scale [--small URL] [--large URL] [--runs 20]

Each database is measured in a child process of its own (Django is configured once per
process), the small one first, then the large one: a full rebuild of the 60 months, a
one-month refresh of the latest month (median of 3) and the district x 60-month read from
the rollups (median of `runs`). Printed: each figure, the large/small ratio of each, and the
ratio of the data itself (payments, customers). Targets: the rebuild and the refresh grow no
faster than the data (within 10 %: the machine is shared); the read stays flat (at most 1.5x).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = "postgres://postgres@127.0.0.1:5432/powerco_bench"
LARGE = "postgres://postgres@127.0.0.1:5432/bench_400k"


def measure(runs):
    """In the child: the figures of the database DATABASE_URL names, as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")
    import django

    django.setup()
    from adoption import metrics
    from adoption.metrics import freshness
    from adoption.models import Customer, Payment

    def timed(fn, *args, **kwargs):
        started = time.perf_counter()
        fn(*args, **kwargs)
        return time.perf_counter() - started

    periods = freshness.covered_periods()
    first, last = periods[0], periods[-1]
    figures = {
        "customers": Customer.objects.count(),
        "payments": Payment.objects.count(),
        "months": len(periods),
        "load_before": os.getloadavg()[0],
    }
    figures["rebuild"] = timed(freshness.refresh)
    figures["refresh"] = statistics.median(
        timed(freshness.refresh, periods=[last]) for _ in range(3)
    )

    def read():
        return metrics.monthly_rates(start=first, end=last, group="branch")

    read()  # a running server has its connection open
    figures["read"] = statistics.median(timed(read) for _ in range(runs))
    figures["load_after"] = os.getloadavg()[0]
    print(json.dumps(figures))


def child(url, runs):
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child", "--runs", str(runs)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"the measurement of {url.rsplit('/', 1)[-1]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default=SMALL)
    parser.add_argument("--large", default=LARGE)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.runs)
        return
    small, large = child(args.small, args.runs), child(args.large, args.runs)
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'':28}{'small':>14}{'large':>14}{'large/small':>13}")
    rows = [
        ("customers", "customers", "{:,.0f}"),
        ("payments", "payments", "{:,.0f}"),
        ("full rebuild, s", "rebuild", "{:.1f}"),
        ("one-month refresh, s", "refresh", "{:.2f}"),
        ("district x month read, ms", "read", "{:.2f}"),
    ]
    for label, key, form in rows:
        scale = 1000 if key == "read" else 1
        a, b = small[key] * scale, large[key] * scale
        print(f"{label:28}{form.format(a):>14}{form.format(b):>14}{b / a:>12.2f}x")
    print(
        f"load average: small {small['load_before']:.1f} → {small['load_after']:.1f}, "
        f"large {large['load_before']:.1f} → {large['load_after']:.1f}"
    )
    data = large["payments"] / small["payments"]
    for key, label in (("rebuild", "full rebuild"), ("refresh", "one-month refresh")):
        grew = large[key] / small[key]
        verdict = "ok" if grew <= data * 1.1 else "MISSED"
        print(f"{label}: {grew:.2f}x for {data:.2f}x the payments: {verdict}")
    flat = large["read"] / small["read"]
    print(f"read: {flat:.2f}x: {'ok' if flat <= 1.5 else 'MISSED'} (flat: about 1)")


if __name__ == "__main__":
    main()
