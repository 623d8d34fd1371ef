"""Admin import pages: who may upload what, and upload → preview → confirm."""

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from adoption.choices import ImportStatus
from adoption.models import Customer, ImportBatch, Payment

PAYMENTS = (
    "customer_code,period,amount,channel_code,paid_at,reference\n"
    "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,VTP-1\n"
    "PA20QB0000001,2025-02,120000,QUAY,2025-02-03 08:00,Q-1\n"
)
BAD_ROW = "PA20BQ0009999,2025-01,150000,VTP,2025-01-20 09:30,VTP-2\n"
CUSTOMERS = (
    "customer_code,name,branch_code,area_code,customer_type,connected_on\n"
    "PA20BQ0000101,Nguyễn Văn An,BQ,00910,household,15/03/2024\n"
)


def upload_url(kind):
    return f"/admin/adoption/importbatch/upload/{kind}/"


def confirm_url(kind):
    return f"/admin/adoption/importbatch/confirm/{kind}/"


@pytest.fixture(autouse=True)
def setup(settings, tmp_path, monkeypatch):
    settings.IMPORT_REPORTS_DIR = tmp_path / "reports"
    settings.IMPORT_UPLOADS_DIR = tmp_path / "uploads"
    # The cast's passwords are never typed here: a fast hasher keeps the fixtures quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(
        "adoption.metrics.freshness.refresh", lambda periods=None, branch_ids=None: None
    )


@pytest.fixture
def as_user(client, users, customers, channels):
    def login(name):
        client.force_login(users[name])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login


def upload(client, kind, text, skip_invalid=False, name="file.csv"):
    data = {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")}
    if skip_invalid:
        data["skip_invalid"] = "on"
    return client.post(upload_url(kind), data)


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """Confirm a previewed upload; its import job runs once the request's transaction commits
    (jobs run where they are enqueued in tests)."""

    def post(client, kind, initial):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(confirm_url(kind), initial)

    return post


def uploads():
    directory = Path(settings.IMPORT_UPLOADS_DIR)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# Who may do what.


@pytest.mark.parametrize("role", ["manager", "staff_bq"])
@pytest.mark.parametrize("kind", ["payments", "customers"])
def test_managers_and_branch_staff_are_refused_the_upload_pages(as_user, role, kind):
    client = as_user(role)

    assert client.get(upload_url(kind)).status_code == 403
    assert upload(client, kind, PAYMENTS).status_code == 403
    assert client.post(confirm_url(kind), {"sha256": "0" * 64, "file_name": "x"}).status_code == (
        403
    )
    assert Payment.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_a_channel_admin_may_import_payments_but_not_customers(as_user):
    client = as_user("channel_admin")

    assert client.get(upload_url("payments")).status_code == 200
    assert client.get(upload_url("customers")).status_code == 403
    assert upload(client, "customers", CUSTOMERS).status_code == 403
    assert not Customer.objects.filter(code="PA20BQ0000101").exists()


def test_an_admin_may_import_both(as_user):
    client = as_user("admin")

    assert client.get(upload_url("payments")).status_code == 200
    assert client.get(upload_url("customers")).status_code == 200


def test_a_user_without_admin_access_is_sent_to_the_login(as_user):
    response = as_user("outsider").get(upload_url("payments"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_unknown_kind_is_not_found(as_user):
    assert as_user("admin").get(upload_url("targets")).status_code == 404


def test_the_import_list_offers_only_the_imports_the_user_may_run(as_user):
    page = as_user("channel_admin").get("/admin/adoption/importbatch/").content.decode()
    assert upload_url("payments") in page
    assert upload_url("customers") not in page


def test_a_manager_sees_the_import_list_without_upload_links(as_user):
    response = as_user("manager").get("/admin/adoption/importbatch/")

    assert response.status_code == 200
    assert "/upload/" not in response.content.decode()


# Upload, preview, confirm.


def test_the_preview_shows_the_first_rows_and_writes_nothing(as_user):
    response = upload(as_user("channel_admin"), "payments", PAYMENTS)

    page = response.content.decode()
    assert response.status_code == 200
    assert "PA20QB0000001" in page
    assert 'action="/admin/adoption/importbatch/confirm/payments/"' in page
    assert response.context["outcome"].rows_imported == 2
    assert Payment.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert len(uploads()) == 1


def test_confirming_imports_the_previewed_file_and_records_who(as_user, users, confirm):
    client = as_user("channel_admin")
    form = upload(client, "payments", PAYMENTS, name="viettel-01.csv").context["confirm"]

    response = confirm(client, "payments", form.initial)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/adoption/importbatch/{batch.pk}/job/"
    assert (batch.status, batch.rows_imported) == (ImportStatus.DONE, 2)
    assert batch.imported_by == users["channel_admin"]
    assert batch.file_name == "viettel-01.csv"
    assert Payment.objects.filter(import_batch=batch).count() == 2
    assert uploads() == []
    assert client.get(response["Location"]).status_code == 200


def test_the_preview_lists_every_problem_and_offers_no_import(as_user):
    response = upload(as_user("channel_admin"), "payments", PAYMENTS + BAD_ROW)

    page = response.content.decode()
    assert "Row 4, customer_code: Unknown customer “PA20BQ0009999”." in page
    assert "1 row has problems: nothing was imported." in page
    assert response.context["confirm"] is None
    assert Payment.objects.count() == 0
    assert uploads() == []


def test_a_refused_file_is_explained_on_the_page(as_user):
    response = upload(as_user("admin"), "payments", "customer_code,amount\nPA20BQ0000001,5\n")

    page = response.content.decode()
    assert "Missing required column(s): period, channel_code, paid_at, reference." in page
    assert response.context["confirm"] is None


def test_skipping_invalid_rows_imports_the_good_ones_with_a_rejects_file(as_user, confirm):
    client = as_user("admin")
    preview = upload(client, "payments", PAYMENTS + BAD_ROW, skip_invalid=True)
    assert "Row 4, customer_code" in preview.content.decode()

    confirm(client, "payments", preview.context["confirm"].initial)

    batch = ImportBatch.objects.get()
    assert (batch.rows_imported, batch.rows_rejected) == (2, 1)
    rejects = Path(batch.rejects_file).read_text(encoding="utf-8-sig")
    assert "PA20BQ0009999" in rejects
    assert "VTP-1" not in rejects


def test_an_admin_imports_customers(as_user, confirm):
    client = as_user("admin")
    preview = upload(client, "customers", CUSTOMERS)

    confirm(client, "customers", preview.context["confirm"].initial)

    assert Customer.objects.get(code="PA20BQ0000101").name == "Nguyễn Văn An"


def test_a_channel_admin_cannot_confirm_a_customers_upload(as_user, client, users):
    admin_preview = upload(as_user("admin"), "customers", CUSTOMERS)
    initial = admin_preview.context["confirm"].initial

    client.force_login(users["channel_admin"])
    response = client.post(confirm_url("customers"), initial)

    assert response.status_code == 403
    assert not Customer.objects.filter(code="PA20BQ0000101").exists()


def test_confirming_a_file_that_is_gone_asks_for_it_again(as_user):
    response = as_user("admin").post(
        confirm_url("payments"), {"sha256": "a" * 64, "file_name": "x.csv"}, follow=True
    )

    assert "The uploaded file is gone; upload it again." in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_a_tampered_confirmation_is_refused(as_user):
    response = as_user("admin").post(
        confirm_url("payments"), {"sha256": "../../etc/passwd", "file_name": "x.csv"}
    )

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_the_rejected_rows_can_be_downloaded_by_who_may_import_them(
    as_user, client, users, confirm
):
    admin_client = as_user("channel_admin")
    preview = upload(admin_client, "payments", PAYMENTS + BAD_ROW, skip_invalid=True)
    confirm(admin_client, "payments", preview.context["confirm"].initial)
    batch = ImportBatch.objects.get()
    url = f"/admin/adoption/importbatch/{batch.pk}/rejects/"
    assert (
        url in admin_client.get(f"/admin/adoption/importbatch/{batch.pk}/change/").content.decode()
    )

    response = admin_client.get(url)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "PA20BQ0009999" in body
    assert "VTP-1" not in body

    for role in ["manager", "staff_bq"]:
        client.force_login(users[role])
        assert client.get(url).status_code == 403


def test_an_xlsx_upload_is_previewed_and_imported(as_user, confirm):
    book = Workbook()
    book.active.append(["Customer_Code", "Name", "Branch_Code", "Area_Code", "Customer_Type"])
    book.active.append(["PA20BQ0000111", "Hoàng Văn Bình", "BQ", "00910", "household"])
    book.active["F1"] = "Connected_On"
    book.active["F2"] = datetime(2024, 5, 2)
    content = io.BytesIO()
    book.save(content)
    client = as_user("admin")
    upload_file = SimpleUploadedFile("khach-hang.xlsx", content.getvalue())

    preview = client.post(upload_url("customers"), {"file": upload_file})
    assert "Hoàng Văn Bình" in preview.content.decode()
    confirm(client, "customers", preview.context["confirm"].initial)

    customer = Customer.objects.get(code="PA20BQ0000111")
    assert customer.connected_on == date(2024, 5, 2)


def test_a_csv_with_carriage_returns_only_is_previewed(as_user):
    # Excel for Mac: lines end with a lone CR. It used to answer 500.
    client = as_user("admin")

    response = upload(client, "payments", PAYMENTS.replace("\n", "\r"))

    assert response.status_code == 200
    assert response.context["outcome"].ok
    assert response.context["outcome"].rows_valid == PAYMENTS.strip().count("\n")
    assert Payment.objects.count() == 0


# Imports as jobs.


def queued_job(client, text=PAYMENTS):
    """A confirmed upload whose job waits for the worker (jobs are not run here)."""
    form = upload(client, "payments", text).context["confirm"]
    response = client.post(confirm_url("payments"), form.initial)
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/admin/adoption/importbatch/{batch.pk}/job/"
    return batch


def test_with_no_worker_the_job_waits_and_its_page_says_so(as_user, no_worker):
    client = as_user("channel_admin")
    batch = queued_job(client)

    assert batch.status == ImportStatus.QUEUED
    assert Payment.objects.count() == 0
    assert (
        "Waiting for the worker"
        in client.get(f"/admin/adoption/importbatch/{batch.pk}/job/").content.decode()
    )
    state = client.get(f"/admin/adoption/importbatch/{batch.pk}/job.json").json()
    assert (state["status"], state["done"]) == ("queued", False)


def test_the_job_page_shows_the_final_counts_and_outcome(as_user, confirm):
    client = as_user("channel_admin")
    form = upload(client, "payments", PAYMENTS).context["confirm"]
    job_url = confirm(client, "payments", form.initial)["Location"]

    page = client.get(job_url).content.decode()
    state = client.get(job_url.replace("/job/", "/job.json")).json()

    assert "Done" in page
    assert (state["status"], state["done"], state["read"], state["written"]) == ("done", True, 2, 2)
    assert "2 rows read, 2 imported" in state["message"]


def test_progress_only_goes_forward(as_user, no_worker, monkeypatch):
    from adoption import import_jobs, importers

    monkeypatch.setattr(importers, "CHUNK_ROWS", 1)
    monkeypatch.setattr(import_jobs, "PROGRESS_SECONDS", 0)
    seen = []
    real_publish = import_jobs._Watcher.publish

    def publish(self, outcome, now=None):
        real_publish(self, outcome, now)
        seen.append(import_jobs.progress(ImportBatch(pk=self.batch_id)))

    monkeypatch.setattr(import_jobs._Watcher, "publish", publish)
    batch = queued_job(as_user("channel_admin"))
    import_jobs.run(batch.pk)

    for name in ("read", "checked", "written"):
        values = [p[name] for p in seen]
        assert values == sorted(values) and values[-1] == 2, name


def test_a_cancelled_running_import_keeps_no_rows_and_the_file_can_come_again(
    as_user, no_worker, confirm
):
    from adoption import import_jobs

    client = as_user("channel_admin")
    batch = queued_job(client)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING)
    batch.refresh_from_db()
    # The admin presses cancel while the job runs: the worker sees it at its next chunk.
    response = client.post(f"/admin/adoption/importbatch/{batch.pk}/cancel/", follow=True)
    assert "Cancelling" in response.content.decode()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.QUEUED)
    import_jobs.run(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert "Cancelled: nothing was imported." in batch.message
    assert Payment.objects.count() == 0
    assert uploads() == []
    # The same file imports afterwards.
    no_worker.immediate = True
    form = upload(client, "payments", PAYMENTS).context["confirm"]
    confirm(client, "payments", form.initial)
    assert Payment.objects.count() == 2


def test_a_queued_import_cancelled_never_runs(as_user, no_worker):
    from adoption import import_jobs

    client = as_user("channel_admin")
    batch = queued_job(client)
    client.post(f"/admin/adoption/importbatch/{batch.pk}/cancel/")
    import_jobs.run(batch.pk)  # the job the queue still holds

    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert Payment.objects.count() == 0
    assert uploads() == []


def test_a_finished_import_cannot_be_cancelled(as_user, confirm):
    client = as_user("channel_admin")
    form = upload(client, "payments", PAYMENTS).context["confirm"]
    job_url = confirm(client, "payments", form.initial)["Location"]
    batch = ImportBatch.objects.get()

    response = client.post(f"/admin/adoption/importbatch/{batch.pk}/cancel/", follow=True)

    assert "there is nothing to cancel" in response.content.decode()
    assert job_url
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE
    assert Payment.objects.count() == 2


def test_a_job_whose_file_was_deleted_fails_clearly(as_user, no_worker):
    from adoption import import_jobs

    batch = queued_job(as_user("channel_admin"))
    Path(batch.upload_file).unlink()

    import_jobs.run(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "The uploaded file is gone" in batch.message
    assert Payment.objects.count() == 0


def test_a_job_runs_once_even_if_delivered_twice(as_user, no_worker):
    from adoption import import_jobs

    batch = queued_job(as_user("channel_admin"))
    import_jobs.run(batch.pk)
    import_jobs.run(batch.pk)

    assert Payment.objects.count() == 2
    assert ImportBatch.objects.get().status == ImportStatus.DONE


@pytest.fixture
def session_alive(monkeypatch):
    """The job's database session still holds its lock (a hung worker, not a dead one): only
    the progress it gives tells (the lock itself: test_import_concurrency.py)."""
    monkeypatch.setattr("adoption.importers.concurrency._is_dead", lambda batch: False)


def test_the_sweep_fails_a_running_job_whose_worker_is_gone(
    as_user, no_worker, settings, session_alive
):
    from django.utils import timezone

    from adoption import import_jobs

    settings.IMPORT_STALE_SECONDS = 60
    batch = queued_job(as_user("channel_admin"))
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING, started_at=long_ago)

    import_jobs.sweep()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "its worker is gone" in batch.message
    assert uploads() == []


def test_the_sweep_leaves_a_running_job_that_reports_progress(
    as_user, no_worker, settings, session_alive
):
    from django.utils import timezone

    from adoption import import_jobs
    from adoption.importers import Outcome

    settings.IMPORT_STALE_SECONDS = 60
    batch = queued_job(as_user("channel_admin"))
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING, started_at=long_ago)
    import_jobs._Watcher(batch.pk).publish(Outcome(file_name="x"))

    import_jobs.sweep()

    assert ImportBatch.objects.get().status == ImportStatus.RUNNING


def test_the_sweep_queues_again_a_job_whose_enqueue_was_lost(as_user, no_worker, settings):
    from django.utils import timezone

    from adoption import import_jobs

    batch = queued_job(as_user("channel_admin"))
    ImportBatch.objects.filter(pk=batch.pk).update(
        started_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert no_worker.pending_count() == 0

    import_jobs.sweep()

    assert no_worker.pending_count() == 1


def test_the_uploads_wait_outside_the_reports_and_static_files(settings):
    uploads_dir = Path(settings.IMPORT_UPLOADS_DIR).resolve()
    assert Path(settings.STATIC_ROOT).resolve() not in uploads_dir.parents
    assert Path(settings.BASE_DIR / "static").resolve() not in uploads_dir.parents
