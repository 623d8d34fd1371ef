"""The month page, tried from the outside as each role: who may read it, who may take which
step, and that a refused step says why and changes nothing."""

from datetime import date, datetime

import pytest
from django.conf import settings

from adoption import closing
from adoption.choices import MonthStatus, RuleCode
from adoption.importers.values import VIETNAM
from adoption.metrics import freshness
from adoption.models import BranchSignOff, Finding, MonthClose, MonthEvent, Payment

DEC = date(2024, 12, 1)


@pytest.fixture
def month(customers, channels, company):
    Payment.objects.create(
        customer=customers["bq1"],
        period=DEC,
        amount=150_000,
        channel=channels["viettelpay"],
        paid_at=datetime(2024, 12, 20, tzinfo=VIETNAM),
        reference="VTP-D1",
    )
    freshness.refresh()
    return MonthClose.objects.create(company=company, period=DEC, status=MonthStatus.OPEN)


@pytest.fixture
def english(client_for):
    def login(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login


@pytest.mark.parametrize("who", ["manager", "channel_admin", "admin", "staff_bq"])
def test_the_month_page_opens_for_every_role_with_a_company(english, users, month, who):
    page = english(users[who]).get("/months/2024-12/")
    assert page.status_code == 200
    assert "Open (provisional)" in page.content.decode()
    assert english(users[who]).get("/months/").status_code == 200


def test_the_month_page_is_closed_to_outsiders_and_anonymous(client, client_for, users, month):
    assert client_for(users["outsider"]).get("/months/2024-12/").status_code == 403
    client.logout()
    assert client.get("/months/2024-12/").status_code == 302
    assert client.post("/months/2024-12/lock/").status_code == 302
    assert client_for(users["admin"]).get("/months/2024-13/").status_code == 404


def test_a_flagged_row_opens_from_the_month_page(english, users, month, branches):
    Finding.objects.create(
        period=DEC,
        rule=RuleCode.REFERENCE_REUSED,
        branch=branches["bq"],
        reference="VTP-D1",
        detail="Reference “VTP-D1” is also used for another month.",
    )
    page = english(users["admin"]).get("/months/2024-12/").content.decode()
    assert '<a href="/admin/adoption/payment/?q=VTP-D1">VTP-D1</a>' in page


def test_a_refused_step_says_why_and_changes_nothing(english, users, month):
    client = english(users["manager"])
    response = client.post("/months/2024-12/complete/", follow=True)
    assert "No file from Billing system" not in response.content.decode()  # nothing expected
    assert closing.month_of(month.company, DEC).status == MonthStatus.COMPLETE
    response = english(users["admin"]).post("/months/2024-12/approve_company/", follow=True)
    assert "this step needs it “Approved by the branches”" in response.content.decode()
    assert closing.month_of(month.company, DEC).status == MonthStatus.COMPLETE


# The steps each role may take (adoption/roles.py, adoption.month_steps); every other door
# answers 403 and writes nothing.
STEPS = {
    "complete": None,
    "validate": None,
    "approve_branch": "bq",
    "approve_company": None,
    "lock": None,
    "unlock": None,
}
ALLOWED = {
    "manager": {"complete", "validate", "approve_company"},
    "channel_admin": {"complete", "validate"},
    "staff_bq": {"approve_branch"},
    "staff_qb": set(),  # the month of another branch
    "outsider": set(),
}
CLOSED = [(who, step) for who, allowed in ALLOWED.items() for step in STEPS if step not in allowed]


@pytest.mark.parametrize(("who", "step"), CLOSED)
def test_each_door_is_closed_to_those_it_is_not_for(client_for, users, month, branches, who, step):
    month.status = (
        MonthStatus.BRANCH_APPROVED if step == "approve_company" else MonthStatus.COMPLETE
    )
    month.save()
    data = STEPS[step]
    post = {"branch": branches[data].pk, "reason": "x"} if data else {"reason": "x"}
    events = MonthEvent.objects.count()
    assert client_for(users[who]).post(f"/months/2024-12/{step}/", post).status_code == 403
    assert MonthEvent.objects.count() == events and not BranchSignOff.objects.exists()
    assert MonthClose.objects.get(pk=month.pk).status == month.status


def test_the_branch_heads_then_the_manager_approve_through_the_page(
    client_for, users, month, branches
):
    month.status = MonthStatus.COMPLETE
    month.save()
    for who, step, data in [
        ("staff_bq", "approve_branch", {"branch": branches["bq"].pk}),
        ("staff_qb", "approve_branch", {"branch": branches["qb"].pk}),
        ("manager", "approve_company", {}),
    ]:
        assert client_for(users[who]).post(f"/months/2024-12/{step}/", data).status_code == 302
    events = MonthEvent.objects.values_list("action", "user__username", "branch__code")
    assert list(events) == [
        ("branch_approved", "staff_bq", "BQ"),
        ("branch_approved", "staff_qb", "QB"),
        ("company_approved", "manager", None),
    ]
    assert closing.month_of(month.company, DEC).status == MonthStatus.COMPANY_APPROVED


def test_the_admin_takes_every_step_in_order(client_for, users, month, branches):
    client = client_for(users["admin"])
    for step, data in [
        ("complete", {}),
        ("approve_branch", {"branch": branches["bq"].pk}),
        ("approve_branch", {"branch": branches["qb"].pk}),
        ("approve_company", {}),
        ("lock", {}),
        ("unlock", {"reason": "late refund"}),
    ]:
        assert client.post(f"/months/2024-12/{step}/", data).status_code == 302
    actions = list(MonthEvent.objects.values_list("action", flat=True))
    assert actions == [
        "completed",
        "branch_approved",
        "branch_approved",
        "company_approved",
        "locked",
        "unlocked",
    ]
    assert closing.month_of(month.company, DEC).status == MonthStatus.COMPANY_APPROVED
