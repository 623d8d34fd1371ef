"""Payments import at provincial scale: a million rows of new months, end to end, against the
bare database path measured in the same run.

    python -m bench.import [--rows 1000000] [--keep-copies]

1. The benchmark database (12 million payments) is made ready by bench.common.
2. A CSV of `rows` payments for the months after the last one in the database is written to
   bench/data/, the way a billing system exports it (YYYY-MM, whole VND, Vietnam time).
3. The database is copied twice (CREATE DATABASE … TEMPLATE); the original is never written.
4. End to end, on the first copy, in a child process whose peak RSS is the memory figure:
   adoption.importers.run() — read, check, COPY to staging and INSERT … ON CONFLICT chunk by
   chunk (in a writer thread, overlapping the checks) until the rows are committed; then the
   rollup refresh of the months and branches touched, which the import hands to the worker,
   run and timed apart ("with figures": until the dashboard shows the rows).
5. The bare database path, on the second copy: COPY of the same file into a temporary
   staging table, then one INSERT … SELECT … ON CONFLICT DO NOTHING into the real, indexed
   payments table (joining customer and channel codes to their ids, by hash).

Targets: end to end at least half the bare path's rows/s; peak memory at most 300 MB.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/powerco_bench"
DATA = ROOT / "bench" / "data"
NONCASH_SHARE = 0.7


def bench_url():
    try:
        from bench import common
    except ImportError:
        return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    return common.database_url()


def with_name(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def db_name(url):
    return urlsplit(url).path.lstrip("/")


@contextmanager
def maintenance(url):
    """A cursor on the server's maintenance database, outside any transaction."""
    import psycopg2

    conn = psycopg2.connect(with_name(url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


# 1. The database.


def prepare_database():
    """Returns (url, note): the benchmark database, built by bench.common when missing."""
    subprocess.run([sys.executable, "-m", "bench.common"], cwd=ROOT, check=True)
    return bench_url(), "benchmark database (bench.common)"


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "powerco.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()


# 2. The file.


def write_file(url, rows, path, existing=False):
    """Payments of every active customer, month after month after the database's last one;
    with `existing`, second payments of the months the database ends with (new references),
    going back from its last month: an import into months that already have rows."""
    import psycopg2

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(period) FROM adoption_payment")
        last = cur.fetchone()[0]
        cur.execute("SELECT code, is_cash FROM adoption_paymentchannel WHERE active ORDER BY id")
        channels = cur.fetchall()
        cur.execute("SELECT code, connected_on, disconnected_on FROM adoption_customer ORDER BY id")
        customers = cur.fetchall()
    conn.close()
    cash = [code for code, is_cash in channels if is_cash]
    noncash = [code for code, is_cash in channels if not is_cash]
    rng = random.Random(2026)
    written = 0
    month = last
    months = []
    step = timedelta(days=4)
    if existing:
        # Start one month after `last` moving backwards: the loop below steps first.
        month = (last.replace(day=28) + step).replace(day=1)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["customer_code", "period", "amount", "channel_code", "paid_at", "reference"]
        )
        while written < rows:
            if existing:
                month = (month - timedelta(days=1)).replace(day=1)
            else:
                month = (month.replace(day=28) + step).replace(day=1)
            months.append(month)
            due = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            for code, connected_on, disconnected_on in customers:
                if connected_on >= due or (disconnected_on and disconnected_on < month):
                    continue
                channel = rng.choice(noncash if rng.random() < NONCASH_SHARE else cash)
                paid = due + timedelta(days=rng.randrange(25))
                writer.writerow(
                    [
                        code,
                        f"{month:%Y-%m}",
                        rng.randrange(40, 900) * 1000,
                        channel,
                        f"{paid:%Y-%m-%d} {rng.randrange(7, 19):02d}:{rng.randrange(60):02d}:00",
                        f"{channel}-{month:%Y%m}-{code}{'-2' if existing else ''}",
                    ]
                )
                written += 1
                if written == rows:
                    break
    return months


# 3. The copies.


def copy_database(url, name):
    """CREATE DATABASE … TEMPLATE waits for other sessions to leave the template."""
    with maintenance(url) as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        for attempt in range(60):
            try:
                cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{db_name(url)}"')
                break
            except Exception as error:  # the template is in use: wait and retry
                if "being accessed by other users" not in str(error) or attempt == 59:
                    raise
                time.sleep(5)
    return with_name(url, name)


def drop_database(url):
    with maintenance(url) as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{db_name(url)}"')


# 4. End to end, in a child process.


def end_to_end(url, path):
    """Runs in the child: configure Django on the copy, import, report timings as JSON.

    The import hands the refresh of its months' figures to the worker (jobs.enqueue): here
    the enqueued refresh is kept, then run once the import is over and timed apart, as the
    worker would run it."""
    setup_django(url)
    from adoption import importers, jobs, tasks
    from adoption.choices import ImportKind
    from adoption.importers.payments import PaymentImport

    timings = {"refresh": None, "wait": 0.0, "customers": 0.0, "db": 0.0}
    handed_over = []

    def timed(owner, name, key):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            result = original(*args, **kwargs)
            timings[key] = (timings[key] or 0.0) + time.perf_counter() - started
            return result

        setattr(owner, name, wrapper)

    def keep(task, *args, delay=None):
        handed_over.append((task, args))
        return True

    jobs.enqueue = keep
    timed(PaymentImport, "finish", "wait")
    timed(PaymentImport, "__init__", "customers")
    timed(PaymentImport, "_copy_chunk", "db")
    with tempfile.TemporaryDirectory() as reports:
        started, cpu = time.perf_counter(), time.process_time()
        outcome = importers.run(ImportKind.PAYMENTS, path, reports_dir=reports)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        for task, args in handed_over:
            if task is tasks.rebuild_rollups:
                refresh_started = time.perf_counter()
                task.call_local(*args)
                timings["refresh"] = time.perf_counter() - refresh_started
                timings["refresh_scope"] = [len(args[0]), len(args[1])]
        again_started = time.perf_counter()
        again = importers.run(ImportKind.PAYMENTS, path, reports_dir=reports)
        again_total = time.perf_counter() - again_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "total": total,
                "cpu": cpu,
                "rows_read": outcome.rows_read,
                "rows_imported": outcome.rows_imported,
                "refused": outcome.refused,
                "warnings": outcome.warnings,
                "peak_rss": peak,
                "again_imported": again.rows_imported,
                "again_total": again_total,
                **timings,
            }
        )
    )


# 5. The bare database path.


def bare_path(url, path):
    """COPY of the file into a staging table (the bare COPY rate), then, where payments still
    have their (channel, reference) key (an unpartitioned schema), one INSERT … ON CONFLICT
    into the real table: the bare database path of that schema."""
    import psycopg2

    conn = psycopg2.connect(url)
    timings = {"inserted": None}
    with conn, conn.cursor() as cur:
        cur.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")
        started = time.perf_counter()
        cur.execute(
            "CREATE TEMPORARY TABLE bare_staging (customer_code text, period text, "
            "amount bigint, channel_code text, paid_at timestamptz, reference text) "
            "ON COMMIT DROP"
        )
        with open(path, encoding="utf-8") as file:
            cur.copy_expert("COPY bare_staging FROM STDIN WITH (FORMAT csv, HEADER true)", file)
        # Statistics, so the planner joins the codes by hash rather than row by row.
        cur.execute("ANALYZE bare_staging")
        timings["copy"] = time.perf_counter() - started
        cur.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conname = 'payment_reference_unique_per_channel'"
        )
        if cur.fetchone()[0]:
            cur.execute(
                """
                INSERT INTO adoption_payment (customer_id, period, amount, channel_id, paid_at,
                                              reference)
                SELECT c.id, to_date(s.period, 'YYYY-MM'), s.amount, ch.id, s.paid_at,
                       s.reference
                FROM bare_staging s
                JOIN adoption_customer c ON c.code = s.customer_code
                JOIN adoption_paymentchannel ch ON ch.code = s.channel_code
                ON CONFLICT (channel_id, reference) DO NOTHING
                """
            )
            timings["inserted"] = cur.rowcount
    timings["total"] = time.perf_counter() - started
    conn.close()
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-copies", action="store_true")
    parser.add_argument(
        "--existing-months",
        action="store_true",
        help="import second payments into the months the database already has",
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        end_to_end(*args.child)
        return

    url, note = prepare_database()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"payments-{args.rows}{'-existing' if args.existing_months else ''}.csv"
    started = time.perf_counter()
    months = sorted(write_file(url, args.rows, path, existing=args.existing_months))
    print(
        f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows, "
        f"{months[0]:%m/%Y}..{months[-1]:%m/%Y}) written in {time.perf_counter() - started:.0f} s"
    )
    e2e_url = copy_database(url, db_name(url) + "_import_e2e")
    bare_url = copy_database(url, db_name(url) + "_import_bare")
    # The copies are gigabytes of fresh writes: flush them before timing anything.
    with maintenance(url) as cur:
        cur.execute("CHECKPOINT")
    os.sync()
    load_before = os.getloadavg()[0]
    try:
        bare = bare_path(bare_url, path)
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", e2e_url, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if child.returncode:
            sys.exit(f"the end-to-end import failed:\n{child.stderr[-3000:]}")
        e2e = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep_copies:
            drop_database(e2e_url)
            drop_database(bare_url)

    load_after = os.getloadavg()[0]
    bare_rate = args.rows / bare["total"]
    e2e_rate = args.rows / e2e["total"]
    print(f"database: {note}")
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{load_after:.1f} after the timed runs"
    )
    copy_rate = args.rows / bare["copy"]
    print(
        f"bare COPY     : {bare['copy']:6.1f} s  {copy_rate:9,.0f} rows/s  (into a staging table)"
    )
    if bare["inserted"] is not None:
        print(
            f"bare path     : {bare['total']:6.1f} s  {bare_rate:9,.0f} rows/s  "
            f"(COPY {bare['copy']:.1f} s, INSERT … ON CONFLICT "
            f"{bare['total'] - bare['copy']:.1f} s, {bare['inserted']:,} rows in)"
        )
    refresh = (
        f"then, in the worker, the rollup refresh {e2e['refresh']:.1f} s for "
        f"{e2e['refresh_scope'][0]} months x {e2e['refresh_scope'][1]} branches"
        if e2e["refresh"] is not None
        else "no rollup refresh: nothing was imported"
    )
    with_refresh = e2e["total"] + (e2e["refresh"] or 0)
    print(
        f"end to end    : {e2e['total']:6.1f} s  {e2e_rate:9,.0f} rows/s  "
        f"({e2e['rows_imported']:,} rows in, committed; the import process used "
        f"{e2e['cpu']:.1f} s of CPU)"
    )
    print(
        f"  read, check and write: loading customers and channels {e2e['customers']:.1f} s; "
        f"COPY, anti-join and INSERT per chunk {e2e['db']:.1f} s in the writer thread, "
        f"overlapping the checks, {e2e['wait']:.1f} s of it after the last row was read"
    )
    print(f"  {refresh}")
    print(
        f"with figures  : {with_refresh:6.1f} s  {args.rows / with_refresh:9,.0f} rows/s  "
        "(until the dashboard shows the rows: the import, then the worker's refresh)"
    )
    if e2e["refused"]:
        print(f"  import refused: {e2e['refused']}")
    if bare["inserted"] is not None:
        print(f"ratio         : end to end / bare path = {e2e_rate / bare_rate:.2f}")
    print(f"ratio         : end to end / bare COPY = {e2e_rate / copy_rate:.3f} (target >= 0.1)")
    print(
        f"re-import     : {e2e['again_imported']:,} rows added in {e2e['again_total']:.1f} s "
        "(target 0)"
    )
    print(
        f"peak memory   : {e2e['peak_rss'] / 2**20:.0f} MB RSS of the import process "
        "(target <= 300 MB)"
    )


if __name__ == "__main__":
    main()
