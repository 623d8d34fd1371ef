"""Keep the rollups honest: every saved or deleted payment or customer records the (period,
branch) rollups it makes stale, in the transaction that changes it; or, for one payment or one
customer while the rollups are up to date, adds its difference to them at once
(adoption.rollup_deltas). A channel's classification changes only through
adoption.channel_history, which marks its own.

Marked before the change is written (the instance holds the new values, the table the old),
so a crash between the two leaves at worst a marker too many, never one too few. Bulk paths
(imports, QuerySet.update, bulk_create) send no signals: they call dirty.mark_dirty or
freshness.refresh themselves. Fixture loading (raw saves) is left to an explicit refresh.
"""

from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from . import channel_history, rollup_deltas
from .metrics import dirty
from .models import Customer, Payment, PaymentChannel
from .rollup_deltas import CUSTOMER_FIELDS


def _branch_of(customer_id, period):
    """The branch whose rollups hold this customer's figures for the period."""
    return dirty.branch_for_period(customer_id, period)


@receiver(pre_save, sender=Payment)
def payment_saving(sender, instance, raw=False, **kwargs):
    if raw:
        return
    cells = set()
    old = None
    if instance.pk:
        old = Payment.objects.filter(pk=instance.pk).values("period", "customer_id").first()
    if _payment_delta(instance, old):
        return
    if old:
        cells.add((old["period"], _branch_of(old["customer_id"], old["period"])))
    if instance.period and instance.customer_id:
        cells.add((instance.period, _branch_of(instance.customer_id, instance.period)))
    for period, branch_id in cells:
        dirty.mark_dirty([period], [branch_id])


def _payment_delta(instance, old):
    """The payment's difference applied to the rollups, when it can be (one customer's)."""
    customer_id = instance.customer_id
    if not (customer_id and instance.period and instance.channel_id) or instance.amount is None:
        return False
    if old and old["customer_id"] != customer_id:
        return False
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return False
    state = rollup_deltas.customer_state(customer)
    before = rollup_deltas.payments_of(customer_id)
    added = rollup_deltas.paid(instance)
    if added is None:
        return False
    # A reversed payment counts nowhere (adoption.reversals).
    counted = [] if instance.reversed_at else [added]
    after = [*rollup_deltas.payments_of(customer_id, exclude_pk=instance.pk), *counted]
    return rollup_deltas.apply(customer_id, state, state, before, after)


@receiver(pre_delete, sender=Payment)
def payment_deleting(sender, instance, **kwargs):
    customer = Customer.objects.filter(pk=instance.customer_id).first()
    if customer is not None:
        state = rollup_deltas.customer_state(customer)
        before = rollup_deltas.payments_of(customer.pk)
        after = rollup_deltas.payments_of(customer.pk, exclude_pk=instance.pk)
        if rollup_deltas.apply(customer.pk, state, state, before, after):
            return
    dirty.mark_dirty([instance.period], [_branch_of(instance.customer_id, instance.period)])


@receiver(pre_save, sender=Customer)
def customer_saving(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = Customer.objects.filter(pk=instance.pk).first() if instance.pk else None
    if old and all(getattr(old, f) == getattr(instance, f) for f in CUSTOMER_FIELDS):
        return
    if old:
        payments = rollup_deltas.payments_of(old.pk)
        old_state, new_state = (
            rollup_deltas.customer_state(old),
            rollup_deltas.customer_state(instance),
        )
        if rollup_deltas.apply(old.pk, old_state, new_state, payments, payments):
            return
    dirty.mark_customer_dirty(instance, old)


@receiver(pre_delete, sender=Customer)
def customer_deleting(sender, instance, **kwargs):
    dirty.mark_customer_dirty(instance)


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
