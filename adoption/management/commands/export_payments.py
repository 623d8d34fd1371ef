import csv

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from adoption.importers.payments import COLUMNS
from adoption.importers.values import BadValue, parse_period
from adoption.models import Payment


class Command(BaseCommand):
    help = (
        "Export payments to a CSV file in the columns import_payments reads, so the file can "
        "be imported again (elsewhere, or here: every row is then skipped)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--period", help="Only this bill month, YYYY-MM or MM/YYYY.")

    def handle(self, *args, file, period, **options):
        payments = Payment.objects.order_by("pk")
        if period:
            try:
                payments = payments.filter(period=parse_period(period))
            except BadValue as error:
                raise CommandError(str(error)) from None
        rows = payments.values_list(
            "customer__code", "period", "amount", "channel__code", "paid_at", "reference"
        )
        count = 0
        with open(file, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for customer, month, amount, channel, paid_at, reference in rows.iterator(
                chunk_size=10_000
            ):
                writer.writerow(
                    [
                        customer,
                        f"{month:%Y-%m}",
                        amount,
                        channel,
                        timezone.localtime(paid_at).isoformat(),
                        reference,
                    ]
                )
                count += 1
        message = _("%(count)s payments written to %(file)s.")
        self.stdout.write(message % {"count": count, "file": file})
