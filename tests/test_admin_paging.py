"""Admin lists over the largest tables never count the whole table, and name search over
customers is answered by a trigram index on the unaccented name (adoption.admin.paging,
adoption.search)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from adoption.admin.paging import EstimatedCountPaginator
from adoption.models import Customer, Payment

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def many_payments(customers, channels):
    Payment.objects.bulk_create(
        Payment(
            customer=customers["bq1"],
            period=date(2024, 3, 1),
            amount=100_000 + n,
            channel=channels["agribank"],
            paid_at=datetime(2024, 3, 5, tzinfo=VIETNAM),
            reference=f"FT{n:06d}",
        )
        for n in range(30)
    )


def test_a_small_list_is_counted_exactly(many_payments):
    paginator = EstimatedCountPaginator(Payment.objects.order_by("-id"), 10)
    assert paginator.count == 30
    assert paginator.num_pages == 3
    assert [p.reference for p in paginator.page(3).object_list][-1] == "FT000000"


@pytest.mark.postgres
def test_beyond_the_exact_limit_the_count_is_the_planners_estimate(many_payments):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE adoption_payment")
    paginator = EstimatedCountPaginator(Payment.objects.order_by("-id"), 10)
    paginator.exact_up_to = 5
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    # An estimate (empty partitions count for a few rows each), never below what was counted.
    assert 30 <= count < 1000
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql for sql in counts)
    assert any(q["sql"].startswith("EXPLAIN") for q in queries)


@pytest.mark.postgres
def test_an_estimate_below_what_was_counted_is_raised_to_it(many_payments, monkeypatch):
    # Stale statistics (a table filled since its last ANALYZE) can say "empty".
    monkeypatch.setattr("adoption.admin.paging.planner_estimate", lambda queryset: 0)
    paginator = EstimatedCountPaginator(Payment.objects.order_by("pk"), 10)
    paginator.exact_up_to = 3
    assert paginator.count == 4


@pytest.mark.postgres
@pytest.mark.parametrize("model", ["payment", "customer"])
def test_changelists_count_no_more_than_the_exact_limit(client_for, users, many_payments, model):
    url = reverse(f"admin:adoption_{model}_changelist")
    for user in (users["admin"], users["manager"]):
        with CaptureQueriesContext(connection) as queries:
            response = client_for(user).get(url)
        assert response.status_code == 200
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        assert counts, "the list counts its rows, bounded"
        assert all("LIMIT 10001" in sql for sql in counts), counts


@pytest.mark.parametrize(
    "term, found",
    [
        ("khach hang 0002", ["PA20BQ0000002"]),
        ("KHÁCH 0003", ["PA20BQ0000003"]),
        ("hàng", ["PA20BQ0000001", "PA20BQ0000002", "PA20BQ0000003", "PA20QB0000001"]),
        ("Văn", ["PA20QB0000009"]),
        ("dung", ["PA20QB0000009"]),  # Đ is folded to D
        ("%", []),  # LIKE's wildcards are searched for, not obeyed
        ("_", ["PA20QB0000009"]),
        ("khach 0002 hang 0003", []),  # every word must appear
    ],
)
def test_customer_name_search_ignores_accents_and_case(
    client_for, users, customers, areas, branches, term, found
):
    Customer.objects.create(
        code="PA20QB0000009",
        name="Đặng Văn_Dũng",
        branch=branches["qb"],
        commune=areas["yen_binh"],
        connected_on=date(2018, 1, 1),
    )
    response = client_for(users["admin"]).get(
        reverse("admin:adoption_customer_changelist"), {"q": term}
    )
    assert response.status_code == 200
    assert sorted(c.code for c in response.context["cl"].result_list) == found


def test_customer_autocomplete_searches_names_too(client_for, users, customers):
    response = client_for(users["admin"]).get(
        reverse("admin:autocomplete"),
        {
            "app_label": "adoption",
            "model_name": "payment",
            "field_name": "customer",
            "term": "khach hang 0001",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [
        "PA20BQ0000001 Khách hàng 0001",
        "PA20QB0000001 Khách hàng 0001",
    ]


@pytest.mark.postgres
def test_name_search_uses_the_trigram_index(customers):
    with connection.cursor() as cursor:
        # A handful of rows would be read whole; the question is whether the index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Customer.objects.filter(
            name__unaccent_contains="khach"
        ).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT provolatile FROM pg_proc WHERE proname = 'adoption_unaccent'")
        volatility = cursor.fetchone()
    assert "customer_name_unaccent_trgm" in plan, plan
    assert volatility == ("i",)  # IMMUTABLE, as an index expression must be


@pytest.mark.parametrize("role, offered", [("admin", ["BQ", "QB"]), ("staff_bq", None)])
def test_the_branch_filter_offers_the_branches_the_user_may_see(
    client_for, users, customers, branches, role, offered
):
    response = client_for(users[role]).get(reverse("admin:adoption_customer_changelist"))
    specs = [f for f in response.context["cl"].filter_specs if f.field_path == "branch"]
    codes = {b.pk: b.code for b in branches.values()}
    # A single branch is no choice: the admin leaves the filter out.
    found = sorted(codes[pk] for pk, _label in specs[0].lookup_choices) if specs else None
    assert found == offered
