"""Managers keep report subscriptions in the app: who may open the page, what the form refuses
(with a clear message and nothing saved), and the weekly cadence of a campaign."""

from datetime import date, timedelta

import pytest

from adoption.models import BranchMonth, CommuneMonth, Delivery, Subscription
from adoption.reports import deliveries, dispatch
from tests.dashboard_fixture import make_dashboard_data

URL = "/reports/subscriptions/"


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


@pytest.fixture(autouse=True)
def addresses(users):
    for name, user in users.items():
        user.email = f"{name}@pc.example"
        user.save()


def post(client, **fields):
    form = {"cadence": "monthly", "language": "vi", "alerts": "on", **fields}
    return client.post(URL, {k: v for k, v in form.items() if v is not None})


def test_a_manager_subscribes_a_branch_head_to_their_branch(client_for, users, branches):
    client = client_for(users["manager"])
    assert client.get(URL).status_code == 200
    response = post(client, user=users["staff_bq"].pk, branch=branches["bq"].pk)
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.user, subscription.branch) == (users["staff_bq"], branches["bq"])
    assert subscription.created_by == users["manager"]
    assert "staff_bq &lt;staff_bq@pc.example&gt;" in client.get(URL).content.decode()


def test_a_manager_subscribes_an_address_to_a_commune(client_for, users, branches, areas):
    client = client_for(users["manager"])
    post(
        client,
        email="truong.thon@example.vn",
        branch=branches["bq"].pk,
        commune=areas["tan_quang"].pk,
    )
    subscription = Subscription.objects.get()
    assert subscription.unit == areas["tan_quang"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"user": "staff_bq", "branch": "qb"}, "không được xem số liệu của đơn vị này"),
        ({"user": "staff_bq"}, "không được xem số liệu của đơn vị này"),  # the whole company
        ({"branch": "bq"}, "Chọn một người dùng hoặc nhập một địa chỉ email"),
        ({"user": "staff_bq", "email": "a@b.vn", "branch": "bq"}, "không chọn cả hai"),
        ({"email": "a@b.vn", "commune": "yen_binh", "branch": "bq"}, "không quản lý xã này"),
        ({"email": "a@b.vn", "commune": "tan_quang"}, "Hãy chọn cả điện lực"),
        ({"email": "a@b.vn", "cadence": "weekly"}, "cần ngày bắt đầu và kết thúc"),
        (
            {
                "email": "a@b.vn",
                "cadence": "weekly",
                "campaign_start": "2025-03-10",
                "campaign_end": "2025-03-01",
            },
            "kết thúc trước khi bắt đầu",
        ),
        ({"email": "not an address"}, "email"),
        ({"user": "staff_qb", "branch": "qb"}, "không có địa chỉ email"),
    ],
)
def test_the_form_refuses_what_it_must_and_saves_nothing(
    client_for, users, branches, areas, fields, message
):
    users["staff_qb"].email = ""  # a user without an address cannot receive anything
    users["staff_qb"].save()
    client = client_for(users["manager"])
    values = dict(fields)
    if "user" in values:
        values["user"] = users[values["user"]].pk
    if "branch" in values:
        values["branch"] = branches[values["branch"]].pk
    if "commune" in values:
        values["commune"] = areas[values["commune"]].pk
    response = post(client, **values)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_manager_removes_a_subscription(client_for, users, company):
    subscription = Subscription.objects.create(
        email="a@b.vn", company=company, created_by=users["manager"]
    )
    client = client_for(users["manager"])
    assert client.get(f"{URL}{subscription.pk}/delete/").status_code == 405
    assert client.post(f"{URL}{subscription.pk}/delete/").status_code == 302
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("role", ["staff_bq", "channel_admin", "outsider"])
def test_only_managers_manage_subscriptions(client_for, users, company, role):
    subscription = Subscription.objects.create(
        email="a@b.vn", company=company, created_by=users["manager"]
    )
    client = client_for(users[role])
    assert client.get(URL).status_code == 403
    assert post(client, email="x@y.vn").status_code == 403
    assert client.post(f"{URL}{subscription.pk}/delete/").status_code == 403
    assert Subscription.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in(client, users, company):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_superuser_manages_subscriptions_too(client_for, users, branches):
    client = client_for(users["admin"])
    assert client.get(URL).status_code == 200
    post(client, email="a@b.vn", branch=branches["qb"].pk)
    assert Subscription.objects.count() == 1


def test_a_weekly_campaign_report_goes_once_a_week_and_only_when_figures_changed(
    users, company, branches, data, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Subscription.objects.create(
        email="chien.dich@example.vn",
        company=company,
        branch=branches["bq"],
        cadence="weekly",
        campaign_start=date(2025, 2, 1),
        campaign_end=date(2025, 3, 31),
        created_by=users["manager"],
        alerts=False,
    )
    monday = date(2025, 2, 3)
    assert dispatch.queue_all(monday - timedelta(days=5)) == (0, 0)  # before the campaign
    assert dispatch.queue_all(monday) == (1, 0)
    assert dispatch.queue_all(monday + timedelta(days=2)) == (0, 0)  # the same week
    assert dispatch.queue_all(monday + timedelta(days=7)) == (0, 0)  # nothing changed
    CommuneMonth.objects.filter(branch=branches["bq"], period=date(2025, 1, 1)).update(
        noncash_customers=55
    )
    BranchMonth.objects.filter(branch=branches["bq"], period=date(2025, 1, 1)).update(
        noncash_customers=55
    )
    assert dispatch.queue_all(monday + timedelta(days=14)) == (1, 0)
    assert dispatch.queue_all(date(2025, 4, 7)) == (0, 0)  # after the campaign
    deliveries.send_due()
    assert Delivery.objects.filter(status="sent").count() == 2
