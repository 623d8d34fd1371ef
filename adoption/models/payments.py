"""Payment events, and the imports that brought them in."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from ..choices import ImportKind, ImportStatus
from .channels import PaymentChannel
from .customers import Customer

# The largest single payment accepted: 100 billion VND, far above any electricity bill. A
# month's rollup sums many payments; with this bound they stay far inside a 64-bit integer, so
# no row can make the fill (and with it every dashboard read) overflow.
MAX_AMOUNT = 100_000_000_000
# Payments are dated from 2000 on (electronic billing records start later): every moment then
# converts to and from any zone, which 0001-01-01 with a negative offset does not. The importer
# also refuses moments more than a day ahead of its clock (adoption.importers.values).
EARLIEST_PAID_AT = datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
# The database's upper bound is fixed, far from the calendar's end (a CHECK cannot read a clock).
PAID_AT_BEFORE = datetime(2100, 1, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


class ImportBatch(models.Model):
    """One run of an import: who, when, which file, and what became of its rows."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_skipped = models.PositiveIntegerField(
        _("rows skipped"), default=0, help_text=_("Already present, e.g. from an earlier import.")
    )
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    message = models.TextField(_("message"), blank=True)
    rejects_file = models.CharField(_("rejected rows file"), max_length=500, blank=True)
    # An admin import runs as a worker job (adoption.import_jobs): the uploaded file waits in
    # IMPORT_UPLOADS_DIR until the job has read it, then is deleted.
    upload_file = models.CharField(_("uploaded file"), max_length=500, blank=True)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    # What the worker's check of an admin upload found (counts, first rows, problems), shown
    # until the admin confirms; and the language the admin reads the job's messages in.
    preview = models.JSONField(_("preview"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"


DUPLICATE_REFERENCE = _("This channel already has a payment with this reference.")


class PaymentReference(models.Model):
    """Every (channel, reference) of a payment, once: the global rule that a partner's
    reference identifies one payment, kept here because a partitioned table can only enforce
    keys that include its partition key (adoption.partitions). Narrow on purpose: its primary
    key is the one index an import probes for every row. `period` says where the payment is.

    Written with the payment: by Payment.save() and PaymentQuerySet.bulk_create() for the
    ORM, by the import's SQL (adoption.importers.payments) for files."""

    pk = models.CompositePrimaryKey("channel", "reference")
    # No database foreign key: the payment holds the real one, and a narrow table whose
    # every insert also checked a key would cost what it saves.
    channel = models.ForeignKey(
        PaymentChannel, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+",
    )  # fmt: skip
    reference = models.CharField(max_length=64)
    period = models.DateField()

    class Meta:
        verbose_name = _("payment reference")
        verbose_name_plural = _("payment references")

    def __str__(self):
        return f"{self.channel_id} {self.reference}"


class PaymentQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Payments and their references together; a known reference is refused as by
        save(). Skipping known references is the importer's job (set-based, in SQL)."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise TypeError("Payments skip known references through the importer only.")
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            PaymentReference.objects.using(self.db).bulk_create(
                PaymentReference(channel_id=p.channel_id, reference=p.reference, period=p.period)
                for p in objs
            )
            return super().bulk_create(objs, *args, **kwargs)

    def counted(self):
        """The payments the figures count: not reversed."""
        return self.filter(reversed_at__isnull=True)


# The same, for the fill's SQL (adoption.metrics) with the payment table aliased p.
COUNTED_SQL = "{p}.reversed_at IS NULL"


class Payment(models.Model):
    # PROTECT everywhere: money records are never deleted as a side effect.
    # No index of its own: payment_customer_period starts with the customer.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payments",
        db_index=False,
    )
    period = models.DateField(_("bill period"), help_text=_("First day of the billed month."))
    amount = models.BigIntegerField(_("amount (VND)"))
    channel = models.ForeignKey(
        PaymentChannel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    paid_at = models.DateTimeField(_("paid at"))
    reference = models.CharField(_("partner reference"), max_length=64)
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    # Indexed only where set (payment_entered_by): imported payments, nearly all, have none.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Set by a reversal (adoption.reversals), never cleared: the payment stays, out of every
    # count. Its Reversal row says who, when and why.
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        # No default ordering: on millions of rows an ORDER BY paid_at (unindexed) would sort
        # the whole table for every unsorted query. Lists choose their own order.
        constraints = [
            # A partner's reference identifies a payment, so re-imports cannot double count:
            # kept by PaymentReference, which a partitioned table needs.
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message=_("The amount must be a positive whole number of VND."),
            ),
            # The bounds above, also checked by the importer (adoption.importers.values).
            models.CheckConstraint(
                condition=Q(amount__lte=MAX_AMOUNT),
                name="payment_amount_at_most_max",
                violation_error_message=_("The amount is more than the largest payment accepted."),
            ),
            models.CheckConstraint(
                condition=Q(paid_at__gte=EARLIEST_PAID_AT, paid_at__lt=PAID_AT_BEFORE),
                name="payment_paid_at_in_range",
                violation_error_message=_("A payment is dated from 2000 to 2099."),
            ),
            models.CheckConstraint(
                condition=Q(period__day=1),
                name="payment_period_month_start",
                violation_error_message=_("The bill period must be the first day of a month."),
            ),
        ]
        indexes = [
            # Used by the rollup fill, which works one period at a time.
            models.Index(fields=["period", "customer"], name="payment_period_customer"),
            models.Index(fields=["customer", "period"], name="payment_customer_period"),
            # A user's deletion clears their payments' entered_by: only those are indexed.
            models.Index(
                fields=["entered_by"],
                name="payment_entered_by",
                condition=Q(entered_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.period:%m/%Y} {self.amount}"

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            stored = self._stored_reference()
            if stored is not None:
                PaymentReference.objects.filter(channel_id=stored[0], reference=stored[1]).delete()
            super().save(*args, **kwargs)
            PaymentReference.objects.create(
                channel_id=self.channel_id, reference=self.reference, period=self.period
            )

    def _stored_reference(self):
        if self._state.adding:
            return None
        return Payment.objects.filter(pk=self.pk).values_list("channel_id", "reference").first()

    def validate_constraints(self, exclude=None):
        super().validate_constraints(exclude)
        if exclude and {"channel", "reference"} & set(exclude):
            return
        key = (self.channel_id, self.reference)
        if self._stored_reference() == key:
            return  # its own
        if PaymentReference.objects.filter(channel_id=key[0], reference=key[1]).exists():
            raise ValidationError(DUPLICATE_REFERENCE)

    def clean(self):
        # Checked here first: outside these bounds a moment may not even convert to UTC (as
        # the constraint check on SQLite would), and full_clean then skips that check.
        if self.paid_at is not None and not EARLIEST_PAID_AT <= self.paid_at < PAID_AT_BEFORE:
            raise ValidationError({"paid_at": _("A payment is dated from 2000 to 2099.")})


@receiver(post_delete, sender=Payment)
def _forget_reference(sender, instance, using, **kwargs):
    # A payment deleted by hand (imported ones cannot be): its reference may be used again.
    PaymentReference.objects.using(using).filter(
        channel_id=instance.channel_id, reference=instance.reference
    ).delete()
