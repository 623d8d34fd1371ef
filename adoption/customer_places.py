"""Where a customer lives over time: the one place that moves a customer from a date, and
that keeps Customer.commune/village/branch in step with the placement in force today.

A customer's first placement is made with the customer (adoption.territory); the 2025 reform
moves everyone at once (adoption.area_reform).
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .dated_changes import change_from, check_month_start, commune_exists_on, mark_from
from .metrics import dirty
from .models import BranchTerritory, Customer, CustomerPlacement
from .models.areas import place_errors
from .models.validity import BEGINNING, in_force


@transaction.atomic
def move_customer(customer, commune, village, on):
    """From `on`, the customer lives in this commune (and village); earlier months keep the
    commune they had."""
    check_month_start(on)
    errors = place_errors(None, commune, village)
    if not commune_exists_on(commune, on):
        errors["commune"] = _("%(commune)s does not exist on %(day)s.") % {
            "commune": commune,
            "day": f"{on:%d/%m/%Y}",
        }
    if errors:
        raise ValidationError(errors)
    _place(customer, commune.pk, village.pk if village else None, on)


def _place(customer, commune_id, village_id, on):
    facts = CustomerPlacement.objects.filter(customer=customer)
    change_from(
        facts,
        on,
        lambda **kw: CustomerPlacement.objects.create(customer=customer, **kw),
        commune_id=commune_id,
        village_id=village_id,
    )
    _sync_customer(customer)


def _sync_customer(customer):
    """Customer.commune/village/branch = their placement in force today and its branch."""
    today = timezone.localdate()
    placement = CustomerPlacement.objects.filter(in_force(today), customer=customer).first()
    if placement is None:
        return
    serving = (
        BranchTerritory.objects.filter(in_force(today), commune_id=placement.commune_id)
        .values_list("branch_id", flat=True)
        .first()
    )
    old_branch = customer.branch_id
    customer.commune_id, customer.village_id = placement.commune_id, placement.village_id
    customer.branch_id = serving or customer.branch_id
    # update(): a save() would send the signals that correct the placement just written.
    Customer.objects.filter(pk=customer.pk).update(
        commune_id=customer.commune_id, village_id=customer.village_id, branch_id=customer.branch_id
    )
    dirty.mark_customer_dirty(customer)
    if old_branch != customer.branch_id:
        mark_from(BEGINNING, [old_branch])


def sync_customers(customer_ids):
    """Customer.commune/village/branch = their placement in force today and the branch that
    serves it (set-based); returns the branches customers moved to."""
    today = timezone.localdate()
    serving = dict(
        BranchTerritory.objects.filter(in_force(today)).values_list("commune_id", "branch_id")
    )
    groups = defaultdict(list)
    rows = CustomerPlacement.objects.filter(in_force(today), customer_id__in=customer_ids)
    for customer_id, commune_id, village_id in rows.values_list(
        "customer_id", "commune_id", "village_id"
    ):
        groups[(commune_id, village_id)].append(customer_id)
    branches = set()
    for (commune_id, village_id), ids in groups.items():
        values = {"commune_id": commune_id, "village_id": village_id}
        if commune_id in serving:
            values["branch_id"] = serving[commune_id]
            branches.add(serving[commune_id])
        for chunk in range(0, len(ids), 1000):
            Customer.objects.filter(pk__in=ids[chunk : chunk + 1000]).update(**values)
    return branches
