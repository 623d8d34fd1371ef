"""Rebuild the adoption rollups on demand.

refresh_adoption                      finish whatever is marked dirty
refresh_adoption --all                rebuild every month of every branch
refresh_adoption --period 2024-03     one month (every branch unless --branch)
refresh_adoption --branch BQ          every month of one branch
refresh_adoption --all --queue        hand the rebuild to the worker and return
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from adoption.metrics import freshness
from adoption.models import Branch, RollupDirty
from adoption.months import parse_month


def parse_period(value):
    month = parse_month(value, padded=True)
    if month is None:
        raise CommandError(
            _("Invalid period %(value)s: use YYYY-MM, e.g. 2024-03.") % {"value": value}
        )
    return month


class Command(BaseCommand):
    help = _("Rebuild the monthly adoption rollups from the payments and customers.")

    def add_arguments(self, parser):
        parser.add_argument("--period", action="append", help=_("A month, YYYY-MM (repeatable)."))
        parser.add_argument("--branch", action="append", help=_("A branch code (repeatable)."))
        parser.add_argument("--all", action="store_true", help=_("Every month of every branch."))
        parser.add_argument(
            "--queue", action="store_true", help=_("Hand the work to the worker and return.")
        )

    def handle(
        self, *args, period=None, branch=None, all=False, queue=False, verbosity=1, **options
    ):
        if all and (period or branch):
            raise CommandError(_("--all rebuilds everything: give it no --period or --branch."))
        periods = [parse_period(p) for p in period] if period else None
        branch_ids = self.branch_ids(branch) if branch else None
        if queue:
            self.enqueue(all, periods, branch_ids)
            return
        if not (all or periods or branch_ids):
            waiting = RollupDirty.objects.count()
            if not waiting:
                self.stdout.write(_("Nothing is marked out of date."))
                return
            self.stdout.write(_("Finishing %(count)d out-of-date rollups.") % {"count": waiting})
            freshness.ensure_fresh()
        else:
            with tqdm(desc=_("Months"), unit="", disable=verbosity == 0) as bar:

                def progress(done, total):
                    bar.total = total
                    bar.update(done - bar.n)

                freshness.refresh(periods, branch_ids, progress=progress)
        when = timezone.localtime(freshness.data_as_of())
        self.stdout.write(
            self.style.SUCCESS(
                _("Rollups up to date: data as of %(when)s.")
                % {"when": when.strftime("%d/%m/%Y %H:%M:%S")}
            )
        )

    def enqueue(self, all, periods, branch_ids):
        from adoption import jobs, tasks

        if all or periods or branch_ids:
            queued = jobs.enqueue(tasks.rebuild_rollups, periods, branch_ids)
        else:
            queued = jobs.enqueue(tasks.fill_rollups)
        if not queued:
            raise CommandError(_("The queue is unreachable: nothing was handed to the worker."))
        self.stdout.write(self.style.SUCCESS(_("Handed to the worker.")))

    def branch_ids(self, codes):
        found = dict(Branch.objects.filter(code__in=codes).values_list("code", "id"))
        unknown = sorted(set(codes) - set(found))
        if unknown:
            known = ", ".join(Branch.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("Unknown branch %(codes)s. Known branches: %(known)s.")
                % {"codes": ", ".join(unknown), "known": known or "-"}
            )
        return list(found.values())
