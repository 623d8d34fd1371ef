"""Closing a month: reversals of payments, the month's status and its audit trail, branch
sign-offs, partners' control totals, validation findings and the figures as approved.

None of these tables holds a database foreign key to Payment: the payment table is meant to be
partitioned by period, and a partitioned table cannot be referenced by one. A payment is named
by its natural key instead, (channel, reference), with its period beside it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import MonthAction, MonthStatus, ReversalKind, RuleCode, TotalsSource
from .channels import PaymentChannel
from .organisation import Branch, Company
from .payments import ImportBatch

_USER = {
    "to": settings.AUTH_USER_MODEL,
    "on_delete": models.SET_NULL,
    "null": True,
    "blank": True,
    "related_name": "+",
}


class Reversal(models.Model):
    """A refund or failed debit that takes one payment out of every count. Never deleted: the
    payment stays, marked reversed (Payment.reversed_at), and this row says who, when, why."""

    channel = models.ForeignKey(
        PaymentChannel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference of the payment reversed"), max_length=64)
    period = models.DateField(_("bill period"))
    amount = models.BigIntegerField(_("amount (VND)"))
    kind = models.CharField(_("kind"), max_length=20, choices=ReversalKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    reversed_at = models.DateTimeField(_("reversed at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(verbose_name=_("recorded by"), **_USER)
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
    )

    class Meta:
        verbose_name = _("reversal")
        verbose_name_plural = _("reversals")
        constraints = [
            # A payment is reversed once: a second reversal is refused by the database too.
            models.UniqueConstraint(
                fields=["channel", "reference"],
                name="reversal_once_per_payment",
                violation_error_message=_("This payment has already been reversed."),
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reversal_amount_positive"),
        ]

    def __str__(self):
        return f"{self.reference} {self.period:%m/%Y} −{self.amount}"


class MonthClose(models.Model):
    """A company's month and where it stands in its life cycle (choices.MonthStatus)."""

    company = models.ForeignKey(
        Company, verbose_name=_("power company"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=20, choices=MonthStatus.choices, default=MonthStatus.OPEN
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    approved_at = models.DateTimeField(_("approved by the company at"), null=True, blank=True)

    class Meta:
        verbose_name = _("month close")
        verbose_name_plural = _("month closes")
        permissions = [
            ("approve_branch_month", _("Can approve the month of one's own branch")),
            ("approve_company_month", _("Can approve the month of one's company")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "period"], name="month_close_unique"),
            models.CheckConstraint(condition=Q(period__day=1), name="month_close_month_start"),
        ]

    def __str__(self):
        return f"{self.company} {self.period:%m/%Y} {self.get_status_display()}"


class MonthEvent(models.Model):
    """The audit trail of a month: every step, by whom, when and why."""

    company = models.ForeignKey(
        Company, verbose_name=_("power company"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("month"))
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=30, choices=MonthAction.choices)
    user = models.ForeignKey(verbose_name=_("user"), **_USER)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("month event")
        verbose_name_plural = _("month events")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.period:%m/%Y} {self.get_action_display()}"


class BranchSignOff(models.Model):
    """The branch head's approval of the branch's month."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("month"))
    approved_by = models.ForeignKey(verbose_name=_("approved by"), **_USER)
    approved_at = models.DateTimeField(_("approved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("branch sign-off")
        verbose_name_plural = _("branch sign-offs")
        constraints = [
            models.UniqueConstraint(fields=["branch", "period"], name="branch_sign_off_unique")
        ]

    def __str__(self):
        return f"{self.branch} {self.period:%m/%Y}"


class ControlTotal(models.Model):
    """A partner's own count of a channel's month (rows and VND), to reconcile the import
    against. A difference blocks completion until someone explains it."""

    channel = models.ForeignKey(
        PaymentChannel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("month"))
    rows = models.PositiveIntegerField(_("rows"))
    amount = models.BigIntegerField(_("amount (VND)"))
    source = models.CharField(_("source"), max_length=20, choices=TotalsSource.choices)
    entered_by = models.ForeignKey(verbose_name=_("entered by"), **_USER)
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)
    explanation = models.TextField(_("explanation of the difference"), blank=True)

    class Meta:
        verbose_name = _("control total")
        verbose_name_plural = _("control totals")
        constraints = [
            models.UniqueConstraint(fields=["channel", "period"], name="control_total_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="control_total_amount"),
        ]

    def __str__(self):
        return f"{self.channel} {self.period:%m/%Y}: {self.rows} / {self.amount}"


class Finding(models.Model):
    """One row a validation rule flagged for a month (adoption.validation)."""

    period = models.DateField(_("month"))
    rule = models.CharField(_("rule"), max_length=30, choices=RuleCode.choices)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # What to open: a payment by its natural key, or a customer, or a commune's figures.
    channel_id = models.BigIntegerField(_("channel"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    detail = models.TextField(_("detail"))
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("validation finding")
        verbose_name_plural = _("validation findings")
        indexes = [models.Index(fields=["period", "rule"], name="finding_period_rule")]

    def __str__(self):
        return f"{self.period:%m/%Y} {self.get_rule_display()}: {self.detail}"


class ReportedFigures(models.Model):
    """A branch's counts of a month as the company approved them: later restatements (late
    payments, reversals) are shown beside them, never written over them."""

    company = models.ForeignKey(
        Company, verbose_name=_("power company"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("month"))
    approved_at = models.DateTimeField(_("approved at"))
    active_customers = models.PositiveIntegerField(_("active customers"))
    noncash_customers = models.PositiveIntegerField(_("non-cash customers"))
    payments = models.PositiveIntegerField(_("payments"))
    amount = models.BigIntegerField(_("amount (VND)"))

    class Meta:
        verbose_name = _("figures as reported")
        verbose_name_plural = _("figures as reported")
        constraints = [
            models.UniqueConstraint(fields=["branch", "period"], name="reported_figures_unique")
        ]

    def __str__(self):
        return f"{self.branch} {self.period:%m/%Y}"
