from adoption.choices import ImportKind

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import payments from a CSV or XLSX file with the columns customer_code, period, "
        "amount, channel_code, paid_at, reference. Payments already present (same channel "
        "and reference) are skipped."
    )
    kind = ImportKind.PAYMENTS
