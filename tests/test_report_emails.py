"""Report and alert emails through a real SMTP server on loopback: who gets what, in which
language, with which figures and attachments; sent once; retried when the server is down."""

import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from adoption.models import (
    AlertKind,
    AlertMute,
    BranchMonth,
    CommuneMonth,
    Delivery,
    DeliveryStatus,
    Subscription,
    Target,
)
from adoption.reports import deliveries, dispatch
from tests.dashboard_fixture import make_dashboard_data
from tests.smtp_fixture import attachments, body

NBSP = "\u00a0"
TODAY = date(2025, 2, 10)


def run_worker(today=TODAY, now=None):
    """What the worker's two periodic jobs do: queue what is due, send what is queued."""
    queued = dispatch.queue_all(today)
    deliveries.send_due(now)
    return queued


def subscribe(manager, user=None, email="", branch=None, company=None, **kwargs):
    company = company or (branch.company if branch else manager.staff_profile.company)
    return Subscription.objects.create(
        user=user, email=email, company=company, branch=branch, created_by=manager, **kwargs
    )


def subject(message):
    # Django folds a non-ASCII subject onto a continuation line ("Subject: \n =?utf-8?…");
    # mail readers drop the fold's space, and so does this.
    return str(message["Subject"]).strip()


def plain(message):
    return body(message).replace(NBSP, " ")


def pdf_text(data):
    reader = PdfReader(BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages).replace(NBSP, " ")


@pytest.fixture
def cast(users):
    for name, user in users.items():
        user.email = f"{name}@pc.example"
        user.save()
    return users


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


def test_two_branches_two_emails_each_with_only_its_own_figures(smtp_server, cast, branches, data):
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"], alerts=False)
    subscribe(cast["manager"], user=cast["staff_qb"], branch=branches["qb"], alerts=False)
    assert run_worker() == (2, 0)
    assert len(smtp_server.received) == 2
    (bq,) = smtp_server.to("staff_bq@pc.example")
    (qb,) = smtp_server.to("staff_qb@pc.example")
    # In Vietnamese, the month and the unit in the subject.
    assert subject(bq) == "Báo cáo tháng 01/2025 – Huyện Bắc Quang"
    assert subject(qb) == "Báo cáo tháng 01/2025 – Huyện Quang Bình"
    # The dashboard's figures: BQ 46,0 % against 60 % by 12/2025; QB 20,0 % against 40 %.
    bq_text, qb_text = plain(bq), plain(qb)
    assert "Khách hàng: 46,0 % (chỉ tiêu 60,0 %, chênh lệch -14,0" in bq_text
    assert "Khách hàng: 20,0 % (chỉ tiêu 40,0 %, chênh lệch -20,0" in qb_text
    assert "Quang Bình" not in bq_text + body(bq, "html")
    assert "Bắc Quang" not in qb_text + body(qb, "html")
    assert "https://powerco.example/reports/branches/BQ/?start=2024-02&end=2025-01" in bq_text
    # Attachments that open: the PDF names the month and branch, the XLSX holds the communes.
    files = attachments(bq)
    text = pdf_text(files[f"report-branch-{branches['bq'].pk}-2025-01.pdf"])
    assert "01/2025" in text and "Huyện Bắc Quang" in text and "46,0 %" in text
    assert "Quang Bình" not in text
    book = load_workbook(BytesIO(files[f"report-branch-{branches['bq'].pk}-2025-01.xlsx"]))
    communes = [row[0] for row in book["Xã"].iter_rows(min_row=2, values_only=True)]
    assert sorted(communes) == ["Thị trấn Việt Quang", "Xã Tân Quang"]
    headline = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r}
    assert headline["Khách hàng"] == 46.0
    assert "/reports/unsubscribe/" in bq_text


def test_nothing_is_sent_when_nothing_changed(smtp_server, cast, branches, data):
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    run_worker()
    run_worker()
    run_worker(today=TODAY + timedelta(days=3))
    assert len(smtp_server.to("staff_bq@pc.example")) == 1


def test_a_branch_head_never_receives_another_branchs_figures(
    smtp_server, cast, branches, company, data
):
    # Written past the form, as a careless script would: the send refuses it anyway.
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["qb"])
    subscribe(cast["manager"], user=cast["staff_bq"], company=company)
    # An address of nobody on the site is held to the manager who subscribed it.
    subscribe(cast["staff_qb"], email="someone@else.example", branch=branches["bq"])
    run_worker()
    assert smtp_server.received == []
    refused = Delivery.objects.filter(status=DeliveryStatus.FAILED)
    assert refused.count() == 3
    assert all("role does not allow" in d.last_error for d in refused)


def test_the_company_report_goes_to_managers_with_the_districts_furthest_behind(
    smtp_server, cast, company, data
):
    subscribe(cast["manager"], user=cast["manager"], company=company, alerts=False)
    run_worker()
    (message,) = smtp_server.to("manager@pc.example")
    text = plain(message)
    assert "Khách hàng: 33,0 %" in text  # the overview's 33,0 %
    assert "Huyện Quang Bình: 20,0 %" in text.split("Xa chỉ tiêu nhất")[1]


def test_an_english_subscription_is_written_in_english(smtp_server, cast, branches, data):
    subscribe(cast["manager"], email="donor@example.org", branch=branches["bq"], language="en")
    run_worker()
    (message,) = smtp_server.to("donor@example.org")
    assert subject(message) == "Monthly report 01/2025 – Huyện Bắc Quang"
    assert "Customers: 46.0 %" in plain(message)


def test_the_unsubscribe_link_stops_the_reports(smtp_server, client, cast, branches, data):
    subscription = subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    run_worker()
    (message,) = smtp_server.to("staff_bq@pc.example")
    [_all, path] = re.search(
        r"https://powerco\.example(/reports/unsubscribe/[^/\s]+/)", plain(message)
    ).group(0, 1)
    assert client.get(path).status_code == 200
    subscription.refresh_from_db()
    assert subscription.active  # a link scanner's GET changes nothing
    assert 'data-done="1"' in client.post(path).content.decode()
    subscription.refresh_from_db()
    assert not subscription.active
    assert client.get("/reports/unsubscribe/forged-token/").status_code == 404


# Alerts.


def set_rate(branch, commune, period, rate, back_to_cash=0):
    """One month of a branch with one commune: 1000 customers, `rate` % of them non-cash."""
    noncash = int(round(rate * 10))
    counts = {
        "active_customers": 1000,
        "paying_customers": 1000,
        "noncash_customers": noncash,
        "payments": 1000,
        "noncash_payments": noncash,
        "back_to_cash_customers": back_to_cash,
    }
    CommuneMonth.objects.create(
        period=period, branch=branch, commune=commune, customer_type="household", **counts
    )
    BranchMonth.objects.create(
        period=period, branch=branch, company=branch.company, customer_type="household", **counts
    )


# 2024: a 50 % target for 12/2024. From 20 % in 01/2024 the branch gains 3 points a month until
# 08/2024 (41 %: 2,25 a month still needed), then 1 and 0,5: below pace in 09 and 10/2024.
ON_PACE = {1: 20, 2: 23, 3: 26, 4: 29, 5: 32, 6: 35, 7: 38, 8: 41}
FALLING_OFF = {9: 42, 10: 42.5}


@pytest.fixture
def series(company, branches, areas):
    communes = {"bq": areas["viet_quang"], "qb": areas["yen_binh"]}
    for code in ("bq", "qb"):
        Target.objects.create(
            company=company, branch=branches[code], period=date(2024, 12, 1), rate=Decimal("50")
        )

    def add(code, rates, back_to_cash=0):
        for month, rate in rates.items():
            set_rate(branches[code], communes[code], date(2024, month, 1), rate, back_to_cash)

    return add


def alerts_to(inbox, address):
    return [m for m in inbox.to(address) if subject(m).startswith("Cảnh báo")]


def test_a_unit_falling_off_its_pace_is_alerted_once(smtp_server, cast, branches, series):
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    series("bq", {**ON_PACE, 9: 42})
    run_worker(date(2024, 10, 5))  # one month below pace (09/2024): not yet
    assert alerts_to(smtp_server, "staff_bq@pc.example") == []
    series("bq", {10: 42.5})  # the second month running
    for _run in range(3):
        run_worker(date(2024, 11, 5))
    (alert,) = alerts_to(smtp_server, "staff_bq@pc.example")
    assert (
        subject(alert)
        == "Cảnh báo: Huyện Bắc Quang – Thấp hơn tốc độ cần thiết hai tháng liên tiếp"
    )
    text = plain(alert)
    assert "2 tháng liên tiếp (từ 09/2024)" in text
    assert "Tháng 10/2024 tăng 0,5 điểm; cần tăng 2,7 điểm mỗi tháng" in text
    assert "chỉ tiêu 50,0 % vào 12/2024" in text
    assert "https://powerco.example/reports/branches/BQ/?start=2023-11&end=2024-10" in text
    series("bq", {11: 43})  # still below pace: the same occurrence, no second email
    run_worker(date(2024, 12, 5))
    assert len(alerts_to(smtp_server, "staff_bq@pc.example")) == 1


def test_muting_an_alert_kind_stops_it(smtp_server, client, cast, branches, company, series):
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    subscribe(cast["manager"], user=cast["staff_qb"], branch=branches["qb"])
    subscribe(cast["manager"], user=cast["manager"], company=company)
    series("bq", {**ON_PACE, **FALLING_OFF})
    run_worker(date(2024, 11, 5))
    (alert,) = alerts_to(smtp_server, "manager@pc.example")
    path = re.search(r"https://powerco\.example(/reports/mute/[^/\s]+/)", plain(alert))[1]
    assert client.get(path).status_code == 200
    assert not AlertMute.objects.exists()  # a link scanner's GET changes nothing
    assert 'data-done="1"' in client.post(path).content.decode()
    assert AlertMute.objects.filter(email="manager@pc.example", kind=AlertKind.BELOW_PACE)
    series("qb", {**ON_PACE, **FALLING_OFF})  # a second branch falls off its pace
    run_worker(date(2024, 11, 6))
    assert len(alerts_to(smtp_server, "staff_qb@pc.example")) == 1
    assert len(alerts_to(smtp_server, "manager@pc.example")) == 1
    assert client.get("/reports/mute/forged/").status_code == 404


def test_back_to_cash_above_the_threshold_is_alerted(smtp_server, cast, branches, series, settings):
    settings.ALERT_BACK_TO_CASH_PERCENT = 5
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    series("bq", ON_PACE)
    series("bq", {9: 42}, back_to_cash=30)  # 30 of 08/2024's 410 non-cash: 7,3 %
    run_worker(date(2024, 10, 5))
    texts = [plain(m) for m in alerts_to(smtp_server, "staff_bq@pc.example")]
    assert len(texts) == 1
    assert "30 khách hàng" in texts[0] and "7,3 %" in texts[0] and "ngưỡng là 5,0 %" in texts[0]


def test_month_closings_alert_kinds_find_nothing_on_a_clean_month(branches, company):
    from adoption.reports.alerts import DETECTORS
    from adoption.reports.figures import Unit

    unit = Unit(company=company, branch=branches["bq"])
    assert DETECTORS[AlertKind.MISSING_FILE](unit, date(2025, 1, 1), "x") == []
    assert DETECTORS[AlertKind.VALIDATION](unit, date(2025, 1, 1), "x") == []


def test_a_failing_rule_of_the_month_is_alerted_once_to_its_branch(
    smtp_server, cast, branches, data
):
    from adoption.choices import RuleCode
    from adoption.models import Finding

    Finding.objects.create(
        period=date(2025, 1, 1),
        rule=RuleCode.OUTSIDE_CONNECTION,
        branch=branches["bq"],
        detail="PA20BQ0000001",
    )
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    subscribe(cast["manager"], user=cast["staff_qb"], branch=branches["qb"])
    run_worker()
    run_worker()
    (alert,) = alerts_to(smtp_server, "staff_bq@pc.example")
    assert "1 phát hiện" in plain(alert) and "/months/2025-01/" in plain(alert)
    assert alerts_to(smtp_server, "staff_qb@pc.example") == []


def test_a_partner_file_missing_by_its_due_day_is_alerted_once(
    smtp_server, cast, branches, data, customers, channels, settings
):
    """Agribank delivered 12/2024, so its 01/2025 file is expected; it has not come, and once
    the due day (the 10th of the month after) has passed that is alerted, once."""
    from datetime import datetime

    from adoption.models import Payment

    settings.CLOSING_FILES_DUE_DAY = 10
    for month, channel in ((12, "agribank"), (12, "viettelpay"), (1, "viettelpay")):
        period = date(2024 if month == 12 else 2025, month, 1)
        Payment.objects.create(
            customer=customers["bq1"],
            period=period,
            channel=channels[channel],
            amount=100_000,
            paid_at=timezone.make_aware(datetime(period.year, period.month, 15)),
            reference=f"{channel}-{month}",
        )
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"])
    with patch_today(date(2025, 2, 9)):
        run_worker(date(2025, 2, 9))
    assert alerts_to(smtp_server, "staff_bq@pc.example") == []
    with patch_today(date(2025, 2, 10)):
        run_worker(date(2025, 2, 10))
        run_worker(date(2025, 2, 10))
    (alert,) = alerts_to(smtp_server, "staff_bq@pc.example")
    text = plain(alert)
    assert "Agribank" in text and "01/2025" in text and "10/02/2025" in text
    assert "tệp của Agribank" in text and "tệp của Viettel" not in text  # Viettel's came


def patch_today(day):
    from unittest import mock

    return mock.patch("django.utils.timezone.localdate", return_value=day)


# Delivery.


def test_the_smtp_server_down_retries_then_records_the_failure_and_loses_nothing(
    start_smtp, cast, branches, data, settings
):
    settings.REPORT_SEND_ATTEMPTS = 3
    settings.REPORT_RETRY_SECONDS = 60
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"], alerts=False)
    now = timezone.now()
    run_worker(now=now)  # nothing listens on the port
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at == now + timedelta(seconds=60)
    assert "Connection refused" in delivery.last_error or "Errno" in delivery.last_error
    deliveries.send_due(now + timedelta(seconds=30))  # not due yet
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    deliveries.send_due(now + timedelta(seconds=61))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == now + timedelta(seconds=61 + 120)
    deliveries.send_due(now + timedelta(seconds=200))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    # The next runs neither queue a second copy nor send the failed one.
    run_worker(now=now + timedelta(hours=1))
    assert Delivery.objects.count() == 1
    # The server is back; the admin sends it again, and the same email arrives whole.
    inbox = start_smtp()
    assert deliveries.send_again(Delivery.objects.all()) == 1
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at
    (message,) = inbox.to("staff_bq@pc.example")
    assert "46,0 %" in plain(message)
    assert len(attachments(message)) == 2


def test_the_admin_shows_sent_and_failed_emails_and_sends_again(
    client_for, start_smtp, cast, branches, data, settings
):
    settings.REPORT_SEND_ATTEMPTS = 1
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"], alerts=False)
    run_worker()
    client = client_for(cast["admin"])
    html = client.get("/admin/adoption/delivery/").content.decode()
    assert "staff_bq@pc.example" in html and "Thất bại" in html
    inbox = start_smtp()
    delivery = Delivery.objects.get()
    response = client.post(
        "/admin/adoption/delivery/",
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    deliveries.send_due()
    assert len(inbox.received) == 1
    # Managers and branch staff do not see the outbox.
    assert client_for(cast["manager"]).get("/admin/adoption/delivery/").status_code == 403


def test_one_subscription_that_cannot_be_written_does_not_hold_back_the_others(
    smtp_server, cast, branches, data, monkeypatch
):
    from adoption.reports import mail

    written = mail.report_email

    def fail_for_qb(subscription, report):
        if subscription.branch == branches["qb"]:
            raise OSError("font missing")
        return written(subscription, report)

    monkeypatch.setattr(mail, "report_email", fail_for_qb)
    subscribe(cast["manager"], user=cast["staff_qb"], branch=branches["qb"], alerts=False)
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"], alerts=False)
    assert run_worker() == (1, 0)
    assert len(smtp_server.to("staff_bq@pc.example")) == 1
    monkeypatch.setattr(mail, "report_email", written)
    assert run_worker() == (1, 0)  # the next run writes the one that failed
    assert len(smtp_server.to("staff_qb@pc.example")) == 1


def test_the_worker_runs_both_jobs_on_its_own_schedule(smtp_server, cast, branches, data):
    from huey.api import PeriodicTask

    from adoption import tasks  # registers the report jobs with the worker
    from adoption.reports import tasks as report_tasks

    assert tasks.report_tasks is report_tasks
    for job in (report_tasks.queue_reports, report_tasks.send_reports):
        assert isinstance(job.task_class(), PeriodicTask)
    subscribe(cast["manager"], user=cast["staff_bq"], branch=branches["bq"], alerts=False)
    report_tasks.queue_reports.call_local()
    report_tasks.send_reports.call_local()
    assert len(smtp_server.to("staff_bq@pc.example")) == 1
