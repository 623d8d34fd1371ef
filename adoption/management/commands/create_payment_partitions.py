"""Create the payments partitions of the coming months (PostgreSQL; docs/operations.md).

create_payment_partitions              this month and the next 12
create_payment_partitions --months 24  this month and the next 24

Run it monthly (cron or a worker schedule). Nothing breaks if it is forgotten: a payment for
a month without a partition lands in the default partition, and an import makes the months it
needs; this only keeps those months in their own partitions. Payments of a month that waited
in the default partition move into the month's new partition.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from adoption import partitions


class Command(BaseCommand):
    help = _("Create the payments partitions of the coming months.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--months", type=int, default=12, help=_("How many months ahead (default 12).")
        )

    def handle(self, *args, months, **options):
        if not 0 <= months <= 120:
            raise CommandError(_("--months must be between 0 and 120."))
        with transaction.atomic(), connection.cursor() as cursor:
            if not partitions.partitioned(cursor):
                self.stdout.write(
                    _("Payments are not partitioned on this database: nothing to do.")
                )
                return
            today = timezone.localdate()
            created = partitions.create_ahead(cursor, date(today.year, today.month, 1), months + 1)
        for month in created:
            self.stdout.write(
                _("Created the partition of %(month)s.") % {"month": f"{month:%m/%Y}"}
            )
        if not created:
            self.stdout.write(_("Every partition already exists."))
