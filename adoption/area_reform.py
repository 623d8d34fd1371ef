"""The reform of administrative units (1 July 2025: districts abolished, communes merged): the
customers of every commune that ceased move to its successor from the reform's date, new
communes get a branch, and customers imported later follow the same way.

The successions are data (AreaSuccession, loaded by areas_loader); the months before the
reform keep the communes they had.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from . import planner_statistics
from .choices import AreaLevel
from .customer_places import sync_customers
from .dated_changes import check_month_start, mark_from
from .models import AdminArea, AreaSuccession, Branch, BranchTerritory, Customer, CustomerPlacement
from .models.validity import in_force
from .territory import reassign_communes


@dataclass
class ReformReport:
    moved: int = 0
    # (customer, old commune, default successor, every successor) for communes split between
    # several new ones: placed in the default successor, to be checked.
    to_review: list = field(default_factory=list)
    villages_dropped: int = 0
    # (new commune, branch) assignments made for new communes nobody served yet.
    assigned: list = field(default_factory=list)


@transaction.atomic
def apply_area_reform(on=date(2025, 7, 1), customer_ids=None):
    """Move every customer (or only these) whose commune ceased before `on` to its successor
    (AreaSuccession effective on `on`), from `on` on; earlier months keep the old commune.

    Villages are carried over where the village itself has a successor in the new commune;
    otherwise the customer keeps no village. A commune split between several successors goes
    to its default successor, and its customers are listed for review (correct them with the
    correct_placements command). New communes nobody serves yet get the branch that served
    most of their predecessors' customers.
    """
    check_month_start(on)
    report = ReformReport()
    successions = defaultdict(list)
    communes = AreaSuccession.objects.filter(effective_on=on, old_area__level=AreaLevel.COMMUNE)
    for s in communes.select_related("new_area"):
        successions[s.old_area_id].append(s)
    default = {
        old: next((s.new_area for s in rows if s.is_default), rows[0].new_area)
        for old, rows in successions.items()
    }
    placements = (
        CustomerPlacement.objects.filter(in_force(on - timedelta(days=1)))
        .filter(commune_id__in=list(default))
        .select_related("customer", "commune", "village")
    )
    if customer_ids is not None:
        placements = placements.filter(customer_id__in=list(customer_ids))
    # Only those not yet moved (running the reform twice changes nothing).
    placements = [p for p in placements if p.valid_to is None or p.valid_to >= on]
    _assign_new_communes(placements, default, on, report)
    villages = _village_successors()
    moved = [
        _moved(p, default[p.commune_id], successions[p.commune_id], villages, on, report)
        for p in placements
    ]
    _replace(placements, moved, on)
    report.moved = len(moved)
    touched = {p.customer.branch_id for p in placements}
    touched |= sync_customers([p.customer_id for p in moved])
    # Every customer's placement rewritten: the fill that follows plans on the new tables.
    planner_statistics.analyze(CustomerPlacement, Customer)
    mark_from(on, touched)
    return report


def _village_successors():
    """{old village: [(new village, its commune)]}, default successors first."""
    successors = defaultdict(list)
    for old_id, new_id, parent_id in (
        AreaSuccession.objects.filter(old_area__level=AreaLevel.VILLAGE)
        .order_by("-is_default")
        .values_list("old_area_id", "new_area_id", "new_area__parent_id")
    ):
        successors[old_id].append((new_id, parent_id))
    return successors


def _moved(placement, new_commune, successions, village_successors, on, report):
    """The customer's placement in new_commune (their commune's default successor) from `on`;
    a commune split between several successors puts the customer on the list to review."""
    village_id = _carried_village(placement.village, new_commune, village_successors)
    if placement.village_id and village_id is None:
        report.villages_dropped += 1
    if len(successions) > 1:
        every = [s.new_area for s in successions]
        report.to_review.append((placement.customer, placement.commune, new_commune, every))
    return CustomerPlacement(
        customer_id=placement.customer_id,
        commune_id=new_commune.pk,
        village_id=village_id,
        valid_from=on,
        valid_to=placement.valid_to,
    )


def _replace(placements, moved, on):
    """The old placements end the day before `on`; the moved ones start on it. Set-based: a
    province has hundreds of thousands of customers."""
    ids = [p.pk for p in placements]
    for chunk in range(0, len(ids), 1000):
        CustomerPlacement.objects.filter(pk__in=ids[chunk : chunk + 1000]).update(
            valid_to=on - timedelta(days=1)
        )
    CustomerPlacement.objects.bulk_create(moved, batch_size=1000)


def follow_reforms(customer_ids):
    """Customers created after a reform ran (an import) but placed in a commune it ended: moved
    on to its successor as apply_area_reform moved everyone else, from the reform's date.
    Returns the branches these customers belong to afterwards."""
    ended = CustomerPlacement.objects.filter(
        customer_id__in=list(customer_ids), valid_to__isnull=True, commune__valid_to__isnull=False
    ).values_list("commune__valid_to", flat=True)
    for last_day in sorted(set(ended)):
        on = last_day + timedelta(days=1)
        if on.day == 1 and AreaSuccession.objects.filter(effective_on=on).exists():
            apply_area_reform(on, customer_ids=customer_ids)
    return set(
        Customer.objects.filter(pk__in=list(customer_ids)).values_list("branch_id", flat=True)
    )


def _carried_village(village, commune, village_successors):
    """The village the customer keeps in the new commune, if the data says it continues."""
    if village is None:
        return None
    for new_id, parent_id in village_successors.get(village.pk, []):
        if parent_id == commune.pk:
            return new_id
    # A village row that simply continues (re-parented under the new commune).
    if village.parent_id == commune.pk:
        return village.pk
    return None


def _assign_new_communes(placements, default, on, report):
    before = on - timedelta(days=1)
    serving = dict(
        BranchTerritory.objects.filter(in_force(before)).values_list("commune_id", "branch_id")
    )
    votes = defaultdict(lambda: defaultdict(int))
    for placement in placements:
        branch_id = serving.get(placement.commune_id)
        if branch_id is not None:
            votes[default[placement.commune_id].pk][branch_id] += 1
    # Predecessors with no customers still say which branch served them.
    for old_id, new in default.items():
        if old_id in serving:
            votes[new.pk].setdefault(serving[old_id], 0)
    served_now = set(
        BranchTerritory.objects.filter(in_force(on), commune_id__in=list(votes)).values_list(
            "commune_id", flat=True
        )
    )
    communes = {c.pk: c for c in AdminArea.objects.filter(pk__in=list(votes))}
    branches = {b.pk: b for b in Branch.objects.all()}
    assignments = []
    for commune_id, counts in sorted(votes.items()):
        if commune_id in served_now:
            continue
        branch_id = min(counts, key=lambda b: (-counts[b], b))
        assignments.append((communes[commune_id], branches[branch_id]))
    if assignments:
        reassign_communes(assignments, on)
        report.assigned = assignments
