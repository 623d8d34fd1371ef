"""Keep the rollups honest: every saved or deleted payment, customer or channel records the
(period, branch) rollups it makes stale, in the transaction that changes it.

Marked before the change is written (the instance holds the new values, the table the old),
so a crash between the two leaves at worst a marker too many, never one too few. Bulk paths
(imports, QuerySet.update, bulk_create) send no signals: they call metrics.mark_dirty or
metrics.refresh themselves. Fixture loading (raw saves) is left to an explicit refresh.
"""

from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from . import metrics
from .models import Customer, Payment, PaymentChannel

# The customer fields the rollups group or count by.
CUSTOMER_FIELDS = ("branch_id", "commune_id", "customer_type", "connected_on", "disconnected_on")


def _branch_of(customer_id, period):
    """The branch whose rollups hold this customer's figures for the period."""
    return metrics.branch_for_period(customer_id, period)


@receiver(pre_save, sender=Payment)
def payment_saving(sender, instance, raw=False, **kwargs):
    if raw:
        return
    cells = set()
    if instance.pk:
        old = Payment.objects.filter(pk=instance.pk).values("period", "customer_id").first()
        if old:
            cells.add((old["period"], _branch_of(old["customer_id"], old["period"])))
    if instance.period and instance.customer_id:
        cells.add((instance.period, _branch_of(instance.customer_id, instance.period)))
    for period, branch_id in cells:
        metrics.mark_dirty([period], [branch_id])


@receiver(pre_delete, sender=Payment)
def payment_deleting(sender, instance, **kwargs):
    metrics.mark_dirty([instance.period], [_branch_of(instance.customer_id, instance.period)])


@receiver(pre_save, sender=Customer)
def customer_saving(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = Customer.objects.filter(pk=instance.pk).first() if instance.pk else None
    if old and all(getattr(old, f) == getattr(instance, f) for f in CUSTOMER_FIELDS):
        return
    metrics.mark_customer_dirty(instance, old)


@receiver(pre_delete, sender=Customer)
def customer_deleting(sender, instance, **kwargs):
    metrics.mark_customer_dirty(instance)


@receiver(pre_save, sender=PaymentChannel)
def channel_saving(sender, instance, raw=False, **kwargs):
    """A channel that turns cash (or stops being cash) changes every month it was used in."""
    if raw or not instance.pk:
        return
    old = PaymentChannel.objects.filter(pk=instance.pk).values_list("is_cash", flat=True).first()
    if old is None or old == instance.is_cash:
        return
    used = (
        Payment.objects.filter(channel_id=instance.pk)
        .values_list("period", "customer__branch_id")
        .distinct()
    )
    by_period = {}
    for period, branch_id in used:
        by_period.setdefault(period, set()).add(branch_id)
    # A past period's figures sit in the branch of that period, maybe not the customer's now.
    related = metrics.branches_sharing_customers()
    for period, branch_ids in by_period.items():
        metrics.mark_dirty([period], {r for b in branch_ids for r in related[b]})
