"""Customers: check each row against branches and communes, then create the new ones in bulk.

`area_code` is the official (General Statistics Office) code of the customer's commune;
villages have no official code, so they are not imported here. A customer whose code is
already known is skipped, never overwritten: the billing system's file can be imported again.
"""

import re
from collections import defaultdict

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from ..area_reform import follow_reforms
from ..choices import AreaLevel, CustomerType, ImportKind
from ..models import AdminArea, Branch, BranchTerritory, BranchVersion, Customer
from ..models.customers import CUSTOMER_CODE_PATTERN
from ..territory import place_new_customers
from . import checks
from .base import Importer
from .values import BadValue, month_start, parse_date, text

REQUIRED = ("customer_code", "name", "branch_code", "area_code", "customer_type", "connected_on")
OPTIONAL = ("disconnected_on",)
CODE = re.compile(CUSTOMER_CODE_PATTERN)
NAME_MAX = Customer._meta.get_field("name").max_length
# Lazy: translated only for a row that has the problem.
UNKNOWN_BRANCH = gettext_lazy("Unknown branch “%s”.")
NAME_TOO_LONG = gettext_lazy("A name has at most %s characters.")


def _next(month):
    return (
        month.replace(year=month.year + 1, month=1)
        if month.month == 12
        else month.replace(month=month.month + 1)
    )


class CustomerImport(Importer):
    kind = ImportKind.CUSTOMERS
    required = REQUIRED
    optional = OPTIONAL

    def __init__(self, *, user, today):
        super().__init__(user=user, today=today)
        self.branches = {
            b.code.upper(): b for b in Branch.objects.select_related("company", "district")
        }
        self.branch_names = {b.pk: b.name for b in self.branches.values()}
        # Codes keep the prefix of any company the branch belonged to (see Customer.clean).
        self.prefixes = {b.pk: {b.company.customer_code_prefix} for b in self.branches.values()}
        for branch_id, prefix in BranchVersion.objects.values_list(
            "branch_id", "company__customer_code_prefix"
        ):
            self.prefixes.setdefault(branch_id, set()).add(prefix)
        self.communes = {}
        for area in (
            AdminArea.objects.filter(level=AreaLevel.COMMUNE)
            .exclude(code="")
            .only("pk", "code", "name", "parent_id", "valid_from", "valid_to")
        ):
            self.communes.setdefault(area.code, []).append(area)
        # Which branch serves each commune when (BranchTerritory): a branch's area is dated,
        # not its district (districts were abolished in 2025).
        self.territory = defaultdict(list)
        for commune_id, branch_id, valid_from, valid_to in BranchTerritory.objects.values_list(
            "commune_id", "branch_id", "valid_from", "valid_to"
        ):
            self.territory[commune_id].append((branch_id, valid_from, valid_to))
        # A type is written as its value or its label, in English or in the user's language.
        with translation.override("en"):
            self.types = {str(label).lower(): value for value, label in CustomerType.choices}
        self.types.update({str(label).lower(): value for value, label in CustomerType.choices})
        self.types.update({value: value for value in CustomerType.values})
        self.affected_branches = set()
        self.first_month = None

    def _commune(self, code, on):
        """The commune with this code valid on the date (codes were reused in 2025)."""
        candidates = self.communes.get(code, [])
        if len(candidates) > 1:
            valid = [
                a
                for a in candidates
                if (a.valid_from is None or a.valid_from <= on)
                and (a.valid_to is None or on <= a.valid_to)
            ]
            candidates = valid or [a for a in candidates if a.valid_to is None]
        return candidates[0] if len(candidates) == 1 else None

    def _territory_problem(self, commune, branch, connected_on):
        """Why the branch may not have this customer: it must serve the commune in the month
        of the connection (or, for a commune created later, in the commune's first month).
        None when it does."""
        on = month_start(connected_on)
        if commune.valid_from is not None and commune.valid_from > on:
            on = month_start(commune.valid_from)
        serving = next(
            (
                branch_id
                for branch_id, valid_from, valid_to in self.territory.get(commune.pk, ())
                if valid_from <= on and (valid_to is None or on <= valid_to)
            ),
            None,
        )
        if serving == branch.pk:
            return None
        values = {"commune": commune.name, "branch": branch.name, "month": f"{on:%m/%Y}"}
        if serving is None:
            return _("%(commune)s is served by no branch in %(month)s.") % values
        values["other"] = self.branch_names.get(serving, "?")
        return _("%(commune)s is served by %(other)s, not by %(branch)s, in %(month)s.") % values

    def check(self, chunk):
        at = self.columns
        for number, cells in chunk:
            cell = {name: cells[index] for name, index in at.items()}.get
            branch, branch_problem = checks.known(
                self.branches, cell("branch_code"), UNKNOWN_BRANCH
            )
            connected_on, connected_problem = self._connected_on(cell("connected_on"))
            checked = {
                "customer_code": self._code(cell("customer_code"), branch),
                "name": checks.limited(cell("name"), NAME_MAX, NAME_TOO_LONG),
                "branch_code": (branch, branch_problem),
                "customer_type": self._type(cell("customer_type")),
                "connected_on": (connected_on, connected_problem),
                "disconnected_on": self._disconnected_on(cell("disconnected_on"), connected_on),
                "area_code": self._area(cell("area_code"), branch, connected_on),
            }
            problems = [(column, problem) for column, (_v, problem) in checked.items() if problem]
            if problems:
                yield number, cells, None, problems
                continue
            values = {column: value for column, (value, _p) in checked.items()}
            record = Customer(
                code=values["customer_code"],
                name=values["name"],
                branch=branch,
                commune_id=values["area_code"].pk,
                customer_type=values["customer_type"],
                connected_on=connected_on,
                disconnected_on=values["disconnected_on"],
            )
            self.duplicates.add(record.code, number)
            yield number, cells, record, []

    # One checker per column: (value, None) or (None, the problem).

    def _code(self, cell, branch):
        """A well-formed code with the prefix of a company the branch belonged to."""
        code = text(cell).upper()
        if not code:
            return None, checks.required()
        if not CODE.fullmatch(code):
            message = _(
                "“%s” is not a customer code: 13 capital letters or digits starting "
                "with PA and two digits, e.g. PA20BQ0001234."
            )
            return None, message % code
        if branch is not None and code[:4] not in self.prefixes[branch.pk]:
            values = {"company": branch.company.name, "prefix": branch.company.customer_code_prefix}
            return None, _("Customer codes of %(company)s start with %(prefix)s.") % values
        return code, None

    def _type(self, cell):
        written = text(cell)
        value = self.types.get(written.lower())
        if value is None:
            message = _("Unknown customer type “%(type)s”; use one of: %(types)s.")
            types = ", ".join(CustomerType.values)
            return None, checks.unknown(message, written, type=written, types=types)
        return value, None

    def _connected_on(self, cell):
        try:
            connected_on = parse_date(cell)
        except BadValue as error:
            return None, str(error)
        if connected_on > self.today:
            return None, _("%s is in the future.") % f"{connected_on:%d/%m/%Y}"
        return connected_on, None

    def _disconnected_on(self, cell, connected_on):
        """Optional; not in the future, nor before the connection (when that is known)."""
        try:
            disconnected_on = parse_date(cell, required=False)
        except BadValue as error:
            return None, str(error)
        if disconnected_on and disconnected_on > self.today:
            return None, _("%s is in the future.") % f"{disconnected_on:%d/%m/%Y}"
        if disconnected_on and connected_on and disconnected_on < connected_on:
            return None, _("A customer cannot be disconnected before connection.")
        return disconnected_on, None

    def _area(self, cell, branch, connected_on):
        """The commune of this official code, served by the branch when the customer was
        connected (checked once both are known)."""
        area_code = text(cell)
        if not area_code:
            return None, checks.required()
        commune = self._commune(area_code, connected_on or self.today)
        if commune is None:
            message = _("Unknown commune code “%s” (use the official code of the commune).")
            return None, message % area_code
        if branch is not None and connected_on is not None:
            problem = self._territory_problem(commune, branch, connected_on)
            if problem:
                return None, problem
        return commune, None

    def duplicate_problem(self, cells, first):
        """The problem of a row that repeats row `first`'s customer code."""
        return ("customer_code", _("Duplicate of row %s: same customer code.") % first)

    def write(self, records):
        known = set(
            Customer.objects.filter(code__in=[r.code for r in records]).values_list(
                "code", flat=True
            )
        )
        # Also the repeats within the chunk: the first row of a code is the one created; the
        # importer reports every repeat at the end (duplicates).
        new = [r for r in records if r.code not in known and not known.add(r.code)]
        if not new:
            return
        bulk_create_with_history(
            new,
            Customer,
            batch_size=500,
            default_user=self.user,
            default_change_reason=_("Imported from a file"),
        )
        self.written += len(new)
        ids = list(
            Customer.objects.filter(code__in=[r.code for r in new]).values_list("pk", flat=True)
        )
        place_new_customers(ids)
        # A commune that has ceased since the connection: on to its successor, as the reform
        # moved every customer already there (their branch may change with it).
        self.affected_branches |= follow_reforms(ids)
        for customer in new:
            self.affected_branches.add(customer.branch_id)
            month = month_start(customer.connected_on)
            if self.first_month is None or month < self.first_month:
                self.first_month = month

    def refresh_scope(self):
        """Every month from the earliest new connection to now, in the branches concerned."""
        if self.first_month is None:
            return set()
        months = []
        month, last = self.first_month, month_start(self.today)
        while month <= last:
            months.append(month)
            month = _next(month)
        return {(m, b) for m in months for b in self.affected_branches}
