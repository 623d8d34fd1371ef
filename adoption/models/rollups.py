"""Pre-aggregated monthly counts that every chart and table reads.

Filled only by adoption.metrics; see docs/metrics.md for what each count means.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import ChannelKind, CustomerType
from .areas import AdminArea
from .channels import PaymentChannel
from .organisation import Branch, Company

MONTH_START = Q(period__day=1)


class MonthCounts(models.Model):
    """The counts every monthly rollup holds (their meaning: adoption/metrics/definitions.py)."""

    active_customers = models.PositiveIntegerField(default=0)
    paying_customers = models.PositiveIntegerField(default=0)
    noncash_customers = models.PositiveIntegerField(default=0)
    payments = models.PositiveIntegerField(default=0)
    noncash_payments = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    noncash_amount = models.BigIntegerField(default=0)
    new_noncash_customers = models.PositiveIntegerField(default=0)
    back_to_cash_customers = models.PositiveIntegerField(default=0)
    cohort_6m_customers = models.PositiveIntegerField(default=0)
    retained_6m_customers = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CommuneMonth(MonthCounts):
    period = models.DateField(_("period"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(AdminArea, on_delete=models.PROTECT, related_name="+")
    customer_type = models.CharField(max_length=20, choices=CustomerType.choices)

    class Meta:
        verbose_name = _("commune month rollup")
        verbose_name_plural = _("commune month rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "branch", "commune", "customer_type"],
                name="commune_month_unique",
            ),
            models.CheckConstraint(condition=MONTH_START, name="commune_month_period_start"),
        ]
        indexes = [models.Index(fields=["branch", "period"], name="commune_month_branch")]


class BranchMonth(MonthCounts):
    """CommuneMonth summed over communes: what branch and company figures read, a few
    thousand rows for five years."""

    period = models.DateField(_("period"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    # The company the branch belonged to that month (its BranchVersion then).
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    customer_type = models.CharField(max_length=20, choices=CustomerType.choices)

    class Meta:
        verbose_name = _("branch month rollup")
        verbose_name_plural = _("branch month rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "branch", "customer_type"], name="branch_month_unique"
            ),
            models.CheckConstraint(condition=MONTH_START, name="branch_month_period_start"),
        ]
        indexes = [models.Index(fields=["company", "period"], name="branch_month_company")]


class ChannelMonth(models.Model):
    period = models.DateField(_("period"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    channel = models.ForeignKey(PaymentChannel, on_delete=models.PROTECT, related_name="+")
    # The channel's kind in force for the period (ChannelClassification), not today's.
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    customer_type = models.CharField(max_length=20, choices=CustomerType.choices)
    payments = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("channel month rollup")
        verbose_name_plural = _("channel month rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "branch", "channel", "customer_type"],
                name="channel_month_unique",
            ),
            models.CheckConstraint(condition=MONTH_START, name="channel_month_period_start"),
        ]
        indexes = [models.Index(fields=["branch", "period"], name="channel_month_branch")]


class RollupDirty(models.Model):
    """A (period, branch) whose rollups no longer match the raw rows; the next read refills it."""

    period = models.DateField()
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "branch"], name="rollup_dirty_unique")
        ]


class RollupState(models.Model):
    """How far the rollups are filled; a fill that started but never finished is redone."""

    name = models.CharField(max_length=50, unique=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    # Data as of: the newest change the rollups are known to include.
    data_as_of = models.DateTimeField(null=True)


class FirstNoncash(models.Model):
    """The first bill period a customer paid through a non-cash channel.

    Derived from the payments and kept by adoption.metrics, so the adoption flow counts of a
    month need not scan every earlier month.
    """

    customer = models.OneToOneField(
        "adoption.Customer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    period = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=MONTH_START, name="first_noncash_period_start")
        ]
        indexes = [models.Index(fields=["period"], name="first_noncash_period")]
