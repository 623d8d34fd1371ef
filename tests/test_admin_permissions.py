"""Each role opens every admin changelist, add and change page: those it may see answer 200,
the others are refused. Branch staff cannot reach another branch's rows by typing their URLs."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from adoption.choices import ImportKind, MonthAction, ReversalKind, RuleCode, TotalsSource
from adoption.models import (
    AlertMute,
    AreaSuccession,
    BranchTerritory,
    BranchVersion,
    ControlTotal,
    Corporation,
    CustomerPlacement,
    Delivery,
    Finding,
    ImportBatch,
    MonthClose,
    MonthEvent,
    OutreachActivity,
    OutreachPlan,
    OutreachRegistration,
    Payment,
    Reversal,
    Subscription,
    Target,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

MODELS = [
    "corporation",
    "company",
    "branch",
    "staffprofile",
    "adminarea",
    "areasuccession",
    "customer",
    "partner",
    "paymentchannel",
    "payment",
    "importbatch",
    "outreachactivity",
    "outreachregistration",
    "outreachplan",
    "target",
    "user",
    "branchversion",
    "branchterritory",
    "customerplacement",
    "subscription",
    "alertmute",
    "delivery",
    "reversal",
    "finding",
    "controltotal",
    "monthclose",
    "monthevent",
]
# Records of closing a month, written by its services only (adoption.closing, .reversals,
# .validation): superusers read them; control totals they also type in.
CLOSING_RECORDS = ["reversal", "finding", "monthclose", "monthevent"]
CLOSING = [*CLOSING_RECORDS, "controltotal"]
# Dated facts: shown to superusers and managers, changed only through the branch, company and
# customer actions.
FACTS = ["branchversion", "branchterritory", "customerplacement"]

LIST, ADD, CHANGE = "list", "add", "change"
ALL = {LIST, ADD, CHANGE}
VIEW = {LIST, CHANGE}  # the change page of a view-only user is a read-only view page

# What each role may open; every other page must be refused.
# Report emails: superusers only (managers keep subscriptions in the app).
EMAILS = ["subscription", "alertmute", "delivery"]
ALLOWED = {
    # View everything, change nothing but targets (adoption/roles.py).
    "manager": {
        **{model: VIEW for model in MODELS if model not in ("user", *EMAILS, *CLOSING)},
        "target": ALL,
    },
    "staff_bq": {
        "branch": VIEW,
        "adminarea": VIEW,
        "customer": VIEW,
        "partner": VIEW,
        "paymentchannel": VIEW,
        "target": VIEW,
        "outreachactivity": ALL,
        "outreachregistration": ALL,
        "outreachplan": ALL,
    },
    "channel_admin": {
        "partner": ALL,
        "paymentchannel": ALL,
        "payment": VIEW,
        "importbatch": VIEW,
        "customer": VIEW,
        "branch": VIEW,
    },
    # Import batches are made by imports, never typed in; emails by the worker.
    "admin": {
        **dict.fromkeys(MODELS, ALL),
        "importbatch": VIEW,
        "delivery": VIEW,
        **dict.fromkeys(FACTS, VIEW),
        **dict.fromkeys(CLOSING_RECORDS, VIEW),
    },
}


@pytest.fixture
def world(areas, company, branches, channels, customers, users):
    batch = ImportBatch.objects.create(
        kind=ImportKind.PAYMENTS, file_name="viettelpay-2024-03.csv", sha256="a" * 64
    )

    def pay(customer, reference, **kwargs):
        return Payment.objects.create(
            customer=customer,
            period=date(2024, 3, 1),
            amount=310_000,
            channel=channels["viettelpay"],
            paid_at=datetime(2024, 3, 21, 8, 0, tzinfo=HCM),
            reference=reference,
            **kwargs,
        )

    def outreach(branch, commune):
        activity = OutreachActivity.objects.create(
            branch=branch,
            date=date(2024, 4, 2),
            commune=commune,
            households_reached=30,
            registrations=5,
        )
        return activity

    outreach_bq = outreach(branches["bq"], areas["tan_quang"])
    outreach_qb = outreach(branches["qb"], areas["yen_binh"])
    corporation = Corporation.objects.create(code="EVNNPC", name="Tổng công ty Điện lực miền Bắc")
    company.corporation = corporation
    company.save(update_fields=["corporation"])
    return {
        "corporation": corporation,
        "company": company,
        "branch": branches["bq"],
        "staffprofile": users["staff_bq"].staff_profile,
        "adminarea": areas["tan_quang"],
        "areasuccession": AreaSuccession.objects.create(
            old_area=areas["viet_quang"], new_area=areas["tan_quang"], effective_on=date(2025, 7, 1)
        ),
        "customer": customers["bq1"],
        "partner": channels["viettelpay"].partner,
        "paymentchannel": channels["viettelpay"],
        "payment": pay(customers["bq1"], "VTP-0001", import_batch=batch),
        "payment_by_hand": pay(customers["qb1"], "VTP-0002", entered_by=users["admin"]),
        "reversal": Reversal.objects.create(
            channel=channels["viettelpay"],
            reference="VTP-0001",
            period=date(2024, 3, 1),
            amount=310_000,
            kind=ReversalKind.REFUND,
            reversed_at=datetime(2024, 4, 1, tzinfo=HCM),
        ),
        "finding": Finding.objects.create(
            period=date(2024, 3, 1),
            rule=RuleCode.REFERENCE_REUSED,
            branch=branches["bq"],
            reference="VTP-0001",
            detail="Reused",
        ),
        "controltotal": ControlTotal.objects.create(
            channel=channels["viettelpay"],
            period=date(2024, 3, 1),
            rows=1,
            amount=310_000,
            source=TotalsSource.TYPED,
        ),
        "monthclose": MonthClose.objects.create(company=company, period=date(2024, 3, 1)),
        "monthevent": MonthEvent.objects.create(
            company=company, period=date(2024, 3, 1), action=MonthAction.COMPLETED
        ),
        "importbatch": batch,
        "outreachactivity": outreach_bq,
        "outreachregistration": OutreachRegistration.objects.create(
            activity=outreach_bq, customer=customers["bq2"]
        ),
        "outreachplan": OutreachPlan.objects.create(
            branch=branches["bq"], date=date(2024, 5, 2), commune=areas["tan_quang"]
        ),
        "target": Target.objects.create(
            company=company, branch=branches["bq"], period=date(2024, 12, 1), rate=Decimal(45)
        ),
        "user": users["staff_bq"],
        "branchversion": BranchVersion.objects.get(branch=branches["bq"]),
        "branchterritory": BranchTerritory.objects.filter(branch=branches["bq"]).first(),
        "customerplacement": CustomerPlacement.objects.get(customer=customers["bq1"]),
        "subscription": Subscription.objects.create(
            email="a@pc.example", company=company, created_by=users["manager"]
        ),
        "alertmute": AlertMute.objects.create(email="a@pc.example", kind="below_pace"),
        "delivery": Delivery.objects.create(
            key="k", kind="report", recipient="a@pc.example", subject="s", message=b""
        ),
        # Rows of the other branch, which staff_bq must not reach.
        "other": {
            "branch": branches["qb"],
            "customer": customers["qb1"],
            "outreachactivity": outreach_qb,
            "outreachregistration": OutreachRegistration.objects.create(
                activity=outreach_qb, customer=customers["qb1"]
            ),
            "outreachplan": OutreachPlan.objects.create(
                branch=branches["qb"], date=date(2024, 5, 3), commune=areas["yen_binh"]
            ),
            "target": Target.objects.create(
                company=company, branch=branches["qb"], period=date(2024, 12, 1), rate=Decimal(40)
            ),
        },
        "company_target": Target.objects.create(
            company=company, period=date(2024, 12, 1), rate=Decimal(42)
        ),
    }


def admin_url(model, page, obj=None):
    app = "auth" if model == "user" else "adoption"
    if page == CHANGE:
        return reverse(f"admin:{app}_{model}_change", args=[obj.pk])
    return reverse(f"admin:{app}_{model}_{'changelist' if page == LIST else 'add'}")


def refused(response):
    # 403 for a model the user has no permission on; the admin's "doesn't exist" redirect
    # to its index for a row outside the user's queryset.
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("admin:index")
    )


@pytest.mark.parametrize("role", ALLOWED)
def test_each_role_opens_the_pages_it_may_and_is_refused_the_others(client_for, users, world, role):
    client = client_for(users[role])
    wrong = []
    for model in MODELS:
        for page in (LIST, ADD, CHANGE):
            response = client.get(admin_url(model, page, world[model]))
            allowed = page in ALLOWED[role].get(model, set())
            if allowed and response.status_code != 200:
                wrong.append(f"{model} {page}: {response.status_code}, expected 200")
            if not allowed and not refused(response):
                wrong.append(f"{model} {page}: {response.status_code}, expected refusal")
    assert wrong == []


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client_for, users, world):
    client = client_for(users["outsider"])
    for model in MODELS:
        response = client.get(admin_url(model, LIST))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# Branch staff and another branch's rows.


@pytest.mark.parametrize(
    "model",
    ["branch", "customer", "outreachactivity", "outreachregistration", "outreachplan", "target"],
)
def test_branch_staff_cannot_open_another_branchs_row_by_its_url(client_for, users, world, model):
    client = client_for(users["staff_bq"])
    other = world["other"][model]
    response = client.get(admin_url(model, CHANGE, other), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    (message,) = response.context["messages"]
    assert message.level_tag == "warning"
    assert other.pk and str(other) not in response.content.decode()


@pytest.mark.parametrize("model", ["customer", "outreachactivity", "target"])
def test_branch_staff_cannot_read_another_branchs_history(client_for, users, world, model):
    other = world["other"][model]
    other.save()  # make sure a historical record exists
    record = other.history.latest()
    client = client_for(users["staff_bq"])
    url = reverse(f"admin:adoption_{model}_history", args=[other.pk])
    assert client.get(url).status_code == 403
    url = reverse(f"admin:adoption_{model}_simple_history", args=[other.pk, record.pk])
    assert client.get(url).status_code == 403


def test_branch_staff_can_read_their_own_outreach_history(client_for, users, world):
    activity = world["outreachactivity"]
    response = client_for(users["staff_bq"]).get(
        reverse("admin:adoption_outreachactivity_history", args=[activity.pk])
    )
    assert response.status_code == 200


def test_branch_staff_lists_show_only_their_branch(client_for, users, world):
    client = client_for(users["staff_bq"])
    customers = client.get(admin_url("customer", LIST)).content.decode()
    assert "PA20BQ0000001" in customers
    assert "PA20QB0000001" not in customers
    outreach = client.get(admin_url("outreachactivity", LIST)).context["cl"].result_list
    assert [a.branch.code for a in outreach] == ["BQ"]
    targets = client.get(admin_url("target", LIST)).context["cl"].result_list
    assert sorted(str(t.rate) for t in targets) == ["42.00", "45.00"]  # own branch + company


def test_branch_staff_cannot_change_another_branchs_outreach(client_for, users, world):
    other = world["other"]["outreachactivity"]
    response = client_for(users["staff_bq"]).post(
        admin_url("outreachactivity", CHANGE, other), outreach_form(other.branch, households=99)
    )
    assert refused(response)
    other.refresh_from_db()
    assert other.households_reached == 30


def test_branch_staff_cannot_delete_another_branchs_outreach(client_for, users, world):
    other = world["other"]["outreachactivity"]
    url = reverse("admin:adoption_outreachactivity_delete", args=[other.pk])
    response = client_for(users["staff_bq"]).post(url, {"post": "yes"})
    assert refused(response)
    assert OutreachActivity.objects.filter(pk=other.pk).exists()


def outreach_form(branch, commune=None, households=30, registrations=5, registered=()):
    data = {
        "branch": branch.pk,
        "date": timezone.localdate().isoformat(),  # outreach is dated within the past year
        "commune": (commune or branch.district.children.first()).pk,
        "households_reached": households,
        "registrations": registrations,
        "registered_customers-TOTAL_FORMS": len(registered),
        "registered_customers-INITIAL_FORMS": 0,
        "registered_customers-MIN_NUM_FORMS": 0,
        "registered_customers-MAX_NUM_FORMS": 1000,
    }
    for index, customer in enumerate(registered):
        data[f"registered_customers-{index}-customer"] = customer.pk
    for name in (
        "accounts_opened",
        "gifts",
        "barrier_cash_habit",
        "barrier_no_smartphone",
        "barrier_no_bank_account",
        "barrier_fees",
        "barrier_distance",
        "barrier_language",
        "barrier_distrust",
    ):
        data[name] = 0
    return data


def test_branch_staff_add_outreach_for_their_branch(client_for, users, world, areas, customers):
    response = client_for(users["staff_bq"]).post(
        admin_url("outreachactivity", ADD),
        outreach_form(world["branch"], areas["viet_quang"], registered=[customers["bq3"]]),
    )
    assert response.status_code == 302
    activity = OutreachActivity.objects.latest("id")
    assert (activity.branch.code, activity.created_by.username) == ("BQ", "staff_bq")
    assert [r.customer.code for r in activity.registered_customers.all()] == ["PA20BQ0000003"]


def test_branch_staff_cannot_add_outreach_for_another_branch(client_for, users, world, areas):
    before = OutreachActivity.objects.count()
    response = client_for(users["staff_bq"]).post(
        admin_url("outreachactivity", ADD),
        outreach_form(world["other"]["branch"], areas["yen_binh"]),
    )
    assert response.status_code == 200
    assert "branch" in response.context["adminform"].form.errors
    assert OutreachActivity.objects.count() == before


def test_branch_staff_cannot_register_another_branchs_customer(
    client_for, users, world, areas, customers
):
    before = OutreachActivity.objects.count()
    response = client_for(users["staff_bq"]).post(
        admin_url("outreachactivity", ADD),
        outreach_form(world["branch"], areas["viet_quang"], registered=[customers["qb1"]]),
    )
    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    assert "customer" in formset.formset.forms[0].errors
    assert OutreachActivity.objects.count() == before


def test_outreach_outside_the_branch_district_is_refused_with_its_reason(
    client_for, users, world, areas
):
    before = OutreachActivity.objects.count()
    response = client_for(users["staff_bq"]).post(
        admin_url("outreachactivity", ADD), outreach_form(world["branch"], areas["yen_binh"])
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["commune"]
    assert "Thị trấn Yên Bình" in errors[0] and "Điện lực Bắc Quang" in errors[0]
    assert OutreachActivity.objects.count() == before


def test_customer_autocomplete_offers_branch_staff_only_their_customers(client_for, users, world):
    response = client_for(users["staff_bq"]).get(
        reverse("admin:autocomplete"),
        {
            "app_label": "adoption",
            "model_name": "outreachregistration",
            "field_name": "customer",
            "term": "PA20",
        },
    )
    assert response.status_code == 200
    texts = [item["text"] for item in response.json()["results"]]
    assert texts and all(text.startswith("PA20BQ") for text in texts)


# Managers and channel admins.


def test_a_manager_cannot_change_a_customer(client_for, users, world):
    customer = world["customer"]
    response = client_for(users["manager"]).post(
        admin_url("customer", CHANGE, customer), {"name": "Đổi tên"}
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Khách hàng 0001"


def test_a_manager_changes_a_target_and_the_change_is_in_its_history(client_for, users, world):
    target = world["target"]
    response = client_for(users["manager"]).post(
        admin_url("target", CHANGE, target),
        {
            "company": target.company_id,
            "branch": target.branch_id,
            "period": "2024-12-01",
            "rate": "50",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.rate == Decimal(50)
    latest = target.history.latest()
    assert (latest.history_user.username, latest.history_type) == ("manager", "~")


def test_a_channel_admin_cannot_change_a_target_or_outreach(client_for, users, world):
    client = client_for(users["channel_admin"])
    target = world["target"]
    response = client.post(admin_url("target", CHANGE, target), {"rate": "99"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.rate == Decimal(45)


# Imported payments are read-only, even for superusers.


def test_an_imported_payment_is_read_only(client_for, users, world):
    client = client_for(users["admin"])
    payment = world["payment"]
    page = client.get(admin_url("payment", CHANGE, payment)).content.decode()
    assert 'name="_save"' not in page
    response = client.post(admin_url("payment", CHANGE, payment), {"amount": 1})
    assert response.status_code == 403
    delete = reverse("admin:adoption_payment_delete", args=[payment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    payment.refresh_from_db()
    assert payment.amount == 310_000


def test_a_payment_entered_by_hand_can_be_corrected(client_for, users, world):
    page = client_for(users["admin"]).get(admin_url("payment", CHANGE, world["payment_by_hand"]))
    assert 'name="_save"' in page.content.decode()


def test_a_manager_sees_every_branch_of_their_company(client_for, users, world):
    client = client_for(users["manager"])
    outreach = client.get(admin_url("outreachactivity", LIST)).context["cl"].result_list
    assert sorted(a.branch.code for a in outreach) == ["BQ", "QB"]
    customers = client.get(admin_url("customer", LIST)).context["cl"].result_list
    assert {c.branch.code for c in customers} == {"BQ", "QB"}


# What a manager may do in the fact lists: read every branch of their company, change nothing.


def test_a_manager_reads_the_payments_of_every_branch_of_their_company_only(
    client_for, users, world, channels
):
    from adoption.choices import Role
    from adoption.models import Branch, Company, Customer
    from tests.conftest import _user

    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    branch = Branch.objects.create(company=other, code="YS", name="Điện lực Yên Sơn")
    stranger = Customer.objects.create(
        code="PA21YS0000001",
        name="Khách hàng Tuyên Quang",
        branch=branch,
        commune=world["adminarea"],
        connected_on=date(2020, 1, 1),
    )
    Payment.objects.create(
        customer=stranger,
        period=date(2024, 3, 1),
        amount=100_000,
        channel=channels["viettelpay"],
        paid_at=datetime(2024, 3, 22, 8, 0, tzinfo=HCM),
        reference="VTP-TQ-1",
    )
    listed = client_for(users["manager"]).get(admin_url("payment", LIST)).context["cl"]
    assert sorted(p.reference for p in listed.result_list) == ["VTP-0001", "VTP-0002"]
    # The other company's manager reads theirs and not these.
    theirs = _user("manager_tq", Role.MANAGERS, company=other, is_staff=True)
    listed = client_for(theirs).get(admin_url("payment", LIST)).context["cl"]
    assert [p.reference for p in listed.result_list] == ["VTP-TQ-1"]
    page = client_for(theirs).get(admin_url("payment", CHANGE, world["payment"]))
    assert refused(page)


def test_a_manager_adds_changes_and_deletes_no_payment(client_for, users, world):
    client = client_for(users["manager"])
    by_hand = world["payment_by_hand"]
    page = client.get(admin_url("payment", CHANGE, by_hand))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(admin_url("payment", CHANGE, by_hand), {"amount": 1}).status_code == 403
    delete = reverse("admin:adoption_payment_delete", args=[by_hand.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    added = client.post(
        admin_url("payment", ADD),
        {"customer": world["customer"].pk, "period": "2024-04-01", "amount": "5"},
    )
    assert added.status_code == 403
    assert sorted(Payment.objects.values_list("reference", "amount")) == [
        ("VTP-0001", 310_000),
        ("VTP-0002", 310_000),
    ]


@pytest.mark.parametrize("model", ["payment", "customer", "branch"])
def test_a_manager_is_offered_no_action_on_the_fact_lists(client_for, users, world, model):
    listing = client_for(users["manager"]).get(admin_url(model, LIST))
    assert listing.status_code == 200
    assert listing.context["action_form"] is None


def test_a_manager_cannot_move_customers_by_posting_the_action(client_for, users, world, areas):
    customer = world["customer"]
    before = list(CustomerPlacement.objects.order_by("pk").values())
    client_for(users["manager"]).post(
        admin_url("customer", LIST),
        {
            "action": "move_customers",
            "_selected_action": [str(customer.pk)],
            "apply": "1",
            "on": "2024-03",
            "commune": areas["tan_quang"].pk,
        },
    )
    assert list(CustomerPlacement.objects.order_by("pk").values()) == before


def test_a_manager_reads_the_dated_facts_of_their_company_and_changes_none(
    client_for, users, world
):
    client = client_for(users["manager"])
    served = client.get(admin_url("branchterritory", LIST)).context["cl"].result_list
    assert {t.branch.code for t in served} == {"BQ", "QB"}
    page = client.get(admin_url("customer", CHANGE, world["customer"])).content.decode()
    assert "01/01/1900" in page  # the customer's places over time
    fact = world["customerplacement"]
    url = admin_url("customerplacement", CHANGE, fact)
    assert client.post(url, {"commune": world["adminarea"].pk}).status_code == 403
    assert CustomerPlacement.objects.get(pk=fact.pk).commune_id == fact.commune_id


@pytest.mark.parametrize("role", ALLOWED)
def test_the_admin_index_lists_exactly_the_models_a_role_may_open(client_for, users, role):
    response = client_for(users[role]).get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {
        model["object_name"].lower()
        for app in response.context["app_list"]
        if app["app_label"] in ("adoption", "auth")
        for model in app["models"]
    }
    assert listed - {"group"} == set(ALLOWED[role])


def test_no_one_deletes_payments_in_bulk(client_for, users, world):
    """Payments are the history: one entered by hand is corrected or deleted on its own page,
    an imported one is reversed. The list offers no action, even to a superuser."""
    client = client_for(users["admin"])
    assert client.get(admin_url("payment", LIST)).context["action_form"] is None
    selected = [world["payment"].pk, world["payment_by_hand"].pk]
    client.post(
        admin_url("payment", LIST),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert Payment.objects.filter(pk__in=selected).count() == 2
