"""Visits a branch plans: where it means to go next, when, with which partner and staff."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import AdminArea, record_place_errors
from .channels import Partner
from .organisation import Branch


class OutreachPlan(models.Model):
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="outreach_plans"
    )
    date = models.DateField(_("planned date"))
    commune = models.ForeignKey(
        AdminArea,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "commune"},
    )
    village = models.ForeignKey(
        AdminArea,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"level": "village"},
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_plans",
    )
    staff_names = models.CharField(_("staff"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("planned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outreach plan")
        verbose_name_plural = _("outreach plans")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["branch", "date"])]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.village or self.commune}"

    def clean(self):
        errors = record_place_errors(self)
        if errors:
            raise ValidationError(errors)
