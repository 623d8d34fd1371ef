"""The admin import pages' test kit: files, the upload → check → confirm steps, the uploads.

A plugin of conftest.py; the modules that use it mark themselves with `import_setup`."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from adoption.models import ImportBatch

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
BASE = "/admin/adoption/importbatch"


def upload_url(kind):
    return f"{BASE}/upload/{kind}/"


def job_url(batch, page="job/"):
    """A job's pages: job/, job.json, confirm/, cancel/, report/, rejects/."""
    return f"{BASE}/{batch.pk}/{page}"


JOB_PAGES = ["job/", "job.json", "confirm/", "cancel/", "report/", "rejects/"]


def committed(run=True):
    """What a request enqueues runs once its transaction commits (tests run inside one that
    never does); run=False drops the jobs, as a queue nobody consumes would keep them."""
    return TestCase.captureOnCommitCallbacks(execute=run)


def upload(client, kind, text, skip_invalid=False, name="file.csv", content=None):
    """Upload a file; its check runs where it is enqueued (the `no_worker` fixture keeps it
    waiting). Returns the upload's response (a redirect to the job's page)."""
    data = {"file": SimpleUploadedFile(name, content or text.encode("utf-8"), "text/csv")}
    if skip_invalid:
        data["skip_invalid"] = "on"
    with committed():
        return client.post(upload_url(kind), data)


def checked(client, kind, text, **options):
    """Upload a file and return the job's page once its check has run."""
    response = upload(client, kind, text, **options)
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


def confirm(client, batch):
    with committed():
        return client.post(job_url(batch, "confirm/"))


def last_job():
    return ImportBatch.objects.latest("pk")


def uploads():
    directory = Path(settings.IMPORT_UPLOADS_DIR)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.fixture
def import_setup(settings, tmp_path, monkeypatch):
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
