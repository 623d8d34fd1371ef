"""scripts/backup.sh and scripts/restore.sh: a dump restored into an empty database holds the
same rows; bad arguments and broken dumps are refused without touching the target."""

import subprocess
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from adoption.models import Payment

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROOT = settings.BASE_DIR
TABLES = ["auth_user", "auth_group", "adoption_branch", "adoption_customer", "adoption_payment"]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _url():
    db = connection.settings_dict
    auth = f"{db['USER']}:{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else db["USER"]
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _rows(url):
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        rows = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            rows[table] = cursor.fetchall()
        return rows


def _run(*args, env=None):
    return subprocess.run(
        list(args), cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def payments(customers, channels, users):
    return [
        Payment.objects.create(
            customer=customers["bq1"],
            period=date(2024, month, 1),
            amount=150_000 * month,
            channel=channels["viettelpay"],
            paid_at=datetime(2024, month, 15, 9, 30, tzinfo=HANOI),
            reference=f"VTP-2024-{month:02}",
        )
        for month in (1, 2, 3)
    ]


def test_a_dump_restores_into_an_empty_database_with_the_same_rows(
    payments, empty_database, tmp_path
):
    dump = tmp_path / "powerco.dump"
    backup = _run(
        "scripts/backup.sh", str(dump), env={"DATABASE_URL": _url(), "PATH": "/usr/bin:/bin"}
    )
    assert backup.returncode == 0, backup.stderr
    assert not (tmp_path / "powerco.dump.partial").exists()

    restore = _run("scripts/restore.sh", str(dump), empty_database)
    assert restore.returncode == 0, restore.stderr

    original, restored = _rows(_url()), _rows(empty_database)
    assert len(restored["adoption_payment"]) == 3
    assert len(restored["adoption_customer"]) == 4
    assert restored == original


def test_restoring_again_replaces_the_rows_instead_of_adding(payments, empty_database, tmp_path):
    dump = tmp_path / "powerco.dump"
    _run("scripts/backup.sh", str(dump), env={"DATABASE_URL": _url(), "PATH": "/usr/bin:/bin"})
    for _ in range(2):
        restore = _run("scripts/restore.sh", str(dump), empty_database)
        assert restore.returncode == 0, restore.stderr[-1500:]
    assert _rows(empty_database) == _rows(_url())


def test_a_broken_dump_is_refused_and_the_target_is_left_as_it_was(
    payments, empty_database, tmp_path
):
    dump = tmp_path / "powerco.dump"
    _run("scripts/backup.sh", str(dump), env={"DATABASE_URL": _url(), "PATH": "/usr/bin:/bin"})
    assert _run("scripts/restore.sh", str(dump), empty_database).returncode == 0
    before = _rows(empty_database)

    broken = tmp_path / "broken.dump"
    data = dump.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    result = _run("scripts/restore.sh", str(broken), empty_database)

    assert result.returncode != 0
    assert _rows(empty_database) == before


def test_restore_refuses_a_missing_file_or_a_non_postgresql_target(tmp_path, empty_database):
    missing = _run("scripts/restore.sh", str(tmp_path / "nope.dump"), empty_database)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr

    (tmp_path / "x.dump").write_bytes(b"x")
    sqlite = _run("scripts/restore.sh", str(tmp_path / "x.dump"), "sqlite:///tmp/x.sqlite3")
    assert sqlite.returncode == 2
    assert "not a PostgreSQL URL" in sqlite.stderr

    usage = _run("scripts/restore.sh", str(tmp_path / "x.dump"))
    assert usage.returncode == 2
    assert "usage" in usage.stderr


def test_a_failed_backup_leaves_no_file_behind(tmp_path):
    dump = tmp_path / "powerco.dump"
    bad_url = _url().rsplit("/", 1)[0] + "/no_such_database_here"
    result = _run(
        "scripts/backup.sh", str(dump), env={"DATABASE_URL": bad_url, "PATH": "/usr/bin:/bin"}
    )
    assert result.returncode != 0
    assert "no_such_database_here" in result.stderr
    assert list(tmp_path.iterdir()) == []
