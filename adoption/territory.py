"""The organisation and territory over time: the one place that changes a branch's company
and name, which branch serves which commune, and where a customer lives.

Every change applies from a date and leaves the months before it as they were. A new branch
or customer gets its first dated fact here too (from the beginning, see models.validity),
so Branch.company/name and Customer.commune/village always have a fact behind them.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Branch, BranchVersion, Customer, CustomerPlacement
from .models.validity import BEGINNING


@receiver(post_save, sender=Branch)
def branch_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        BranchVersion.objects.create(
            branch=instance,
            company_id=instance.company_id,
            name=instance.name,
            valid_from=BEGINNING,
        )
        return
    # A plain edit of the current company or name corrects the current version (a change
    # from a date goes through transfer_branch / rename_branch).
    BranchVersion.objects.filter(branch=instance, valid_to__isnull=True).exclude(
        company_id=instance.company_id, name=instance.name
    ).update(company_id=instance.company_id, name=instance.name)


@receiver(post_save, sender=Customer)
def customer_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        CustomerPlacement.objects.create(
            customer=instance,
            commune_id=instance.commune_id,
            village_id=instance.village_id,
            valid_from=BEGINNING,
        )
        return
    # As for branches: a plain edit corrects the current placement; a move from a date goes
    # through move_customer.
    CustomerPlacement.objects.filter(customer=instance, valid_to__isnull=True).exclude(
        commune_id=instance.commune_id, village_id=instance.village_id
    ).update(commune_id=instance.commune_id, village_id=instance.village_id)


def place_new_customers(customer_ids):
    """The first placement of customers created in bulk (no signals there)."""
    rows = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "commune_id", "village_id"
    )
    CustomerPlacement.objects.bulk_create(
        [
            CustomerPlacement(customer_id=pk, commune_id=c, village_id=v, valid_from=BEGINNING)
            for pk, c, v in rows
        ],
        batch_size=1000,
    )
