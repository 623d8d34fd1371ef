"""Weight of the outreach entry page as a phone downloads it: HTML + CSS + JS + the service
worker that keeps them offline, gzipped.

Budget: 60 KB gzipped. Builds a large branch (40 communes of 15 villages each, 10 partners) in a
throwaway SQLite database, renders /outreach/new for its staff and prints the figures.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/outreach_page_weight.py
"""

import gzip
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from adoption.choices import Role  # noqa: E402
from adoption.models import AdminArea, Branch, Company, Partner, StaffProfile  # noqa: E402

BUDGET = 60 * 1024
ASSETS = ["adoption/app.css", "adoption/outreach.css", "adoption/outreach.js"]


def gz(data):
    return len(gzip.compress(data, compresslevel=6))


def page_weight(html, worker=None):
    """(name, raw bytes, gzipped bytes) for the page, each of its static files and, when
    given, the service worker script (/outreach/sw.js)."""
    parts = [("HTML /outreach/new", html)]
    parts += [(name, Path(finders.find(name)).read_bytes()) for name in ASSETS]
    if worker is not None:
        parts.append(("/outreach/sw.js", worker))
    return [(name, len(data), gz(data)) for name, data in parts]


def build(communes=40, villages=15, partners=10):
    province = AdminArea.objects.create(level="province", code="02", name="Tỉnh Hà Giang")
    district = AdminArea.objects.create(
        level="district", code="034", name="Huyện Bắc Quang", parent=province
    )
    for c in range(communes):
        commune = AdminArea.objects.create(
            level="commune", code=f"{1000 + c}", name=f"Xã Tân Quang Thượng {c}", parent=district
        )
        AdminArea.objects.bulk_create(
            AdminArea(level="village", name=f"Thôn Khiềm Nguyễn {c}-{v}", parent=commune)
            for v in range(villages)
        )
    for p in range(partners):
        Partner.objects.create(code=f"P{p}", name=f"Ngân hàng đối tác số {p}")
    company = Company.objects.create(code="PCHG", name="PC Hà Giang", customer_code_prefix="PA20")
    branch = Branch.objects.create(
        company=company, code="BQ", name="Điện lực Bắc Quang", district=district
    )
    user = User.objects.create_user("bench_staff")
    user.groups.add(Group.objects.get(name=Role.BRANCH_STAFF.value))
    StaffProfile.objects.create(user=user, company=company, branch=branch)
    return user, communes * (villages + 1)


def main():
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        user, places = build()
        client = Client()
        client.force_login(user)
        response = client.get("/outreach/new")
        assert response.status_code == 200, response.status_code
        rows = page_weight(response.content, client.get("/outreach/sw.js").content)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"outreach entry page, {places} places in the list")
    for name, raw, packed in rows:
        print(f"  {name:<24} {raw:>8,} B raw {packed:>8,} B gzipped")
    total = sum(packed for _, _, packed in rows)
    print(f"  {'total':<24} {sum(r for _, r, _ in rows):>8,} B raw {total:>8,} B gzipped")
    print(f"  budget {BUDGET:,} B gzipped: {total / BUDGET:.0%} used")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
