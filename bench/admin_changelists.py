"""Times admin changelists on the configured database, which should hold a realistic volume.

    DATABASE_URL=postgres://... .venv/bin/python bench/admin_changelists.py

Prints, for each page, the median of 5 requests after a first one (timed apart: it compiles
the templates) and its SQL queries, next to a baseline measured in the same run: fetching the
same 100 rows straight from the ORM. Everything runs in one transaction that is rolled back
(the bench users and their sessions), so a shared benchmark database is left as it was. Run it
with DEBUG=0, as production does: with DEBUG on, templates are read from disk on every request.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")
os.environ.setdefault("AXES_ENABLED", "0")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from adoption.choices import Role  # noqa: E402
from adoption.models import Company, Customer, Payment, StaffProfile  # noqa: E402

PAGES = [
    ("payments", "/admin/adoption/payment/"),
    ("payments, one customer", "/admin/adoption/payment/?q=PA20BQ0001234"),
    ("payments, one month", "/admin/adoption/payment/?period=2024-03-01"),
    ("customers", "/admin/adoption/customer/"),
    ("customers, code start 'PA20BQ00123'", "/admin/adoption/customer/?q=PA20BQ00123"),
    ("customers, name 'khach hang 12345'", "/admin/adoption/customer/?q=khach+hang+12345"),
    ("outreach", "/admin/adoption/outreachactivity/"),
]


def timed(fn, runs=5):
    """(the first call, the median of the `runs` after it), in ms. The first call of a page in
    a fresh process also loads and compiles its templates: it says what the first visitor
    after a deploy waits, the median what everyone else does."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:])


def bench_users():
    """A superuser (no row filter) and a manager (rows of their company's branches)."""
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    manager, created = User.objects.get_or_create(username="bench-manager", is_staff=True)
    if created:
        manager.groups.add(Group.objects.get(name=Role.MANAGERS.value))
        StaffProfile.objects.create(user=manager, company=Company.objects.first())
    return {"superuser": admin, "manager": manager}


def main():
    with transaction.atomic():
        measure()
        transaction.set_rollback(True)


def measure():
    payments, customers = Payment.objects.count(), Customer.objects.count()
    print(f"database: {connection.vendor}, payments: {payments:,}, customers: {customers:,}")
    _, baseline = timed(lambda: list(Payment.objects.select_related("customer", "channel")[:100]))
    print(f"baseline: 100 payments from the ORM in the model's order: {baseline:.0f} ms")
    for role, user in bench_users().items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        print(f"as {role}:")
        for label, url in PAGES:

            def get(url=url, client=client):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            first, ms = timed(get)
            with CaptureQueriesContext(connection) as queries:
                get()
            print(
                f"  {label:40s} {ms:6.0f} ms (first {first:4.0f} ms)  {len(queries):3d} queries"
                f"  x{ms / baseline:.2f}"
            )


if __name__ == "__main__":
    main()
