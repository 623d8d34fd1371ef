"""Migrations: the test database itself is built from zero by them; the models and the
migrations agree."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_models_and_migrations_agree(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models have changes without a migration:\n{out.getvalue()}")


def test_every_migration_is_applied_to_the_test_database(db):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_the_roles_migration_made_the_groups(db):
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {"Managers", "Branch staff", "Channel admins"} <= names


BEFORE = [("adoption", "0006_payment_no_default_ordering")]
AFTER = [("adoption", "0009_branch_month_company")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_installation_carries_its_data_over_to_dated_facts():
    from datetime import date

    old = _migrate(BEFORE)
    area = old.get_model("adoption", "AdminArea")
    province = area.objects.create(level="province", code="02", name="Hà Giang")
    district = area.objects.create(level="district", code="027", name="Bắc Quang", parent=province)
    communes = [
        area.objects.create(level="commune", code="00838", name="Việt Quang", parent=district),
        area.objects.create(
            level="commune",
            code="00841",
            name="Vĩnh Tuy",
            parent=district,
            valid_from=date(2019, 3, 15),
            valid_to=date(2025, 6, 30),
        ),
    ]
    village = area.objects.create(level="village", name="Thôn Tân Thành", parent=communes[0])
    company = old.get_model("adoption", "Company").objects.create(
        code="PCHG", name="PC Hà Giang", customer_code_prefix="PA20", province=province
    )
    branch = old.get_model("adoption", "Branch").objects.create(
        company=company, code="BQ", name="Điện lực Bắc Quang", district=district
    )
    customer = old.get_model("adoption", "Customer").objects.create(
        code="PA20BQ0000001",
        name="Nguyễn Văn A",
        branch=branch,
        commune=communes[0],
        village=village,
        connected_on=date(2018, 5, 20),
    )
    channel = old.get_model("adoption", "PaymentChannel").objects.create(
        code="VCB", name="Vietcombank", kind="bank", is_cash=False
    )
    payment = old.get_model("adoption", "Payment").objects.create(
        customer=customer,
        channel=channel,
        period=date(2021, 10, 1),
        amount=250_000,
        paid_at="2021-10-20T08:00:00+07:00",
        reference="R1",
    )
    old.get_model("adoption", "BranchMonth").objects.create(
        period=date(2021, 10, 1), branch=branch, customer_type="household", active_customers=1
    )
    try:
        new = _migrate(AFTER)
        rollup = new.get_model("adoption", "BranchMonth").objects.get()
        assert (rollup.company_id, rollup.active_customers) == (company.pk, 1)
        version = new.get_model("adoption", "BranchVersion").objects.get()
        assert (version.branch_id, version.company_id, version.name) == (
            branch.pk,
            company.pk,
            "Điện lực Bắc Quang",
        )
        assert (version.valid_from, version.valid_to) == (date(1900, 1, 1), None)
        territory = new.get_model("adoption", "BranchTerritory").objects.order_by("commune_id")
        assert [(t.branch_id, t.commune_id, t.valid_from, t.valid_to) for t in territory] == [
            (branch.pk, communes[0].pk, date(1900, 1, 1), None),
            (branch.pk, communes[1].pk, date(2019, 3, 1), date(2025, 6, 30)),
        ]
        placement = new.get_model("adoption", "CustomerPlacement").objects.get()
        assert (placement.customer_id, placement.commune_id, placement.village_id) == (
            customer.pk,
            communes[0].pk,
            village.pk,
        )
        assert placement.valid_from == date(1900, 1, 1) and placement.valid_to is None
        kept = new.get_model("adoption", "Payment").objects.get()
        assert (kept.pk, kept.customer_id, kept.amount) == (payment.pk, customer.pk, 250_000)
        assert new.get_model("adoption", "Customer").objects.get().branch_id == branch.pk
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


CLASSIFICATION_BEFORE = [("adoption", "0008_carry_over_organisation_and_territory")]
CLASSIFICATION_AFTER = [("adoption", "0009_channel_classification")]


@pytest.mark.django_db(transaction=True)
def test_an_installation_carries_its_channels_over_to_dated_classifications():
    from datetime import date

    old = _migrate(CLASSIFICATION_BEFORE)
    channel_model = old.get_model("adoption", "PaymentChannel")
    vnpost = channel_model.objects.create(
        code="VNPOST", name="VNPost", kind="agent_counter", is_cash=True
    )
    counter = channel_model.objects.create(
        code="QUAY", name="Quầy thu", kind="company_counter", is_cash=True
    )
    area = old.get_model("adoption", "AdminArea")
    province = area.objects.create(level="province", code="02", name="Hà Giang")
    branch = old.get_model("adoption", "Branch").objects.create(
        company=old.get_model("adoption", "Company").objects.create(
            code="PCHG", name="PC Hà Giang", customer_code_prefix="PA20", province=province
        ),
        code="BQ",
        name="Điện lực Bắc Quang",
    )
    old.get_model("adoption", "ChannelMonth").objects.create(
        period=date(2021, 10, 1), branch=branch, channel=vnpost, customer_type="household"
    )
    try:
        new = _migrate(CLASSIFICATION_AFTER)
        rows = new.get_model("adoption", "ChannelClassification").objects.order_by("channel_id")
        assert [(r.channel_id, r.valid_from, r.valid_to, r.kind, r.is_cash) for r in rows] == [
            (vnpost.pk, date(1900, 1, 1), None, "agent_counter", True),
            (counter.pk, date(1900, 1, 1), None, "company_counter", True),
        ]
        history = new.get_model("adoption", "HistoricalChannelClassification").objects
        assert history.count() == 2
        assert new.get_model("adoption", "ChannelMonth").objects.get().kind == "agent_counter"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_stops_at_a_channel_whose_kind_contradicts_its_cash_flag():
    old = _migrate(CLASSIFICATION_BEFORE)
    old.get_model("adoption", "PaymentChannel").objects.create(
        code="AGR", name="Agribank", kind="bank", is_cash=True
    )
    try:
        with pytest.raises(RuntimeError, match=r"AGR \(bank, cash\)"):
            _migrate(CLASSIFICATION_AFTER)
    finally:
        old.get_model("adoption", "PaymentChannel").objects.filter(code="AGR").delete()
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
