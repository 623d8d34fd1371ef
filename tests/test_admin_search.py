"""Admin search ignores accents: "Bac Quang" finds "Bắc Quang", "Dien luc" finds "Điện lực".

PostgreSQL runs its `unaccent` extension; SQLite runs adoption.search.fold, registered
under the same name, so the same `__unaccent` lookups serve both."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from adoption.models import Payment
from adoption.search import fold


def test_fold_strips_vietnamese_marks_and_the_crossed_d():
    assert fold("Điện lực Bắc Quang") == "Dien luc Bac Quang"
    assert fold("ĐƯỜNG THỦY ở Mường Khương") == "DUONG THUY o Muong Khuong"
    assert fold("Thôn Khiềm") == "Thon Khiem"
    assert fold(None) is None


def search(client, model, term):
    response = client.get(reverse(f"admin:adoption_{model}_changelist"), {"q": term})
    assert response.status_code == 200
    return [str(obj) for obj in response.context["cl"].result_list]


@pytest.mark.parametrize(
    "model, term, found",
    [
        ("branch", "Bac Quang", ["Điện lực Bắc Quang"]),
        ("branch", "bắc quang", ["Điện lực Bắc Quang"]),
        ("branch", "dien luc quang binh", ["Điện lực Quang Bình"]),
        ("branch", "QB", ["Điện lực Quang Bình"]),
        ("adminarea", "thon khiem", ["Thôn Khiềm"]),
        ("adminarea", "00925", ["Xã Tân Quang"]),
        ("customer", "khach hang 0002", ["PA20BQ0000002 Khách hàng 0002"]),
        ("customer", "pa20qb", ["PA20QB0000001 Khách hàng 0001"]),
        ("paymentchannel", "quay thu", ["Quầy thu"]),
    ],
)
def test_admin_search_finds_names_without_their_accents(
    client_for, users, customers, channels, model, term, found
):
    assert search(client_for(users["admin"]), model, term) == found


def test_a_search_with_no_match_finds_nothing(client_for, users, customers):
    assert search(client_for(users["admin"]), "customer", "Bac Me") == []


def test_branch_staff_search_stays_within_their_branch(client_for, users, customers):
    assert search(client_for(users["staff_bq"]), "customer", "khach hang 0001") == [
        "PA20BQ0000001 Khách hàng 0001"
    ]


@pytest.mark.postgres
def test_postgresql_unaccents_with_its_extension(client_for, users, branches):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'unaccent'")
        assert cursor.fetchone() == ("unaccent",)
        cursor.execute("SELECT unaccent('Điện lực Bắc Quang')")
        assert cursor.fetchone() == ("Dien luc Bac Quang",)
    assert search(client_for(users["admin"]), "branch", "Bac Quang") == ["Điện lực Bắc Quang"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite stand-in")
def test_sqlite_unaccents_with_the_python_fold(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT UNACCENT('Điện lực Bắc Quang')")
        assert cursor.fetchone() == ("Dien luc Bac Quang",)


@pytest.fixture
def payments(customers, channels):
    for customer, reference in [(customers["bq1"], "FT24081"), (customers["bq2"], "FT24082")]:
        Payment.objects.create(
            customer=customer,
            period=date(2024, 3, 1),
            amount=120_000,
            channel=channels["agribank"],
            paid_at=datetime(2024, 3, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
            reference=reference,
        )


@pytest.mark.parametrize(
    "term, found",
    [
        ("pa20bq0000002", ["FT24082"]),  # a customer code, in any case
        ("FT24081", ["FT24081"]),  # a partner reference, exactly
        ("FT2408", []),  # no partial references: the table is too large to scan
    ],
)
def test_payment_search_matches_a_whole_code_or_reference(client_for, users, payments, term, found):
    response = client_for(users["admin"]).get(
        reverse("admin:adoption_payment_changelist"), {"q": term}
    )
    assert [p.reference for p in response.context["cl"].result_list] == found


def test_customer_search_by_the_start_of_a_code(client_for, users, customers):
    found = search(client_for(users["admin"]), "customer", "pa20bq00000")
    assert found == [str(c) for c in customers.values() if c.code.startswith("PA20BQ")]
