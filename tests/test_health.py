"""/healthz says the process serves; /readyz says the database answers a read, or 503."""

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet

# /healthz itself: tests/test_security.py (no database, no session).


def test_readyz_reads_the_database(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-cache" in response["Cache-Control"]


def test_readyz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    def refused(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(QuerySet, "first", refused)

    response = client.get("/readyz")

    assert (response.status_code, response.content) == (503, b"database unavailable\n")


@pytest.mark.postgres
def test_readyz_gives_up_on_a_stuck_database(client, db, monkeypatch):
    # A read that would hang is cancelled by the probe's own statement timeout.
    monkeypatch.setattr("adoption.views.health.READY_STATEMENT_MS", 50)

    def stuck(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")

    monkeypatch.setattr(QuerySet, "first", stuck)

    response = client.get("/readyz")

    assert response.status_code == 503
