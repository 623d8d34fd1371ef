"""Keep the rollups honest: every saved or deleted payment or customer records the (period,
branch) rollups it makes stale, in the transaction that changes it (a channel's
classification changes only through adoption.channel_history, which marks its own).

Marked before the change is written (the instance holds the new values, the table the old),
so a crash between the two leaves at worst a marker too many, never one too few. Bulk paths
(imports, QuerySet.update, bulk_create) send no signals: they call metrics.mark_dirty or
metrics.refresh themselves. Fixture loading (raw saves) is left to an explicit refresh.
"""

from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from . import channel_history, metrics
from .models import Customer, Payment, PaymentChannel

# The customer fields the rollups group or count by.
CUSTOMER_FIELDS = ("branch_id", "commune_id", "customer_type", "connected_on", "disconnected_on")


def _branch_of(customer_id):
    return Customer.objects.filter(pk=customer_id).values_list("branch_id", flat=True).first()


@receiver(pre_save, sender=Payment)
def payment_saving(sender, instance, raw=False, **kwargs):
    if raw:
        return
    cells = set()
    if instance.pk:
        old = Payment.objects.filter(pk=instance.pk).values("period", "customer_id").first()
        if old:
            cells.add((old["period"], _branch_of(old["customer_id"])))
    if instance.period and instance.customer_id:
        cells.add((instance.period, _branch_of(instance.customer_id)))
    for period, branch_id in cells:
        metrics.mark_dirty([period], [branch_id])


@receiver(pre_delete, sender=Payment)
def payment_deleting(sender, instance, **kwargs):
    metrics.mark_dirty([instance.period], [_branch_of(instance.customer_id)])


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
    """A channel's kind and cash flag change only through adoption.channel_history, which
    dates the change and marks the months it alters; a plain save that changes them would
    rewrite every month the channel was used in, so it is refused."""
    if raw or not instance.pk:
        return
    old = PaymentChannel.objects.filter(pk=instance.pk).values("kind", "is_cash").first()
    if old and (old["kind"], old["is_cash"]) != (instance.kind, instance.is_cash):
        raise ValidationError(
            _("A channel's kind and cash flag change only by reclassifying it from a month.")
        )


@receiver(post_save, sender=PaymentChannel)
def channel_saved(sender, instance, created, raw=False, **kwargs):
    """A new channel is classified as created from the beginning (channel_history.BEGINNING)."""
    if created and not raw:
        channel_history.record_first(instance)
