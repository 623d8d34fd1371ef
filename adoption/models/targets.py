"""Non-cash adoption targets for the company or one branch, by a given month."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .organisation import Branch, Company


class Target(models.Model):
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty for a company-wide target."),
    )
    period = models.DateField(_("by month"), help_text=_("First day of the month."))
    rate = models.DecimalField(_("target non-cash rate (%)"), max_digits=5, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["period"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=Decimal(0)) & Q(rate__lte=Decimal(100)),
                name="target_rate_percent",
                violation_error_message=_("A rate is between 0 and 100%%."),
            ),
            models.CheckConstraint(
                condition=Q(period__day=1),
                name="target_period_month_start",
                violation_error_message=_("The period must be the first day of a month."),
            ),
            models.UniqueConstraint(
                fields=["company", "branch", "period"],
                name="target_unique_branch_period",
                violation_error_message=_("This branch already has a target for this month."),
            ),
            models.UniqueConstraint(
                fields=["company", "period"],
                condition=Q(branch__isnull=True),
                name="target_unique_company_period",
                violation_error_message=_("The company already has a target for this month."),
            ),
        ]

    def __str__(self):
        return f"{self.branch or self.company} {self.period:%m/%Y}: {self.rate}%"

    def clean(self):
        if self.branch_id and self.company_id and self.branch.company_id != self.company_id:
            raise ValidationError(
                {
                    "branch": _("%(branch)s is a branch of %(other)s, not of %(company)s.")
                    % {"branch": self.branch, "other": self.branch.company, "company": self.company}
                }
            )
