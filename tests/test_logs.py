"""No passwords, usernames of failed logins or customer names reach the logs."""

import contextlib
import io
import logging
import logging.config

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands

SECRET = "Mật-khẩu-bí-mật-2024"
TRIED_USERNAME = "nguyen.van.thu"


@pytest.fixture
def all_logs(caplog):
    """Every record the configured loggers let through, from the root logger down."""
    logging.config.dictConfig(settings.LOGGING)
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.django_db
def test_a_failed_login_logs_neither_the_password_nor_the_username(client, all_logs):
    for _ in range(6):  # through the lockout
        client.post("/accounts/login/", {"username": TRIED_USERNAME, "password": SECRET})

    assert "AXES" in all_logs.text  # the failures are logged, masked
    assert SECRET not in all_logs.text
    assert TRIED_USERNAME not in all_logs.text
    # Nor does the password stay in the attempts table the admin shows.
    attempt = AccessAttempt.objects.get()
    assert SECRET not in attempt.post_data
    assert attempt.failures_since_start >= 5


def test_the_logging_configuration_keeps_axes_and_sql_quiet():
    loggers = settings.LOGGING["loggers"]
    assert loggers["axes"]["level"] == "WARNING"
    assert loggers["django.db.backends"]["level"] == "WARNING"
    assert {"username", "ip_address"} <= set(settings.AXES_SENSITIVE_PARAMETERS)


def test_the_access_log_leaves_out_query_strings():
    # Searches and filters travel in the query string and may carry customer names.
    namespace = {}
    exec((settings.BASE_DIR / "powerco/gunicorn.conf.py").read_text(), namespace)
    log_format = namespace["access_log_format"]
    assert "%(U)s" in log_format
    for with_query in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"):
        assert with_query not in log_format


CUSTOMERS_CSV = (
    "customer_code,name,branch_code,area_code,customer_type,connected_on,disconnected_on\n"
    "PA20BQ0000091,Hoàng Thị Bí Mật,BQ,00910,household,01/01/2020,\n"
    "PA20BQ0000092,Lò Văn Riêng Tư,XX,00910,household,01/01/2020,\n"
)


@pytest.mark.parametrize("options", [[], ["--skip-invalid"]])
def test_an_import_logs_no_customer_names(branches, areas, tmp_path, all_logs, options):
    if "import_customers" not in get_commands():
        pytest.skip("the import_customers command is not part of this build yet")
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS_CSV, encoding="utf-8")
    out = io.StringIO()
    # By default the bad row refuses the whole file; the report is for the user, not the log.
    with contextlib.suppress(CommandError):
        call_command("import_customers", str(path), *options, stdout=out, stderr=out)
    for name in ("Hoàng Thị Bí Mật", "Lò Văn Riêng Tư"):
        assert name not in all_logs.text
