"""Shared fixtures: one company with two branches, their areas, customers, channels and a user
per role (manager, branch staff of each branch, channel admin, superuser, outsider)."""

import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import date
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.utils import translation

from adoption.choices import ChannelKind, CustomerType, Role
from adoption.models import (
    AdminArea,
    Branch,
    BranchTerritory,
    Company,
    Customer,
    Partner,
    PaymentChannel,
    StaffProfile,
)
from adoption.models.validity import BEGINNING
from adoption.roles import apply_role_permissions

# The 2025 reform and payments on both sides of it, for the tests of dated facts; the admin
# import pages' kit.
pytest_plugins = ["tests.territory_fixture", "tests.import_admin_fixture", "tests.smtp_fixture"]

# pytest-playwright runs an event loop in the test thread; Django's ORM refuses to run there
# unless told that the (synchronous) test code is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CI = os.environ.get("CI") == "true"
# `make test` runs the suite a second time on SQLite, for the portable paths of code that has a
# PostgreSQL fast path (imports, rollup fill, accent folding); PostgreSQL-only and browser tests
# already ran in the main pass, so they are left out of this one.
PORTABLE_PASS = os.environ.get("PORTABLE_PASS") == "1"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_where_enqueued():
    """Jobs run inside the call that enqueues them, on an in-memory queue: an edit's fill job
    runs when its transaction commits (never, in a test wrapped in a transaction that is rolled
    back: such tests fill explicitly, with `drain`). Tests of the worker itself use `no_worker`
    or a real consumer."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield HUEY


@pytest.fixture
def no_worker(_jobs_run_where_enqueued):
    """A queue nobody consumes: enqueued jobs wait, as when the worker is not running."""
    from huey.storage import MemoryStorage

    huey = _jobs_run_where_enqueued
    huey.immediate = False
    huey.storage = MemoryStorage(huey.name)
    yield huey
    huey.immediate = True


@pytest.fixture
def no_deltas(monkeypatch):
    """Every edit marks its cells dirty, as when the rollups are not up to date: for tests of
    the markers and the fill themselves."""
    monkeypatch.setattr("adoption.rollup_deltas.apply", lambda *args: False)


@pytest.fixture
def drain():
    """Do what the worker would: refill whatever the edits marked dirty."""
    from adoption import tasks

    return tasks.fill_rollups.call_local


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} ({settings.DATABASES['default']['NAME']})"


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only and browser tests skip where they cannot run, except under CI=true."""
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    has_browser = os.path.exists(CHROMIUM)
    if PORTABLE_PASS:
        left_out = [i for i in items if "postgres" in i.keywords or "browser" in i.keywords]
        config.hook.pytest_deselected(items=left_out)
        items[:] = [i for i in items if i not in left_out]
    missing = []
    if not on_postgres and any("postgres" in item.keywords for item in items):
        missing.append("PostgreSQL")
    if not has_browser and any("browser" in item.keywords for item in items):
        missing.append(f"Chromium at {CHROMIUM}")
    if CI and missing:
        raise pytest.UsageError(f"CI=true and these are missing: {', '.join(missing)}")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL"))
        if "browser" in item.keywords and not has_browser:
            item.add_marker(pytest.mark.skip(reason="needs Chromium"))


def pytest_terminal_summary(terminalreporter):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    name = "PostgreSQL" if "postgresql" in engine else "SQLite"
    terminalreporter.write_line(f"Ran on {name}.", bold=True)
    if PORTABLE_PASS:
        terminalreporter.write_line(
            "Portable pass: the SQLite paths; PostgreSQL-only and browser tests ran in the main "
            "pass."
        )
    elif name == "SQLite":
        terminalreporter.write_line(
            "WARNING: PostgreSQL-only tests were SKIPPED (no PostgreSQL server).",
            red=True,
            bold=True,
        )


# Browser: Debian's Chromium, driven by pytest-playwright.


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM if shutil.which(CHROMIUM) else None,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


@pytest.fixture
def login_page(live_server, page):
    """Returns a function that logs a user in through the real login form."""

    def login(user, password=PASSWORD, next_url="/"):
        page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        return page

    return login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast's users are made for every test; the real hasher costs half a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached chart JSON must not carry over from one test's data to the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# The cast.


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The cast logs in hundreds of times per run; PBKDF2's deliberate slowness buys nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def areas(db):
    province = AdminArea.objects.create(level="province", code="02", name="Tỉnh Hà Giang")
    bq = AdminArea.objects.create(
        level="district", code="034", name="Huyện Bắc Quang", parent=province
    )
    qb = AdminArea.objects.create(
        level="district", code="035", name="Huyện Quang Bình", parent=province
    )
    communes = {
        "viet_quang": AdminArea.objects.create(
            level="commune", code="00910", name="Thị trấn Việt Quang", parent=bq
        ),
        "tan_quang": AdminArea.objects.create(
            level="commune", code="00925", name="Xã Tân Quang", parent=bq
        ),
        "yen_binh": AdminArea.objects.create(
            level="commune", code="00970", name="Thị trấn Yên Bình", parent=qb
        ),
    }
    village = AdminArea.objects.create(
        level="village", name="Thôn Khiềm", parent=communes["tan_quang"]
    )
    return {"province": province, "bq": bq, "qb": qb, "village": village, **communes}


@pytest.fixture
def company(areas):
    return Company.objects.create(
        code="PCHG",
        name="Công ty Điện lực Hà Giang",
        customer_code_prefix="PA20",
        province=areas["province"],
    )


@pytest.fixture
def branches(company, areas):
    result = {
        "bq": Branch.objects.create(
            company=company, code="BQ", name="Điện lực Bắc Quang", district=areas["bq"]
        ),
        "qb": Branch.objects.create(
            company=company, code="QB", name="Điện lực Quang Bình", district=areas["qb"]
        ),
    }
    # Each branch serves its district's communes, since always.
    for key, names in {"bq": ["viet_quang", "tan_quang"], "qb": ["yen_binh"]}.items():
        for name in names:
            BranchTerritory.objects.create(
                branch=result[key], commune=areas[name], valid_from=BEGINNING
            )
    return result


@pytest.fixture
def channels(db):
    viettel = Partner.objects.create(code="VIETTEL", name="Viettel")
    agribank = Partner.objects.create(code="AGRIBANK", name="Agribank")
    return {
        "viettelpay": PaymentChannel.objects.create(
            code="VTP", name="ViettelPay", kind=ChannelKind.EWALLET, partner=viettel
        ),
        "agribank": PaymentChannel.objects.create(
            code="AGR", name="Agribank", kind=ChannelKind.BANK, partner=agribank
        ),
        "counter": PaymentChannel.objects.create(
            code="QUAY", name="Quầy thu", kind=ChannelKind.COMPANY_COUNTER, is_cash=True
        ),
        "collector": PaymentChannel.objects.create(
            code="THU", name="Thu ngân viên", kind=ChannelKind.COLLECTOR, is_cash=True
        ),
    }


@pytest.fixture
def customers(branches, areas):
    def make(code, branch, commune, **kwargs):
        kwargs.setdefault("connected_on", date(2018, 1, 1))
        return Customer.objects.create(
            code=code, name=f"Khách hàng {code[-4:]}", branch=branch, commune=commune, **kwargs
        )

    return {
        "bq1": make("PA20BQ0000001", branches["bq"], areas["viet_quang"]),
        "bq2": make("PA20BQ0000002", branches["bq"], areas["tan_quang"], village=areas["village"]),
        "bq3": make(
            "PA20BQ0000003",
            branches["bq"],
            areas["tan_quang"],
            customer_type=CustomerType.BUSINESS,
        ),
        "qb1": make("PA20QB0000001", branches["qb"], areas["yen_binh"]),
    }


def _user(username, role=None, branch=None, company=None, **kwargs):
    user = User.objects.create_user(username, password=PASSWORD, **kwargs)
    if role:
        user.groups.add(Group.objects.get(name=role.value))
    if company:
        StaffProfile.objects.create(user=user, company=company, branch=branch)
    return user


@pytest.fixture
def users(company, branches):
    # Transactional tests flush the tables, taking the role groups of migration 0002 with them.
    apply_role_permissions(Group, Permission)
    return {
        "manager": _user("manager", Role.MANAGERS, company=company, is_staff=True),
        "staff_bq": _user(
            "staff_bq", Role.BRANCH_STAFF, branch=branches["bq"], company=company, is_staff=True
        ),
        "staff_qb": _user(
            "staff_qb", Role.BRANCH_STAFF, branch=branches["qb"], company=company, is_staff=True
        ),
        "channel_admin": _user(
            "channel_admin", Role.CHANNEL_ADMINS, company=company, is_staff=True
        ),
        "admin": _user("admin", is_staff=True, is_superuser=True),
        "outsider": _user("outsider"),
    }


@pytest.fixture
def client_for(client):
    """Returns a test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@contextmanager
def scratch_database():
    """A new, empty PostgreSQL database on the test server (its URL), dropped afterwards.

    For what must run outside the test transaction: a real server process, pg_restore.
    """
    db = settings.DATABASES["default"]
    name = f"powerco_scratch_{uuid.uuid4().hex[:12]}"
    server = {
        "host": db["HOST"] or "localhost",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"],
    }
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = f"{db['USER']}:{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else db["USER"]
    try:
        yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def empty_database():
    with scratch_database() as url:
        yield url


# Imports.


@pytest.fixture
def in_english():
    """Messages asserted in English, whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def import_reports_dir(settings, tmp_path):
    settings.IMPORT_REPORTS_DIR = tmp_path / "reports"
    return settings.IMPORT_REPORTS_DIR


@pytest.fixture
def refreshes(monkeypatch):
    """Records each call of the rollup refresh instead of running it."""
    calls = []
    monkeypatch.setattr(
        "adoption.metrics.freshness.refresh",
        lambda periods=None, branch_ids=None: calls.append((periods, branch_ids)),
    )
    return calls


@pytest.fixture
def write_lines(tmp_path):
    """Writes lines to a UTF-8 file under tmp_path and returns its path."""

    def write(*lines, name):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
