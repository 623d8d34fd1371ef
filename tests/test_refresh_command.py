"""The refresh_adoption command: which rollups it rebuilds, and its refusals."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from adoption.metrics import dirty, freshness
from adoption.models import BranchMonth, CommuneMonth, Payment, RollupDirty

JAN, FEB = date(2024, 1, 1), date(2024, 2, 1)


@pytest.fixture
def paid(customers, channels):
    """January and February payments in both branches, rollups filled, markers cleared."""
    for n, (customer, period) in enumerate(
        [("bq1", JAN), ("bq2", FEB), ("qb1", JAN), ("qb1", FEB)]
    ):
        Payment.objects.create(
            customer=customers[customer],
            period=period,
            channel=channels["agribank"],
            amount=50_000,
            paid_at=datetime(2024, period.month, 20, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
            reference=f"CMD{n}",
        )
    freshness.refresh()
    return customers


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def run(*args):
    out = StringIO()
    call_command("refresh_adoption", *args, stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def spoil():
    """Overwrite every rollup count, to see which ones a command rebuilds."""
    CommuneMonth.objects.update(noncash_customers=99)
    BranchMonth.objects.update(noncash_customers=99)


def spoiled_cells():
    return set(
        BranchMonth.objects.filter(noncash_customers=99)
        .values_list("period", "branch__code")
        .distinct()
    )


def test_it_rebuilds_everything_with_all(paid):
    spoil()

    out = run("--all")

    assert spoiled_cells() == set()
    assert "data as of" in out


def test_it_rebuilds_one_period_of_one_branch(paid):
    spoil()

    run("--period", "2024-02", "--branch", "BQ")

    assert spoiled_cells() == {(JAN, "BQ"), (JAN, "QB"), (FEB, "QB")}


def test_it_rebuilds_every_month_of_a_branch(paid):
    spoil()

    run("--branch", "QB")

    assert spoiled_cells() == {(JAN, "BQ"), (FEB, "BQ")}


def test_a_past_period_also_refreshes_the_next_months_back_to_cash(paid):
    spoil()

    run("--period", "2024-01")

    assert spoiled_cells() == set()


def test_without_arguments_it_finishes_the_marked_rollups_only(paid, branches):
    spoil()
    dirty.mark_dirty([FEB], [branches["qb"].id])

    out = run()

    assert spoiled_cells() == {(JAN, "BQ"), (JAN, "QB"), (FEB, "BQ")}
    assert not RollupDirty.objects.exists()
    assert "1" in out


def test_without_arguments_and_nothing_marked_it_says_so(paid):
    assert "Nothing is marked out of date" in run()


@pytest.mark.parametrize("value", ["2024-13", "2024/02", "24-02", "february", "2024-2", ""])
def test_it_refuses_a_bad_period_and_writes_nothing(paid, value):
    spoil()
    before = set(CommuneMonth.objects.values_list("id", "noncash_customers"))

    with pytest.raises(CommandError, match="Invalid period .*YYYY-MM"):
        run("--period", value)

    assert set(CommuneMonth.objects.values_list("id", "noncash_customers")) == before


def test_it_refuses_an_unknown_branch_and_names_the_known_ones(paid):
    spoil()

    with pytest.raises(CommandError, match=r"Unknown branch XX\. Known branches: BQ, QB"):
        run("--branch", "XX", "--period", "2024-01")

    assert len(spoiled_cells()) == 4


def test_it_refuses_all_together_with_a_period(paid):
    with pytest.raises(CommandError, match="--all"):
        run("--all", "--period", "2024-01")


def test_it_shows_a_progress_bar(paid, capsys):
    call_command("refresh_adoption", "--all", stdout=StringIO())

    assert "2/2" in capsys.readouterr().err


def test_it_speaks_vietnamese_by_default(paid):
    with translation.override("vi"), pytest.raises(CommandError, match="Không có điện lực XX"):
        run("--branch", "XX")


def test_queue_hands_a_full_rebuild_to_the_worker(paid, no_worker):
    out = StringIO()
    call_command("refresh_adoption", "--all", "--queue", stdout=out)

    assert "Handed to the worker." in out.getvalue()
    task = no_worker.dequeue()
    assert task.name.endswith("rebuild_rollups")
    assert task.args == (None, None)  # every month of every branch


def test_queue_refuses_clearly_when_the_queue_is_unreachable(paid, no_worker):
    from huey.storage import RedisStorage

    no_worker.storage = RedisStorage(no_worker.name, url="redis://127.0.0.1:1/0")
    with pytest.raises(CommandError, match="The queue is unreachable"):
        call_command("refresh_adoption", "--queue", stdout=StringIO())
