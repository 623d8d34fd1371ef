"""Closing a month: a partial month stays open (provisional) and the dashboards stay on the last
complete one; completion waits for every source and for agreeing control totals; approval goes
branch then company, never out of order nor while rules fail; a locked month refuses imports,
reversals and outreach edits until an admin unlocks it with a reason; approved figures are kept
as reported and restatements are shown beside them."""

import functools
from datetime import date, datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from adoption import (
    closing,
    metrics,
    month_sources,
    month_steps,
    reported_figures,
    reversals,
    validation,
)
from adoption.choices import MonthAction, MonthStatus, ReversalKind, RuleCode, TotalsSource
from adoption.importers.values import VIETNAM
from adoption.metrics import freshness
from adoption.models import (
    BranchSignOff,
    ControlTotal,
    Finding,
    MonthClose,
    MonthEvent,
    OutreachActivity,
    Payment,
    ReportedFigures,
)

pytestmark = pytest.mark.usefixtures("in_english", "import_reports_dir")

HEADER = "customer_code,period,amount,channel_code,paid_at,reference"
DEC, JAN = date(2024, 12, 1), date(2025, 1, 1)


@pytest.fixture
def write(write_lines):
    return functools.partial(write_lines, name="payments.csv")


@pytest.fixture
def december(customers, channels, write):
    """December 2024 in full: both partners and the company's counter delivered."""
    path = write(
        HEADER,
        "PA20BQ0000001,2024-12,150000,VTP,2024-12-20 09:30,VTP-D1",
        "PA20BQ0000002,2024-12,98000,AGR,2024-12-21 10:00,AGR-D1",
        "PA20BQ0000003,2024-12,90000,AGR,2024-12-21 10:00,AGR-D2",
        "PA20QB0000001,2024-12,120000,QUAY,2024-12-03 08:00,Q-D1",
    )
    call_command("import_payments", str(path), verbosity=0)
    return path


def partial_january(write):
    """Only ViettelPay has delivered January."""
    path = write(HEADER, "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,VTP-J1")
    call_command("import_payments", str(path), verbosity=0)


def status(company, period):
    return closing.month_of(company, period).status


def trail(company, period):
    return list(MonthEvent.objects.filter(period=period).values_list("action", flat=True))


def test_a_partial_month_stays_open_and_the_dashboard_stays_on_the_last_complete_one(
    december, write, company, branches, users, client_for
):
    assert status(company, DEC) == MonthStatus.COMPLETE
    partial_january(write)
    assert status(company, JAN) == MonthStatus.OPEN
    ids = [b.pk for b in branches.values()]
    assert metrics.latest_period(ids) == JAN
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert closing.default_month(ids) == DEC
    page = client.get("/").content.decode()
    assert "Adoption rate, 12/2024" in page
    assert "01/2025 is provisional (tạm tính)" in page
    opened = client.get("/?end=2025-01").content.decode()
    assert "01/2025 is provisional (tạm tính): its data is still arriving" in opened
    assert 'data-stat="change_1m">—<' in opened  # no "change since last month" for it
    chart = client.get("/charts/adoption/?end=2025-01").json()
    assert chart["provisional"] == ["01/2025"]


def test_completing_a_month_with_sources_missing_is_refused_and_changes_nothing(
    december, write, company, users
):
    partial_january(write)
    with pytest.raises(ValidationError) as error:
        month_steps.complete(company, JAN, users["manager"])
    messages = error.value.messages
    assert "No file from Agribank for 01/2025." in messages
    assert "No file from Billing system for 01/2025." in messages
    assert status(company, JAN) == MonthStatus.OPEN
    assert trail(company, JAN) == []
    # A superuser closes it without them, with a reason, audited.
    with pytest.raises(ValidationError):
        month_steps.complete(company, JAN, users["admin"])
    month_steps.complete(company, JAN, users["admin"], reason="Agribank files late; counter closed")
    assert status(company, JAN) == MonthStatus.COMPLETE
    event = MonthEvent.objects.get(period=JAN)
    assert (event.action, event.user, event.reason) == (
        MonthAction.CLOSED_BY_ADMIN,
        users["admin"],
        "Agribank files late; counter closed",
    )


def test_the_month_completes_once_the_last_source_arrives(december, write, company):
    partial_january(write)
    path = write(
        HEADER,
        "PA20BQ0000002,2025-01,98000,AGR,2025-01-21 10:00,AGR-J1",
        "PA20QB0000001,2025-01,120000,QUAY,2025-01-03 08:00,Q-J1",
    )
    call_command("import_payments", str(path), verbosity=0)
    assert status(company, JAN) == MonthStatus.COMPLETE
    sources = {
        s["label"]: (s["rows"], s["amount"], s["missing"])
        for s in month_sources.expected_sources(company, JAN)
    }
    assert sources == {
        "Billing system": (1, 120_000, False),
        "Agribank": (1, 98_000, False),
        "Viettel": (1, 150_000, False),
    }


def test_a_totals_mismatch_blocks_completion_until_explained(december, write, company, channels):
    partial_january(write)
    total = ControlTotal.objects.create(
        channel=channels["viettelpay"],
        period=JAN,
        rows=2,
        amount=300_000,
        source=TotalsSource.FOOTER,
    )
    path = write(
        HEADER,
        "PA20BQ0000002,2025-01,98000,AGR,2025-01-21 10:00,AGR-J1",
        "PA20QB0000001,2025-01,120000,QUAY,2025-01-03 08:00,Q-J1",
    )
    call_command("import_payments", str(path), verbosity=0)
    assert status(company, JAN) == MonthStatus.OPEN  # every source is in, but the totals differ
    with pytest.raises(ValidationError) as error:
        month_steps.complete(company, JAN, None)
    [message] = error.value.messages
    assert message == (
        "ViettelPay: the partner counts 2 rows and 300,000, the import 1 rows and "
        "150,000; explain the difference."
    )
    assert status(company, JAN) == MonthStatus.OPEN
    total.explanation = "One payment arrives with February's file."
    total.save()
    month_steps.complete(company, JAN, None)
    assert status(company, JAN) == MonthStatus.COMPLETE


def approve_all(company, branches, users, period=DEC):
    month_steps.approve_branch(branches["bq"], period, users["admin"])
    month_steps.approve_branch(branches["qb"], period, users["admin"])
    return month_steps.approve_company(company, period, users["admin"])


def test_approval_out_of_order_is_refused_and_writes_nothing(
    december, write, company, branches, users
):
    with pytest.raises(ValidationError) as error:
        month_steps.approve_company(company, DEC, users["admin"])
    assert "12/2024 is “Complete”: this step needs it “Approved by the branches”." in (
        error.value.messages
    )
    partial_january(write)
    with pytest.raises(ValidationError) as error:
        month_steps.approve_branch(branches["bq"], JAN, users["admin"])
    assert "01/2025 is “Open (provisional)”" in error.value.messages[0]
    with pytest.raises(ValidationError):
        month_steps.lock(company, DEC, users["admin"])
    assert not BranchSignOff.objects.exists() and not ReportedFigures.objects.exists()
    assert status(company, DEC) == MonthStatus.COMPLETE
    month_steps.approve_branch(branches["bq"], DEC, users["admin"])
    assert status(company, DEC) == MonthStatus.COMPLETE  # Quang Bình has not approved yet
    with pytest.raises(ValidationError) as error:
        month_steps.approve_branch(branches["bq"], DEC, users["admin"])
    assert "This branch has already approved 12/2024." in error.value.messages


def test_only_the_branch_head_and_the_company_approve(december, company, branches, users):
    # The roles' groups hold the permissions (adoption/roles.py); the branch is checked too.
    for who in ("manager", "channel_admin", "staff_qb"):
        with pytest.raises(PermissionDenied):
            month_steps.approve_branch(branches["bq"], DEC, users[who])
    month_steps.approve_branch(branches["bq"], DEC, users["staff_bq"])
    month_steps.approve_branch(branches["qb"], DEC, users["staff_qb"])
    for who in ("staff_bq", "channel_admin"):
        with pytest.raises(PermissionDenied):
            month_steps.approve_company(company, DEC, users[who])
    user_model = type(users["manager"])
    stranger = user_model.objects.create_user("stranger")  # the permission, no company
    stranger.user_permissions.add(Permission.objects.get(codename="approve_company_month"))
    with pytest.raises(PermissionDenied):
        month_steps.approve_company(company, DEC, user_model.objects.get(pk=stranger.pk))
    assert closing.month_of(company, DEC).status == MonthStatus.BRANCH_APPROVED
    month_steps.approve_company(company, DEC, users["manager"])
    assert closing.month_of(company, DEC).status == MonthStatus.COMPANY_APPROVED
    with pytest.raises(PermissionDenied):
        month_steps.lock(company, DEC, users["manager"])


def test_approval_is_refused_while_rules_fail(december, company, branches, users, customers):
    # A customer's dates corrected after their payment arrived: the payment is now outside.
    customers["bq1"].connected_on = date(2025, 1, 10)
    customers["bq1"].save()
    validation.run([DEC])
    finding = Finding.objects.get(rule=RuleCode.OUTSIDE_CONNECTION)
    assert (finding.reference, finding.customer_id) == ("VTP-D1", customers["bq1"].pk)
    with pytest.raises(ValidationError) as error:
        month_steps.approve_branch(branches["bq"], DEC, users["admin"])
    # Its commune now counts one non-cash customer and none connected: flagged too.
    above = Finding.objects.get(rule=RuleCode.NONCASH_ABOVE_TOTAL)
    assert above.detail == "Thị trấn Việt Quang: 1 non-cash customers, 0 customers."
    assert "2 validation findings for 12/2024 must be resolved first." in error.value.messages
    assert not BranchSignOff.objects.exists()
    month_steps.approve_branch(branches["qb"], DEC, users["admin"])  # the other branch is clean


def lock_december(company, branches, users):
    approve_all(company, branches, users)
    month_steps.lock(company, DEC, users["admin"])


def test_a_locked_month_refuses_payment_imports(december, write, company, branches, users, capsys):
    lock_december(company, branches, users)
    before = list(Payment.objects.order_by("pk").values_list("reference", flat=True))
    path = write(HEADER, "PA20BQ0000003,2024-12,50000,VTP,2024-12-28 10:00,VTP-LATE")
    with pytest.raises(CommandError):
        call_command("import_payments", str(path), verbosity=0)
    assert "Row 2, period: 12/2024 is locked" in capsys.readouterr().out
    assert list(Payment.objects.order_by("pk").values_list("reference", flat=True)) == before


def test_a_locked_month_refuses_reversals_and_outreach_edits(
    december, company, branches, users, channels, areas
):
    activity = OutreachActivity.objects.create(
        branch=branches["bq"],
        date=date(2024, 12, 10),
        commune=areas["tan_quang"],
        households_reached=30,
        registrations=5,
        created_by=users["staff_bq"],
    )
    lock_december(company, branches, users)
    with pytest.raises(ValidationError) as error:
        reversals.reverse(channels["viettelpay"], "VTP-D1", 150_000, ReversalKind.REFUND, None)
    assert "12/2024 is locked" in error.value.messages[0]
    assert Payment.objects.counted().count() == 4
    activity.households_reached = 40
    with pytest.raises(ValidationError) as error:
        activity.full_clean()
    assert "12/2024 is locked" in error.value.message_dict["date"][0]


def test_unlocking_needs_an_admin_and_a_reason_and_is_audited(december, company, branches, users):
    lock_december(company, branches, users)
    with pytest.raises(PermissionDenied):
        month_steps.unlock(company, DEC, users["manager"], "typo")
    with pytest.raises(ValidationError) as error:
        month_steps.unlock(company, DEC, users["admin"], "  ")
    assert "Give a reason to unlock a month." in error.value.messages
    assert status(company, DEC) == MonthStatus.LOCKED
    month_steps.unlock(company, DEC, users["admin"], "Refund from Viettel")
    assert status(company, DEC) == MonthStatus.COMPANY_APPROVED
    event = MonthEvent.objects.filter(action=MonthAction.UNLOCKED).get()
    assert (event.user, event.reason) == (users["admin"], "Refund from Viettel")


def test_approved_figures_are_kept_and_restatements_shown_beside_them(
    december, company, branches, users, channels
):
    approve_all(company, branches, users)
    day = closing.month_of(company, DEC).approved_at.astimezone(VIETNAM).strftime("%d/%m/%Y")
    assert reported_figures.export_label(company, DEC) == f"As approved on {day}"
    reversals.reverse(channels["viettelpay"], "VTP-D1", 150_000, ReversalKind.REFUND, None)
    freshness.ensure_fresh()
    bq = {r["branch"].code: r for r in reported_figures.restatements(company, DEC)}["BQ"]
    assert bq["reported"]["noncash_customers"] == 3
    assert bq["current"]["noncash_customers"] == 2
    assert bq["difference"] == {
        "active_customers": 0,
        "noncash_customers": -1,
        "payments": -1,
        "amount": -150_000,
    }
    assert reported_figures.export_label(company, DEC) == f"Restated since its approval on {day}"
    assert ReportedFigures.objects.get(branch=branches["bq"], period=DEC).noncash_customers == 3


def test_the_same_reference_in_two_periods_is_flagged(december, customers, channels):
    # Agribank's auto-debit channel reuses a reference its transfers used in December.
    from adoption.choices import ChannelKind
    from adoption.models import PaymentChannel

    debit = PaymentChannel.objects.create(
        code="AGR-AD",
        name="Agribank trích nợ",
        kind=ChannelKind.AUTO_DEBIT,
        partner=channels["agribank"].partner,
    )
    Payment.objects.create(
        customer=customers["bq2"],
        period=JAN,
        amount=98_000,
        channel=debit,
        paid_at=datetime(2025, 1, 5, tzinfo=VIETNAM),
        reference="AGR-D1",
    )
    validation.run([DEC, JAN])
    flagged = sorted(
        Finding.objects.filter(rule=RuleCode.REFERENCE_REUSED).values_list("period", "reference")
    )
    assert flagged == [(DEC, "AGR-D1"), (JAN, "AGR-D1")]


def test_rate_jumps_are_flagged_above_the_configured_points(december, write, settings):  # noqa: F811
    partial_january(write)  # 1 of 3 non-cash customers of Bắc Quang paid in January
    settings.CLOSING_RATE_JUMP_POINTS = 70
    validation.run([JAN])
    assert not Finding.objects.filter(rule=RuleCode.RATE_JUMP).exists()
    settings.CLOSING_RATE_JUMP_POINTS = 50
    validation.run([JAN])
    [jump] = Finding.objects.filter(rule=RuleCode.RATE_JUMP)
    assert "Điện lực Bắc Quang: the adoption rate moved -66.7 points" in jump.detail


def test_an_amount_far_outside_the_customers_history_is_flagged(customers, channels):
    for month in range(1, 5):
        Payment.objects.create(
            customer=customers["bq1"],
            period=date(2024, month, 1),
            amount=150_000,
            channel=channels["viettelpay"],
            paid_at=datetime(2024, month, 20, tzinfo=VIETNAM),
            reference=f"H-{month}",
        )
    Payment.objects.create(
        customer=customers["bq1"],
        period=date(2024, 5, 1),
        amount=15_000_000,
        channel=channels["viettelpay"],
        paid_at=datetime(2024, 5, 20, tzinfo=VIETNAM),
        reference="H-5",
    )
    validation.run([date(2024, 4, 1), date(2024, 5, 1)])
    flagged = Finding.objects.filter(rule=RuleCode.AMOUNT_OUTLIER)
    assert list(flagged.values_list("reference", flat=True)) == ["H-5"]


def test_an_open_month_has_no_row_until_an_import_opens_it(company):
    assert not MonthClose.objects.exists()
    assert status(company, DEC) == MonthStatus.COMPLETE


def test_exports_say_as_approved_or_restated(december, company, branches, users, channels):
    client = Client()
    client.force_login(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def exported():
        response = client.get("/", {"end": "2024-12", "_export": "csv"})
        # The first line says the period (adoption.exports), then the header and the rows.
        lines = response.content.decode("utf-8-sig").splitlines()[1:]
        return lines[0].split(",")[-1], {line.split(",")[-1] for line in lines[1:]}

    header, _notes = exported()
    assert header != "Figures"  # a month never approved: nothing to say
    approve_all(company, branches, users)
    day = closing.month_of(company, DEC).approved_at.astimezone(VIETNAM).strftime("%d/%m/%Y")
    assert exported() == ("Figures", {f"As approved on {day}"})
    reversals.reverse(channels["viettelpay"], "VTP-D1", 150_000, ReversalKind.REFUND, None)
    freshness.ensure_fresh()
    assert exported() == ("Figures", {f"Restated since its approval on {day}"})


def test_a_payments_files_footer_is_kept_as_the_partners_control_total(
    december, write, company, channels
):
    path = write(
        HEADER,
        "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,VTP-J1",
        "#TOTAL,2025-01,300.000,VTP,,2",
    )
    call_command("import_payments", str(path), verbosity=0)
    assert Payment.objects.filter(period=JAN).count() == 1  # the footer is no payment
    total = ControlTotal.objects.get()
    assert (total.channel, total.rows, total.amount, total.source) == (
        channels["viettelpay"],
        2,
        300_000,
        TotalsSource.FOOTER,
    )
    [row] = month_sources.reconciliation(company, JAN)
    assert (row["rows"], row["amount"], row["differs"]) == (1, 150_000, True)


def test_a_bad_footer_refuses_the_file(december, write, capsys):
    path = write(
        HEADER,
        "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,VTP-J1",
        "#TOTAL,2025-01,300.000,VTP,,two",
    )
    with pytest.raises(CommandError):
        call_command("import_payments", str(path), verbosity=0)
    assert "Row 3, reference: “two” is not a number of rows." in capsys.readouterr().out
    assert not ControlTotal.objects.exists() and not Payment.objects.filter(period=JAN).exists()


def test_a_totals_file_goes_in_whole_or_not_at_all(december, write_lines, company, capsys):
    header = "channel_code,period,rows,amount,explanation"
    bad = write_lines(header, "VTP,2024-12,1,150000,", "NOPE,2024-12,1,5", name="t.csv")
    with pytest.raises(CommandError):
        call_command("import_control_totals", str(bad))
    assert "Row 3, channel_code: Unknown channel “NOPE”." in capsys.readouterr().out
    assert not ControlTotal.objects.exists()
    good = write_lines(header, "VTP,2024-12,1,150000,", "AGR,12/2024,3,188000,", name="t.csv")
    call_command("import_control_totals", str(good))
    differs = {
        r["total"].channel.code: r["differs"] for r in month_sources.reconciliation(company, DEC)
    }
    assert differs == {"VTP": False, "AGR": True}  # Agribank sent 2 rows for 188.000 ₫
