"""A company's adoption targets, read once, and which of them covers a month."""

from collections import defaultdict

from .models import Company, Target


class Targets:
    """Adoption targets of one company, read once.

    A target is a rate to reach by its month, and it covers only its own period: the months
    after the unit's previous target up to its own month, or, for the unit's first target,
    the months of its own year up to its month (a 12/2021 target covers 01–12/2021). Before a
    unit's first target and after its last there is none. A branch's own target wins over the
    company-wide one where both cover a month (docs/metrics.md).
    """

    def __init__(self, company_id):
        self.company_id = company_id
        self.by_branch = defaultdict(list)
        rows = Target.objects.filter(company_id__in=_with_merged(company_id)).order_by("period")
        for branch_id, period, rate in rows.values_list("branch_id", "period", "rate"):
            self.by_branch[branch_id].append((period, float(rate)))

    @staticmethod
    def _covering(targets, month):
        previous = None
        for period, rate in targets:
            if period >= month:
                if previous is None and period.year != month.year:
                    return None
                return period, rate
            previous = period
        return None

    def covering(self, month, branch_id=None):
        """(deadline month, rate) of the target covering `month`, or None."""
        if branch_id is not None:
            own = self._covering(self.by_branch.get(branch_id, ()), month)
            if own is not None:
                return own
        return self._covering(self.by_branch.get(None, ()), month)

    def for_month(self, month, branch_id=None):
        covering = self.covering(month, branch_id)
        return covering[1] if covering else None


def _with_merged(company_id):
    """The company and every company merged into it, at any depth: a target set before a
    merger still covers its own months (PC Hà Giang's 12/2021 target after it joined PC Tuyên
    Quang)."""
    ids, new = {company_id}, {company_id}
    while new:
        new = set(Company.objects.filter(merged_into__in=new).values_list("pk", flat=True)) - ids
        ids |= new
    return ids
