"""Times admin changelists on the configured database, which should hold a realistic volume.

    DATABASE_URL=postgres://... .venv/bin/python bench/admin_changelists.py

Prints, for each page, the median of 3 requests and its SQL queries, next to a baseline
measured in the same run: fetching the same 100 rows straight from the ORM. Everything runs
in one transaction that is rolled back (the bench users and their sessions), so a shared
benchmark database is left as it was.
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


def timed(fn, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


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
    baseline = timed(lambda: list(Payment.objects.select_related("customer", "channel")[:100]))
    print(f"baseline: 100 payments from the ORM in the model's order: {baseline:.0f} ms")
    for role, user in bench_users().items():
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        print(f"as {role}:")
        for label, url in PAGES:

            def get(url=url, client=client):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            ms = timed(get)
            with CaptureQueriesContext(connection) as queries:
                get()
            print(f"  {label:40s} {ms:8.0f} ms  {len(queries):3d} queries  x{ms / baseline:.2f}")


if __name__ == "__main__":
    main()
