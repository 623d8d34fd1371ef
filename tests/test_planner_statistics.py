"""Bulk changes end with fresh planner statistics for the tables they rewrote, so the fill
that follows is planned on the tables as they are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adoption import area_reform
from adoption.models import CustomerPlacement
from tests.territory_fixture import REFORM, make_reform

pytestmark = pytest.mark.postgres


def test_the_area_reform_analyses_the_placements_and_customers_it_rewrote(customers, areas):
    make_reform(areas)
    before = CustomerPlacement.objects.count()

    with CaptureQueriesContext(connection) as queries:
        report = area_reform.apply_area_reform(REFORM)

    sql = [q["sql"] for q in queries.captured_queries]
    assert report.moved == len(customers) and CustomerPlacement.objects.count() > before
    placed = [i for i, s in enumerate(sql) if 'INSERT INTO "adoption_customerplacement"' in s]
    analysed = {s: i for i, s in enumerate(sql) if s.startswith("ANALYZE")}
    assert set(analysed) == {"ANALYZE adoption_customerplacement", "ANALYZE adoption_customer"}
    assert placed and min(analysed.values()) > max(placed)
