"""The provincial-scale PostgreSQL database that every benchmark under bench/ measures.

One company, 11 district branches, 200 communes, 200,000 customers and 60 bill periods
(2019-01..2023-12), about 12 million payments, with non-cash adoption climbing over time.
Built once with set-based SQL (generate_series), then reused: a marker table says it is
complete, so an interrupted build is simply started again.

    from bench.common import setup
    setup()             # Django is configured against the benchmark database, built if needed

    python -m bench.common [--rebuild]

The database URL comes from BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/powerco_bench).
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/powerco_bench"

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 200_000))
COMMUNES = 200
FIRST_PERIOD = date(2019, 1, 1)
MONTHS = 60
MARKER = "bench_built"
# Serialises builds started by several scripts at once (an arbitrary constant).
BUILD_LOCK = 4_170_204

DISTRICTS = [
    ("HG", "Thành phố Hà Giang"),
    ("DV", "Huyện Đồng Văn"),
    ("MV", "Huyện Mèo Vạc"),
    ("YM", "Huyện Yên Minh"),
    ("QBA", "Huyện Quản Bạ"),
    ("BM", "Huyện Bắc Mê"),
    ("HSP", "Huyện Hoàng Su Phì"),
    ("VX", "Huyện Vị Xuyên"),
    ("XM", "Huyện Xín Mần"),
    ("BQ", "Huyện Bắc Quang"),
    ("QB", "Huyện Quang Bình"),
]

# (code, name, kind, is_cash, partner)
CHANNELS = [
    ("QUAY", "Quầy thu tiền điện", "company_counter", True, None),
    ("THU", "Thu ngân viên", "collector", True, None),
    ("AGR", "Agribank", "bank", False, "AGRIBANK"),
    ("VCB", "Vietcombank", "bank", False, "VIETCOMBANK"),
    ("BIDV", "BIDV", "bank", False, "BIDV"),
    ("MOMO", "MoMo", "ewallet", False, "MOMO"),
    ("ZALO", "ZaloPay", "ewallet", False, "ZALOPAY"),
    ("VNPAY", "VNPAY", "ewallet", False, "VNPAY"),
    ("VTM", "Viettel Money", "mobile_money", False, "VIETTEL"),
    ("VNPTM", "VNPT Money", "mobile_money", False, "VNPT"),
    ("VNPOST", "Bưu điện", "agent_counter", False, "VNPOST"),
    ("VTSTORE", "Cửa hàng Viettel", "agent_counter", False, "VIETTEL"),
]


def database_url():
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def _maintenance_connection(url):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    conn.autocommit = True
    return conn, parts.path.lstrip("/")


def _is_built(url):
    import psycopg2

    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return False
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER])
        built = cur.fetchone()[0]
    conn.close()
    return built


def setup(rebuild=False, verbose=True):
    """Point Django at the benchmark database, building it first if needed. Returns the URL."""
    url = database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "powerco.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    log = print if verbose else (lambda *a, **k: None)

    maint, name = _maintenance_connection(url)
    with maint.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [BUILD_LOCK])
        try:
            if rebuild or not _is_built(url):
                log(f"building {name} ({CUSTOMERS:,} customers x {MONTHS} months)...")
                started = time.perf_counter()
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{name}"')
                _django_setup()
                _build(log)
                log(f"built {name} in {time.perf_counter() - started:.0f} s")
            else:
                _django_setup()
                from django.core.management import call_command

                # Later migrations (new tables) land on the existing data.
                call_command("migrate", verbosity=0)
        finally:
            cur.execute("SELECT pg_advisory_unlock(%s)", [BUILD_LOCK])
    maint.close()
    return url


def _django_setup():
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _step(log, label, started):
    log(f"  {label}: {time.perf_counter() - started:.1f} s")
    return time.perf_counter()


def _build(log):
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    t = _step(log, "migrate", t)
    communes = _build_organisation()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET work_mem = '64MB'")
        _build_customers(cur, communes)
        _build_territory(cur, communes)
        t = _step(log, "customers", t)
        from adoption import partitions

        if partitions.partitioned(cur):
            partitions.create_ahead(cur, FIRST_PERIOD, MONTHS)
        saved = _drop_payment_indexes(cur)
        _build_payments(cur)
        t = _step(log, "payments", t)
        for statement in saved:
            cur.execute(statement)
        cur.execute(
            "INSERT INTO adoption_paymentreference (channel_id, reference, period) "
            "SELECT channel_id, reference, period FROM adoption_payment"
        )
        t = _step(log, "payment indexes and constraints", t)
        cur.execute("VACUUM ANALYZE")
        t = _step(log, "vacuum analyze", t)
        cur.execute(
            f"CREATE TABLE {MARKER} AS SELECT now() AS built_at, "
            "(SELECT count(*) FROM adoption_customer) AS customers, "
            "(SELECT count(*) FROM adoption_payment) AS payments"
        )
        cur.execute(f"SELECT customers, payments FROM {MARKER}")
        customers, payments = cur.fetchone()
    log(f"  {customers:,} customers, {payments:,} payments")
    _fill_rollups(log)


def _build_organisation():
    """Areas, company, branches and channels through the ORM; returns [(commune, branch)]."""
    from adoption.models import AdminArea, Branch, Company, Partner, PaymentChannel

    province = AdminArea.objects.create(level="province", code="02", name="Tỉnh Hà Giang")
    company = Company.objects.create(
        code="PCHG",
        name="Công ty Điện lực Hà Giang",
        customer_code_prefix="PA20",
        province=province,
    )
    branches = []
    for i, (code, name) in enumerate(DISTRICTS):
        district = AdminArea.objects.create(
            level="district", code=f"{24 + i:03d}", name=name, parent=province
        )
        branches.append(
            Branch.objects.create(
                company=company,
                code=code,
                name="Điện lực " + name.removeprefix("Huyện ").removeprefix("Thành phố "),
                district=district,
            )
        )
    communes = AdminArea.objects.bulk_create(
        AdminArea(
            level="commune",
            code=f"{700 + n:05d}",
            name=f"Xã {n + 1:03d}",
            parent=branches[n % len(branches)].district,
        )
        for n in range(COMMUNES)
    )
    partners = {}
    for code, name, kind, is_cash, partner_code in CHANNELS:
        partner = None
        if partner_code:
            partner = partners.get(partner_code) or Partner.objects.create(
                code=partner_code, name=partner_code.title()
            )
            partners[partner_code] = partner
        PaymentChannel.objects.create(
            code=code, name=name, kind=kind, is_cash=is_cash, partner=partner
        )
    return [(c.id, branches[n % len(branches)].id) for n, c in enumerate(communes)]


def _build_customers(cur, communes):
    # h1..h3: independent pseudo-random numbers per customer, so rebuilds give the same data.
    cur.execute(
        """
        INSERT INTO adoption_customer
            (code, name, branch_id, commune_id, customer_type, connected_on, disconnected_on)
        SELECT 'PA20' || lpad(i::text, 9, '0'),
               'Khách hàng ' || i,
               m.branch_id,
               m.commune_id,
               CASE WHEN h1 < 88 THEN 'household' WHEN h1 < 94 THEN 'business'
                    WHEN h1 < 96 THEN 'public' WHEN h1 < 98 THEN 'agriculture'
                    WHEN h1 < 99 THEN 'industry' ELSE 'other' END,
               connected,
               CASE WHEN h3 %% 100 < 3
                    THEN greatest(connected, date '2019-03-01' + (h3 %% 1700)::int) END
        FROM generate_series(1, %(customers)s) AS i
        CROSS JOIN LATERAL (
            SELECT abs(hashint8(i::bigint)::bigint) %% 100 AS h1,
                   abs(hashint8(i + 10000000::bigint)::bigint) AS h2,
                   abs(hashint8(i + 20000000::bigint)::bigint) AS h3
        ) AS h
        CROSS JOIN LATERAL (
            SELECT CASE WHEN h2 %% 100 < 92 THEN date '2005-01-01' + (h2 %% 5000)::int
                        ELSE date '2019-01-01' + (h2 %% 1800)::int END AS connected
        ) AS c
        JOIN unnest(%(communes)s::bigint[], %(branches)s::bigint[])
             WITH ORDINALITY AS m(commune_id, branch_id, n) ON m.n = 1 + i %% %(count)s
        """,
        {
            "customers": CUSTOMERS,
            "communes": [c for c, _ in communes],
            "branches": [b for _, b in communes],
            "count": len(communes),
        },
    )


def _build_territory(cur, communes):
    """Each commune served by its branch and each customer placed in its commune, since
    always: what migration 0008 gives an installation carried over."""
    cur.execute(
        """
        INSERT INTO adoption_branchterritory (branch_id, commune_id, valid_from)
        SELECT branch_id, commune_id, date '1900-01-01'
        FROM unnest(%(communes)s::bigint[], %(branches)s::bigint[]) AS m(commune_id, branch_id)
        """,
        {"communes": [c for c, _ in communes], "branches": [b for _, b in communes]},
    )
    cur.execute(
        """
        INSERT INTO adoption_customerplacement (customer_id, commune_id, village_id, valid_from)
        SELECT id, commune_id, village_id, date '1900-01-01' FROM adoption_customer
        """
    )


def _drop_payment_indexes(cur):
    """Drops the payment table's indexes and constraints but its primary key (cheap to keep
    up on a sequence, and other tables may refer to it); returns the statements to restore."""
    cur.execute(
        """
        SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint
        WHERE conrelid = 'adoption_payment'::regclass AND contype IN ('u', 'f')
        ORDER BY contype DESC
        """
    )
    constraints = cur.fetchall()
    cur.execute(
        """
        SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'adoption_payment'
        AND indexname NOT IN (SELECT conname FROM pg_constraint
                              WHERE conrelid = 'adoption_payment'::regclass)
        """
    )
    indexes = cur.fetchall()
    for name, _definition, _kind in constraints:
        cur.execute(f'ALTER TABLE adoption_payment DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    # Unique constraints first, foreign keys last (they are validated against the finished table).
    ordered = sorted(constraints, key=lambda c: "uf".index(c[2]))
    return [
        *(f'ALTER TABLE adoption_payment ADD CONSTRAINT "{n}" {d}' for n, d, _ in ordered),
        *(definition for _, definition in indexes),
    ]


def _build_payments(cur):
    """One payment per active customer-month (a few skip a month, a few pay twice).

    A customer turns non-cash once the district's adoption curve passes their own propensity,
    so adoption climbs from about 8% to about 70% over the five years; a few non-cash customers
    pay cash again in a given month, and about 2% of payments arrive months late.
    """
    cur.execute("SELECT id, is_cash FROM adoption_paymentchannel ORDER BY id")
    channels = cur.fetchall()
    cash = [i for i, is_cash in channels if is_cash]
    noncash = [i for i, is_cash in channels if not is_cash]
    # Month by month, as real payments arrive: a period's rows sit together on disk.
    for m in range(MONTHS):
        cur.execute(
            """
            INSERT INTO adoption_payment
                (customer_id, period, amount, channel_id, paid_at, reference)
            SELECT c.id, p.period,
                   (CASE WHEN c.customer_type = 'household' THEN 1 ELSE 6 END)
                       * (40 + h.a %% 900) * 1000,
                   CASE WHEN x.noncash
                        THEN (%(noncash)s::bigint[])[
                            1 + ((h.pref + (h.s %% 10 = 9)::int) %% %(n_noncash)s)::int]
                        ELSE (%(cash)s::bigint[])[1 + (h.pref %% %(n_cash)s)::int] END,
                   p.period + interval '1 month' + (h.a %% 25) * interval '1 day'
                       + interval '9 hours'
                       + CASE WHEN h.s %% 50 = 7 THEN (1 + h.a %% 4) * interval '1 month'
                              ELSE interval '0' END,
                   'R' || c.id || '-' || m
            FROM adoption_customer c
            CROSS JOIN (SELECT %(m)s AS m) AS month
            CROSS JOIN LATERAL (SELECT (date %(first)s + m * interval '1 month')::date AS period) p
            CROSS JOIN LATERAL (
                SELECT abs(hashint8(c.id)::bigint) %% 1000 AS u,
                       abs(hashint8(c.id + 30000000)::bigint) %% 97 AS pref,
                       abs(hashint8(c.id * 64 + m)::bigint) %% 100 AS s,
                       abs(hashint8(c.id * 64 + m + 40000000)::bigint) AS a
            ) h
            CROSS JOIN LATERAL (
                SELECT h.u < 1000 * (0.08 + 0.62 * m / 59.0 * (0.75 + 0.05 * (c.branch_id %% 6)))
                       AND h.s >= 6 AS noncash
            ) x
            WHERE c.connected_on < p.period + interval '1 month'
              AND (c.disconnected_on IS NULL OR c.disconnected_on >= p.period)
              AND h.s <> 3
            """,
            {
                "cash": cash,
                "noncash": noncash,
                "n_cash": len(cash),
                "n_noncash": len(noncash),
                "m": m,
                "first": FIRST_PERIOD.isoformat(),
            },
        )
        # About 5% pay one bill in two parts: the second part at a company counter, in cash.
        cur.execute(
            """
            INSERT INTO adoption_payment
                (customer_id, period, amount, channel_id, paid_at, reference)
            SELECT customer_id, period, 20000, %(counter)s, paid_at + interval '2 days',
                   reference || '-2'
            FROM adoption_payment
            WHERE period = date %(first)s + %(m)s * interval '1 month'
              AND abs(hashint8(id)::bigint) %% 20 = 0
            """,
            {"counter": cash[0], "first": FIRST_PERIOD.isoformat(), "m": m},
        )


def _fill_rollups(log):
    from adoption.metrics import freshness

    t = time.perf_counter()
    freshness.refresh()
    _step(log, "rollups", t)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and build it again")
    args = parser.parse_args()
    setup(rebuild=args.rebuild)


if __name__ == "__main__":
    main()
