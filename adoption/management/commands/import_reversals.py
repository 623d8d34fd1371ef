from adoption.choices import ImportKind

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import reversals (refunds, failed debits) from a CSV or XLSX file with the columns "
        "channel_code, reference, amount and optionally kind, reversed_at, reason. Each takes "
        "the payment with that channel and reference out of every count; it is never deleted."
    )
    kind = ImportKind.REVERSALS
