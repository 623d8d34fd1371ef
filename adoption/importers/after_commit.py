"""What an import does once its rows are committed (adoption.importers.run): fresh planner
statistics after a big load, then the refresh of the dashboard's figures and the validation
rules handed to the worker (the import does not wait for them)."""

from django.db import connection
from django.utils.translation import gettext as _

from .. import jobs, partitions, planner_statistics
from ..choices import ImportKind
from ..models import Customer, CustomerPlacement, Payment

# The tables each kind of import loads, analysed after a big load: a customer import also
# places each new customer (CustomerPlacement), a table every fill joins.
ANALYZED = {
    ImportKind.PAYMENTS: (Payment,),
    ImportKind.REVERSALS: (Payment,),
    ImportKind.CUSTOMERS: (Customer, CustomerPlacement),
}


def catch_up(kind, scope, outcome, *, bulk):
    """After the commit of an import that wrote rows: the statistics (after a bulk load), the
    figures of the (period, branch) cells in `scope`, and (not for customers) the rules."""
    if bulk:
        analyze(kind, {period for period, _branch in scope})
    refresh_rollups(scope, outcome)
    if kind != ImportKind.CUSTOMERS:
        validate(scope, outcome)


def periods_and_branches(scope):
    return sorted({period for period, _branch in scope}), sorted({b for _p, b in scope})


def analyze(kind, periods):
    """Fresh planner statistics for the tables a bulk load just grew (adoption.planner_statistics).
    Partitioned payments: only the months written (the rollup fill reads one month at a time,
    and ANALYZE of the whole partitioned table would sample every month)."""
    if kind == ImportKind.PAYMENTS and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if partitions.partitioned(cursor):
                months = partitions.existing(cursor)
                for table in sorted({months.get(p, partitions.DEFAULT_PARTITION) for p in periods}):
                    cursor.execute(f"ANALYZE {table}")
                return
    planner_statistics.analyze(*ANALYZED[kind])


def refresh_rollups(scope, outcome):
    """Have the worker bring the dashboard's monthly figures up to date with the rows just
    written (tasks.rebuild_rollups): a fill is housekeeping, and the import, holding nothing
    any more, is over as soon as its rows are in. The months were marked dirty with the rows,
    so a fill that fails or never runs is caught up by the worker's sweep; until then the pages
    show "updating"."""
    from ..tasks import rebuild_rollups

    if not scope:
        return
    periods, branch_ids = periods_and_branches(scope)
    if not jobs.enqueue(rebuild_rollups, periods, branch_ids):
        # The rows are in; only the figures lag. Say so rather than fail the import.
        outcome.warnings.append(
            _(
                "The rows are imported, but the dashboard figures could not be refreshed; "
                "they will catch up at the next refresh."
            )
        )


def validate(scope, outcome):
    """The validation rules on the months the import wrote to, and the months' status: a job
    for the worker (they read whole months; the import does not wait for them)."""
    from ..tasks import check_import

    if not jobs.enqueue(check_import, sorted(scope)):
        outcome.warnings.append(
            _("The rows are imported, but the validation rules could not run; run them again.")
        )
