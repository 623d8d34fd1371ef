"""Keeping the rollups fresh: refresh what changed, and say how fresh they are.

refresh() and ensure_fresh() run in the worker (adoption.tasks), never inside a request:
pages only read, with data_as_of() telling them which changes the figures include.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from ..models import Branch, CommuneMonth, Payment, RollupDirty, RollupState
from ..months import add_months, month_range, month_start
from . import fill, first_noncash
from .dirty import mark_dirty

STATE_NAME = "rollups"


def covered_periods():
    """The months the rollups cover: first to last bill period that has any payment."""
    bounds = Payment.objects.counted().aggregate(first=Min("period"), last=Max("period"))
    if bounds["first"] is None:
        return []
    return month_range(bounds["first"], bounds["last"])


def fill_interrupted():
    """True if a fill started and neither finished nor rolled back its own start marker."""
    state = RollupState.objects.filter(name=STATE_NAME).first()
    if state is None or state.started_at is None:
        return False
    return state.finished_at is None or state.finished_at < state.started_at


def ensure_fresh():
    """Refresh what is marked dirty, including what an interrupted fill left. One cheap query
    when nothing is dirty. Run by the worker (adoption.tasks), never inside a request."""
    cells = set(RollupDirty.objects.values_list("period", "branch_id"))
    if cells:
        _refresh_cells(cells, marked=True)


def data_as_of():
    """The rollups include every change made before this moment (None: never filled).

    While some markers wait, that is the oldest marker's time: changes after it may be
    missing from the figures.
    """
    state = RollupState.objects.filter(name=STATE_NAME).first()
    waiting = RollupDirty.objects.aggregate(oldest=Min("marked_at"))["oldest"]
    if state is None or state.data_as_of is None:
        return None
    return min(state.data_as_of, waiting) if waiting else state.data_as_of


def refresh(periods=None, branch_ids=None, progress=None):
    """Rebuild the rollups of these periods and branches (None = all) from the raw rows.

    Meant for after the payments of those periods changed: the next period (whose
    back-to-cash count depends on them) and the periods where a customer's first non-cash
    month moved are refilled too. progress, if given, is called with (done, total) periods.
    """
    all_branches = list(Branch.objects.values_list("id", flat=True))
    branch_ids = all_branches if branch_ids is None else list(branch_ids)
    if periods is None:
        periods = covered_periods()
        full = set(branch_ids) == set(all_branches)
    else:
        periods = sorted({month_start(p) for p in periods})
        full = False
    cells = {(p, b) for p in periods for b in branch_ids}
    _refresh_cells(cells, progress=progress, full=full)


def _refresh_cells(cells, progress=None, full=False, marked=False):
    """Refill these (period, branch) cells; marked: they are the current dirty markers."""
    started = timezone.now()
    # Committed before the fill when not inside an outer transaction: if the fill dies, the
    # markers stay and the next ensure_fresh() (the worker's next job or sweep) redoes it.
    with transaction.atomic():
        if not marked:
            _mark_cells(cells)
        RollupState.objects.update_or_create(name=STATE_NAME, defaults={"started_at": started})
    with transaction.atomic():
        fill.tune_session()
        if marked:
            # A fill that held the lock meanwhile may have done them already.
            cells = set(cells) & set(RollupDirty.objects.values_list("period", "branch_id"))
        # Cleared first: a change committed while this fill runs waits on these rows and
        # leaves its own marker behind for the next fill.
        for period, branch_ids in _by_period(cells).items():
            RollupDirty.objects.filter(period=period, branch_id__in=branch_ids).delete()
        covered = covered_periods()
        last = covered[-1] if covered else None
        all_branches = set(Branch.objects.values_list("id", flat=True))
        # Months that just entered the covered range (or a gap without payments) are filled
        # for every branch; months that left it are emptied everywhere.
        present = set(CommuneMonth.objects.values_list("period", flat=True).distinct())
        cells = set(cells) | {(p, b) for p in set(covered) ^ present for b in all_branches}
        cells |= {(add_months(p, 1), b) for p, b in cells if last and p < last}
        if full:
            first_noncash.rebuild()
        else:
            cells |= first_noncash.update(cells, last)
        in_range = set(covered)
        by_period = _by_period(cells)
        for done, (period, branch_ids) in enumerate(sorted(by_period.items()), 1):
            branches = None if branch_ids >= all_branches else sorted(branch_ids)
            fill.fill_period(period, branches, with_rows=period in in_range)
            if progress:
                progress(done, len(by_period))
        RollupState.objects.filter(name=STATE_NAME).update(
            finished_at=timezone.now(), data_as_of=started
        )


def _by_period(cells):
    by_period = defaultdict(set)
    for period, branch_id in cells:
        by_period[period].add(branch_id)
    return by_period


def _mark_cells(cells):
    for period, branch_ids in _by_period(cells).items():
        mark_dirty([period], branch_ids, schedule=False)
