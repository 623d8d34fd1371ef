"""History "as it is now": rollup rows keyed as they were, regrouped onto today's communes,
branches and companies.

The rollups hold each month under the commune and branch of that month ("as it was"). To
read the same months as if today's organisation had always existed, each old commune is
followed through AreaSuccession (its default successor, then that one's, ...) to the commune
that exists today, and takes the branch that serves that commune today. Counts are summed
after the mapping, so every total is preserved and rates stay ratios of summed counts; a new
commune made of communes from two old districts is one row.

Rollups with no commune (the channel mix) map a branch to the branch that today serves most
of the communes it ever served.
"""

from collections import Counter, defaultdict

from django.db.models import Q, Sum
from django.utils import timezone

from .choices import AreaLevel
from .models import AdminArea, AreaSuccession, Branch, BranchTerritory, CommuneMonth
from .models.validity import in_force


class TodayMap:
    """Where each commune and branch of the past stands today."""

    def __init__(self, today=None):
        today = today or timezone.localdate()
        ended = dict(
            AdminArea.objects.filter(level=AreaLevel.COMMUNE, valid_to__lt=today).values_list(
                "pk", "valid_to"
            )
        )
        successor = dict(
            AreaSuccession.objects.filter(is_default=True, old_area_id__in=list(ended)).values_list(
                "old_area_id", "new_area_id"
            )
        )
        self.serving = dict(
            BranchTerritory.objects.filter(in_force(today)).values_list("commune_id", "branch_id")
        )
        self._successor, self._ended = successor, ended
        self._communes = {}
        self.company = dict(Branch.objects.values_list("pk", "company_id"))
        self.branch = self._branches()

    def commune(self, commune_id):
        """Today's commune for this one (itself while it exists, or has no successor)."""
        if commune_id not in self._communes:
            seen, current = {commune_id}, commune_id
            while current in self._ended and current in self._successor:
                current = self._successor[current]
                if current in seen:  # a loop in the data: stop where it closes
                    break
                seen.add(current)
            self._communes[commune_id] = current
        return self._communes[commune_id]

    def place(self, branch_id, commune_id):
        """(today's branch, today's commune) for a row kept under (branch, commune)."""
        commune = self.commune(commune_id)
        return self.serving.get(commune, self.branch.get(branch_id, branch_id)), commune

    def _branches(self):
        votes = defaultdict(Counter)
        for branch_id, commune_id in BranchTerritory.objects.values_list("branch_id", "commune_id"):
            now = self.serving.get(self.commune(commune_id))
            if now is not None:
                votes[branch_id][now] += 1
        return {
            b: min(counts, key=lambda n: (-counts[n], n)) for b, counts in votes.items() if counts
        }


def commune_rows_now(qs, count_fields, group, branch_ids=None, company_ids=None):
    """CommuneMonth rows (a filtered queryset) summed per period and today's grouping.

    group: "company" (per period), "branch" or "commune"; branch_ids / company_ids keep only
    rows whose today's branch / company is among them."""
    today = TodayMap()
    rows = qs.values("period", "branch_id", "commune_id").annotate(
        **{f: Sum(f) for f in count_fields}
    )
    summed = defaultdict(Counter)
    for row in rows:
        branch, commune = today.place(row["branch_id"], row["commune_id"])
        if branch_ids is not None and branch not in branch_ids:
            continue
        if company_ids is not None and today.company.get(branch) not in company_ids:
            continue
        key = {"company": (), "branch": (branch,), "commune": (branch, commune)}[group]
        summed[(row["period"], *key)].update({f: row[f] or 0 for f in count_fields})
    names = {"company": (), "branch": ("branch_id",), "commune": ("branch_id", "commune_id")}
    result = []
    for key in sorted(summed, key=lambda k: tuple((x is None, x) for x in k)):
        row = {"period": key[0], **dict(zip(names[group], key[1:], strict=True))}
        row.update({f: summed[key][f] for f in count_fields})
        result.append(row)
    return result


def branches_then(branch_ids):
    """Every branch whose rows today belong to one of these branches (for branch-only
    rollups)."""
    if branch_ids is None:
        return None
    today = TodayMap()
    wanted = set(branch_ids)
    mapped = {b for b, now in today.branch.items() if now in wanted}
    # A branch that serves nothing today keeps its own rows.
    return sorted(mapped | {b for b in wanted if b not in today.branch})


def rollups_for_now(start=None, end=None, periods=None, customer_types=None):
    qs = CommuneMonth.objects.all()
    if periods is not None:
        qs = qs.filter(period__in=periods)
    else:
        qs = qs.filter(Q(period__gte=start) & Q(period__lte=end))
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    return qs


def place_mapper(view):
    """(branch_id, commune_id) -> the pair a report groups under: itself "as it was", today's
    branch and commune "as it is now" (for rows keyed by a commune, e.g. outreach)."""
    if view != "now":
        return lambda branch_id, commune_id: (branch_id, commune_id)
    return TodayMap().place
