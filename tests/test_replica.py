"""Dashboard reads from a streaming replica only while it holds the primary's data
(adoption.replica).

The PostgreSQL tests start a real pair on 127.0.0.1: a throwaway primary made with initdb and
a streaming replica of it made with `pg_basebackup -R`, each on a free port, so nothing about
the cluster the suite runs on (its wal_level, its pg_hba.conf) has to allow replication."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
import psycopg2
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from adoption import replica
from adoption.metrics import freshness
from adoption.models import (
    AdminArea,
    Branch,
    CommuneMonth,
    Company,
    Customer,
    RollupDirty,
    RollupState,
    rollups,
)

ROUTED = {"DATABASE_ROUTERS": ["adoption.replica.ReplicaRouter"]}


# Without a replica: everything on the primary, on either database.


def test_without_a_replica_every_read_is_the_primarys(client_for, users, company):
    router = replica.ReplicaRouter()
    assert not replica.configured()
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as queries:
        response = client_for(users["admin"]).get("/")
    assert response.status_code == 200 and queries
    assert router.db_for_read(CommuneMonth) is None
    assert router.db_for_write(CommuneMonth) == DEFAULT_DB_ALIAS


def test_a_replica_is_never_migrated():
    router = replica.ReplicaRouter()
    assert router.allow_migrate("replica", "adoption") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "adoption") is True


def test_only_rollups_and_versioned_references_may_come_from_a_replica():
    models = replica.replica_models()
    assert CommuneMonth in models and RollupState in models and AdminArea in models
    # Who may see what is read where it was last written.
    assert Branch not in models and Company not in models and Customer not in models


# A real primary and replica.


def _pg_bin():
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates = [found.stdout.strip()]
    except FileNotFoundError:
        candidates = []
    candidates += sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    for directory in candidates:
        if directory and (Path(directory) / "pg_basebackup").exists():
            return Path(directory)
    raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) not found")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pair:
    """A primary and its streaming replica in a temporary directory."""

    def __init__(self):
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="powerco-replica."))
        # initdb refuses to run as root: the clusters then belong to the postgres user.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.dir, "postgres")
        self.ports = {"primary": _free_port(), "replica": _free_port()}

    def run(self, program, *args):
        subprocess.run(
            [*self.as_owner, str(self.bin / program), *args],
            check=True,
            capture_output=True,
            text=True,
        )

    def url(self, which, database="powerco"):
        return f"postgres://postgres@127.0.0.1:{self.ports[which]}/{database}"

    def start(self, which):
        options = f"-k {self.dir} -p {self.ports[which]} -c listen_addresses=127.0.0.1"
        if which == "primary":
            options += " -c fsync=off -c wal_level=replica -c max_wal_senders=4"
        self.run(
            "pg_ctl", "-D", str(self.dir / which), "-l", str(self.dir / f"{which}.log"), "-w",
            "-o", options, "start",
        )  # fmt: skip

    def create(self):
        self.run("initdb", "-D", str(self.dir / "primary"), "-U", "postgres", "-A", "trust")
        self.start("primary")
        admin = psycopg2.connect(self.url("primary", "postgres"))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE powerco")
        admin.close()

    def add_replica(self):
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U",
            "postgres", "-D", str(self.dir / "replica"), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self.start("replica")

    def sql(self, which, statement):
        conn = psycopg2.connect(self.url(which))
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement)
            result = cursor.fetchone() if cursor.description else None
        conn.close()
        return result

    def caught_up(self, timeout=20):
        """Wait until the replica has replayed everything the primary has written."""
        (target,) = self.sql("primary", "SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            (behind,) = self.sql(
                "replica", f"SELECT pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn()) > 0"
            )
            if not behind:
                return
            time.sleep(0.1)
        raise AssertionError("the replica did not catch up")

    def stop(self, which):
        self.run("pg_ctl", "-D", str(self.dir / which), "-m", "immediate", "stop")

    def remove(self):
        for which in ("replica", "primary"):
            if (self.dir / which / "postmaster.pid").exists():
                self.stop(which)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def databases(primary_url, replica_url):
    """Django's `default` and `replica` connections pointed at the pair for a while."""
    saved_settings = connections.settings
    saved = {a: getattr(connections._connections, a, None) for a in saved_settings}
    for alias, conn in saved.items():
        if conn is not None:
            delattr(connections._connections, alias)
    connections.settings = connections.configure_settings(
        {
            DEFAULT_DB_ALIAS: dj_database_url.parse(primary_url),
            replica.REPLICA: dj_database_url.parse(replica_url),
        }
    )
    try:
        yield
    finally:
        for alias in (DEFAULT_DB_ALIAS, replica.REPLICA):
            conn = getattr(connections._connections, alias, None)
            if conn is not None:
                conn.close()
                delattr(connections._connections, alias)
        connections.settings = saved_settings
        for alias, conn in saved.items():
            if conn is not None:
                setattr(connections._connections, alias, conn)


@pytest.fixture(scope="module")
def pair(django_db_blocker):
    pair = Pair()
    try:
        pair.create()
        with django_db_blocker.unblock(), databases(pair.url("primary"), pair.url("primary")):
            call_command("migrate", verbosity=0)
            province = AdminArea.objects.create(level="province", code="02", name="Hà Giang")
            district = AdminArea.objects.create(
                level="district", code="034", name="Huyện Bắc Quang", parent=province
            )
            company = Company.objects.create(
                code="PCHG", name="PC Hà Giang", customer_code_prefix="PA20", province=province
            )
            Branch.objects.create(company=company, code="BQ", name="Bắc Quang", district=district)
            User.objects.create(username="admin", is_staff=True, is_superuser=True)
        pair.add_replica()
        yield pair
    finally:
        pair.remove()


@pytest.fixture
def on_pair(pair, django_db_blocker):
    replica._down_until = 0.0
    with (
        django_db_blocker.unblock(),
        databases(pair.url("primary"), pair.url("replica")),
        override_settings(**ROUTED),
    ):
        yield pair


def _overview(*, replica_up=True):
    """The overview as the superuser: (response, SQL on the primary, SQL on the replica), read
    afresh: a cached answer would read neither database."""
    cache.clear()
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        if replica_up:
            with CaptureQueriesContext(connections[replica.REPLICA]) as standby:
                response = client.get("/")
        else:
            response, standby = client.get("/"), []
    return response, [q["sql"] for q in primary], [q["sql"] for q in standby]


def _first_table(sql):
    """The table a query reads first (its outermost FROM)."""
    return sql.split(" FROM ", 1)[1].split()[0] if " FROM " in sql else None


def _reads_rollups(queries):
    """The queries that read the rollups' figures (not their state)."""
    tables = {
        m._meta.db_table
        for m in replica.replica_models()
        if m.__module__ == rollups.__name__ and m not in (RollupState, RollupDirty)
    }
    return [sql for sql in queries if any(f'"{table}"' in sql for table in tables)]


def _a_fill_lands():
    RollupState.objects.update_or_create(
        name=freshness.STATE_NAME,
        defaults={"finished_at": datetime.now(UTC), "data_as_of": datetime.now(UTC)},
    )


@pytest.mark.postgres
def test_dashboard_reads_go_to_a_current_replica(on_pair):
    on_pair.caught_up()
    response, primary, standby = _overview()
    assert response.status_code == 200
    assert _reads_rollups(standby), standby
    assert not _reads_rollups(primary), primary
    # Sessions, users and the branches the user may see stay on the primary.
    assert any('"django_session"' in sql for sql in primary)
    assert not any('"django_session"' in sql or '"auth_user"' in sql for sql in standby)
    # (A rollup read may name the branches' companies in a subquery: who sees what was decided
    # on the primary, before.)
    assert not [sql for sql in standby if _first_table(sql) == '"adoption_branch"']


@pytest.mark.postgres
def test_a_lagging_replica_is_not_read(on_pair):
    on_pair.caught_up()
    on_pair.sql("replica", "SELECT pg_wal_replay_pause()")
    try:
        _a_fill_lands()  # on the primary; the paused replica does not see it
        response, primary, standby = _overview()
        assert response.status_code == 200
        assert _reads_rollups(primary), primary
        assert not _reads_rollups(standby), standby
        # All the replica was asked is how far it has got.
        assert len(standby) == 1 and "adoption_rollupstate" in standby[0]
    finally:
        on_pair.sql("replica", "SELECT pg_wal_replay_resume()")
    on_pair.caught_up()
    response, primary, standby = _overview()
    assert _reads_rollups(standby) and not _reads_rollups(primary)


@pytest.mark.postgres
def test_a_replica_that_does_not_answer_is_left_for_the_primary(on_pair):
    on_pair.caught_up()
    on_pair.stop("replica")
    try:
        response, primary, _ = _overview(replica_up=False)
        assert response.status_code == 200 and _reads_rollups(primary)
        assert replica._down_until > time.monotonic()
        # Not asked again for a while: the next page does not wait for it.
        started = time.monotonic()
        response, primary, _ = _overview(replica_up=False)
        assert response.status_code == 200 and _reads_rollups(primary)
        assert time.monotonic() - started < 2
    finally:
        on_pair.start("replica")


@pytest.mark.postgres
def test_writes_and_pages_outside_the_dashboard_use_the_primary(on_pair):
    on_pair.caught_up()
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    with CaptureQueriesContext(connections[replica.REPLICA]) as standby:
        assert client.get("/admin/adoption/communemonth/").status_code in (200, 404)
        assert client.get("/outreach/").status_code in (200, 302, 403)
        _a_fill_lands()
    assert not standby.captured_queries
