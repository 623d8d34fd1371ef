"""Correct customers' communes after the area reform from a file (CSV or XLSX).

Columns: customer_code, area_code (the official code of the commune the customer lives in
from that date) and, optionally, village (its name in that commune). Every row is checked
first; one bad row refuses the whole file and nothing is written. Each good row corrects the
customer's placement from the date on (the one apply_area_reform made, or a new one): the
months before keep the commune they had.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from . import customer_places
from .choices import AreaLevel
from .importers.files import open_table
from .importers.values import text
from .models import AdminArea, Customer
from .models.validity import in_force

REQUIRED = ("customer_code", "area_code")
OPTIONAL = ("village",)


@dataclass
class CorrectionReport:
    corrected: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # "Row 12, area_code: ..."


def correct_placements(path, on):
    """Check every row, then (if all are good) correct them all in one transaction."""
    table = open_table(path)
    columns = table.match_columns(REQUIRED, OPTIONAL)
    report = CorrectionReport()
    rows = []
    seen = {}
    communes = {}
    existing = (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )
    for commune in AdminArea.objects.filter(existing, level=AreaLevel.COMMUNE).exclude(code=""):
        communes[commune.code] = commune
    for chunk in table.chunks(1000):
        codes = [text(cells[columns["customer_code"]]).upper() for _n, cells in chunk]
        customers = {c.code: c for c in Customer.objects.filter(code__in=codes)}
        for number, cells in chunk:
            rows.append(
                (number, _check_row(number, cells, columns, customers, communes, seen, report))
            )
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for number, (customer, commune, village) in rows:
                _correct(number, customer, commune, village, on, report)
    except ValidationError:
        report.corrected = report.unchanged = 0
    return report


def _correct(number, customer, commune, village, on, report):
    current = customer.placements.filter(in_force(on)).first()
    if current and (current.commune_id, current.village_id) == (
        commune.pk,
        village.pk if village else None,
    ):
        report.unchanged += 1
        return
    try:
        customer_places.move_customer(customer, commune, village, on)
    except ValidationError as exc:
        report.errors.append(
            _("Row %(row)s: %(message)s") % {"row": number, "message": " ".join(exc.messages)}
        )
        raise
    report.corrected += 1


def _check_row(number, cells, columns, customers, communes, seen, report):
    def error(column, message):
        report.errors.append(
            _("Row %(row)s, %(column)s: %(message)s")
            % {"row": number, "column": column, "message": message}
        )

    code = text(cells[columns["customer_code"]]).upper()
    area_code = text(cells[columns["area_code"]])
    village_name = text(cells[columns["village"]]) if "village" in columns else ""
    customer = customers.get(code)
    if customer is None:
        error("customer_code", _("No customer has the code “%s”.") % code)
    elif code in seen:
        error("customer_code", _("Duplicate of row %s: same customer code.") % seen[code])
    seen.setdefault(code, number)
    commune = communes.get(area_code)
    if commune is None:
        error(
            "area_code",
            _("No commune has the code “%s” on that date (use the official code).") % area_code,
        )
    village = None
    if commune is not None and village_name:
        village = AdminArea.objects.filter(
            level=AreaLevel.VILLAGE, parent=commune, name__iexact=village_name
        ).first()
        if village is None:
            error(
                "village",
                _("%(commune)s has no village “%(village)s”.")
                % {"commune": commune, "village": village_name},
            )
    return customer, commune, village
