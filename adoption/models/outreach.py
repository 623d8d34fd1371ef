"""Field outreach: village visits where staff help households register for non-cash payment."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .areas import AdminArea, record_place_errors
from .channels import Partner
from .customers import Customer
from .organisation import Branch

# Reasons for staying with cash that households name; each is a count field on the activity.
BARRIER_FIELDS = (
    "barrier_cash_habit",
    "barrier_no_smartphone",
    "barrier_no_bank_account",
    "barrier_fees",
    "barrier_distance",
    "barrier_language",
    "barrier_distrust",
)

COUNT_FIELDS = ("households_reached", "registrations", "accounts_opened", "gifts") + BARRIER_FIELDS
# No village visit reaches more households than this: a bigger count is a typing slip.
MAX_COUNT = 100_000


def year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def year_after(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def date_error(day, today):
    """Why an activity cannot be dated `day` (recorded today), or None.

    Outreach is recorded as it happens: not ahead, and at most a year late."""
    if day > today:
        return _("The date cannot be in the future.")
    if day < year_before(today):
        return _("The date cannot be more than a year ago.")
    return None


class OutreachActivity(models.Model):
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="outreach"
    )
    date = models.DateField(_("date"))
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
        related_name="outreach",
    )
    staff_names = models.CharField(_("staff"), max_length=300, blank=True)
    households_reached = models.PositiveIntegerField(_("households reached"), default=0)
    registrations = models.PositiveIntegerField(_("registrations for non-cash payment"), default=0)
    accounts_opened = models.PositiveIntegerField(_("accounts or wallets opened"), default=0)
    gifts = models.PositiveIntegerField(_("gifts handed out"), default=0)
    barrier_cash_habit = models.PositiveIntegerField(_("cash habit"), default=0)
    barrier_no_smartphone = models.PositiveIntegerField(_("no smartphone"), default=0)
    barrier_no_bank_account = models.PositiveIntegerField(_("no bank account"), default=0)
    barrier_fees = models.PositiveIntegerField(_("account or transfer fees"), default=0)
    barrier_distance = models.PositiveIntegerField(_("distance to a bank or agent"), default=0)
    barrier_language = models.PositiveIntegerField(_("language"), default=0)
    barrier_distrust = models.PositiveIntegerField(_("distrust"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Sent with the entry form; a second submit of the same form finds this and records nothing.
    submission_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("outreach activity")
        verbose_name_plural = _("outreach activities")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registrations__lte=F("households_reached")),
                name="outreach_registrations_within_households",
                violation_error_message=_("Registrations cannot exceed the households reached."),
            ),
        ] + [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 0}),
                name=f"outreach_{name}_not_negative",
                violation_error_message=_("Counts are whole numbers, zero or more."),
            )
            for name in COUNT_FIELDS
        ]
        indexes = [models.Index(fields=["branch", "date"])]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.commune}"

    def clean(self):
        """The rules every form follows, the admin's included (adoption.forms adds the place
        rules that depend on who records the activity)."""
        errors = record_place_errors(self, on=self.date)
        for name in COUNT_FIELDS:
            if (getattr(self, name) or 0) > MAX_COUNT:
                errors[name] = _("At most %(max)s.") % {"max": f"{MAX_COUNT:,}".replace(",", ".")}
        if self.date is not None:
            # A date kept as it was recorded stays valid; a new or changed one must be recent.
            recorded = None
            if self.pk:
                recorded = (
                    type(self).objects.filter(pk=self.pk).values_list("date", flat=True).first()
                )
            error = None if self.date == recorded else date_error(self.date, timezone.localdate())
            # A locked month's outreach was approved with its figures: it stays as it was.
            from ..closing import locked_error

            error = error or (self.branch_id and locked_error(self.branch_id, self.date, recorded))
            if error:
                errors["date"] = error
        if errors:
            raise ValidationError(errors)


class OutreachRegistration(models.Model):
    """A customer registered at an activity, so their later payments can be followed."""

    activity = models.ForeignKey(
        OutreachActivity,
        verbose_name=_("outreach activity"),
        on_delete=models.CASCADE,
        related_name="registered_customers",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )

    # Codes added to or removed from an activity are changes staff make; keep them traceable.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registered customer")
        verbose_name_plural = _("registered customers")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "customer"],
                name="outreach_registration_unique",
                violation_error_message=_("This customer is already registered at this activity."),
            )
        ]

    def __str__(self):
        return str(self.customer)

    def clean(self):
        if self.activity_id and self.customer_id:
            error = registration_branch_error(self.customer, self.activity.branch_id)
            if error:
                raise ValidationError({"customer": error})


def registration_branch_error(customer, branch_id):
    """Only the branch's own customers can be registered at its activity."""
    if customer.branch_id == branch_id:
        return None
    return _(
        "%(customer)s is a customer of %(branch)s, not of the branch that ran this activity."
    ) % {"customer": customer, "branch": customer.branch}
