"""Customers of the power company (no phone or ID numbers: we do not need them)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import CustomerType
from .areas import AdminArea, record_place_errors
from .organisation import Branch

CUSTOMER_CODE_PATTERN = r"^PA[0-9]{2}[A-Z0-9]{9}$"


class Customer(models.Model):
    code = models.CharField(
        _("customer code"),
        max_length=13,
        unique=True,
        validators=[
            RegexValidator(
                CUSTOMER_CODE_PATTERN,
                _(
                    "A customer code is 13 capital letters or digits starting with PA and two "
                    "digits, e.g. PA20BQ0001234."
                ),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=200)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="customers"
    )
    commune = models.ForeignKey(
        AdminArea,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="customers",
        limit_choices_to={"level": "commune"},
    )
    village = models.ForeignKey(
        AdminArea,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="village_customers",
        limit_choices_to={"level": "village"},
    )
    customer_type = models.CharField(
        _("customer type"),
        max_length=20,
        choices=CustomerType.choices,
        default=CustomerType.HOUSEHOLD,
    )
    connected_on = models.DateField(_("connected on"))
    disconnected_on = models.DateField(_("disconnected on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=CUSTOMER_CODE_PATTERN),
                name="customer_code_format",
                violation_error_message=_(
                    "A customer code is 13 capital letters or digits starting with PA and two "
                    "digits."
                ),
            ),
            models.CheckConstraint(
                condition=Q(disconnected_on__isnull=True)
                | Q(disconnected_on__gte=F("connected_on")),
                name="customer_disconnected_after_connected",
                violation_error_message=_("A customer cannot be disconnected before connection."),
            ),
        ]
        indexes = [models.Index(fields=["branch", "commune"])]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        branch = self.branch if self.branch_id else None
        errors = {}
        # The place is checked when it is set or changed: a customer whose commune a branch
        # served when they were placed stays valid (their moves go through the territory
        # services, dated), and their other fields can still be edited.
        place = {
            "branch_id": self.branch_id,
            "commune_id": self.commune_id,
            "village_id": self.village_id,
        }
        stored = Customer.objects.filter(pk=self.pk).values(*place).first() if self.pk else None
        if stored != place:
            errors = record_place_errors(self)
        # Codes keep the prefix of the company that connected the customer: a branch moved
        # to another company keeps its customers' codes, so any company it belonged to counts.
        if branch is not None and self.code:
            prefixes = set(branch.companies_ever().values_list("customer_code_prefix", flat=True))
            if self.code[:4] not in prefixes:
                errors["code"] = _("Customer codes of %(company)s start with %(prefix)s.") % {
                    "company": branch.company,
                    "prefix": branch.company.customer_code_prefix,
                }
        if errors:
            raise ValidationError(errors)
