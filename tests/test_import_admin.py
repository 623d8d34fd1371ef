"""Admin import pages: who may upload what, and upload → preview → confirm.

The steps run as worker jobs (test_import_jobs.py: progress, cancel, faults); here they run
where they are enqueued, as the worker would run them.
"""

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from adoption.choices import ImportStatus
from adoption.models import Customer, ImportBatch, Payment
from tests.import_admin_fixture import (
    BAD_ROW,
    CUSTOMERS,
    JOB_PAGES,
    PAYMENTS,
    checked,
    confirm,
    job_url,
    last_job,
    upload,
    upload_url,
    uploads,
)

# Who may do what: every door, for every role.

pytestmark = pytest.mark.usefixtures("import_setup")


@pytest.fixture
def jobs_of_each_kind(as_user):
    """A checked payments job and a checked customers job, uploaded by the superuser."""
    client = as_user("admin")
    checked(client, "payments", PAYMENTS)
    payments = last_job()
    checked(client, "customers", CUSTOMERS)
    customers = last_job()
    client.logout()
    return {"payments": payments, "customers": customers}


def each_door(client, batch):
    """Status codes of every page of a job, GET and POST (the forms post)."""
    codes = {}
    for page in JOB_PAGES:
        codes[f"GET {page}"] = client.get(job_url(batch, page)).status_code
        codes[f"POST {page}"] = client.post(job_url(batch, page)).status_code
    return codes


def assert_untouched(jobs):
    for batch in jobs.values():
        before = batch.status
        batch.refresh_from_db()
        assert batch.status == before == ImportStatus.PREVIEWED
        assert Path(batch.upload_file).is_file()
    assert Payment.objects.count() == 0
    assert not Customer.objects.filter(code="PA20BQ0000101").exists()


@pytest.mark.parametrize("role", ["manager", "staff_bq"])
@pytest.mark.parametrize("kind", ["payments", "customers"])
def test_managers_and_branch_staff_can_neither_start_nor_see_nor_cancel_a_job(
    as_user, jobs_of_each_kind, role, kind
):
    client = as_user(role)

    assert client.get(upload_url(kind)).status_code == 403
    assert upload(client, kind, PAYMENTS).status_code == 403
    codes = each_door(client, jobs_of_each_kind[kind])

    assert set(codes.values()) == {403}, codes
    assert ImportBatch.objects.count() == 2
    assert_untouched(jobs_of_each_kind)


def test_a_channel_admin_can_neither_see_nor_confirm_nor_cancel_a_customers_job(
    as_user, jobs_of_each_kind
):
    client = as_user("channel_admin")

    codes = each_door(client, jobs_of_each_kind["customers"])

    assert set(codes.values()) == {403}, codes
    assert_untouched(jobs_of_each_kind)


def test_a_channel_admin_sees_a_payments_job_of_another_payments_admin(as_user, jobs_of_each_kind):
    client = as_user("channel_admin")

    assert client.get(job_url(jobs_of_each_kind["payments"])).status_code == 200
    assert client.get(job_url(jobs_of_each_kind["payments"], "job.json")).status_code == 200


def test_an_account_without_admin_access_is_sent_to_the_login_from_every_door(
    as_user, jobs_of_each_kind
):
    client = as_user("outsider")

    response = client.get(upload_url("payments"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    for batch in jobs_of_each_kind.values():
        for page in JOB_PAGES:
            for method in (client.get, client.post):
                response = method(job_url(batch, page))
                assert response.status_code == 302, (method, page)
                assert "/admin/login/" in response["Location"]
    assert_untouched(jobs_of_each_kind)


def test_a_channel_admin_may_import_payments_but_not_customers(as_user):
    client = as_user("channel_admin")

    assert client.get(upload_url("payments")).status_code == 200
    assert client.get(upload_url("customers")).status_code == 403
    assert upload(client, "customers", CUSTOMERS).status_code == 403
    assert not Customer.objects.filter(code="PA20BQ0000101").exists()
    assert ImportBatch.objects.count() == 0
    assert uploads() == []


def test_an_admin_may_import_both(as_user):
    client = as_user("admin")

    assert client.get(upload_url("payments")).status_code == 200
    assert client.get(upload_url("customers")).status_code == 200


def test_an_unknown_kind_or_job_is_not_found(as_user):
    client = as_user("admin")

    assert client.get(upload_url("targets")).status_code == 404
    assert client.get(job_url(ImportBatch(pk=999))).status_code == 404
    assert client.post(job_url(ImportBatch(pk=999), "cancel/")).status_code == 404


def test_the_import_list_offers_only_the_imports_the_user_may_run(as_user):
    page = as_user("channel_admin").get("/admin/adoption/importbatch/").content.decode()
    assert upload_url("payments") in page
    assert upload_url("customers") not in page


def test_a_manager_sees_the_import_list_without_upload_links(as_user):
    response = as_user("manager").get("/admin/adoption/importbatch/")

    assert response.status_code == 200
    assert "/upload/" not in response.content.decode()


# Upload, preview, confirm.


def test_the_upload_request_only_stores_the_file_and_queues_its_check(
    as_user, no_worker, monkeypatch
):
    def no_check_here(*args, **kwargs):
        raise AssertionError("the upload request checked the file itself")

    monkeypatch.setattr("adoption.importers.run", no_check_here)
    client = as_user("channel_admin")

    response = upload(client, "payments", PAYMENTS)

    batch = ImportBatch.objects.get()
    assert response["Location"] == job_url(batch)
    assert batch.status == ImportStatus.PREVIEW_QUEUED
    assert no_worker.pending_count() == 1
    assert len(uploads()) == 1
    page = client.get(job_url(batch)).content.decode()
    assert "Waiting for the worker to check the file" in page
    assert "Cancel the import" in page
    assert Payment.objects.count() == 0


def test_the_preview_shows_the_first_rows_and_writes_nothing(as_user):
    response = checked(as_user("channel_admin"), "payments", PAYMENTS)

    page = response.content.decode()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.PREVIEWED
    assert "PA20QB0000001" in page
    assert f'action="{job_url(batch, "confirm/")}"' in page
    assert response.context["preview"]["to_import"] == 2
    assert Payment.objects.count() == 0
    assert len(uploads()) == 1


def test_confirming_imports_the_previewed_file_and_records_who(as_user, users):
    client = as_user("channel_admin")
    checked(client, "payments", PAYMENTS, name="viettel-01.csv")
    batch = last_job()

    response = confirm(client, batch)

    batch.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == job_url(batch)
    assert (batch.status, batch.rows_imported) == (ImportStatus.DONE, 2)
    assert batch.imported_by == users["channel_admin"]
    assert batch.file_name == "viettel-01.csv"
    assert Payment.objects.filter(import_batch=batch).count() == 2
    assert uploads() == []
    page = client.get(response["Location"]).content.decode()
    assert "Done" in page
    assert "2 rows read, 2 imported" in page


def test_the_admin_who_left_finds_the_job_again_in_the_list_of_imports(as_user, no_worker):
    client = as_user("channel_admin")
    upload(client, "payments", PAYMENTS)
    batch = last_job()

    listing = client.get("/admin/adoption/importbatch/").content.decode()

    assert f'href="{job_url(batch)}"' in listing
    assert "Waiting for the worker to check the file" in listing


def test_a_job_is_confirmed_once(as_user):
    client = as_user("channel_admin")
    checked(client, "payments", PAYMENTS)
    batch = last_job()
    confirm(client, batch)

    response = client.post(job_url(batch, "confirm/"), follow=True)

    assert "This file is not waiting for a confirmation." in response.content.decode()
    assert Payment.objects.count() == 2
    assert ImportBatch.objects.count() == 1


def test_the_preview_lists_every_problem_and_offers_no_import(as_user):
    client = as_user("channel_admin")
    response = checked(client, "payments", PAYMENTS + BAD_ROW)

    page = response.content.decode()
    batch = ImportBatch.objects.get()
    assert "Row 4, customer_code: Unknown customer “PA20BQ0009999”." in page
    assert "1 row has problems: nothing was imported." in page
    assert "Nothing can be imported from this file." in page
    assert not response.context["may_confirm"]
    assert batch.status == ImportStatus.FAILED
    assert uploads() == []
    assert "not waiting for a confirmation" in (
        client.post(job_url(batch, "confirm/"), follow=True).content.decode()
    )
    assert Payment.objects.count() == 0


def test_a_refused_file_is_explained_on_the_page(as_user):
    response = checked(as_user("admin"), "payments", "customer_code,amount\nPA20BQ0000001,5\n")

    page = response.content.decode()
    assert "Missing required column(s): period, channel_code, paid_at, reference." in page
    assert not response.context["may_confirm"]
    assert last_job().status == ImportStatus.FAILED


def test_skipping_invalid_rows_imports_the_good_ones_with_a_rejects_file(as_user):
    client = as_user("admin")
    preview = checked(client, "payments", PAYMENTS + BAD_ROW, skip_invalid=True)
    assert "Row 4, customer_code" in preview.content.decode()
    assert "Import the good rows" in preview.content.decode()

    confirm(client, last_job())

    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_rejected) == (2, 1)
    rejects = Path(batch.rejects_file).read_text(encoding="utf-8-sig")
    assert "PA20BQ0009999" in rejects
    assert "VTP-1" not in rejects


def test_an_admin_imports_customers(as_user):
    client = as_user("admin")
    checked(client, "customers", CUSTOMERS)

    confirm(client, last_job())

    assert Customer.objects.get(code="PA20BQ0000101").name == "Nguyễn Văn An"


def test_the_report_and_rejected_rows_can_be_downloaded_by_who_may_import_them(
    as_user, client, users
):
    admin_client = as_user("channel_admin")
    checked(admin_client, "payments", PAYMENTS + BAD_ROW, skip_invalid=True)
    batch = last_job()
    confirm(admin_client, batch)
    record = admin_client.get(f"/admin/adoption/importbatch/{batch.pk}/change/").content.decode()
    assert job_url(batch, "rejects/") in record
    assert job_url(batch, "report/") in record
    assert job_url(batch) in record

    response = admin_client.get(job_url(batch, "rejects/"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "PA20BQ0009999" in body
    assert "VTP-1" not in body
    report = b"".join(admin_client.get(job_url(batch, "report/")).streaming_content).decode()
    assert "Row 4, customer_code: Unknown customer" in report

    for role in ["manager", "staff_bq"]:
        client.force_login(users[role])
        assert client.get(job_url(batch, "rejects/")).status_code == 403
        assert client.get(job_url(batch, "report/")).status_code == 403


def test_an_xlsx_upload_is_previewed_and_imported(as_user):
    book = Workbook()
    book.active.append(["Customer_Code", "Name", "Branch_Code", "Area_Code", "Customer_Type"])
    book.active.append(["PA20BQ0000111", "Hoàng Văn Bình", "BQ", "00910", "household"])
    book.active["F1"] = "Connected_On"
    book.active["F2"] = datetime(2024, 5, 2)
    content = io.BytesIO()
    book.save(content)
    client = as_user("admin")

    preview = checked(client, "customers", "", name="khach-hang.xlsx", content=content.getvalue())
    assert "Hoàng Văn Bình" in preview.content.decode()
    confirm(client, last_job())

    customer = Customer.objects.get(code="PA20BQ0000111")
    assert customer.connected_on == date(2024, 5, 2)


def test_a_csv_with_carriage_returns_only_is_previewed(as_user):
    # Excel for Mac: lines end with a lone CR. It used to answer 500.
    response = checked(as_user("admin"), "payments", PAYMENTS.replace("\n", "\r"))

    assert response.status_code == 200
    assert response.context["may_confirm"]
    assert response.context["preview"]["to_import"] == PAYMENTS.strip().count("\n")
    assert Payment.objects.count() == 0


def test_the_same_file_uploaded_twice_waits_in_two_files(as_user):
    client = as_user("channel_admin")
    checked(client, "payments", PAYMENTS)
    first = last_job()
    checked(client, "payments", PAYMENTS)
    second = last_job()
    assert len(uploads()) == 2

    confirm(client, first)

    assert Path(second.upload_file).is_file()
    assert uploads() == [Path(second.upload_file).name]


def test_the_uploads_wait_outside_the_reports_and_static_files(settings):
    uploads_dir = Path(settings.IMPORT_UPLOADS_DIR).resolve()
    assert Path(settings.STATIC_ROOT).resolve() not in uploads_dir.parents
    assert Path(settings.BASE_DIR / "static").resolve() not in uploads_dir.parents
