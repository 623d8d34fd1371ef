from adoption.choices import ImportKind

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import customers from a CSV or XLSX file with the columns customer_code, name, "
        "branch_code, area_code (official commune code), customer_type, connected_on and "
        "optionally disconnected_on. Customers already present are skipped."
    )
    kind = ImportKind.CUSTOMERS
