"""Peak memory of imports, hostile files included, by command and by admin upload.

    python -m bench.import_memory [--rows 7400000] [--port 8012] [--keep-database]
                                  [--files csv,bomb,strings] [--ways command,admin]

Three files are written to a temporary directory (never into the repository):
1. a CSV of about 500 MB (7.4 million payments with distinct references);
2. an XLSX "zip bomb": a 1.5 GB shared string compressed into about 1.5 MB;
3. an XLSX of about 50 MB holding 20 million distinct shared strings.

Each is imported twice, each time in a fresh process measured by `/usr/bin/time -v` (its
"Maximum resident set size"): by `manage.py import_payments`, and by the admin upload (preview,
then confirm for the CSV) to `manage.py runserver` driven by curl. The two XLSX files must be
refused; the CSV must import every row. Target: at most 300 MB each.

The database is a scratch one (IMPORT_MEMORY_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/powerco_import_memory), made afresh with the demo's
reference data (`seed_demo --scale 0.01`) and dropped at the end.
"""

import argparse
import os
import re
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/powerco_import_memory"
TARGET_MB = 300
USER, PASSWORD = "bench-memory", "bench-memory-password-2026"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_name(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def maintenance(url, sql):
    import psycopg2

    conn = psycopg2.connect(with_name(url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def environment(url):
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "powerco.settings",
        "LOG_LEVEL": "ERROR",
        "AXES_ENABLED": "0",
    }


def manage(url, *args, **kwargs):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=environment(url), check=True, **kwargs
    )


def prepare_database(url, reports):
    name = urlsplit(url).path.lstrip("/")
    maintenance(url, f'DROP DATABASE IF EXISTS "{name}"')
    maintenance(url, f'CREATE DATABASE "{name}"')
    manage(url, "migrate", "--no-input", "-v", "0")
    manage(url, "seed_demo", "--scale", "0.01", "-v", "0", stdout=subprocess.DEVNULL)
    manage(
        url,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser({USER!r}, '', {PASSWORD!r})",
    )


# The files.


def write_csv(url, rows, path):
    """Payments of customers connected before 2020 and never disconnected, 2020 onwards."""
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT code FROM adoption_customer WHERE disconnected_on IS NULL "
            "AND connected_on < '2020-01-01' ORDER BY id"
        )
        customers = [code for (code,) in cur.fetchall()]
        cur.execute("SELECT code FROM adoption_paymentchannel WHERE active ORDER BY id")
        channels = [code for (code,) in cur.fetchall()]
    conn.close()
    months = [f"{year}-{month:02d}" for year in range(2020, 2026) for month in range(1, 13)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("customer_code,period,amount,channel_code,paid_at,reference\n")
        lines = []
        for row in range(rows):
            month = months[row % len(months)]
            lines.append(
                f"{customers[row % len(customers)]},{month},{150000 + row % 977},"
                f"{channels[row % len(channels)]},{month}-20 09:30:00,MEM-{row:09d}\n"
            )
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))


def _workbook(path, shared_strings):
    """A minimal workbook whose first sheet names the columns by shared strings 0-5, and whose
    shared strings part is written by shared_strings(stream)."""
    header = "".join(f'<c r="{col}1" t="s"><v>{i}</v></c>' for i, col in enumerate("ABCDEF"))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header}</row>'
            "</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as stream:
            shared_strings(stream)


COLUMNS = ("customer_code", "period", "amount", "channel_code", "paid_at", "reference")


def write_bomb(path, size=1_500_000_000):
    def strings(stream):
        stream.write(f'<sst xmlns="{MAIN}">'.encode())
        stream.write("".join(f"<si><t>{c}</t></si>" for c in COLUMNS).encode())
        stream.write(b"<si><t>")
        block = b"A" * (16 * 1024 * 1024)
        for _ in range(size // len(block)):
            stream.write(block)
        stream.write(b"</t></si></sst>")

    _workbook(path, strings)


def write_many_strings(path, count=20_000_000):
    def strings(stream):
        stream.write(f'<sst xmlns="{MAIN}">'.encode())
        stream.write("".join(f"<si><t>{c}</t></si>" for c in COLUMNS).encode())
        for start in range(0, count, 100_000):
            stream.write(
                "".join(f"<si><t>{i:x}</t></si>" for i in range(start, start + 100_000)).encode()
            )
        stream.write(b"</sst>")

    _workbook(path, strings)


# The measurements.


def peak_mb(stderr):
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(match.group(1)) / 1024


def by_command(url, path):
    """(peak MB, seconds, last line of output) of manage.py import_payments in its own process."""
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-v", PYTHON, "manage.py", "import_payments", str(path)],
        cwd=ROOT,
        env=environment(url),
        capture_output=True,
        text=True,
    )
    said = (result.stdout + result.stderr.split("\tCommand being timed")[0]).strip()
    return peak_mb(result.stderr), time.monotonic() - started, said.splitlines()[0][:160]


def _curl(jar, *args):
    return subprocess.run(
        ["curl", "-sS", "-b", jar, "-c", jar, *args], capture_output=True, text=True, check=True
    ).stdout


def _csrf(jar):
    for line in Path(jar).read_text().splitlines():
        fields = line.split("\t")
        if len(fields) == 7 and fields[5] == "csrftoken":
            return fields[6]
    raise RuntimeError("no CSRF cookie")


def by_admin(url, path, port, confirm):
    """(peak MB, seconds, outcome) of runserver serving the upload (and the confirm)."""
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            "/usr/bin/time",
            "-v",
            PYTHON,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--nothreading",
        ],
        cwd=ROOT,
        env=environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                subprocess.run(["curl", "-sf", f"{base}/healthz"], check=True, capture_output=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.3)
        with tempfile.NamedTemporaryFile(suffix=".jar") as jar_file:
            jar = jar_file.name
            _curl(jar, f"{base}/admin/login/")
            _curl(
                jar,
                "-o",
                "/dev/null",
                "-d",
                f"csrfmiddlewaretoken={_csrf(jar)}",
                "-d",
                f"username={USER}",
                "-d",
                f"password={PASSWORD}",
                "-d",
                "next=/admin/",
                "-e",
                f"{base}/admin/login/",
                f"{base}/admin/login/",
            )
            upload = f"{base}/admin/adoption/importbatch/upload/payments/"
            started = time.monotonic()
            page = _curl(
                jar,
                "-e",
                upload,
                "-F",
                f"csrfmiddlewaretoken={_csrf(jar)}",
                "-F",
                f"file=@{path};filename={path.name}",
                upload,
            )
            sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page)
            outcome = "Previewed, importable." if sha else "Refused at the preview."
            if confirm and sha:
                _curl(
                    jar,
                    "-o",
                    "/dev/null",
                    "-e",
                    upload,
                    "-d",
                    f"csrfmiddlewaretoken={_csrf(jar)}",
                    "-d",
                    f"sha256={sha.group(1)}",
                    "-d",
                    f"file_name={path.name}",
                    f"{base}/admin/adoption/importbatch/confirm/payments/",
                )
                outcome += " Confirmed."
            seconds = time.monotonic() - started
    finally:
        # /usr/bin/time reports when its child, the server, ends.
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in children:
            os.kill(int(pid), 2)
        stderr = server.communicate(timeout=60)[1]
    return peak_mb(stderr), seconds, outcome


def payments_count(url):
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM adoption_payment WHERE reference LIKE 'MEM-%%'")
        count = cur.fetchone()[0]
        cur.execute("DELETE FROM adoption_payment WHERE reference LIKE 'MEM-%%'")
    conn.commit()
    conn.close()
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=7_400_000)
    parser.add_argument("--port", type=int, default=8012)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--files", default="csv,bomb,strings", help="which files to import")
    parser.add_argument("--ways", default="command,admin", help="command, admin or both")
    args = parser.parse_args()
    url = os.environ.get("IMPORT_MEMORY_DATABASE_URL", DEFAULT_URL)

    with tempfile.TemporaryDirectory(prefix="import-memory-") as scratch:
        scratch = Path(scratch)
        os.environ["IMPORT_REPORTS_DIR"] = str(scratch / "reports")
        prepare_database(url, scratch)
        writers = {
            "csv": (scratch / "payments.csv", lambda path: write_csv(url, args.rows, path)),
            "bomb": (scratch / "bomb.xlsx", write_bomb),
            "strings": (scratch / "strings.xlsx", write_many_strings),
        }
        files = {}
        for name in args.files.split(","):
            path, write = writers[name]
            write(path)
            files[name] = path
        ways = args.ways.split(",")
        for name, path in files.items():
            print(f"{name}: {path.stat().st_size / 1e6:,.1f} MB", flush=True)

        results = []
        for name, path in files.items():
            if "command" in ways:
                mb, seconds, said = by_command(url, path)
                imported = payments_count(url) if name == "csv" else 0
                results.append(("command", name, mb, seconds, imported, said))
                print(results[-1], flush=True)
            if "admin" in ways:
                mb, seconds, said = by_admin(url, path, args.port, confirm=name == "csv")
                imported = payments_count(url) if name == "csv" else 0
                results.append(("admin", name, mb, seconds, imported, said))
                print(results[-1], flush=True)

    if not args.keep_database:
        maintenance(url, f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}"')
    print(f"\n{'how':8} {'file':8} {'peak MB':>8} {'seconds':>8} {'imported':>10}  outcome")
    for how, name, mb, seconds, imported, said in results:
        flag = "" if mb <= TARGET_MB else f"  OVER {TARGET_MB} MB"
        print(f"{how:8} {name:8} {mb:8.0f} {seconds:8.0f} {imported:10,}  {said}{flag}")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
