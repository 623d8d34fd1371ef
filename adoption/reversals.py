"""Reversals: a refund or a failed debit takes one payment out of every count.

A reversal names the payment it reverses by its natural key, channel and partner reference,
and gives its amount. It is refused, with the reason and nothing written, when no such payment
exists, when the payment is already reversed, when its amount is not the payment's (larger: it
would reverse money never paid; smaller: a partial refund — reverse the whole payment and
import the corrected one), or when the payment's month is locked (adoption.closing). Nothing
is deleted: the payment stays, marked reversed (Payment.reversed_at), beside its Reversal row
(who, when, why, from which import).

Two ways in, one set of checks (problems()): `reverse()` for one payment, and the importer of
reversal files (adoption.importers.reversals: `import_reversals`, the admin's Imports page).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import closing, rollup_deltas
from .formatting import vnd
from .metrics import dirty
from .models import Customer, Payment, Reversal


def problems(payment, amount, reference, locked):
    """What refuses this reversal of `payment` (None: unknown), as (column, message) pairs."""
    if payment is None:
        return [("reference", _("No payment with reference “%s” on this channel.") % reference)]
    if payment["reversed_at"] is not None:
        day = timezone.localtime(payment["reversed_at"]).strftime("%d/%m/%Y")
        return [
            (
                "reference",
                _("Payment “%(ref)s” was already reversed on %(day)s.")
                % {"ref": reference, "day": day},
            )
        ]
    found = []
    if amount is not None and amount > payment["amount"]:
        found.append(
            (
                "amount",
                _("%(amount)s is more than the payment reversed (%(paid)s).")
                % {"amount": vnd(amount), "paid": vnd(payment["amount"])},
            )
        )
    elif amount is not None and amount < payment["amount"]:
        found.append(
            (
                "amount",
                _(
                    "%(amount)s is less than the payment (%(paid)s): reverse the whole payment and "
                    "import the corrected one."
                )
                % {"amount": vnd(amount), "paid": vnd(payment["amount"])},
            )
        )
    if (payment["period"], payment["customer__branch_id"]) in locked:
        found.append(("reference", closing.locked_message(payment["period"])))
    return found


PAYMENT_FIELDS = ("pk", "customer_id", "customer__branch_id", "period", "amount", "reversed_at")


def payments(keys):
    """{(channel id, reference): payment values} for these keys, in one query per channel."""
    by_channel = {}
    for channel_id, reference in keys:
        by_channel.setdefault(channel_id, set()).add(reference)
    found = {}
    for channel_id, references in by_channel.items():
        rows = Payment.objects.filter(channel_id=channel_id, reference__in=references)
        for row in rows.values("reference", *PAYMENT_FIELDS):
            found[channel_id, row["reference"]] = row
    return found


def reverse(channel, reference, amount, kind, user, reason="", reversed_at=None):
    """Reverse one payment; raise ValidationError (nothing written) when refused."""
    with transaction.atomic():
        payment = payments([(channel.pk, reference)]).get((channel.pk, reference))
        if payment is not None:
            Payment.objects.select_for_update().filter(pk=payment["pk"]).first()
            payment = payments([(channel.pk, reference)])[channel.pk, reference]
        refused = problems(payment, amount, reference, closing.locked_cells())
        if refused:
            raise ValidationError([message for _column, message in refused])
        reversal = Reversal.objects.create(
            channel=channel,
            reference=reference,
            period=payment["period"],
            amount=amount,
            kind=kind,
            reason=reason,
            reversed_at=reversed_at or timezone.now(),
            recorded_by=user,
        )
        _take_out(payment, reversal.reversed_at)
    return reversal


def _take_out(payment, when):
    """Mark the payment reversed and bring the rollups along: a delta when they are in step,
    else the cell is marked for the worker."""
    customer = Customer.objects.filter(pk=payment["customer_id"]).first()
    state = rollup_deltas.customer_state(customer)
    before = rollup_deltas.payments_of(customer.pk)
    after = rollup_deltas.payments_of(customer.pk, exclude_pk=payment["pk"])
    applied = rollup_deltas.apply(customer.pk, state, state, before, after)
    Payment.objects.filter(pk=payment["pk"]).update(reversed_at=when)
    if not applied:
        branch = dirty.branch_for_period(customer.pk, payment["period"])
        dirty.mark_dirty([payment["period"]], [branch])
