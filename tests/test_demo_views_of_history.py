"""The demo's October 2021, read from the rollups as `make demo` fills them: "as it was" it is
the company's report (PC Hà Giang 41 %, Bắc Quang 44 %, as computed from the raw rows); "as it
is now" the same totals regrouped onto today's communes and PC Tuyên Quang's area branches."""

from datetime import date

import pytest
from django.db import transaction
from django.test import override_settings

from adoption import metrics
from adoption.demo import seed
from adoption.metrics import freshness
from adoption.models import AdminArea, Branch, Company
from tests.test_seed_demo import SCALE, UNTIL, adoption_rates

OCT_2021 = date(2021, 10, 1)
COUNTS = ("active_customers", "noncash_customers")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One seeded database for the read-only tests of this module, rolled back after them."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        seed(scale=SCALE, seed=1, until=UNTIL)
        freshness.refresh()
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def october(group, view, **kwargs):
    return metrics.monthly_rates(start=OCT_2021, end=OCT_2021, group=group, view=view, **kwargs)


def totals(rows):
    return tuple(sum(row[f] for row in rows) for f in COUNTS)


def test_october_2021_as_it_was_is_the_companys_report():
    hagiang = Company.objects.get(code="PCHG")
    (company,) = october("company", "was", company_ids=[hagiang.pk])
    raw_by_branch, raw_province = adoption_rates(2021, 10)
    assert company["adoption_rate"] == pytest.approx(raw_province)
    assert company["adoption_rate"] == pytest.approx(41, abs=1)
    codes = dict(Branch.objects.values_list("pk", "code"))
    by_branch = {codes[r["branch_id"]]: r["adoption_rate"] for r in october("branch", "was")}
    assert by_branch == pytest.approx(raw_by_branch)
    assert by_branch["BQ"] == pytest.approx(44, abs=1)


def test_october_2021_as_it_is_now_is_the_same_totals_on_todays_communes():
    was = october("commune", "was")
    now = october("commune", "now")
    assert totals(now) == totals(was)
    communes = AdminArea.objects.in_bulk([r["commune_id"] for r in now])
    # Every row is a commune of today (made by the 2025 reform), and one row each.
    assert all(c.valid_to is None and c.valid_from == date(2025, 7, 1) for c in communes.values())
    assert len(now) == len({(r["branch_id"], r["commune_id"]) for r in now}) < len(was)
    # Today's company holds every branch: its total is PC Hà Giang's of then.
    tuyenquang = Company.objects.get(code="PCTQ")
    (company,) = october("company", "now", company_ids=[tuyenquang.pk])
    assert (company["active_customers"], company["noncash_customers"]) == totals(was)
    assert company["adoption_rate"] == pytest.approx(41, abs=1)


def test_the_overview_opens_both_views_of_october_2021_and_says_which(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="quanly"))
    for view in ("was", "now"):
        page = client.get("/", {"start": "2021-10", "end": "2021-10", "view": view})
        assert page.status_code == 200
        assert f'data-view="{view}"' in page.content.decode()
